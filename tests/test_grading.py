"""Grading an instructor can trust: conventions, no leaks, and the instructor round trip on a hostile class.

The round trip runs in a temporary course holding every assignment (never in the repo): release with
`nbgrader generate_assignment`, submit the synthetic class of grading/synthetic.py (honest students, faults,
messy notebooks, attackers, delegation to gdcore), grade with `python -m grading all` (sandboxed, parallel,
verdicts outside the kernel), then check every score through nbgrader's Gradebook API, every status and flag in
the export, every verdict report, the feedback pages, that the course tree, gdcore, grading and site-packages
are byte-identical afterwards, and that no sandboxed process survives.
"""
from __future__ import annotations

import csv
import filecmp
import json
import os
import re
import shutil
import sys
import zipfile
from pathlib import Path

import _grading as g
import nbformat
import pytest

from grading import policy, synthetic
from grading.synthetic import is_answer, is_setup, is_test, is_written, nbmeta

pytestmark = pytest.mark.integration

ASSIGNMENTS = g.assignments()
RELEASED = sorted(os.listdir(os.path.join(g.ROOT, "exercises"))) if os.path.isdir(
    os.path.join(g.ROOT, "exercises")) else []
REQUIRED = {"grade_id", "grade", "solution", "locked", "schema_version"}


def test_there_are_assignments_and_each_is_released():
    everything = g.all_assignments()   # not narrowed by GDGRADE_TEST_ASSIGNMENTS
    assert len(everything) >= 5, f"expected the course's assignments under solutions/, found {everything}"
    assert RELEASED == everything, (
        "exercises/ must hold exactly one generated release per solutions/ assignment: "
        f"missing {sorted(set(everything) - set(RELEASED))}, extra {sorted(set(RELEASED) - set(everything))}")


# --- conventions, checked statically on the source notebooks ------------------------------------------

@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_follows_the_conventions(assignment):
    names = g.notebooks(assignment)
    assert names, f"solutions/{assignment}/ has no notebook"
    assert assignment in policy.OFF_LIMITS, f"grading/policy.py declares nothing for {assignment}"
    total, n_tests, n_written = 0.0, 0, 0
    for name in names:
        nb = nbformat.read(os.path.join(g.ROOT, "solutions", assignment, name), as_version=4)
        first_md = next(c for c in nb.cells if c.cell_type == "markdown")
        assert f"nbgrader validate exercises/{assignment}/{name}" in first_md.source, \
            f"{name}: the first markdown cell must tell students how to validate"
        assert re.search(r"[Cc]hapter", first_md.source), f"{name}: the first markdown cell must name its chapter"
        for qualname in policy.off_limits(assignment):
            assert qualname in first_md.source, f"{name}: the instructions must name the off-limits {qualname}"
        if policy.off_limits(assignment):
            assert "Off-limits" in first_md.source, f"{name}: the instructions need an Off-limits paragraph"
        setup = [c for c in nb.cells if is_setup(c)]
        assert setup and f'use_assignment("{assignment}")' in setup[0].source, \
            f"{name}: a locked setup cell must call use_assignment({assignment!r})"
        first_code = next(c for c in nb.cells if c.cell_type == "code")
        assert is_setup(first_code), f"{name}: the first code cell (imports) must be the locked setup cell"
        ids = []
        for c in nb.cells:
            m = nbmeta(c)
            if not m:
                assert "BEGIN SOLUTION" not in c.source and "BEGIN HIDDEN" not in c.source, \
                    f"{name}: a cell without nbgrader metadata has solution/hidden-test markers"
                continue
            where = f"{name}:{m.get('grade_id')}"
            assert REQUIRED <= set(m), f"{where}: nbgrader metadata lacks {REQUIRED - set(m)}"
            assert m["schema_version"] == 3 and re.fullmatch(r"[a-z][a-z0-9_]*", m["grade_id"]), where
            ids.append(m["grade_id"])
            if is_answer(c):
                assert m["locked"] is False and "### BEGIN SOLUTION" in c.source, where
                before = c.source.split("### BEGIN SOLUTION")[0]
                assert '"""' in before, f"{where}: the docstring (the spec) must be outside the solution block"
            elif is_test(c):
                assert m["locked"] is True and float(m["points"]) > 0, where
                assert c.source.lstrip().startswith('"""'), f"{where}: a test cell opens with a docstring"
                visible, _, hidden = c.source.partition("### BEGIN HIDDEN TESTS")
                assert "### END HIDDEN TESTS" in hidden, f"{where}: hidden tests are missing"
                assert re.search(r"\bcheck\(", visible) and "expected=" in visible, \
                    f"{where}: needs at least one visible check(..., expected=...)"
                assert re.search(r"\bcheck\(", hidden), f"{where}: hidden tests must call check()"
                assert "expected=" not in hidden, \
                    f"{where}: hidden checks carry no expected value (the grader computes it outside the kernel)"
                assert not re.search(r"^\s*assert\b|\bdef _close\b|allclose|isclose", c.source, re.MULTILINE), \
                    f"{where}: compare with check(), not assert or numpy (the verdict is decided outside the kernel)"
                assert len(c.source.splitlines()) <= 40, f"{where}: a test cell should be short and readable"
                n_tests += 1
                total += float(m["points"])
            elif is_written(c):
                assert c.cell_type == "markdown" and float(m["points"]) > 0, where
                n_written += 1
                total += float(m["points"])
        assert len(ids) == len(set(ids)), f"{name}: duplicate grade_ids"
    assert 3 <= n_tests <= 6, f"{assignment}: {n_tests} autograded test cells (want 3-6)"
    assert n_written >= 1, f"{assignment}: needs a manually graded written answer"
    assert 10 <= total <= 20, f"{assignment}: worth {total} points (want 10-20)"


