"""Collect submissions downloaded from an LMS (no JupyterHub exchange): zips or notebooks -> submitted/.

Accepted in the folder, one entry per student:

* ``<student_id>.zip`` holding the assignment's notebook(s) anywhere inside;
* ``<student_id>.ipynb`` or ``<student_id>_<anything>.ipynb``;
* Canvas-style names ``<name>_<student_id>_<submission id>_<original name>.(zip|ipynb)`` (also ``late_`` first).

Only the assignment's own notebooks are taken (matched by file name against the release in exercises/); every
other file is ignored, so a ``numpy.py`` or a second notebook never reaches the course. Archives are read with
limits (file count, sizes, compression ratio) and no path from inside an archive is ever used on disk, so a zip
bomb or a ``../`` name cannot write outside submitted/. Every skipped entry is reported.
"""
from __future__ import annotations

import datetime
import os
import re
import zipfile

MAX_MEMBERS = 200
MAX_NOTEBOOK_BYTES = 20 * 1024**2
STUDENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
CANVAS_RE = re.compile(r"^(?:late_)?[^_]+_(?P<sid>[A-Za-z0-9.-]+)_\d+_(?P<rest>.+)$")


def _student_id(filename):
    stem = os.path.splitext(os.path.basename(filename))[0]
    m = CANVAS_RE.match(os.path.basename(filename))
    if m:
        return m.group("sid")
    sid = stem.split("_", 1)[0]
    return sid if STUDENT_RE.match(sid) else None


def _notebooks(root, assignment):
    d = os.path.join(root, "exercises", assignment)
    if not os.path.isdir(d):
        raise SystemExit(f"grading collect: no release exercises/{assignment}/ under {root}")
    return sorted(f for f in os.listdir(d) if f.endswith(".ipynb"))


def _write(dest_dir, name, data, stamp):
    os.makedirs(dest_dir, exist_ok=True)
    tmp = os.path.join(dest_dir, "." + name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, os.path.join(dest_dir, name))
    with open(os.path.join(dest_dir, "timestamp.txt"), "w") as f:
        f.write(stamp)


def collect(root, assignment, folder, log=print):
    """Unpack every student's download into submitted/<student>/<assignment>/; returns the number collected."""
    wanted = _notebooks(root, assignment)
    n = 0
    for entry in sorted(os.listdir(folder)):
        path = os.path.join(folder, entry)
        if not os.path.isfile(path) or os.path.islink(path):
            continue
        sid = _student_id(entry)
        if sid is None:
            log(f"skipped {entry}: no student id in the file name")
            continue
        stamp = datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.UTC).strftime(
            "%Y-%m-%d %H:%M:%S.%f UTC")
        dest = os.path.join(root, "submitted", sid, assignment)
        found = {}
        if entry.endswith(".ipynb"):
            if os.path.getsize(path) > MAX_NOTEBOOK_BYTES:
                log(f"skipped {entry}: larger than {MAX_NOTEBOOK_BYTES} bytes")
                continue
            with open(path, "rb") as f:
                data = f.read()
            target = wanted[0] if len(wanted) == 1 else next((w for w in wanted if entry.endswith(w)), None)
            if target is None:
                log(f"skipped {entry}: which of {wanted} is it?")
                continue
            found[target] = data
        elif entry.endswith(".zip"):
            try:
                with zipfile.ZipFile(path) as z:
                    members = z.infolist()
                    if len(members) > MAX_MEMBERS:
                        log(f"skipped {entry}: {len(members)} files in the archive")
                        continue
                    for m in members:
                        base = os.path.basename(m.filename.replace("\\", "/"))
                        if base not in wanted or m.is_dir() or base in found:
                            continue
                        if m.file_size > MAX_NOTEBOOK_BYTES or m.compress_size and \
                                m.file_size / max(m.compress_size, 1) > 1000:
                            log(f"skipped {base} in {entry}: too large")
                            continue
                        with z.open(m) as f:
                            data = f.read(MAX_NOTEBOOK_BYTES + 1)
                        if len(data) > MAX_NOTEBOOK_BYTES:
                            log(f"skipped {base} in {entry}: too large")
                            continue
                        found[base] = data
            except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
                log(f"skipped {entry}: not a readable zip ({exc})")
                continue
        else:
            log(f"skipped {entry}: neither .zip nor .ipynb")
            continue
        if not found:
            log(f"skipped {entry}: none of {wanted} inside")
            continue
        for name, data in found.items():
            _write(dest, name, data, stamp)
        n += 1
    return n
