"""Gradient checking by central finite differences (in float64).

.. math:: \\frac{\\partial f}{\\partial \\theta_i} \\approx \\frac{f(\\theta + \\epsilon e_i) - f(\\theta - \\epsilon e_i)}{2\\epsilon}

The error is the relative error used in CS231n,
:math:`|a - n| / \\max(|a| + |n|, \\text{floor})`, maximised over all entries.
Below about 1e-7 the analytic gradient is almost surely right; above 1e-4 it is
almost surely wrong.
"""
from __future__ import annotations

import numpy as np

from . import _validate as v


def numerical_grad(f, params, eps=1e-6):
    """Central-difference gradient of a scalar function ``f(params)``.

    Parameters
    ----------
    f : callable
        ``f(params) -> float``. It receives float64 copies, never your arrays.
    params : ndarray or dict of ndarrays
    eps : float > 0

    Returns
    -------
    grad : same structure and shapes as ``params``
    """
    func = "numerical_grad"
    if not callable(f):
        v.fail("f", func, "a callable params -> float", f, TypeError)
    eps = v.real(eps, "eps", func, low=0.0, low_open=True)
    params = v.params(params, "params", func)
    is_dict = isinstance(params, dict)
    work = {k: np.array(a, dtype=np.float64, copy=True) for k, a in params.items()} if is_dict \
        else {None: np.array(params, dtype=np.float64, copy=True)}

    def call():
        arg = {k: a.copy() for k, a in work.items()} if is_dict else work[None].copy()
        out = f(arg)
        try:
            return float(out)
        except (TypeError, ValueError):
            v.fail("f", func, "a callable returning a scalar float", out, TypeError)

    grads = {}
    for k, a in work.items():
        g = np.zeros_like(a)
        flat, gflat = a.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            fp = call()
            flat[i] = old - eps
            fm = call()
            flat[i] = old
            gflat[i] = (fp - fm) / (2.0 * eps)
        grads[k] = g
    return grads if is_dict else grads[None]


def rel_error(a, b, floor=1e-12):
    """Max over entries of :math:`|a-b| / \\max(|a|+|b|, \\text{floor})`; ``a``, ``b`` ndarrays or dicts."""
    if isinstance(a, dict):
        if not isinstance(b, dict) or set(a) != set(b):
            v.fail("b", "rel_error", "a dict with the keys of a", b, TypeError)
        return max(rel_error(a[k], b[k], floor) for k in a)
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        v.fail("b", "rel_error", f"an array of shape {a.shape}", b, got=f"shape {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)))


def check_grad(model, params, X, y, eps=1e-5):
    """Max relative error between ``model.loss_and_grad``'s gradient and central differences.

    Parameters
    ----------
    model : module or object with ``loss_and_grad(params, X, y)``
    params : dict of ndarrays
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)

    eps : float > 0
        Step of the central difference. The default 1e-5 balances truncation error,
        O(eps^2), against round-off, O(1e-16 / eps), for losses of order 1.

    Returns
    -------
    float
        e.g. ``assert check_grad(gd.models.mlp, params, X, y) < 1e-6``.
    """
    if not callable(getattr(model, "loss_and_grad", None)):
        v.fail("model", "check_grad", "a model with a loss_and_grad(params, X, y) function", model, TypeError)
    eps = v.real(eps, "eps", "check_grad", low=0.0, low_open=True)
    _, analytic = model.loss_and_grad(params, X, y)
    numeric = numerical_grad(lambda p: model.loss_and_grad(p, X, y)[0], params, eps=eps)
    return rel_error(analytic, numeric)