# --- no solution or hidden test leaks -------------------------------------------------------------------

def _hidden_lines(text):
    out = []
    for rx in (synthetic.SOLUTION_RE, synthetic.HIDDEN_RE):
        for block in rx.findall(text):
            out += [ln.strip() for ln in block.splitlines()]
    return out


def _secret_lines(assignment):
    """Lines of solutions and hidden tests that appear nowhere else in the source (so would be a leak)."""
    secrets = set()
    for name in g.notebooks(assignment):
        nb = nbformat.read(os.path.join(g.ROOT, "solutions", assignment, name), as_version=4)
        hidden, visible = set(), set()
        for c in nb.cells:
            hidden |= set(_hidden_lines(c.source))
            rest = synthetic.HIDDEN_RE.sub("", synthetic.SOLUTION_RE.sub("", c.source))
            visible |= {ln.strip() for ln in rest.splitlines()}
        secrets |= {ln for ln in hidden - visible if len(ln) >= 16}
    return secrets


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_has_no_solutions_or_hidden_tests(assignment):
    secrets = _secret_lines(assignment)
    assert secrets, "found no solution lines to look for: the check would be vacuous"
    d = os.path.join(g.ROOT, "exercises", assignment)
    for root, _, files in os.walk(d):
        for f in files:
            text = Path(root, f).read_text(encoding="utf-8", errors="replace")
            for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
                assert marker not in text, f"{f}: contains '{marker}'"
            if f.endswith(".ipynb"):
                nb = nbformat.reads(text, as_version=4)
                text = "\n".join(c.source for c in nb.cells)
            leaked = sorted(secrets & {ln.strip() for ln in text.splitlines()})
            assert not leaked, f"exercises/{assignment}/{f} leaks solution/hidden-test lines: {leaked[:5]}"


# --- the instructor round trip on the synthetic class ---------------------------------------------------

ROUND_TRIP_TIMEOUT = pytest.mark.timeout(3600)


@pytest.fixture(scope="module")
def trip(tmp_path_factory):
    return g.round_trip(str(tmp_path_factory.mktemp("grading")))


