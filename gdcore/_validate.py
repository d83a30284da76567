"""Input validation with one error template for every public entry point.

Every message reads::

    The '<param>' parameter of <function> must be <constraint>; got <value> instead.

Validation raises ``ValueError`` or ``TypeError``, never ``AssertionError``:
nbgrader reads an ``AssertionError`` as a failed test, not as bad input.

Each parameter's constraint is declared once, in a table next to its function, in the style of
scikit-learn's ``_parameter_constraints``::

    @validate_params({"epochs": Interval(int, 1, None), "tol": Optional(Interval(float, 0, None, "neither"))})
    def fit(..., epochs=100, tol=None): ...          # the body receives checked, converted values

Classes (the optimisers, the schedules) keep the table in ``_parameter_constraints`` and call
:func:`check_params`. A constraint describes itself (that text goes into the message) and
``check(value, name, func)`` returns the converted value or raises. Constraints that depend on
another argument (a batch size at most n, ``lr_min`` at most ``lr0``) are checked in the body,
still with one constraint object per parameter.
"""
from __future__ import annotations

import functools
import inspect
import math
import numbers

import numpy as np


def _show(value):
    """A short, readable description of what we were given."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, np.generic):
        value = value.item()  # 0.5, not np.float64(0.5)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def message(name, func, constraint, got):
    return f"The '{name}' parameter of {func} must be {constraint}; got {got} instead."


def fail(name, func, constraint, value, exc=ValueError, got=None):
    raise exc(message(name, func, constraint, _show(value) if got is None else got))


def number(x):
    """A bound as a person writes it: ``0``, ``0.3``, ``1e-08``, ``10**-2.5``.

    Never the 17 digits of a float's repr (``0.0031622776601683794``).
    """
    x = float(x)
    if x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    for digits in range(1, 18):
        text = f"{x:.{digits}g}"
        if float(text) == x:
            break
    if len(text) > 8 and x > 0:  # an exact power of ten with a short exponent, e.g. a log-slider's end
        e = round(math.log10(x), 3)
        if 10 ** e == x:
            return f"10**{e:g}"
    return text


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


class Constraint:
    """A declared constraint: :meth:`describe` gives the text of the message, :meth:`check` applies it."""

    def describe(self):
        raise NotImplementedError

    def check(self, value, name, func):
        """Return ``value`` converted (e.g. to a Python float), or raise ValueError/TypeError."""
        raise NotImplementedError

    def __str__(self):
        return self.describe()

    def __repr__(self):
        return f"<{type(self).__name__}: {self.describe()}>"


class Interval(Constraint):
    """Finite floats (``kind=float``) or ints (``kind=int``) between ``low`` and ``high``.

    ``None`` leaves that side unbounded.

    ``closed`` is "both", "left", "right" or "neither", as in scikit-learn. Floats must be finite, so an
    unbounded side is always open and reads as a one-sided bound: ``a float > 0``, ``an int >= 1``,
    ``a float in the range [0, 1)``.
    """

    def __init__(self, kind, low=None, high=None, closed="both"):
        if kind not in (float, int):
            raise TypeError("Interval kind must be float or int")
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"unknown closed={closed!r}")
        self.kind, self.low, self.high, self.closed = kind, low, high, closed
        self.low_closed = low is not None and closed in ("both", "left")
        self.high_closed = high is not None and closed in ("both", "right")

    def describe(self, plural=False):
        noun = ("floats" if plural else "a float") if self.kind is float else ("ints" if plural else "an int")
        lo, hi = self.low, self.high
        if lo is None and hi is None:
            return noun
        if hi is None:
            return f"{noun} {'>=' if self.low_closed else '>'} {number(lo)}"
        if lo is None:
            return f"{noun} {'<=' if self.high_closed else '<'} {number(hi)}"
        return (f"{noun} in the range {'[' if self.low_closed else '('}{number(lo)}, "
                f"{number(hi)}{']' if self.high_closed else ')'}")

    def _type_ok(self, value):
        return _is_int(value) if self.kind is int else _is_real(value)

    def _in_range(self, v):
        if self.kind is float and not math.isfinite(v):
            return False
        below = self.low is not None and (v < self.low or (v == self.low and not self.low_closed))
        above = self.high is not None and (v > self.high or (v == self.high and not self.high_closed))
        return not (below or above)

    def check(self, value, name, func):
        if not self._type_ok(value):
            fail(name, func, self.describe(), value, TypeError)
        v = self.kind(value)
        if not self._in_range(v):
            fail(name, func, self.describe(), value)
        return v


class Pair(Constraint):
    """A tuple or list of two values that each satisfy ``inner``, e.g. Adam's ``betas``."""

    def __init__(self, inner, names):
        self.inner, self.names = inner, tuple(names)

    def describe(self):
        return f"a pair ({', '.join(self.names)}) of {self.inner.describe(plural=True)}"

    def check(self, value, name, func):
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            fail(name, func, self.describe(), value, TypeError)
        if not all(self.inner._type_ok(x) for x in value):
            fail(name, func, self.describe(), value, TypeError)
        out = tuple(self.inner.kind(x) for x in value)
        if not all(self.inner._in_range(x) for x in out):
            fail(name, func, self.describe(), value)
        return out


