"""Autograde a class of 300 synthetic submissions of mixed quality, sandboxed and in parallel (not a test).

    .venv/bin/python benchmarks/bench_autograde.py [assignment] [--students 300] [--workers N] [--compare 40]

Builds a temporary course (never the repo's gradebook), releases the assignment with
`nbgrader generate_assignment`, submits a class cycling through the kinds of grading/synthetic.py (honest,
partial, blank, crashing, warning, messy notebooks, attackers; no infinite loops, whose cost is just the
configured timeout), and times `python -m grading autograde --workers N` (default: the number of cores),
every kernel in its own bubblewrap sandbox. Target: 300 submissions in 4 minutes on 2 cores.

Measured in the same run, for the sandbox's per-submission overhead: the first --compare submissions graded
once more unsandboxed (GDGRADE_UNSANDBOXED=1, the explicit opt-out) and once more sandboxed, with the same
workers. Run as root (the sandbox needs it).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

import nbformat

from grading import synthetic

# A class of mixed quality. Not in it: submissions that wedge their own kernel (the "builtins" attacker) or
# loop forever: each of those costs one cell timeout (c.Execute.timeout, 60 s) however fast the grader is.
KINDS = ["full", "full", "partial", "full", "blank", "error", "warning", "duplicated", "reordered", "full",
         "deleted_setup", "metadata_edited", "monkeypatch", "fake_check", "exit", "gdcore_alias", "badjson"]


def run(cmd, cwd, env=None):
    e = dict(os.environ, **(env or {}))
    e["PATH"] = os.path.dirname(sys.executable) + os.pathsep + e.get("PATH", "")
    t = time.time()
    p = subprocess.run(cmd, cwd=cwd, env=e, capture_output=True, text=True, check=False)
    return time.time() - t, p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("assignment", nargs="?", default="gradients")
    ap.add_argument("--students", type=int, default=300)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--compare", type=int, default=40)
    args = ap.parse_args()
    a = args.assignment
    work = tempfile.mkdtemp(prefix="bench-autograde-")
    course = os.path.join(work, "course")
    os.makedirs(os.path.join(course, "solutions"))
    shutil.copy(os.path.join(ROOT, "nbgrader_config.py"), course)
    shutil.copytree(os.path.join(ROOT, "solutions", a), os.path.join(course, "solutions", a))
    _, p = run([sys.executable, "-m", "nbgrader", "generate_assignment", a, "--force"], course)
    assert p.returncode == 0, p.stderr[-2000:]
    names = sorted(f for f in os.listdir(os.path.join(course, "solutions", a)) if f.endswith(".ipynb"))
    kinds = {}
    for name in names:
        src = nbformat.read(os.path.join(course, "solutions", a, name), as_version=4)
        rel = nbformat.read(os.path.join(course, "exercises", a, name), as_version=4)
        kinds[name] = {s.name: s for s in synthetic.build_class(src, rel, a, synthetic.DELEGATIONS.get(a))}
    students = []
    for i in range(args.students):
        kind = KINDS[i % len(KINDS)]
        sid = f"s{i:03d}-{kind}"
        students.append(sid)
        d = os.path.join(course, "submitted", sid, a)
        os.makedirs(d)
        for name in names:
            nb = kinds[name][kind].notebook
            with open(os.path.join(d, name), "w", encoding="utf-8") as f:
                f.write(nb if isinstance(nb, str) else json.dumps(nb, indent=1))  # as saved, unvalidated

    # the expected results (one trusted run of the solution) are computed once, before the clock starts
    subset = students[: args.compare]
    flags = [x for s in subset[:1] for x in ("--student", s)]
    run([sys.executable, "-m", "grading", "autograde", a, *flags, "--workers", "1"], course)

    wall, p = run([sys.executable, "-m", "grading", "autograde", a, "--workers", str(args.workers)], course)
    errors = p.stdout.count(": ERROR")
    flags = [x for s in subset for x in ("--student", s)]
    wall_sub_sb, _ = run([sys.executable, "-m", "grading", "autograde", a, *flags, "--workers", str(args.workers)],
                         course)
    wall_sub_un, _ = run([sys.executable, "-m", "grading", "autograde", a, *flags, "--workers", str(args.workers)],
                         course, env={"GDGRADE_UNSANDBOXED": "1"})
    _, st = run([sys.executable, "-m", "grading", "status", a], course)
    counts = {}
    for line in st.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            counts[parts[2]] = counts.get(parts[2], 0) + 1
    load = os.getloadavg()[0]
    n = args.students
    print(f"assignment {a}, {n} submissions, {args.workers} workers, {os.cpu_count()} cores, load {load:.1f}")
    print(f"sandboxed autograde of all {n}:        {wall:7.1f} s  ({wall / n:.2f} s per submission, "
          f"target 240 s: {'PASS' if wall <= 240 else 'FAIL'})")
    print(f"first {len(subset)} again, sandboxed:          {wall_sub_sb:7.1f} s  ({wall_sub_sb / len(subset):.2f} s each)")
    print(f"first {len(subset)} again, UNSANDBOXED:        {wall_sub_un:7.1f} s  ({wall_sub_un / len(subset):.2f} s each)")
    print(f"sandbox overhead per submission:      {(wall_sub_sb - wall_sub_un) / len(subset) * args.workers:+.2f} s "
          f"of worker time (ratio {wall_sub_sb / wall_sub_un:.2f})")
    print(f"statuses: {counts}; nbgrader errors in the batch log: {errors}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