def _cases():
    """(assignment, notebook, student name) for the whole synthetic class, known without grading anything."""
    out = []
    for a in ASSIGNMENTS:
        for name in g.notebooks(a):
            src = nbformat.read(os.path.join(g.ROOT, "solutions", a, name), as_version=4)
            rel_path = os.path.join(g.ROOT, "exercises", a, name)
            if not os.path.isfile(rel_path):
                continue
            rel = nbformat.read(rel_path, as_version=4)
            try:
                students = g.class_for(a, src, rel, full=a == "gradients")
            except Exception:  # noqa: BLE001, S112 - reported by the round trip itself
                continue
            out += [(a, name, s.name) for s in students]
    return out


CASES = _cases()


def _student(trip, a, name, who):
    return next(s for s in trip["classes"][(a, name)] if s.name == who)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@ROUND_TRIP_TIMEOUT
def test_exercises_equal_a_fresh_generate_assignment(trip, assignment):
    """exercises/<a> must be byte-for-byte what generate_assignment makes (nbgrader's output is deterministic)."""
    fresh = os.path.join(trip["course"], "exercises", assignment)
    committed = os.path.join(g.ROOT, "exercises", assignment)
    cmp = filecmp.dircmp(fresh, committed)
    different = cmp.left_only + cmp.right_only + cmp.diff_files + [
        f for f in cmp.same_files if not filecmp.cmp(os.path.join(fresh, f), os.path.join(committed, f), False)]
    assert not different, (f"exercises/{assignment} is stale or hand-edited: {different}. Regenerate it with "
                           f"`nbgrader generate_assignment {assignment} --force` from the repo root")


@pytest.mark.parametrize("assignment,notebook,who", CASES)
@ROUND_TRIP_TIMEOUT
def test_every_synthetic_student_gets_the_right_grade_status_and_flag(trip, assignment, notebook, who):
    st = _student(trip, assignment, notebook, who)
    src = trip["sources"][(assignment, notebook)]
    row = trip["status"].get((assignment, who))
    assert row, f"{who} is missing from the export of {assignment}"
    if st.status == "FAILED":
        assert row["status"] == "FAILED" and row["score"] == "" and row["reason"], row
        return
    if row["status"] == "FAILED":  # graded as a failure although it is not one: show the grader's own words
        out = trip["batches"][assignment]["stdout"]
        said = [ln for ln in out.splitlines() if f" {who}:" in ln or f" {who} " in ln]
        pytest.fail(f"{assignment}/{who}: FAILED ({row['reason']}), expected {st.status!r}; the batch said:\n"
                    + "\n".join(said)[-3000:] + "\n" + out[out.find(f"autograde {assignment} {who}:"):][:3000])
    want = synthetic.expected_score(src, st)
    got = sum(float(v[0] or 0) for k, v in trip["per_cell"].items()
              if k[:3] == (assignment, who, notebook) and any(
                  nbmeta(c).get("grade_id") == k[3] and is_test(c) for c in src.cells))
    report = trip["reports"].get((assignment, who, notebook), {})
    msgs = "\n".join(f"  {k}: {v['message']}" for k, v in report.get("verdicts", {}).items() if not v["passed"])
    assert got == want, f"{assignment}/{who}: autograded {got}, expected {want}\n{msgs}\nflags: {report.get('flags')}"
    assert float(row["auto_score"]) == want, row
    assert row["status"] == st.status, f"{assignment}/{who}: status {row['status']!r} ({row['reason']}), " \
                                       f"expected {st.status!r}"
    assert (row["status"] == "flagged") == st.flagged
    if st.flagged:
        assert row["reason"], "a flagged submission must say why"
    if st.message:
        assert st.message in msgs, f"{assignment}/{who}: no verdict message mentions {st.message!r}:\n{msgs}"
    assert report.get("sandboxed") is True, f"{assignment}/{who} was not graded in the sandbox"
    fb = os.path.join(trip["course"], "feedback", who, assignment, notebook.replace(".ipynb", ".html"))
    assert os.path.isfile(fb), f"no feedback for {who}"


