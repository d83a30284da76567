#!/usr/bin/env python
"""Autograde and export with "grading failed" kept distinct from a score of 0.

nbgrader continues past a submission it cannot grade (invalid notebook JSON, a kernel that dies because
the student called ``os._exit``, ...) but it still exports that student with a score of 0.0, exactly like
a student who handed in a blank notebook. This wrapper runs nbgrader's own commands, then inspects the
gradebook and the course directory and marks every such submission ``FAILED`` with a reason.

Usage, from the course root (the directory holding nbgrader_config.py), or with --root::

    python scripts/grade.py all <assignment> [--timeout S] [--to grades.csv]   # the usual batch
    python scripts/grade.py autograde <assignment> [--student ID]...
    python scripts/grade.py status <assignment>
    python scripts/grade.py export [--assignment A]... [--to grades.csv]

``autograde`` calls nbgrader's own API (the same code as ``nbgrader autograde <assignment> --student ID
--force``) once per student in submitted/, so a submission that cannot be graded is logged and the batch
goes on. ``all`` also runs ``generate_feedback`` and ``export``. Each command prints one line per student
and exits with status 1 if any submission FAILED (after handling all the others). ``export`` writes one
CSV row per (assignment, student) with the columns

    assignment, student_id, status, score, max_score, auto_score, reason

where ``status`` is ``graded``, ``needs_manual_grade`` (a written answer is waiting for a human) or
``FAILED``; ``score`` is left empty for FAILED rows so no spreadsheet mistakes them for zeros.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import time

FAILED = "FAILED"


def _course_root(path):
    root = os.path.abspath(path)
    if not os.path.isfile(os.path.join(root, "nbgrader_config.py")):
        # nbgrader would silently start a fresh, empty gradebook here: refuse instead
        sys.exit(f"grade.py: no nbgrader_config.py in {root}; run from the course root or pass --root")
    return root


def _config(root, timeout=None):
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
    if timeout is not None:
        cfg.Execute.timeout = timeout
        cfg.ExecutePreprocessor.timeout = timeout
    return cfg


def _gradebook(root):
    from nbgrader.api import Gradebook

    cfg = _config(root)
    db_url = cfg.CourseDirectory.get("db_url") or "sqlite:///" + os.path.join(root, "gradebook.db")
    return Gradebook(db_url, course_id=cfg.CourseDirectory.get("course_id") or "")


def _api(root, timeout=None):
    """nbgrader's own Python API (what formgrader uses), configured from the course's nbgrader_config.py."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")  # alembic
    cfg = _config(root, timeout)
    return NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)


def autograde(root, assignment, students=None, timeout=None, log=print):
    """Autograde each student separately; a failure is logged and the batch goes on."""
    api = _api(root, timeout)
    results = {}
    for student in students or _submitted_students(root, assignment):
        t = time.time()
        res = api.autograde(assignment, student, force=True, create=True)
        results[student] = res
        log(f"autograde {assignment} {student}: {'ok' if res['success'] else 'ERROR'} ({time.time() - t:.1f} s)")
        if not res["success"]:
            log("  " + (res.get("log") or res.get("error") or "").strip().replace("\n", "\n  ")[-3000:])
    return results


def generate_feedback(root, assignment, students=None):
    """nbgrader generate_feedback for every student whose submission was autograded."""
    api = _api(root)
    out = {}
    for student in students or _submitted_students(root, assignment):
        if os.path.isdir(os.path.join(root, "autograded", student, assignment)):
            out[student] = api.generate_feedback(assignment, student, force=True)
    return out


def _submitted_students(root, assignment):
    sub = os.path.join(root, "submitted")
    if not os.path.isdir(sub):
        return []
    return sorted(s for s in os.listdir(sub) if os.path.isdir(os.path.join(sub, s, assignment)))


