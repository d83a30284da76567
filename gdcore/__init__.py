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
    "explore",
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


def __getattr__(name):
    # the explorers need ipywidgets; import them only when asked for
    if name == "explore":
        import importlib
        return importlib.import_module(".explore", __name__)
    raise AttributeError(f"module 'gdcore' has no attribute {name!r}")