@ROUND_TRIP_TIMEOUT
def test_honest_work_is_never_lost(trip):
    """Messy notebooks (copied, moved, deleted, relabelled cells, warnings, huge output) get full marks."""
    for a in ASSIGNMENTS:
        for who in ("full", "warning", "deleted_setup", "duplicated", "reordered", "metadata_edited", "kernelspec",
                    "big_output", "memory_hog", "output_flood"):
            if not g.runs_on(a, who):
                continue
            row = trip["status"].get((a, who))
            assert row and row["status"] == "needs_manual_grade", (a, who, row)
            assert float(row["auto_score"]) == float(trip["status"][(a, "full")]["auto_score"]) > 0, (a, who, row)
            assert float(row["max_score"]) == float(trip["status"][(a, "full")]["max_score"]), \
                f"{a}/{who}: max score changed by edited metadata: {row}"


@ROUND_TRIP_TIMEOUT
def test_attacks_gain_nothing(trip):
    """Every attacker answered everything wrongly; whatever the trick, every autograded point is lost."""
    attackers = g.ATTACKERS
    seen = set()
    for a in ASSIGNMENTS:
        for who in attackers:
            row = trip["status"].get((a, who))
            if not g.runs_on(a, who):
                assert row is None, f"{a}/{who} was graded but is not in the class"
                continue  # this attacker runs on other assignments (see _grading.runs_on)
            seen.add(who)
            assert row is not None and row["status"] != "FAILED", (a, who, row)
            assert float(row["auto_score"]) == 0.0, f"{a}/{who} earned {row['auto_score']} with wrong answers"
    if not g.FILTERED or "gradients" in ASSIGNMENTS:   # a narrowed run may not reach every attacker
        assert seen == set(attackers)


@ROUND_TRIP_TIMEOUT
def test_every_fault_and_attack_is_graded_on_several_assignments(trip):
    """The rotation leaves no messy or faulty notebook and no generic attack untested: each runs on the full
    class and on at least two more assignments (when the run is not narrowed)."""
    for who in g.FAULTS + g.ATTACKERS:
        on = [a for a in ASSIGNMENTS if (a, who) in trip["status"]]
        assert g.FULL_CLASS not in ASSIGNMENTS or g.FULL_CLASS in on, (who, on)
        if not g.FILTERED:
            assert len(on) >= 3, f"{who} is graded on {on} only"


@ROUND_TRIP_TIMEOUT
def test_course_tree_library_and_site_packages_are_unchanged(trip):
    before, after = trip["before"], trip["after"]
    changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    assert not changed, f"grading changed files it must never touch: {changed[:10]}"
    assert len(before) > 100, "the integrity check looked at almost nothing"


@ROUND_TRIP_TIMEOUT
def test_no_sandboxed_process_survives_grading(trip):
    assert not trip["procs_after"], f"processes left behind under sandbox uids: {trip['procs_after']}"
    uids = {r.get("uid") for r in trip["reports"].values()}
    assert len(uids) > 1 and None not in uids, "reports do not say which uid each sandbox used"


@ROUND_TRIP_TIMEOUT
def test_outputs_are_bounded_in_bytes(trip):
    course = trip["course"]
    for a in ASSIGNMENTS:
        for name in g.notebooks(a):
            for who in ("big_output", "output_flood"):
                ag = os.path.join(course, "autograded", who, a, name)
                if not g.runs_on(a, who):
                    continue
                fb = os.path.join(course, "feedback", who, a, name.replace(".ipynb", ".html"))
                assert os.path.getsize(ag) < 1_000_000, f"{ag}: {os.path.getsize(ag)} bytes"
                assert os.path.getsize(fb) < 2_000_000, f"{fb}: {os.path.getsize(fb)} bytes"
    db = os.path.join(course, "gradebook.db")
    assert os.path.getsize(db) < 50_000_000


