"""Helpers for tests/test_grading.py: read nbgrader source notebooks, build synthetic students from them,
and run the instructor round trip (release, submit, autograde, feedback, export) in a temporary course.

Everything here works from the notebooks alone, so every assignment under solutions/ is covered without
per-assignment code.
"""
from __future__ import annotations

import ast
import copy
import csv
import os
import re
import shutil
import subprocess
import sys
import time

import nbformat

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.dirname(sys.executable)
SOLUTION_RE = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN_RE = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
STUB = "raise NotImplementedError()"
# a short per-cell timeout for the round trip: every test cell here runs in well under a second
TEST_TIMEOUT = 10


def assignments():
    src = os.path.join(ROOT, "solutions")
    if not os.path.isdir(src):
        return []
    return sorted(a for a in os.listdir(src) if os.path.isdir(os.path.join(src, a)) and not a.startswith("."))


def notebooks(assignment, base="solutions"):
    d = os.path.join(ROOT, base, assignment)
    return sorted(f for f in os.listdir(d) if f.endswith(".ipynb"))


def nbmeta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def is_answer(cell):
    m = nbmeta(cell)
    return cell.cell_type == "code" and m.get("solution") and not m.get("grade")


def is_test(cell):
    m = nbmeta(cell)
    return m.get("grade") and not m.get("solution")


def is_written(cell):
    m = nbmeta(cell)
    return m.get("grade") and m.get("solution")


def env():
    e = dict(os.environ)
    # nbgrader shells out to `alembic`, which lives next to the venv's python
    e["PATH"] = VENV_BIN + os.pathsep + e.get("PATH", "")
    e.setdefault("MPLBACKEND", "Agg")
    e["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    return e


def run(cmd, cwd, check=True):
    p = subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}) in {cwd}:\n{p.stdout[-3000:]}\n"
                           f"{p.stderr[-6000:]}")
    return p


def nbgrader(*args, cwd, check=True):
    return run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, check=check)


# --- reading the source -------------------------------------------------------------------------------

def hidden_lines(text):
    """Lines between BEGIN/END SOLUTION and BEGIN/END HIDDEN TESTS."""
    out = []
    for rx in (SOLUTION_RE, HIDDEN_RE):
        for block in rx.findall(text):
            out += [ln.strip() for ln in block.splitlines()]
    return out


def defined_names(src):
    """Top-level function/class/variable names defined by a code cell (empty if it does not parse)."""
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _mentions(src, names):
    return any(re.search(rf"\b{re.escape(n)}\b", src) for n in names)


def dependencies(nb):
    """{test grade_id: set of answer grade_ids it depends on}, transitively through the answers' code."""
    answers = {nbmeta(c)["grade_id"]: c for c in nb.cells if is_answer(c)}
    names = {gid: defined_names(c.source) for gid, c in answers.items()}
    uses = {gid: {o for o in answers if o != gid and _mentions(c.source, names[o])} for gid, c in answers.items()}
    deps = {}
    for c in nb.cells:
        if not is_test(c):
            continue
        todo = [gid for gid in answers if _mentions(c.source, names[gid])]
        seen = set()
        while todo:
            g = todo.pop()
            if g not in seen:
                seen.add(g)
                todo += list(uses[g])
        deps[nbmeta(c)["grade_id"]] = seen
    return deps


# --- synthetic students ---------------------------------------------------------------------------------

def strip_solution(src):
    """The solution cell as a student who got it right would write it: delimiters removed."""
    return re.sub(r"[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", "", src)


def _replace_stub(src, body):
    """Replace the release stub `raise NotImplementedError()` by body (same indentation)."""
    m = re.search(r"^([ \t]*)" + re.escape(STUB), src, re.M)
    assert m, "release answer cell has no stub"
    indent = m.group(1)
    new = "\n".join(indent + ln for ln in body.splitlines())
    return src[:m.start()] + new + src[m.end():]


