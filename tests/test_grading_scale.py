"""Grading at scale: a PostgreSQL gradebook, parallel workers, and one-command-per-student jobs run at once.

The test starts its own PostgreSQL server (Debian's `postgresql`, installed by scripts/install_grading.sh) on
loopback in a temporary directory, and stops it afterwards.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import _grading as g
import nbformat
import pytest

from grading import synthetic

pytestmark = pytest.mark.integration

KINDS = ["full", "blank", "partial", "duplicated", "fake_check", "exit", "badjson"]


@pytest.fixture(scope="module")
def postgres():
    assert os.geteuid() == 0, "the grading tests run as root (the sandbox needs it)"
    leftovers = []
    with g.postgres_server(leftovers) as url:
        yield url
    assert not leftovers, f"the PostgreSQL server left processes behind: {leftovers}"


@pytest.mark.timeout(1800)
def test_parallel_grading_against_postgresql(postgres, tmp_path):
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copytree(os.path.join(g.ROOT, "solutions", "gradients"), course / "solutions" / "gradients")
    cfg = Path(g.ROOT, "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(cfg + f"\nc.CourseDirectory.db_url = {postgres!r}\n")
    g.nbgrader("generate_assignment", "gradients", "--force", cwd=str(course))
    src = nbformat.read(str(course / "solutions" / "gradients" / "gradients.ipynb"), as_version=4)
    rel = nbformat.read(str(course / "exercises" / "gradients" / "gradients.ipynb"), as_version=4)
    cls = {s.name: s for s in synthetic.build_class(src, rel, "gradients", synthetic.DELEGATIONS["gradients"])}
    who = {}
    for i in range(14):  # each kind twice
        kind = KINDS[i % len(KINDS)]
        sid = f"{kind}-{i}"
        who[sid] = cls[kind]
        d = course / "submitted" / sid / "gradients"
        d.mkdir(parents=True)
        nb = cls[kind].notebook
        (d / "gradients.ipynb").write_text(nb if isinstance(nb, str) else json.dumps(nb, indent=1))

    # two one-student jobs at the same moment, as a job array would start them
    first = sorted(who)[:2]
    procs = [subprocess.Popen([sys.executable, "-m", "grading", "autograde", "gradients", "--student", s,
                               "--timeout", str(g.TEST_TIMEOUT)], cwd=str(course), env=g.env(),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for s in first]
    for p in procs:
        out, _ = p.communicate(timeout=900)
        assert p.returncode in (0, 1), out[-3000:]
    # then the whole class with two workers
    p = g.run([sys.executable, "-m", "grading", "all", "gradients", "--workers", "2", "--timeout",
               str(g.TEST_TIMEOUT)], cwd=str(course), check=False)
    assert "database is locked" not in p.stdout
    assert not os.path.exists(course / "gradebook.db"), "graded into sqlite instead of PostgreSQL"
    rows = {r["student_id"]: r for r in csv.DictReader((course / "grades.csv").read_text().splitlines())}
    assert sorted(rows) == sorted(who), p.stdout[-3000:]
    for sid, st in who.items():
        r = rows[sid]
        assert r["status"] == st.status, (sid, r)
        if st.status != "FAILED":
            assert float(r["auto_score"]) == synthetic.expected_score(src, st), (sid, r)
    assert p.returncode == 1  # the badjson rows are FAILED: the batch says so

    from nbgrader.api import Gradebook
    with Gradebook(postgres, course_id="gd-hands-on") as gb:
        assert {s.student.id for s in gb.find_assignment("gradients").submissions} == set(who)
