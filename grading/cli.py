"""``python -m grading``: grade a class, one student or a whole batch in parallel, with statuses kept apart from 0.

Run from the course root (the directory holding nbgrader_config.py), or pass --root. Everything goes through
nbgrader's own API and the course's nbgrader_config.py, so it grades exactly like ``nbgrader autograde``.

    python -m grading all <assignment> [--workers N] [--to grades.csv]   # autograde + feedback + export
    python -m grading autograde <assignment> [--student ID]... [--workers N]
    python -m grading feedback <assignment> [--student ID]...
    python -m grading status <assignment>
    python -m grading export [--assignment A]... [--to grades.csv]
    python -m grading collect <assignment> <folder of LMS zips>      # no JupyterHub exchange needed

``autograde --student ID`` grades one student: that is the unit a Slurm job array or a Kubernetes Indexed Job
runs (see the instructor guide). The batch commands exit with status 1 if any submission FAILED (after
grading all the others); a flagged submission is graded and reported, not an error.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import os
import sys
import time

from . import report


def course_root(path):
    root = os.path.abspath(path)
    if not os.path.isfile(os.path.join(root, "nbgrader_config.py")):
        # nbgrader would silently start a fresh, empty gradebook here: refuse instead
        sys.exit(f"grading: no nbgrader_config.py in {root}; run from the course root or pass --root")
    return root


def _config(root, timeout=None):
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
    if timeout is not None:
        cfg.Execute.timeout = timeout
        cfg.SandboxedExecute.timeout = timeout
        cfg.ExecutePreprocessor.timeout = timeout
    return cfg


def db_url(root):
    cfg = _config(root)
    return cfg.CourseDirectory.get("db_url") or "sqlite:///" + os.path.join(root, "gradebook.db")


def _alembic_on_path():
    """nbgrader runs `alembic` when it creates a gradebook: the venv's bin must be on the PATH."""
    bin_dir, path = os.path.dirname(sys.executable), os.environ.get("PATH", "")
    if bin_dir not in path.split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + path


def gradebook(root):
    from nbgrader.api import Gradebook

    _alembic_on_path()
    cfg = _config(root)
    return Gradebook(db_url(root), course_id=cfg.CourseDirectory.get("course_id") or "")


_API = {}


def api(root, timeout=None):
    """nbgrader's Python API (what formgrader uses), configured from the course's nbgrader_config.py."""
    key = (root, timeout)
    if key not in _API:
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        _alembic_on_path()
        cfg = _config(root, timeout)
        _API[key] = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
    return _API[key]


def submitted_students(root, assignment):
    return report._submitted_students(root, assignment)


def ensure_students(root, students, attempts=6):
    """Add the students missing from the gradebook, here, one at a time, before any worker starts.

    nbgrader's autograde adds a missing student with a find-then-insert. Two graders that reach the same new
    student at the same moment (two assignments graded at once, or two job arrays) both insert it, and one
    fails on the UNIQUE constraint: that submission was reported FAILED. A failed insert here is retried, and
    then finds the row the other grader wrote.
    """
    from nbgrader.api import InvalidEntry

    with gradebook(root) as gb:
        for student in students:
            for attempt in range(attempts):
                try:
                    gb.update_or_create_student(student)
                    break
                except InvalidEntry:  # the other grader's insert won (or sqlite was locked): look again
                    if attempt == attempts - 1:
                        raise
                    time.sleep(0.05 * (attempt + 1))


def _grade_one(root, assignment, student, timeout):
    """Autograde one student in this process; retried when a shared sqlite gradebook is momentarily locked."""
    t = time.time()
    res = {}
    for attempt in range(4):
        res = api(root, timeout).autograde(assignment, student, force=True, create=True)
        text = (res.get("log") or "") + (res.get("error") or "")
        if res["success"] or "database is locked" not in text:
            break
        time.sleep(0.5 * (attempt + 1))
    tail = "" if res["success"] else ((res.get("error") or "") + (res.get("log") or "")).strip()[-3000:]
    return student, bool(res["success"]), tail, time.time() - t