def _hidden_test_lines(assignment):
    """Lines of hidden tests that appear nowhere else in the source (a student's own answers may well equal
    solution lines, so those are not secrets in their feedback)."""
    out = set()
    for name in g.notebooks(assignment):
        nb = nbformat.read(os.path.join(g.ROOT, "solutions", assignment, name), as_version=4)
        hidden, visible = set(), set()
        for c in nb.cells:
            for block in synthetic.HIDDEN_RE.findall(c.source):
                hidden |= {ln.strip() for ln in block.splitlines()}
            visible |= {ln.strip() for ln in synthetic.HIDDEN_RE.sub("", c.source).splitlines()}
        out |= {ln for ln in hidden - visible if len(ln) >= 16}
    assert out, f"{assignment}: no hidden test lines to look for: the check would be vacuous"
    return out


@ROUND_TRIP_TIMEOUT
def test_feedback_shows_no_hidden_test_and_needs_no_network(trip):
    course = trip["course"]
    pages = 0
    for a in ASSIGNMENTS:
        secrets = {ln for ln in _hidden_test_lines(a) if not ln.startswith("#")}
        for who in ("full", "blank", "partial"):
            d = os.path.join(course, "feedback", who, a)
            for f in os.listdir(d):
                raw = Path(d, f).read_text(encoding="utf-8")
                pages += 1
                assert "BEGIN HIDDEN TESTS" not in raw, f"{a}/{who}/{f} shows hidden tests"
                text = g.page_text(raw)
                leaked = [s for s in secrets if s in text]
                assert not leaked, f"{a}/{who}/{f} shows hidden test lines: {leaked[:3]}"
                assert not re.search(r"<script[^>]+src=\"https?://", raw), f"{a}/{who}/{f} loads a script from the web"
                assert "<svg" in raw or "$" not in text, f"{a}/{who}/{f}: maths not typeset offline"
    assert pages >= len(ASSIGNMENTS) * 3


def _needs_gradients():
    if "gradients" not in ASSIGNMENTS:
        pytest.skip("uses the gradients assignment, which GDGRADE_TEST_ASSIGNMENTS left out of this run")


@ROUND_TRIP_TIMEOUT
def test_failure_messages_say_what_was_expected_and_got(trip):
    _needs_gradients()
    rep = trip["reports"][("gradients", "monkeypatch", "gradients.ipynb")]
    msg = rep["verdicts"]["mse_loss_value"]["message"]
    assert "expected" in msg and "got 0" in msg and "off by" in msg, msg


@ROUND_TRIP_TIMEOUT
def test_plain_nbgrader_autograde_and_export_use_the_sandbox_and_the_status_column(trip):
    """The instructor guide's own nbgrader commands grade exactly like `python -m grading`."""
    _needs_gradients()
    course = trip["course"]
    p = g.nbgrader("autograde", "gradients", "--student", "fake_check", "--force", cwd=course, check=False)
    assert p.returncode == 0, p.stderr[-3000:]
    from grading.preprocess import report_path
    rep = json.loads(Path(report_path(course, "fake_check", "gradients", "gradients")).read_text())
    assert rep["sandboxed"] and not any(v["passed"] for v in rep["verdicts"].values()), rep
    p = g.nbgrader("export", "--to", "nbgrader-export.csv", cwd=course, check=False)
    assert p.returncode == 0, p.stderr[-3000:]
    rows = list(csv.DictReader(Path(course, "nbgrader-export.csv").read_text().splitlines()))
    assert rows and "status" in rows[0]
    bad = [r for r in rows if r["student_id"] == "badjson"]
    assert bad and all(r["status"] == "FAILED" and r["score"] == "" for r in bad), bad
    flagged = [r for r in rows if r["student_id"] == "fake_check"]
    assert flagged and all(r["status"] == "flagged" and r["reason"] for r in flagged), flagged