def build_students(source, release):
    """Synthetic submissions built from a source notebook and its release: {name: notebook or raw text}.

    Returns the students and, per student, which answers are broken ({name: set of answer ids} or "FAILED").
    """
    answers = [c for c in source.cells if is_answer(c)]
    tests = [c for c in source.cells if is_test(c)]
    deps = dependencies(source)

    def student(stub_ids=(), body=None):
        nb = copy.deepcopy(release)
        for c in nb.cells:
            m = nbmeta(c)
            src_cell = next((s for s in source.cells if nbmeta(s).get("grade_id") == m.get("grade_id")), None) \
                if m else None
            if src_cell is None:
                continue
            if is_answer(c):
                if m["grade_id"] in stub_ids:
                    if body is not None:
                        c.source = _replace_stub(c.source, body)
                else:
                    c.source = strip_solution(src_cell.source)
            elif is_written(c):
                c.source = strip_solution(src_cell.source)
        return nb

    ids = [nbmeta(c)["grade_id"] for c in answers]
    # break the answers the fewest tests depend on, so "partial" keeps as much credit as possible and the
    # batch waits for as few timeouts as possible
    n_dep = {i: sum(i in d for d in deps.values()) for i in ids}
    first = min(ids, key=lambda i: n_dep[i])
    second = next((i for i in ids if i != first), first)
    loop = min(reversed(ids), key=lambda i: n_dep[i])
    last = ids[-1]
    students, broken = {}, {}

    students["full"], broken["full"] = student(), set()
    students["blank"], broken["blank"] = copy.deepcopy(release), set(ids)
    students["partial"], broken["partial"] = student([first]), {first}

    nb = student()
    for c in nb.cells:  # an answer cell that raises before defining anything
        if nbmeta(c).get("grade_id") == second:
            c.source = 'raise RuntimeError("synthetic student: this cell crashes")\n' + c.source
    students["error"], broken["error"] = nb, {second}

    students["timeout"] = student([loop], body="while True:  # synthetic student: an infinite loop\n    pass")
    broken["timeout"] = {loop}

    nb = student()
    for c in nb.cells:  # a correct answer that emits a harmless warning when called
        if nbmeta(c).get("grade_id") == first:
            src = next(s for s in answers if nbmeta(s)["grade_id"] == first).source
            m = re.search(r"^([ \t]*)### BEGIN SOLUTION\n", src, re.M)
            warn = m.group(1) + 'import warnings; warnings.warn("synthetic student: a harmless warning")\n'
            c.source = strip_solution(src[:m.end()] + warn + src[m.end():])
    students["warning"], broken["warning"] = nb, set()

    # tampering: answer `first` left as the stub, every test that depends on it emptied or edited,
    # and the last test cell deleted altogether; all must be restored, so this scores like "partial"
    nb = student([first])
    dep_tests = [g for g, d in deps.items() if first in d]
    for i, c in enumerate(nb.cells):
        if nbmeta(c).get("grade_id") in dep_tests:
            c.source = "" if i % 2 else "assert True  # tests? what tests?"
    last_test = nbmeta(tests[-1])["grade_id"]
    nb.cells = [c for c in nb.cells if nbmeta(c).get("grade_id") != last_test]
    students["tampered"], broken["tampered"] = nb, {first}

    # monkeypatching: every answer returns a wrong value and numpy's comparisons are made to always agree
    nb = student(ids, body="return 0.0  # synthetic student: wrong on purpose")
    patch = nbformat.v4.new_code_cell(
        "import math, numpy, numpy.testing\n"
        "numpy.allclose = lambda *a, **k: True\n"
        "numpy.isclose = lambda *a, **k: True\n"
        "numpy.array_equal = lambda *a, **k: True\n"
        "numpy.testing.assert_allclose = lambda *a, **k: None\n"
        "numpy.testing.assert_array_almost_equal = lambda *a, **k: None\n"
        "numpy.testing.assert_almost_equal = lambda *a, **k: None\n"
        "numpy.testing.assert_array_equal = lambda *a, **k: None\n"
        "numpy.testing.assert_equal = lambda *a, **k: None\n"
        "math.isclose = lambda *a, **k: True\n")
    patch.id = "synthetic-monkeypatch"
    first_answer = next(i for i, c in enumerate(nb.cells) if is_answer(c))
    nb.cells.insert(first_answer, patch)
    students["monkeypatch"], broken["monkeypatch"] = nb, set(ids)

    text = nbformat.writes(student())
    students["badjson"], broken["badjson"] = text[: len(text) // 2], "FAILED"

    nb = student()
    for c in nb.cells:
        if nbmeta(c).get("grade_id") == last:
            c.source = "import os\nos._exit(1)  # synthetic student: kills the kernel\n" + c.source
    students["exit"], broken["exit"] = nb, "FAILED"
    return students, broken


def expected_auto_score(source, broken_answers):
    """Autograded points a submission should get when exactly the answers in broken_answers are wrong."""
    deps = dependencies(source)
    return sum(float(nbmeta(c)["points"]) for c in source.cells
               if is_test(c) and not (deps[nbmeta(c)["grade_id"]] & set(broken_answers)))


# --- the round trip -------------------------------------------------------------------------------------

def round_trip(assignment, workdir):
    """Release, submit synthetic students, autograde, feedback, export; return everything the tests check."""
    t0 = time.time()
    course = os.path.join(workdir, assignment)
    os.makedirs(os.path.join(course, "solutions"))
    shutil.copy(os.path.join(ROOT, "nbgrader_config.py"), course)
    shutil.copytree(os.path.join(ROOT, "solutions", assignment), os.path.join(course, "solutions", assignment))

    # release, from the course's own copy of the config (its root is the temp course)
    nbgrader("generate_assignment", assignment, "--force", cwd=course)

    # submit
    broken, sources = {}, {}
    for name in notebooks(assignment):
        source = nbformat.read(os.path.join(course, "solutions", assignment, name), as_version=4)
        release = nbformat.read(os.path.join(course, "exercises", assignment, name), as_version=4)
        sources[name] = source
        st, br = build_students(source, release)
        for s, nb in st.items():
            d = os.path.join(course, "submitted", s, assignment)
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, name), "w", encoding="utf-8") as f:
                f.write(nb if isinstance(nb, str) else nbformat.writes(nb))
            with open(os.path.join(d, "timestamp.txt"), "w") as f:
                f.write("2026-01-15 12:00:00.000000 UTC")
            broken.setdefault(s, {})[name] = br[s]

    # autograde, feedback and export through the wrapper that keeps "grading failed" distinct from 0
    grade_py = os.path.join(ROOT, "scripts", "grade.py")
    batch = run([sys.executable, grade_py, "--root", course, "all", assignment, "--timeout", str(TEST_TIMEOUT),
                 "--to", "grades.csv"], cwd=course, check=False)

    # read the gradebook through nbgrader's API
    from nbgrader.api import Gradebook
    per_cell, manual = {}, {}
    with Gradebook("sqlite:///" + os.path.join(course, "gradebook.db"), course_id="gd-hands-on") as gb:
        for s in broken:
            sub = gb.find_submission(assignment, s)
            manual[s] = bool(sub.needs_manual_grade)
            per_cell[s] = {}
            for snb in sub.notebooks:
                for g in snb.grades:
                    per_cell[s][(snb.name + ".ipynb", g.name)] = (g.auto_score, g.max_score)
    with open(os.path.join(course, "grades.csv")) as f:
        status = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == assignment}
    feedback = {s: os.path.isdir(os.path.join(course, "feedback", s, assignment)) for s in broken}
    return {"assignment": assignment, "course": course, "sources": sources, "broken": broken,
            "per_cell": per_cell, "manual": manual, "status": status, "feedback": feedback,
            "batch": batch, "seconds": time.time() - t0}
