"""Learning-rate schedules: pure functions of the step number ``t`` (0, 1, 2, ...).

Each schedule is a small immutable callable: ``sched(t)`` returns the learning rate
for step ``t``; ``sched(np.arange(T))`` returns all ``T`` rates at once. Calling it
never changes it (unlike schedulers that mutate themselves), so the same schedule
can be shared by several optimisers or replayed by an explorer.

=================  ==========================================================
schedule           :math:`\\eta_t`
=================  ==========================================================
``constant``       :math:`\\eta_0`
``step_decay``     :math:`\\eta_0\\,\\gamma^{\\lfloor t/k\\rfloor}`
``exponential``    :math:`\\eta_0\\,\\gamma^{t}`
``inverse_time``   :math:`\\eta_0/(1 + \\lambda t)`
``cosine``         :math:`\\eta_{min} + \\tfrac12(\\eta_0-\\eta_{min})(1+\\cos(\\pi\\min(t,T)/T))`
``warmup``         :math:`\\eta^{base}_0 (t+1)/W` for :math:`t<W`, then :math:`\\eta^{base}_{t-W}`
=================  ==========================================================

All of them give :math:`\\eta_0` at step 0, except ``warmup``, whose point is to start small.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from . import _validate as v

NAMES = ("constant", "step_decay", "exponential", "inverse_time", "cosine", "warmup")


class Schedule:
    """Base class: subclasses implement ``_rate(t)`` on a float array of steps."""

    _fields = ()

    def __call__(self, t):
        if isinstance(t, (int, np.integer)) and not isinstance(t, bool):
            if t < 0:
                v.fail("t", f"{type(self).__name__}", "an int >= 0", t)
            # through the vector path, so that sched(t) == sched(np.arange(T))[t] bit for bit
            # (NumPy's SIMD power/cos can differ from the scalar ones in the last bit)
            return float(self._rate(np.array([t], dtype=np.float64))[0])
        arr = np.asarray(t)
        if arr.dtype.kind not in "iu" or (arr.size and arr.min() < 0):
            v.fail("t", f"{type(self).__name__}", "an int >= 0 or an array of them", t, TypeError
                   if arr.dtype.kind not in "iu" else ValueError)
        return self._rate(arr.astype(np.float64))

    def __setattr__(self, name, value):
        if name in self._fields and name in self.__dict__:
            raise AttributeError(f"{type(self).__name__} is immutable; make a new schedule instead")
        object.__setattr__(self, name, value)

    def __repr__(self):
        args = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and all(getattr(self, f) == getattr(other, f) for f in self._fields)

    def __hash__(self):
        return hash((type(self).__name__,) + tuple(repr(getattr(self, f)) for f in self._fields))


# one declaration per parameter, shared by every schedule that has it
LR0 = v.Interval(float, 0, None, closed="neither")
FACTOR = v.Interval(float, 0, 1, closed="right")
STEPS = v.Interval(int, 1, None)


class _Fields(Schedule):
    """A schedule whose fields are exactly its ``_parameter_constraints``, checked on construction."""

    _parameter_constraints: ClassVar[dict] = {}

    def __init__(self, **values):
        for name, value in v.check_params(type(self).__name__, self._parameter_constraints, values).items():
            setattr(self, name, value)

    @property
    def _fields(self):
        return tuple(self._parameter_constraints)


class constant(_Fields):
    """:math:`\\eta_t = \\eta_0`."""

    _parameter_constraints: ClassVar[dict] = {"lr0": LR0}

    def __init__(self, lr0):
        super().__init__(lr0=lr0)

    def _rate(self, t):
        return self.lr0 + 0.0 * t


class step_decay(_Fields):
    """:math:`\\eta_t = \\eta_0\\,\\gamma^{\\lfloor t/k \\rfloor}`: multiply by ``factor`` every ``every`` steps."""

    _parameter_constraints: ClassVar[dict] = {"lr0": LR0, "factor": FACTOR, "every": STEPS}

    def __init__(self, lr0, factor, every):
        super().__init__(lr0=lr0, factor=factor, every=every)

    def _rate(self, t):
        return self.lr0 * self.factor ** np.floor(t / self.every)


class exponential(_Fields):
    """:math:`\\eta_t = \\eta_0\\,\\gamma^t`."""

    _parameter_constraints: ClassVar[dict] = {"lr0": LR0, "gamma": FACTOR}

    def __init__(self, lr0, gamma):
        super().__init__(lr0=lr0, gamma=gamma)

    def _rate(self, t):
        return self.lr0 * self.gamma ** t


class inverse_time(_Fields):
    """:math:`\\eta_t = \\eta_0 / (1 + \\lambda t)`, the Robbins–Monro-admissible 1/t decay."""

    _parameter_constraints: ClassVar[dict] = {"lr0": LR0, "decay": v.Interval(float, 0, None)}

    def __init__(self, lr0, decay):
        super().__init__(lr0=lr0, decay=decay)

    def _rate(self, t):
        return self.lr0 / (1.0 + self.decay * t)


class cosine(_Fields):
    """:math:`\\eta_t = \\eta_{min} + \\tfrac12(\\eta_0-\\eta_{min})\\,(1+\\cos(\\pi\\,\\min(t,T)/T))`.

    Holds at ``lr_min`` after ``total_steps``. ``lr_min`` is at most ``lr0``.
    """

    _parameter_constraints: ClassVar[dict] = {"lr0": LR0, "total_steps": STEPS,
                                              "lr_min": v.Interval(float, 0, None)}

    def __init__(self, lr0, total_steps, lr_min=0.0):
        super().__init__(lr0=lr0, total_steps=total_steps, lr_min=lr_min)
        if self.lr_min > self.lr0:  # the one bound that depends on another parameter
            v.fail("lr_min", "cosine", v.Interval(float, 0, self.lr0).describe() + " (at most lr0)", lr_min)

    def _rate(self, t):
        frac = np.minimum(t, self.total_steps) / self.total_steps
        return self.lr_min + 0.5 * (self.lr0 - self.lr_min) * (1.0 + np.cos(np.pi * frac))


class _BaseSchedule(v.Constraint):
    """A gdcore schedule, or a float > 0 that becomes ``constant(lr0)``."""

    def describe(self):
        return "a gdcore schedule or a float > 0"

    def check(self, value, name, func):
        if isinstance(value, Schedule):
            return value
        if not v._is_real(value):
            v.fail(name, func, self.describe(), value, TypeError)
        if not LR0._in_range(float(value)):
            v.fail(name, func, self.describe(), value)
        return constant(float(value))


class warmup(_Fields):
    """Linear warm-up (Goyal et al., 2017) in front of another schedule.

    :math:`\\eta_t = \\eta^{base}_0\\,(t+1)/W` for :math:`t < W`, then :math:`\\eta^{base}_{t-W}`.
    """

    _parameter_constraints: ClassVar[dict] = {"schedule": _BaseSchedule(), "warmup_steps": STEPS}

    def __init__(self, schedule, warmup_steps):
        super().__init__(schedule=schedule, warmup_steps=warmup_steps)

    def _rate(self, t):
        W = self.warmup_steps
        base0 = self.schedule._rate(np.float64(0.0))
        after = self.schedule._rate(np.maximum(t - W, 0.0))
        return np.where(t < W, base0 * (t + 1.0) / W, after)


def get(name, **kwargs):
    """Build a schedule by name, e.g. ``get("cosine", lr0=0.1, total_steps=100)``."""
    v.choice(name, "name", "schedules.get", NAMES)
    return globals()[name](**kwargs)


class LearningRate(v.Constraint):
    """The ``lr`` of an optimiser: a float > 0 (becomes ``constant(lr)``), a schedule, or a callable
    ``step -> lr`` (wrapped so that every rate it returns is checked)."""

    def describe(self):
        return "a float > 0 or a schedule"

    def check(self, value, name, func):
        if isinstance(value, Schedule):
            return value
        if callable(value):
            return _Callable(value, func, name)
        if not v._is_real(value):
            v.fail(name, func, self.describe(), value, TypeError)
        if not LR0._in_range(float(value)):
            v.fail(name, func, self.describe(), value)
        return constant(float(value))


LR = LearningRate()


def as_schedule(lr, func):
    """A float becomes ``constant(lr)``; a schedule passes through; a callable is wrapped and checked."""
    return LR.check(lr, "lr", func)


class _Callable(Schedule):
    """Wraps a user function ``step -> lr`` so that every rate it returns is checked."""

    _fields = ("fn",)

    def __init__(self, fn, func, name="lr"):
        self.fn = fn
        self._func = func
        self._name = name

    def _rate(self, t):
        if np.ndim(t) == 0:
            lr = self.fn(int(t))
            want = f"a schedule returning floats > 0 (at step {int(t)})"
            if not v._is_real(lr):
                v.fail(self._name, self._func, want, lr, TypeError)
            if not LR0._in_range(float(lr)):
                v.fail(self._name, self._func, want, lr)
            return float(lr)
        return np.array([self._rate(np.float64(s)) for s in t])
