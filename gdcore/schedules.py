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


def _lr0(lr0, func):
    return v.real(lr0, "lr0", func, low=0.0, low_open=True)


class constant(Schedule):
    """:math:`\\eta_t = \\eta_0`."""

    _fields = ("lr0",)

    def __init__(self, lr0):
        self.lr0 = _lr0(lr0, "constant")

    def _rate(self, t):
        return self.lr0 + 0.0 * t


class step_decay(Schedule):
    """:math:`\\eta_t = \\eta_0\\,\\gamma^{\\lfloor t/k \\rfloor}`: multiply by ``factor`` every ``every`` steps."""

    _fields = ("lr0", "factor", "every")

    def __init__(self, lr0, factor, every):
        self.lr0 = _lr0(lr0, "step_decay")
        self.factor = v.real(factor, "factor", "step_decay", low=0.0, high=1.0, low_open=True)
        self.every = v.integer(every, "every", "step_decay", low=1)

    def _rate(self, t):
        return self.lr0 * self.factor ** np.floor(t / self.every)


class exponential(Schedule):
    """:math:`\\eta_t = \\eta_0\\,\\gamma^t`."""

    _fields = ("lr0", "gamma")

    def __init__(self, lr0, gamma):
        self.lr0 = _lr0(lr0, "exponential")
        self.gamma = v.real(gamma, "gamma", "exponential", low=0.0, high=1.0, low_open=True)

    def _rate(self, t):
        return self.lr0 * self.gamma ** t


class inverse_time(Schedule):
    """:math:`\\eta_t = \\eta_0 / (1 + \\lambda t)`, the Robbins–Monro-admissible 1/t decay."""

    _fields = ("lr0", "decay")

    def __init__(self, lr0, decay):
        self.lr0 = _lr0(lr0, "inverse_time")
        self.decay = v.real(decay, "decay", "inverse_time", low=0.0)

    def _rate(self, t):
        return self.lr0 / (1.0 + self.decay * t)


class cosine(Schedule):
    """:math:`\\eta_t = \\eta_{min} + \\tfrac12(\\eta_0-\\eta_{min})\\,(1+\\cos(\\pi\\,\\min(t,T)/T))`.

    Holds at ``lr_min`` after ``total_steps``.
    """

    _fields = ("lr0", "total_steps", "lr_min")

    def __init__(self, lr0, total_steps, lr_min=0.0):
        self.lr0 = _lr0(lr0, "cosine")
        self.total_steps = v.integer(total_steps, "total_steps", "cosine", low=1)
        self.lr_min = v.real(lr_min, "lr_min", "cosine", low=0.0, high=self.lr0)

    def _rate(self, t):
        frac = np.minimum(t, self.total_steps) / self.total_steps
        return self.lr_min + 0.5 * (self.lr0 - self.lr_min) * (1.0 + np.cos(np.pi * frac))


class warmup(Schedule):
    """Linear warm-up (Goyal et al., 2017) in front of another schedule.

    :math:`\\eta_t = \\eta^{base}_0\\,(t+1)/W` for :math:`t < W`, then :math:`\\eta^{base}_{t-W}`.
    """

    _fields = ("schedule", "warmup_steps")

    def __init__(self, schedule, warmup_steps):
        if isinstance(schedule, (int, float)) and not isinstance(schedule, bool):
            schedule = constant(schedule)
        if not isinstance(schedule, Schedule):
            v.fail("schedule", "warmup", "a gdcore schedule or a float", schedule, TypeError)
        self.schedule = schedule
        self.warmup_steps = v.integer(warmup_steps, "warmup_steps", "warmup", low=1)

    def _rate(self, t):
        W = self.warmup_steps
        base0 = self.schedule._rate(np.float64(0.0))
        after = self.schedule._rate(np.maximum(t - W, 0.0))
        return np.where(t < W, base0 * (t + 1.0) / W, after)


def get(name, **kwargs):
    """Build a schedule by name, e.g. ``get("cosine", lr0=0.1, total_steps=100)``."""
    v.choice(name, "name", "schedules.get", NAMES)
    return globals()[name](**kwargs)


def as_schedule(lr, func):
    """A float becomes ``constant(lr)``; a schedule passes through. Used by the optimisers."""
    if isinstance(lr, Schedule):
        return lr
    if callable(lr):
        return _Callable(lr, func)
    if isinstance(lr, (bool, np.bool_)) or not isinstance(lr, (int, float, np.floating, np.integer)):
        v.fail("lr", func, "a float > 0 or a schedule", lr, TypeError)
    if not np.isfinite(lr) or lr <= 0:
        v.fail("lr", func, "a float > 0 or a schedule", lr)
    return constant(float(lr))


class _Callable(Schedule):
    """Wraps a user function ``step -> lr`` so it is checked at every call."""

    _fields = ("fn",)

    def __init__(self, fn, func):
        self.fn = fn
        self._func = func

    def _rate(self, t):
        if np.ndim(t) == 0:
            lr = self.fn(int(t))
            if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating, np.integer)) \
                    or not np.isfinite(lr) or lr <= 0:
                v.fail("lr", self._func, f"a schedule returning floats > 0 (at step {int(t)})", lr)
            return float(lr)
        return np.array([self._rate(np.float64(s)) for s in t])