@pytest.mark.timeout(900)
def test_lms_zips_to_feedback_without_an_exchange(tmp_path):
    """The no-exchange route end to end: LMS zips -> collect (safely: zip slip, extra files, bombs, junk)
    -> grade -> feedback pages and an export, with the instructor guide's commands."""
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(os.path.join(g.ROOT, "nbgrader_config.py"), course)
    shutil.copytree(os.path.join(g.ROOT, "solutions", "gradients"), course / "solutions" / "gradients")
    g.nbgrader("generate_assignment", "gradients", "--force", cwd=str(course))
    release = (course / "exercises" / "gradients" / "gradients.ipynb").read_bytes()
    src = nbformat.read(str(course / "solutions" / "gradients" / "gradients.ipynb"), as_version=4)
    answered = json.dumps(synthetic.answered(src, nbformat.reads(release.decode(), as_version=4))).encode()
    dl = course / "downloaded" / "gradients"
    dl.mkdir(parents=True)
    with zipfile.ZipFile(dl / "alice.zip", "w") as z:
        z.writestr("work/gradients.ipynb", answered)
        z.writestr("../../evil.py", "print('pwned')")
        z.writestr("numpy.py", "raise SystemExit")
    with zipfile.ZipFile(dl / "bob.zip", "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("gradients.ipynb", b"0" * 50_000_000)  # a bomb: compresses ~1000x
    (dl / "Carol Smith_carol_12345_gradients.ipynb").write_bytes(release)
    (dl / "notes.txt").write_text("hello")
    p = g.run([sys.executable, "-m", "grading", "collect", "gradients", "downloaded/gradients"], cwd=str(course),
              check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    sub = course / "submitted"
    assert sorted(os.listdir(sub)) == ["alice", "carol"], (os.listdir(sub), p.stdout)
    assert sorted(os.listdir(sub / "alice" / "gradients")) == ["gradients.ipynb", "timestamp.txt"]
    assert (sub / "alice" / "gradients" / "gradients.ipynb").read_bytes() == answered
    assert not list(tmp_path.rglob("evil.py")), "a ../ name in a zip wrote a file"
    assert "bob" in p.stdout and "too large" in p.stdout and "notes.txt" in p.stdout, p.stdout

    p = g.run([sys.executable, "-m", "grading", "all", "gradients", "--timeout", str(g.TEST_TIMEOUT)],
              cwd=str(course), check=False)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    rows = {r["student_id"]: r for r in csv.DictReader((course / "grades.csv").read_text().splitlines())}
    full = sum(float(synthetic.nbmeta(c)["points"]) for c in src.cells if synthetic.is_test(c))
    assert rows["alice"]["status"] == "needs_manual_grade" and float(rows["alice"]["auto_score"]) == full, rows
    assert rows["carol"]["status"] == "graded" and float(rows["carol"]["auto_score"]) == 0, rows
    for who in ("alice", "carol"):
        page = course / "feedback" / who / "gradients" / "gradients.html"
        assert page.is_file() and "<svg" in page.read_text()


def _add_students_at_once(args):
    course, barrier, ids = args
    from grading import cli

    barrier.wait()
    errors = []
    for sid in ids:  # one gradebook session per student, as each autograde call opens its own
        try:
            cli.ensure_students(course, [sid])
        except Exception as exc:  # noqa: BLE001 - reported to the test
            errors.append(repr(exc)[:200])
    return errors


@pytest.mark.timeout(300)
def test_two_graders_adding_the_same_students_at_once_both_succeed(tmp_path):
    """Graders started together (two assignments at once, two job arrays) reach the same new students at the
    same moment. nbgrader adds a student with a find-then-insert; run like this, 4 processes x 30 new students
    lost 4 to 6 inserts per run to the UNIQUE constraint (measured), and those submissions FAILED. The grader
    adds the students first, retrying a lost insert: every process succeeds, and each student exists once."""
    import multiprocessing

    from nbgrader.api import Gradebook

    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(os.path.join(g.ROOT, "nbgrader_config.py"), course)
    ids = [f"student{i:02d}" for i in range(30)]
    from grading import cli
    with cli.gradebook(str(course)):
        pass  # the empty gradebook, created once
    ctx = multiprocessing.get_context("fork")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(4)
        with ctx.Pool(4) as pool:
            errors = pool.map(_add_students_at_once, [(str(course), barrier, ids)] * 4)
    assert errors == [[]] * 4, errors
    with Gradebook("sqlite:///" + str(course / "gradebook.db"), course_id="gd-hands-on") as gb:
        assert sorted(s.id for s in gb.students) == ids
