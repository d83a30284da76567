"""Input validation with one error template for every public entry point.

Every message reads::

    The '<param>' parameter of <function> must be <constraint>; got <value> instead.

Validation raises ``ValueError`` or ``TypeError``, never ``AssertionError``:
nbgrader reads an ``AssertionError`` as a failed test, not as bad input.
"""
from __future__ import annotations

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


def real(value, name, func, low=None, high=None, low_open=False, high_open=False):
    """Return ``value`` as a Python float after checking type and range."""
    lo = "(" if low_open else "["
    hi = ")" if high_open else "]"
    rng = f"{lo}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi}"
    constraint = f"a float in the range {rng}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        fail(name, func, constraint, value, TypeError)
    v = float(value)
    if not np.isfinite(v):
        fail(name, func, constraint, value)
    if low is not None and (v < low or (low_open and v == low)):
        fail(name, func, constraint, value)
    if high is not None and (v > high or (high_open and v == high)):
        fail(name, func, constraint, value)
    return v


def integer(value, name, func, low=None, high=None):
    """Return ``value`` as a Python int in ``[low, high]``."""
    rng = f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"
    constraint = f"an int in the range {rng}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        fail(name, func, constraint, value, TypeError)
    v = int(value)
    if (low is not None and v < low) or (high is not None and v > high):
        fail(name, func, constraint, value)
    return v


def choice(value, name, func, options):
    """Check that ``value`` is one of ``options`` (strings)."""
    constraint = "one of " + ", ".join(repr(o) for o in options)
    if not isinstance(value, str):
        fail(name, func, constraint, value, TypeError)
    if value not in options:
        fail(name, func, constraint, value)
    return value


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
            for k in out:
                if out[k].shape != np.shape(like[k]):
                    fail(f"{name}[{k!r}]", func, f"an array of shape {np.shape(like[k])}", out[k],
                         got=f"shape {out[k].shape}")
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
    if not isinstance(value, (bool, np.bool_)):
        fail(name, func, "a bool", value, TypeError)
    return bool(value)


def rng(value, name, func):
    """An int seed, ``None`` or a ``np.random.Generator`` -> Generator."""
    if isinstance(value, np.random.Generator):
        return value
    constraint = "a non-negative int seed or a numpy.random.Generator"
    if value is None or (isinstance(value, numbers.Integral) and not isinstance(value, bool)):
        if value is not None and value < 0:
            fail(name, func, constraint, value)
        return np.random.default_rng(value)
    fail(name, func, constraint, value, TypeError)