def submission_status(gb, root, assignment, student):
    """(status, score, max_score, auto_score, reason) for one student's submission of one assignment."""
    import nbformat
    from nbgrader.api import MissingEntry

    a = gb.find_assignment(assignment)
    max_score = float(a.max_score)
    try:
        sub = gb.find_submission(assignment, student)
    except MissingEntry:
        return FAILED, None, max_score, None, "no submission in the gradebook (was autograde run?)"
    for nb in a.notebooks:
        submitted = os.path.join(root, "submitted", student, assignment, nb.name + ".ipynb")
        autograded = os.path.join(root, "autograded", student, assignment, nb.name + ".ipynb")
        if not os.path.isfile(submitted):
            return FAILED, None, max_score, None, f"{nb.name}.ipynb was not submitted"
        try:
            nbformat.read(submitted, as_version=4)
        except Exception as exc:  # any unreadable notebook: JSON, schema, encoding
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return FAILED, None, max_score, None, f"{nb.name}.ipynb is not a valid notebook ({first[:120]})"
        if not os.path.isfile(autograded):
            return FAILED, None, max_score, None, (
                f"autograde of {nb.name}.ipynb did not finish (the kernel died, e.g. os._exit or out of "
                "memory, or nbgrader raised); see the autograde log")
    auto_score = 0.0
    for snb in sub.notebooks:
        solution_names = {c.name for c in snb.notebook.solution_cells}
        for grade in snb.grades:
            if grade.name in solution_names:  # a written / manually graded answer
                continue
            if grade.auto_score is None:
                return FAILED, None, max_score, None, (
                    f"test cell {grade.name} in {snb.name}.ipynb has no autograde score")
            auto_score += float(grade.auto_score)
    if sub.needs_manual_grade:
        return "needs_manual_grade", float(sub.score), max_score, auto_score, "a written answer awaits grading"
    return "graded", float(sub.score), max_score, auto_score, ""


def rows(root, assignments=None, only=None):
    with _gradebook(root) as gb:
        names = assignments or [a.name for a in gb.assignments]
        out = []
        for assignment in sorted(names):
            students = set(_submitted_students(root, assignment))
            for s in gb.find_assignment(assignment).submissions:
                students.add(s.student.id)
            for student in sorted(s for s in students if not only or s in only):
                status, score, max_score, auto, reason = submission_status(gb, root, assignment, student)
                out.append({"assignment": assignment, "student_id": student, "status": status,
                            "score": "" if score is None else f"{score:g}", "max_score": f"{max_score:g}",
                            "auto_score": "" if auto is None else f"{auto:g}", "reason": reason})
        return out


def _print(table):
    for r in table:
        score = r["score"] if r["status"] != FAILED else "-"
        print(f"{r['assignment']:<18} {r['student_id']:<16} {r['status']:<19} {score:>6}/{r['max_score']:<5} "
              f"{r['reason']}")


def write_csv(table, path):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["assignment", "student_id", "status", "score", "max_score",
                                          "auto_score", "reason"])
        w.writeheader()
        w.writerows(table)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", default=".", help="course root (holds nbgrader_config.py); default: .")
    sp = p.add_subparsers(dest="cmd", required=True)
    for name, text in [("autograde", "autograde every submission (one student at a time), report FAILED ones"),
                       ("all", "autograde + generate_feedback + export, the usual batch"),
                       ("status", "print the status of every submission of an assignment")]:
        a = sp.add_parser(name, help=text)
        a.add_argument("assignment")
        a.add_argument("--student", action="append", help="only this student (repeatable)")
        a.add_argument("--timeout", type=int, help="override c.Execute.timeout (seconds per cell)")
        a.add_argument("--to", default="grades.csv", help="CSV for 'all' (relative to the root)")
    e = sp.add_parser("export", help="write grades with a status column (FAILED != 0)")
    e.add_argument("--to", default="grades.csv", help="relative to the course root")
    e.add_argument("--assignment", action="append")
    args = p.parse_args(argv)
    root = _course_root(args.root)

    if args.cmd in ("autograde", "all"):
        autograde(root, args.assignment, args.student, args.timeout)
    if args.cmd == "all":
        generate_feedback(root, args.assignment, args.student)
    if args.cmd == "export":
        table = rows(root, args.assignment)
    else:
        table = rows(root, [args.assignment], args.student)
    _print(table)
    if args.cmd in ("export", "all"):
        path = os.path.join(root, args.to)
        write_csv(table, path)
        print(f"wrote {len(table)} rows to {path}")
    return 1 if any(r["status"] == FAILED for r in table) else 0


if __name__ == "__main__":
    sys.exit(main())
