"""Autograde time per submission for a synthetic class of 50 on one assignment (not a test).

    .venv/bin/python benchmarks/bench_autograde.py [assignment] [--students 50] [--jobs 1]

Builds a temporary course (never touching the repo's gradebook), releases the assignment with
`nbgrader generate_assignment`, submits a class built from the source notebook (a mix of full, partial,
blank, crashing, warning, tampered and monkeypatching students, as in tests/test_grading.py; no infinite
loops, whose cost is just the configured timeout), and times `scripts/grade.py autograde`.

Reference, measured in the same run: executing the solution notebook once with nbclient, i.e. a kernel
start plus the cells, with none of nbgrader's work. The ratio shows nbgrader's overhead per submission.

--jobs N shards the students over N `grade.py autograde --student ...` processes that share the sqlite
gradebook (each submission has its own kernel, so the work is independent; only the gradebook writes are
serialised by sqlite's lock). With more graders or machines, use a PostgreSQL db_url instead.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

import _grading as g  # noqa: E402

KINDS = ["full", "full", "partial", "full", "blank", "error", "warning", "full", "tampered", "monkeypatch"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("assignment", nargs="?", default="gradients")
    p.add_argument("--students", type=int, default=50)
    p.add_argument("--jobs", type=int, default=1)
    args = p.parse_args()
    a = args.assignment
    work = tempfile.mkdtemp(prefix="bench-autograde-")
    try:
        course = os.path.join(work, "course")
        os.makedirs(os.path.join(course, "solutions"))
        shutil.copy(os.path.join(ROOT, "nbgrader_config.py"), course)
        shutil.copytree(os.path.join(ROOT, "solutions", a), os.path.join(course, "solutions", a))
        g.nbgrader("generate_assignment", a, "--force", cwd=course)

        names = g.notebooks(a)
        for name in names:
            source = nbformat.read(os.path.join(course, "solutions", a, name), as_version=4)
            release = nbformat.read(os.path.join(course, "exercises", a, name), as_version=4)
            students, _ = g.build_students(source, release)
            for i in range(args.students):
                d = os.path.join(course, "submitted", f"s{i:03d}", a)
                os.makedirs(d, exist_ok=True)
                nbformat.write(students[KINDS[i % len(KINDS)]], os.path.join(d, name))

        # reference: one plain execution of the solution notebook(s)
        t = time.perf_counter()
        for name in names:
            nb = nbformat.read(os.path.join(course, "solutions", a, name), as_version=4)
            NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True).execute()
        ref = time.perf_counter() - t

        ids = [f"s{i:03d}" for i in range(args.students)]
        shards = [ids[k::args.jobs] for k in range(args.jobs)]
        grade_py = os.path.join(ROOT, "scripts", "grade.py")
        t = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, grade_py, "--root", course, "autograde", a,
                                   *sum((["--student", s] for s in shard), [])],
                                  cwd=course, env=g.env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True) for shard in shards]
        outs = [pr.communicate()[0] for pr in procs]
        total = time.perf_counter() - t
        failed = sum(o.count(" FAILED ") for o in outs)
        per = total / args.students
        print(f"assignment {a}: {args.students} submissions, {args.jobs} job(s), {os.cpu_count()} cores")
        print(f"  autograde total        {total:7.1f} s   ({per:.2f} s per submission)")
        print(f"  reference: plain run   {ref:7.2f} s   (kernel start + cells of the solution notebook)")
        print(f"  ratio per submission   {per / ref:7.2f} x the plain run")
        print(f"  FAILED rows            {failed} (expected 0)")
        print("  parallelise: shard students over processes (--jobs N, one kernel each); across machines use")
        print("  a PostgreSQL db_url so several autograde processes can write the gradebook at once.")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
