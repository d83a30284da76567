#!/usr/bin/env python
"""Autograde and export with "grading failed" kept distinct from a score of 0.

nbgrader continues past a submission it cannot grade (invalid notebook JSON, a kernel that dies because
the student called ``os._exit``, ...) but it still exports that student with a score of 0.0, exactly like
a student who handed in a blank notebook. This wrapper runs nbgrader's own commands, then inspects the
gradebook and the course directory and marks every such submission ``FAILED`` with a reason.

Usage, from the course root (the directory holding nbgrader_config.py)::

    python scripts/grade.py autograde <assignment> [-- extra nbgrader options]
    python scripts/grade.py status <assignment>
    python scripts/grade.py export [--to grades.csv]

``autograde`` runs ``nbgrader autograde <assignment> --force`` for every student in submitted/, prints one
line per student and exits with status 1 if any submission FAILED (after grading all the others).
``export`` writes one CSV row per (assignment, student) with the columns

    assignment, student_id, status, score, max_score, auto_score, reason

where ``status`` is ``graded``, ``needs_manual_grade`` (a written answer is waiting for a human) or
``FAILED``; ``score`` is left empty for FAILED rows so no spreadsheet mistakes them for zeros.
"""
from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys

FAILED = "FAILED"


def _course_root(path):
    root = os.path.abspath(path)
    if not os.path.isfile(os.path.join(root, "nbgrader_config.py")):
        # nbgrader would silently start a fresh, empty gradebook here: refuse instead
        sys.exit(f"grade.py: no nbgrader_config.py in {root}; run from the course root or pass --root")
    return root


def _gradebook(root):
    from nbgrader.api import Gradebook
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
    db_url = cfg.CourseDirectory.get("db_url") or "sqlite:///" + os.path.join(root, "gradebook.db")
    course_id = cfg.CourseDirectory.get("course_id") or ""
    return Gradebook(db_url, course_id=course_id)


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


def rows(root, assignments=None):
    with _gradebook(root) as gb:
        names = assignments or [a.name for a in gb.assignments]
        out = []
        for assignment in sorted(names):
            students = set(_submitted_students(root, assignment))
            for s in gb.find_assignment(assignment).submissions:
                students.add(s.student.id)
            for student in sorted(students):
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


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", default=".", help="course root (holds nbgrader_config.py); default: .")
    sp = p.add_subparsers(dest="cmd", required=True)
    a = sp.add_parser("autograde", help="nbgrader autograde every submission, then report FAILED ones")
    a.add_argument("assignment")
    a.add_argument("nbgrader_args", nargs="*", help="extra options for nbgrader, after --")
    s = sp.add_parser("status", help="print the status of every submission of an assignment")
    s.add_argument("assignment")
    e = sp.add_parser("export", help="write grades with a status column (FAILED != 0)")
    e.add_argument("--to", default="grades.csv")
    e.add_argument("--assignment", action="append")
    args = p.parse_args(argv)
    root = _course_root(args.root)

    if args.cmd == "autograde":
        cmd = [sys.executable, "-m", "nbgrader", "autograde", args.assignment, "--force", *args.nbgrader_args]
        # nbgrader exits 1 if any submission failed, after grading all the others; we report those below
        subprocess.run(cmd, cwd=root, check=False)
    if args.cmd in ("autograde", "status"):
        table = rows(root, [args.assignment])
        _print(table)
        return 1 if any(r["status"] == FAILED for r in table) else 0
    table = rows(root, args.assignment)
    with open(os.path.join(root, args.to) if not os.path.isabs(args.to) else args.to, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["assignment", "student_id", "status", "score", "max_score",
                                          "auto_score", "reason"])
        w.writeheader()
        w.writerows(table)
    _print(table)
    print(f"wrote {len(table)} rows to {args.to}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
