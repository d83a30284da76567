"""explorers: the course's interactive figures, beside the numeric library ``gdcore``.

>>> import explorers
>>> explorers.learning_rate()        # in a notebook cell: the live explorer

Each public function returns an ipywidgets widget. The numbers come from ``gdcore`` (its pure kernels in
:mod:`gdcore.explore_core`); ``gdcore`` itself imports nothing from here.
"""
from .widgets import (
    BS_EPOCHS,
    BS_N,
    EXPLORERS,
    MOM_BOWL_KAPPA,
    MOM_BOWL_L,
    MOM_STARTS,
    SCH_EPOCHS,
    SCH_N,
    batch_size,
    learning_rate,
    momentum,
    schedules,
    xor,
)

__all__ = ["BS_EPOCHS", "BS_N", "EXPLORERS", "MOM_BOWL_KAPPA", "MOM_BOWL_L", "MOM_STARTS", "SCH_EPOCHS", "SCH_N",
           "batch_size", "learning_rate", "momentum", "schedules", "xor"]
