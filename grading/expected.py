"""The expected results: a trusted run of the instructor's source notebook, outside every student's kernel.

The source notebook (solutions/<assignment>/<notebook>.ipynb: solutions and hidden tests) is executed once, in
the same sandbox and with the same sanitised gdcore a student gets, and every ``check`` it publishes is kept
per test cell. A student's test cell passes when its published results match these. The results are cached
in ``<course>/.grading/expected/`` (never mounted into a sandbox), keyed by the source notebook and the library
code, so they are recomputed exactly when either changes; a file lock lets parallel graders share one run.

Before trusting the run, the test cells of the source notebook are compared with the ones
``nbgrader generate_assignment`` stored in the gradebook (those are what autograde restores into every
submission): if they differ, grading stops and says to regenerate the assignment.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os

import nbformat

from .student import MIME


class ExpectedResultsError(RuntimeError):
    """The instructor's source notebook cannot provide trustworthy expected results."""


def _key(source_path, lib_hash):
    with open(source_path, "rb") as f:
        return hashlib.sha256(f.read() + lib_hash.encode()).hexdigest()[:24]


def _lib_hash():
    import gdcore

    import grading
    from .sandbox import _tree_hash

    return _tree_hash([os.path.dirname(gdcore.__file__), os.path.dirname(grading.__file__)])


def _check_against_gradebook(nb, db_url, assignment, notebook):
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gb:
        for cell in nb.cells:
            m = cell.get("metadata", {}).get("nbgrader", {})
            if not (m.get("grade") or m.get("locked")) or m.get("solution"):
                continue
            try:
                stored = gb.find_source_cell(m["grade_id"], notebook, assignment)
            except MissingEntry:
                raise ExpectedResultsError(
                    f"cell {m['grade_id']!r} of {notebook}.ipynb is not in the gradebook: run "
                    f"`nbgrader generate_assignment {assignment} --force` from the course root") from None
            if stored.source != cell.source:
                raise ExpectedResultsError(
                    f"test cell {m['grade_id']!r} of {notebook}.ipynb changed since `nbgrader generate_assignment "
                    f"{assignment}` stored it in the gradebook; run it again (with --force) before grading")


def run_source(source_path, assignment, cache_root, timeout=120):
    """Execute the source notebook in the sandbox; {grade_id: [records]} for its test cells."""
    from nbclient import NotebookClient

    from .sandbox import SandboxKernelManager

    nb = nbformat.read(source_path, as_version=4)
    client = NotebookClient(nb, kernel_manager_class=SandboxKernelManager, timeout=timeout, allow_errors=True,
                            kernel_name="python3", startup_timeout=120)
    km = client.create_kernel_manager()
    km.assignment, km.cache_root = assignment, cache_root
    client.execute()
    out = {}
    for cell in nb.cells:
        m = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors and (m.get("grade") or m.get("locked") or m.get("solution")):
            e = errors[0]
            raise ExpectedResultsError(
                f"the instructor's solution fails in cell {m.get('grade_id', '?')!r} of {source_path}: "
                f"{e.ename}: {e.evalue}")
        if not m.get("grade") or m.get("solution"):
            continue
        recs = [o["data"][MIME] for o in cell.outputs
                if o.output_type in ("display_data", "execute_result") and MIME in o.get("data", {})]
        if not recs:
            raise ExpectedResultsError(f"test cell {m['grade_id']!r} of {source_path} publishes no check()")
        names = [r["name"] for r in recs]
        if len(set(names)) != len(names):
            raise ExpectedResultsError(f"test cell {m['grade_id']!r} of {source_path} uses a check name twice: "
                                       f"{sorted(n for n in names if names.count(n) > 1)}")
        out[m["grade_id"]] = recs
    return out


def load(root, source_directory, assignment, notebook, db_url=None, log=None):
    """{grade_id: [expected records]} for one notebook, computed once and cached."""
    source_path = os.path.join(root, source_directory, assignment, notebook + ".ipynb")
    if not os.path.isfile(source_path):
        raise ExpectedResultsError(f"no source notebook {source_path}: the expected results come from it")
    nb = nbformat.read(source_path, as_version=4)
    if db_url:
        _check_against_gradebook(nb, db_url, assignment, notebook)
    cache_root = os.path.join(root, ".grading")
    d = os.path.join(cache_root, "expected", assignment)
    os.makedirs(d, exist_ok=True)
    key = _key(source_path, _lib_hash())
    path = os.path.join(d, f"{notebook}.{key}.json")
    with open(os.path.join(d, notebook + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                return json.load(f)
        if log:
            log.info("running the instructor's %s once to obtain the expected results", source_path)
        results = run_source(source_path, assignment, cache_root)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(results, f)
        os.replace(tmp, path)
        return results