class Options(Constraint):
    """One of a fixed set of strings."""

    def __init__(self, options):
        self.options = tuple(options)

    def describe(self):
        return "one of " + ", ".join(repr(o) for o in self.options)

    def check(self, value, name, func):
        if not isinstance(value, str):
            fail(name, func, self.describe(), value, TypeError)
        if value not in self.options:
            fail(name, func, self.describe(), value)
        return value


class Boolean(Constraint):
    def describe(self):
        return "a bool"

    def check(self, value, name, func):
        if not isinstance(value, (bool, np.bool_)):
            fail(name, func, "a bool", value, TypeError)
        return bool(value)


class Optional(Constraint):
    """``None``, or a value that satisfies ``inner``."""

    def __init__(self, inner):
        self.inner = inner

    def describe(self):
        return f"{self.inner.describe()} or None"

    def check(self, value, name, func):
        if value is None:
            return None
        try:
            return self.inner.check(value, name, func)
        except (TypeError, ValueError) as err:
            raise type(err)(message(name, func, self.describe(), _show(value))) from None


class Instance(Constraint):
    """An instance of ``cls``, described by ``text`` (e.g. "a gdcore optimiser such as ...")."""

    def __init__(self, cls, text):
        self.cls, self.text = cls, text

    def describe(self):
        return self.text

    def check(self, value, name, func):
        if not isinstance(value, self.cls):
            fail(name, func, self.text, value, TypeError)
        return value


class Function(Constraint):
    """A callable, described by ``text`` (e.g. "a callable x -> (f, grad)")."""

    def __init__(self, text):
        self.text = text

    def describe(self):
        return self.text

    def check(self, value, name, func):
        if not callable(value):
            fail(name, func, self.text, value, TypeError)
        return value


class Array(Constraint):
    """A finite float64 ndarray (see :func:`array`)."""

    def __init__(self, ndim=None, shape=None, allow_empty=False):
        self.ndim, self.shape, self.allow_empty = ndim, shape, allow_empty

    def describe(self):
        return "an array of numbers"

    def check(self, value, name, func):
        return array(value, name, func, ndim=self.ndim, shape=self.shape, allow_empty=self.allow_empty)


class Seed(Constraint):
    """An int seed >= 0, ``None`` or a ``np.random.Generator``; checked into a Generator."""

    def describe(self):
        return "a non-negative int seed or a numpy.random.Generator"

    def check(self, value, name, func):
        if isinstance(value, np.random.Generator):
            return value
        if value is None or _is_int(value):
            if value is not None and value < 0:
                fail(name, func, self.describe(), value)
            return np.random.default_rng(value)
        fail(name, func, self.describe(), value, TypeError)


def check_params(func, constraints, values):
    """Check ``values`` (a dict name -> value) against ``constraints`` (name -> Constraint), in the
    order of the table; return a dict of the converted values."""
    return {name: constraints[name].check(values[name], name, func) for name in constraints}


def validate_params(constraints, func=None):
    """Decorator: check the named arguments of a function against a constraint table.

    The function body receives the converted values (a Python float for a float interval, a
    Generator for a seed, ...). Messages name ``func`` (default: the function's name), or the
    value of the function's own ``func`` argument if it has one (helpers that an explorer calls
    on its behalf). The table is kept on the function as ``parameter_constraints``.
    """
    def decorate(fn):
        sig = inspect.signature(fn)
        missing = set(constraints) - set(sig.parameters)
        if missing:
            raise TypeError(f"{fn.__name__} has no parameters {sorted(missing)}")
        default_name = func or fn.__name__
        named_by_caller = "func" in sig.parameters

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            arguments = bound.arguments
            name = arguments["func"] if named_by_caller else default_name
            for pname, constraint in constraints.items():
                arguments[pname] = constraint.check(arguments[pname], pname, name)
            return fn(*bound.args, **bound.kwargs)

        wrapper.parameter_constraints = constraints
        return wrapper
    return decorate


# ---- function forms, for the modules that check a parameter inline