def autograde(root, assignment, students=None, timeout=None, workers=None, log=print):
    """Autograde each student; N worker processes, one sandbox per submission. Returns {student: ok}."""
    students = list(students or submitted_students(root, assignment))
    if os.environ.get("GDGRADE_UNSANDBOXED") != "1":
        from .sandbox import SandboxUnavailable, preflight
        try:
            preflight()
        except SandboxUnavailable as exc:
            sys.exit(f"grading: refusing to grade: {exc}")
    workers = max(1, min(workers or os.cpu_count() or 1, len(students) or 1))
    ensure_students(root, students)
    results = {}

    def done(student, ok, tail, secs):
        results[student] = ok
        log(f"autograde {assignment} {student}: {'ok' if ok else 'ERROR'} ({secs:.1f} s)")
        if tail:
            log("  " + tail.replace("\n", "\n  "))

    if workers == 1:
        for s in students:
            done(*_grade_one(root, assignment, s, timeout))
        return results
    ctx = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futs = [pool.submit(_grade_one, root, assignment, s, timeout) for s in students]
        for f in concurrent.futures.as_completed(futs):
            done(*f.result())
    return results


def _feedback_one(root, assignment, student):
    return student, api(root).generate_feedback(assignment, student, force=True)


def feedback(root, assignment, students=None, workers=None):
    """nbgrader generate_feedback for every autograded student, in parallel (hidden tests removed, maths
    typeset offline: see GenerateFeedback in nbgrader_config.py)."""
    todo = [s for s in students or submitted_students(root, assignment)
            if os.path.isdir(os.path.join(root, "autograded", s, assignment))]
    workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
    if workers == 1:
        return dict(_feedback_one(root, assignment, s) for s in todo)
    ctx = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        return dict(f.result() for f in [pool.submit(_feedback_one, root, assignment, s) for s in todo])


def status_rows(root, assignments=None, students=None):
    with gradebook(root) as gb:
        return report.rows(gb, root, assignments, students)


def print_table(table):
    for r in table:
        score = r["score"] if r["status"] != report.FAILED else "-"
        print(f"{r['assignment']:<18} {r['student_id']:<16} {r['status']:<19} {score:>6}/{r['max_score']:<5} "
              f"{r['reason'][:300]}")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m grading", description=__doc__.split("\n\n")[0])
    p.add_argument("--root", default=".", help="course root (holds nbgrader_config.py); default: .")
    sp = p.add_subparsers(dest="cmd", required=True)
    for name, text in [("autograde", "autograde submissions (parallel workers, one sandbox each)"),
                       ("all", "autograde + feedback + export: the usual batch"),
                       ("feedback", "generate feedback (hidden tests removed, maths offline)"),
                       ("status", "print the status of every submission of an assignment")]:
        a = sp.add_parser(name, help=text)
        a.add_argument("assignment")
        a.add_argument("--student", action="append", help="only this student (repeatable)")
        a.add_argument("--timeout", type=int, help="override c.Execute.timeout (seconds per cell)")
        a.add_argument("--workers", type=int, help="parallel workers (default: the number of cores)")
        a.add_argument("--to", default="grades.csv", help="CSV for 'all' (relative to the root)")
    e = sp.add_parser("export", help="write grades with a status column (FAILED and flagged are not 0)")
    e.add_argument("--to", default="grades.csv", help="relative to the course root")
    e.add_argument("--assignment", action="append")
    c = sp.add_parser("collect", help="unpack LMS zips into submitted/ (no exchange needed)")
    c.add_argument("assignment")
    c.add_argument("folder")
    args = p.parse_args(argv)
    root = course_root(args.root)

    if args.cmd == "collect":
        from .collect import collect

        n = collect(root, args.assignment, args.folder)
        print(f"collected {n} submissions of {args.assignment} into {os.path.join(root, 'submitted')}")
        return 0 if n else 1
    if args.cmd in ("autograde", "all"):
        autograde(root, args.assignment, args.student, args.timeout, args.workers)
    if args.cmd in ("feedback", "all"):
        feedback(root, args.assignment, args.student, args.workers)
    table = status_rows(root, args.assignment if args.cmd == "export" else [args.assignment],
                        None if args.cmd == "export" else args.student)
    print_table(table)
    if args.cmd in ("export", "all"):
        path = os.path.join(root, args.to)
        report.write_csv(table, path)
        print(f"wrote {len(table)} rows to {path}")
    return 1 if any(r["status"] == report.FAILED for r in table) else 0


if __name__ == "__main__":
    sys.exit(main())
