"""The only grading code a notebook calls: ``check`` and ``use_assignment``.

A test cell computes something with the student's function and hands it to ``check``::

    check("mse_loss on the 3-point example", mse_loss(w, b, X, y), expected=2.5, hint="divide by 2n")

``check`` publishes the result as plain numbers (a display output of type ``MIME``). With ``expected`` it
also compares on the spot and raises ``CheckFailed`` with a plain-words message, which is the feedback a
student sees in JupyterLab and in ``nbgrader validate``. Hidden checks are written without ``expected``: the
grader runs the instructor's solution on the same inputs, outside the student's kernel, and compares the
two results there. So the expected values of hidden checks never exist in the student's process, and nothing
the student's code does to this module (or to builtins, numpy, ...) can change a grade.
"""
from __future__ import annotations

import importlib

from . import compare as _compare
from . import policy as _policy

MIME = "application/vnd.gd-hands-on.check+json"
_MISSING = object()


class CheckFailed(AssertionError):
    """A visible check did not pass (an AssertionError, so nbgrader validate reports it as a failed test)."""


class OffLimitsError(RuntimeError):
    """A gdcore function that computes what this assignment asks you to write was called."""


def _publish(record, text):
    try:
        from IPython.display import publish_display_data
    except ImportError:  # plain Python (e.g. a script): nothing to publish to
        return
    publish_display_data({MIME: record, "text/plain": text})


def check(name, got, expected=_MISSING, *, rtol=1e-7, atol=1e-10, hint=""):
    """Record one result of a test cell; with ``expected``, also compare it now and raise if it is wrong.

    Parameters
    ----------
    name : str
        What is checked, in words; it names the check in every message and in the grade report.
    got : number, array, list, tuple, dict or None
        The student's result.
    expected : optional
        The right answer, for a visible check. Hidden checks leave it out.
    rtol, atol : float
        Tolerance: an entry passes when |got - expected| <= atol + rtol * |expected|.
    hint : str
        One sentence shown when the check fails (e.g. the usual mistake).
    """
    __tracebackhide__ = True  # IPython: show the test cell's line, not this function
    record = {"name": str(name), "got": _compare.encode(got), "rtol": float(rtol), "atol": float(atol),
              "hint": str(hint), "visible": expected is not _MISSING}
    if expected is _MISSING:
        _publish(record, f"recorded: {name}")
        return
    ok, message = _compare.compare(_compare.encode(expected), record["got"], rtol, atol)
    _publish(record, ("\u2713 " if ok else "\u2717 ") + str(name))
    if not ok:
        raise CheckFailed(f"{name}: {message}" + (f" Hint: {hint}" if hint else ""))


def _blocked(qualname, assignment):
    def off_limits(*args, **kwargs):
        raise OffLimitsError(off_limits_message(qualname, assignment))
    off_limits.__name__ = qualname.rsplit(".", 1)[-1]
    off_limits.__doc__ = off_limits_message(qualname, assignment)
    return off_limits


def off_limits_message(qualname, assignment):
    return (f"{qualname} is off-limits in the assignment '{assignment}': it computes what this assignment "
            "asks you to write. Write it yourself with NumPy; an answer that calls it scores 0 for that part.")


def use_assignment(assignment):
    """Make this assignment's off-limits gdcore functions raise ``OffLimitsError`` in this kernel.

    The grader enforces the same list in its sandbox (there the functions' code is not even present); this
    call only lets you find out before you submit.
    """
    names = _policy.off_limits(assignment)
    for qualname in names:
        module_name, attr = qualname.rsplit(".", 1)
        module = importlib.import_module(module_name)
        for a in (attr, "_" + attr):
            if hasattr(module, a):
                setattr(module, a, _blocked(qualname, assignment))
    return names