def real(value, name, func, low=None, high=None, low_open=False, high_open=False):
    """Return ``value`` as a Python float after checking type and range (see :class:`Interval`)."""
    closed = {(False, False): "both", (False, True): "left", (True, False): "right", (True, True): "neither"}
    return Interval(float, low, high, closed[(low_open, high_open)]).check(value, name, func)


def integer(value, name, func, low=None, high=None):
    """Return ``value`` as a Python int in ``[low, high]``."""
    return Interval(int, low, high).check(value, name, func)


def choice(value, name, func, options):
    """Check that ``value`` is one of ``options`` (strings)."""
    return Options(options).check(value, name, func)


def array(value, name, func, ndim=None, shape=None, allow_empty=False):
    """Return ``value`` as a finite float64 ndarray (a copy is made only if needed).

    ``shape`` may contain ``None`` for "any size" in that axis.
    """
    if isinstance(value, (str, bytes, dict)) or value is None:
        fail(name, func, "an array of numbers", value, TypeError)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        fail(name, func, "an array of numbers", value, TypeError)
    if ndim is not None and arr.ndim != ndim:
        want = {0: "a scalar", 1: "a 1-D array", 2: "a 2-D array"}.get(ndim, f"a {ndim}-D array")
        if shape is not None:
            want += " of shape (" + ", ".join("n" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        hint = ""
        if ndim == 1 and arr.ndim == 2 and 1 in arr.shape:
            hint = " (use y.ravel() to turn a column into a 1-D array)"
        elif ndim == 2 and arr.ndim == 1:
            hint = " (use X.reshape(-1, 1) for a single feature)"
        fail(name, func, want, arr, got=f"shape {arr.shape}{hint}")
    if shape is not None:
        for axis, (want, have) in enumerate(zip(shape, arr.shape)):
            if want is not None and want != have:
                fail(name, func, f"an array with {want} entries along axis {axis}", arr,
                     got=f"shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        fail(name, func, "a non-empty array", arr, got=f"shape {arr.shape}")
    # a finite sum proves every entry finite (NaN/inf propagate) at a fraction of isfinite's cost
    if not np.isfinite(arr.sum()) and not np.all(np.isfinite(arr)):
        bad = "NaN" if np.isnan(arr).any() else "inf"
        fail(name, func, "an array of finite numbers (no NaN or inf)", arr,
             got=f"{bad} at index {tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])}")
    return arr


def data(X, y, func, n_features=None):
    """Validate a design matrix and 1-D targets of matching length."""
    X = array(X, "X", func, ndim=2, shape=(None, n_features))
    y = array(y, "y", func, ndim=1, shape=(None,))
    if y.shape[0] != X.shape[0]:
        fail("y", func, f"a 1-D array with one entry per row of X ({X.shape[0]})", y,
             got=f"shape {y.shape}")
    return X, y


def binary(y, name, func):
    if not np.all((y == 0) | (y == 1)):
        bad = y[(y != 0) & (y != 1)][0].item()
        fail(name, func, "an array of 0/1 labels", y, got=f"a label {bad!r}")
    return y


def params(value, name, func, like=None):
    """Check an ndarray or a dict of ndarrays (optionally matching ``like``'s structure)."""
    if isinstance(value, dict):
        if like is not None and not isinstance(like, dict):
            fail(name, func, f"an array of shape {np.shape(like)} like params", value, TypeError)
        if not value:
            fail(name, func, "a non-empty dict of arrays", value)
        out = {}
        for k, v in value.items():
            out[k] = array(v, f"{name}[{k!r}]", func, allow_empty=True)
        if like is not None:
            if set(like) != set(out):
                fail(name, func, f"a dict with keys {sorted(like)}", value, got=f"keys {sorted(out)}")
            for k, a in out.items():
                if a.shape != np.shape(like[k]):
                    fail(f"{name}[{k!r}]", func, f"an array of shape {np.shape(like[k])}", a,
                         got=f"shape {a.shape}")
        return out
    if isinstance(value, (np.ndarray, numbers.Real, list, tuple)) and not isinstance(value, bool):
        arr = array(value, name, func, allow_empty=True)
        if like is not None:
            if isinstance(like, dict):
                fail(name, func, f"a dict with keys {sorted(like)}", value, TypeError)
            if arr.shape != np.shape(like):
                fail(name, func, f"an array of shape {np.shape(like)}", arr, got=f"shape {arr.shape}")
        return arr
    fail(name, func, "an ndarray or a dict of ndarrays", value, TypeError)


def boolean(value, name, func):
    return Boolean().check(value, name, func)


def rng(value, name, func):
    """An int seed, ``None`` or a ``np.random.Generator`` -> Generator."""
    return Seed().check(value, name, func)
