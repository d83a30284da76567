"""Encode a result as plain JSON numbers, compare two encoded results, and word the difference.

Pure Python (numpy only to read arrays). The same code gives students immediate feedback in JupyterLab, and
decides every grade outside the student's kernel: there the grader compares the student's encoded result with
the encoded result of the instructor's solution, so nothing in the student's process can change a verdict.

An encoded result is a small JSON tree::

    {"t": "num", "v": 2.5}                       # any real number (bool and int included, as floats)
    {"t": "array", "shape": [2], "dtype": "float64", "v": [0.5, -1.0]}
    {"t": "seq", "v": [...]}  {"t": "dict", "v": {...}}  {"t": "str", "v": "..."}  {"t": "none"}
    {"t": "other", "type": "Foo", "note": "..."}  # anything else: never equal to a number

Non-finite floats are the strings "nan", "inf" and "-inf", so the tree is strict JSON.
"""
from __future__ import annotations

import math

MAX_ELEMENTS = 100_000  # a larger result is reported as too large, not serialised
MAX_DEPTH = 8
SHOW = 6  # array entries shown in a message


# --- encoding (runs in the student's kernel: it must never raise) ---------------------------------------

def _num(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def encode(value, _depth=0):
    """The JSON tree of ``value``; never raises."""
    try:
        return _encode(value, _depth)
    except Exception as exc:  # noqa: BLE001 - a hostile or broken object: describe it, never fail here
        return {"t": "other", "type": _typename(value), "note": f"could not read it ({type(exc).__name__})"}


def _typename(value):
    try:
        return type(value).__name__
    except Exception:  # noqa: BLE001 - a hostile class can make even type() raise
        return "?"


def _encode(value, depth):
    import numpy as np

    if depth > MAX_DEPTH:
        return {"t": "other", "type": _typename(value), "note": "nested too deeply"}
    if value is None:
        return {"t": "none"}
    if isinstance(value, str):
        return {"t": "str", "v": value[:2000]}
    if isinstance(value, (bool, np.bool_)):
        return {"t": "bool", "v": bool(value)}
    if isinstance(value, (int, float, np.integer, np.floating)):
        return {"t": "num", "v": _num(value)}
    if isinstance(value, np.ndarray):
        if value.size > MAX_ELEMENTS:
            return {"t": "other", "type": "ndarray", "note": f"too large ({value.size} entries)"}
        if value.dtype.kind not in "biuf":
            return {"t": "other", "type": f"ndarray of {value.dtype}", "note": "not real numbers"}
        flat = np.asarray(value, dtype=np.float64).reshape(-1)
        return {"t": "array", "shape": [int(s) for s in value.shape], "dtype": str(value.dtype),
                "v": [_num(v) for v in flat.tolist()]}
    if isinstance(value, dict):
        return {"t": "dict", "v": {str(k): _encode(v, depth + 1) for k, v in list(value.items())[:1000]}}
    if isinstance(value, (list, tuple)):
        items = list(value)[:MAX_ELEMENTS + 1]
        if items and all(isinstance(v, (bool, int, float, np.bool_, np.integer, np.floating)) for v in items):
            if len(items) > MAX_ELEMENTS:
                return {"t": "other", "type": type(value).__name__, "note": "too large"}
            return {"t": "array", "shape": [len(items)], "dtype": type(value).__name__,
                    "v": [_num(v) for v in items]}
        if items and all(isinstance(v, (list, tuple)) for v in items):
            try:  # a rectangular nested list of numbers is an array
                arr = np.array(value, dtype=np.float64)
            except (ValueError, TypeError):
                arr = None
            if arr is not None and arr.size <= MAX_ELEMENTS:
                return {"t": "array", "shape": [int(s) for s in arr.shape], "dtype": "list",
                        "v": [_num(v) for v in arr.reshape(-1).tolist()]}
        return {"t": "seq", "v": [_encode(v, depth + 1) for v in items[:1000]]}
    if hasattr(value, "__float__") and not hasattr(value, "__len__"):
        return {"t": "num", "v": _num(value), "type": type(value).__name__}
    return {"t": "other", "type": type(value).__name__, "note": "not a number or an array"}


# --- comparing (authoritative outside the kernel) ------------------------------------------------------

def _f(x):
    return float(x)  # numbers, and the strings "nan", "inf", "-inf"


def _fmt(x):
    if isinstance(x, str):
        return x
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


def _fmt_pair(w, g):
    """Both numbers with enough digits to show that they differ."""
    a, b = _fmt(w), _fmt(g)
    if a == b and not isinstance(w, str) and not isinstance(g, str):
        a, b = repr(float(w)), repr(float(g))
    return a, b


def _fmt_list(vals):
    shown = ", ".join(_fmt(v) for v in vals[:SHOW])
    return "[" + shown + (", ..." if len(vals) > SHOW else "") + "]"


def _close(want, got, rtol, atol):
    w, g = _f(want), _f(got)
    if math.isnan(w) or math.isnan(g):
        return math.isnan(w) and math.isnan(g)
    if math.isinf(w) or math.isinf(g):
        return w == g
    return abs(g - w) <= atol + rtol * abs(w)


def _describe(tree):
    t = tree.get("t")
    if t == "num":
        return "a number"
    if t == "bool":
        return "True or False"
    if t == "array":
        return f"an array of shape {tuple(tree['shape'])}"
    if t == "seq":
        return f"a sequence of {len(tree['v'])} items"
    if t == "dict":
        return "a dict with keys " + ", ".join(repr(k) for k in list(tree["v"])[:SHOW])
    if t == "str":
        return f"the text {tree['v'][:60]!r}"
    if t == "none":
        return "None (did the function forget to return?)"
    note = tree.get("note", "")
    return f"a {tree.get('type', '?')}" + (f" ({note})" if note else "")


def _ratio_note(wants, gots):
    """' every entry is 4x the expected one' when got = r * want for one r != 1, else ''."""
    ratios = []
    for w, g in zip(wants, gots):
        w, g = _f(w), _f(g)
        if not (math.isfinite(w) and math.isfinite(g)):
            return ""
        if abs(w) < 1e-12:
            if abs(g) > 1e-9:
                return ""
            continue
        ratios.append(g / w)
    if not ratios:
        return ""
    r = ratios[0]
    if abs(r - 1) < 1e-6 or abs(r) < 1e-9 or any(abs(q - r) > 1e-6 * max(1.0, abs(r)) for q in ratios):
        return ""
    nice = min(abs(r - round(r)), abs(1 / r - round(1 / r))) < 1e-6 and (abs(round(r)) >= 2 or abs(
        round(1 / r)) >= 2 or abs(r + 1) < 1e-6)
    if len(ratios) == 1:
        # one number: a ratio means something only when it is a telling one (2x, 1/n, a sign flip...)
        return f" Your value is {r:.4g} times the expected one." if nice else ""
    return f" Every entry is {r:.4g} times the expected one."


def compare(want, got, rtol=1e-7, atol=1e-10, reveal=True, _path=""):
    """(ok, message) for an encoded result ``got`` against the encoded ``want``.

    reveal=False words the message without the expected values (used for hidden checks in feedback).
    """
    where = f" at {_path}" if _path else ""
    tw, tg = want.get("t"), got.get("t")
    if tw == "num" and tg == "array" and got.get("shape") in ([], [1]):
        got = {"t": "num", "v": got["v"][0]}  # a 0-d or 1-element array for a scalar is fine
        tg = "num"
    if tw == "array" and tg == "num" and want.get("shape") == []:
        want = {"t": "num", "v": want["v"][0]}
        tw = "num"
    if {tw, tg} == {"bool", "num"}:  # True for 1 and False for 0 are fine
        want, got = ({"t": "num", "v": float(x["v"])} for x in (want, got))
        tw = tg = "num"
    if tw != tg:
        return False, f"expected {_describe(want)}{where}, got {_describe(got)}."
    if tw == "bool":
        if want["v"] == got["v"]:
            return True, ""
        return False, (f"expected {want['v']}{where}, got {got['v']}." if reveal
                       else f"got {got['v']}{where}, which is not right.")
    if tw == "none":
        return True, ""
    if tw == "str":
        if want["v"] == got["v"]:
            return True, ""
        return False, (f"expected {want['v']!r}{where}, got {got['v']!r}." if reveal
                       else f"got {got['v']!r}{where}, which is not right.")
    if tw == "other":
        return False, f"expected a number or an array{where}, got {_describe(got)}."
    if tw == "num":
        w, g = want["v"], got["v"]
        if _close(w, g, rtol, atol):
            return True, ""
        wf, gf = _f(w), _f(g)
        if not math.isfinite(gf) and math.isfinite(wf):
            return False, f"got {_fmt(g)}{where}" + (f", expected {_fmt(w)}" if reveal else "") + \
                ": the computation overflowed or divided by zero."
        diff = abs(gf - wf) if math.isfinite(gf) and math.isfinite(wf) else float("inf")
        rel = diff / abs(wf) if wf else float("inf")
        size = f"off by {_fmt(diff)}" + (f" ({rel:.2g} relative error)" if wf and math.isfinite(rel) else "")
        fw, fg = _fmt_pair(w, g)
        head = (f"expected {fw}{where}, got {fg}: {size}." if reveal
                else f"got {fg}{where}, {size} from the expected value.")
        return False, head + _ratio_note([w], [g])
    if tw == "array":
        if want["shape"] != got["shape"]:
            hint = ""
            if sorted(want["shape"] + [1]) == sorted(got["shape"]) or sorted(got["shape"] + [1]) == sorted(
                    want["shape"]):
                hint = " (a column or row where a flat vector is wanted, or the reverse? check reshape/[:, None])"
            elif list(reversed(want["shape"])) == got["shape"]:
                hint = " (transposed?)"
            return False, (f"expected an array of shape {tuple(want['shape'])}{where}, got shape "
                           f"{tuple(got['shape'])}{hint}.")
        wv, gv = want["v"], got["v"]
        bad = [i for i, (w, g) in enumerate(zip(wv, gv)) if not _close(w, g, rtol, atol)]
        if not bad:
            return True, ""
        diffs = [abs(_f(gv[i]) - _f(wv[i])) if math.isfinite(_f(gv[i])) and math.isfinite(_f(wv[i]))
                 else float("inf") for i in bad]
        k = max(range(len(bad)), key=lambda j: diffs[j])
        worst = bad[k]
        idx = _unravel(worst, want["shape"])
        msg = f"{len(bad)} of {len(wv)} entries differ{where}; the largest difference, {_fmt(diffs[k])}, is at " \
              f"index {idx}"
        if reveal:
            fw, fg = _fmt_pair(wv[worst], gv[worst])
            msg += f" (expected {fw}, got {fg}). Expected {_fmt_list(wv)}, got {_fmt_list(gv)}."
        else:
            msg += f" (got {_fmt(gv[worst])}). Got {_fmt_list(gv)}."
        return False, msg + _ratio_note(wv, gv)
    if tw == "seq":
        if len(want["v"]) != len(got["v"]):
            return False, f"expected {len(want['v'])} items{where}, got {len(got['v'])}."
        for i, (w, g) in enumerate(zip(want["v"], got["v"])):
            ok, msg = compare(w, g, rtol, atol, reveal, f"{_path}[{i}]")
            if not ok:
                return ok, msg
        return True, ""
    if tw == "dict":
        missing = [k for k in want["v"] if k not in got["v"]]
        extra = [k for k in got["v"] if k not in want["v"]]
        if missing or extra:
            return False, (f"expected the keys {sorted(want['v'])}{where}, got {sorted(got['v'])[:20]}.")
        for k in want["v"]:
            ok, msg = compare(want["v"][k], got["v"][k], rtol, atol, reveal, f"{_path}[{k!r}]")
            if not ok:
                return ok, msg
        return True, ""
    return False, f"cannot compare {tw}{where}."


def _unravel(i, shape):
    if len(shape) <= 1:
        return f"[{i}]"
    idx = []
    for s in reversed(shape):
        idx.append(i % s)
        i //= s
    return "[" + ", ".join(str(j) for j in reversed(idx)) + "]"
