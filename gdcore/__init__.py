"""gdcore: the small NumPy library behind the course *Gradient Descent, Hands-On*.

>>> import gdcore as gd
>>> X, y, _ = gd.data.make_linear(200, 3, rng=0)
>>> params = gd.models.linear.init(3)
>>> params, hist = gd.fit(gd.models.linear, params, X, y, gd.optim.sgd(lr=0.1), epochs=50)
"""
from . import data, gradcheck, losses, models, optim, plot, schedules, second_order
from .train import DivergenceWarning, History, fit, minimize

__version__ = "0.1.0"
__all__ = [
    "DivergenceWarning",
    "History",
    "data",
    "fit",
    "gradcheck",
    "losses",
    "minimize",
    "models",
    "optim",
    "plot",
    "schedules",
    "second_order",
]

