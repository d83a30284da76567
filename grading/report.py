"""Per-submission status, kept distinct from the score, and the ``nbgrader export`` plugin that writes it.

status             meaning
graded             every autograded cell has a score and no written answer waits for a human
needs_manual_grade a written answer waits for a human
flagged            graded, but the submission touched the grading machinery (builtins, sys.modules, IPython
                   hooks, ctypes, processes, frames, files outside its sandbox...) or its kernel died:
                   a human should look. The reason says what was seen.
FAILED             grading did not finish (e.g. the notebook is not valid JSON); the score is left empty, so no
                   spreadsheet mistakes it for a 0.
"""
from __future__ import annotations

import csv
import json
import os

from nbgrader.plugins import ExportPlugin

from .preprocess import report_path

FAILED, FLAGGED, GRADED, MANUAL = "FAILED", "flagged", "graded", "needs_manual_grade"
COLUMNS = ["assignment", "student_id", "status", "score", "max_score", "auto_score", "reason"]


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
    flags, notes = [], []
    for nb in a.notebooks:
        submitted = os.path.join(root, "submitted", student, assignment, nb.name + ".ipynb")
        autograded_dir = os.path.join(root, "autograded", student, assignment)
        if not os.path.isfile(submitted):
            return FAILED, None, max_score, None, f"{nb.name}.ipynb was not submitted"
        try:
            nbformat.read(submitted, as_version=4)
        except Exception as exc:  # noqa: BLE001 - any unreadable notebook: JSON, schema, encoding
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return FAILED, None, max_score, None, f"{nb.name}.ipynb is not a valid notebook ({first[:120]})"
        rp = report_path(root, student, assignment, nb.name)
        if not os.path.isfile(os.path.join(autograded_dir, nb.name + ".ipynb")) or not os.path.isfile(rp):
            return FAILED, None, max_score, None, (
                f"autograde of {nb.name}.ipynb did not finish; see the autograde log")
        with open(rp, encoding="utf-8") as f:
            rep = json.load(f)
        flags += [f"{nb.name}: {x}" for x in rep.get("flags", [])]
        if not rep.get("sandboxed"):
            notes.append(f"{nb.name} was graded UNSANDBOXED (explicit opt-out)")
    auto_score = 0.0
    for snb in sub.notebooks:
        solution_names = {c.name for c in snb.notebook.solution_cells}
        for grade in snb.grades:
            if grade.name in solution_names:  # a written / manually graded answer
                continue
            if grade.auto_score is None:
                return FAILED, None, max_score, None, f"test cell {grade.name} in {snb.name}.ipynb has no score"
            auto_score += float(grade.auto_score)
    reason = "; ".join(notes + flags)
    if flags:
        return FLAGGED, float(sub.score), max_score, auto_score, reason
    if sub.needs_manual_grade:
        return MANUAL, float(sub.score), max_score, auto_score, "; ".join(notes + ["a written answer awaits grading"])
    return GRADED, float(sub.score), max_score, auto_score, reason


def _submitted_students(root, assignment):
    sub = os.path.join(root, "submitted")
    if not os.path.isdir(sub):
        return []
    return sorted(s for s in os.listdir(sub) if os.path.isdir(os.path.join(sub, s, assignment)))


def rows(gb, root, assignments=None, students=None):
    names = assignments or [a.name for a in gb.assignments]
    out = []
    for assignment in sorted(names):
        who = set(_submitted_students(root, assignment))
        who |= {s.student.id for s in gb.find_assignment(assignment).submissions}
        for student in sorted(s for s in who if not students or s in students):
            status, score, max_score, auto, reason = submission_status(gb, root, assignment, student)
            out.append({"assignment": assignment, "student_id": student, "status": status,
                        "score": "" if score is None else f"{score:g}", "max_score": f"{max_score:g}",
                        "auto_score": "" if auto is None else f"{auto:g}", "reason": reason})
    return out


def write_csv(table, path):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(table)
    os.replace(tmp, path)


class StatusExportPlugin(ExportPlugin):
    """``nbgrader export`` with a status column: graded / needs_manual_grade / flagged / FAILED, and a reason."""

    def export(self, gradebook):
        root = self.parent.coursedir.root
        table = rows(gradebook, root, self.assignment or None, self.student or None)
        path = self.to or "grades.csv"
        if not os.path.isabs(path):
            path = os.path.join(root, path)
        write_csv(table, path)
        self.log.info("wrote %d rows with a status column to %s", len(table), path)
