"""explorers: the course's interactive figures, a component of their own beside the numeric library gdcore.

>>> import explorers
>>> explorers.learning_rate()        # in a notebook cell: the live explorer

Each public function returns an ipywidgets widget (an anywidget) that runs the explorer's web twin,
``web/gd-explorers.js``, drawn with d3; the HTML book runs the same script, with no kernel and offline.
gdcore is the numeric truth: :mod:`explorers.reference` computes every number an explorer shows with
gdcore's kernels, and the browser tests hold the web twins to it. gdcore imports nothing from here.
"""
from .reference import (
    BS_EPOCHS,
    BS_N,
    MOM_BOWL_KAPPA,
    MOM_BOWL_L,
    MOM_STARTS,
    PRE_LR0,
    PRE_STEPS,
    PRE_TOL,
    SCH_EPOCHS,
    SCH_N,
)
from .widget import EXPLORERS, Explorer, batch_size, learning_rate, momentum, preconditioning, schedules, xor

__all__ = ["BS_EPOCHS", "BS_N", "EXPLORERS", "MOM_BOWL_KAPPA", "MOM_BOWL_L", "MOM_STARTS", "PRE_LR0", "PRE_STEPS",
           "PRE_TOL", "SCH_EPOCHS", "SCH_N", "Explorer", "batch_size", "learning_rate", "momentum", "preconditioning", "schedules", "xor"]
