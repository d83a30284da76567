"""Models: each module has ``init``, ``predict`` and ``loss_and_grad``.

Parameters are dicts of float64 arrays. ``loss_and_grad`` returns the loss and a
dict of gradients with the same keys and shapes as ``params``.
"""
from . import linear, logistic, mlp, softmax

__all__ = ["linear", "logistic", "mlp", "softmax"]
