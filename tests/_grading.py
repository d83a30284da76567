"""The instructor round trip for tests/test_grading.py: one temporary course holding every assignment, the
synthetic class of grading/synthetic.py submitted to each, graded with the instructor guide's own command
(`python -m grading all`), and everything the tests check collected: scores from nbgrader's Gradebook API,
statuses from the export, verdict reports, feedback pages, file hashes before and after, leftover processes.
"""
from __future__ import annotations

import contextlib
import csv
import glob
import hashlib
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import nbformat

from grading import synthetic
from grading.preprocess import report_path
from grading.sandbox import _pids_of_uid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.dirname(sys.executable)
TEST_TIMEOUT = 5  # seconds per cell in the round trip; every honest test cell runs in well under one


def page_text(raw):
    """The text of an HTML page (tags removed, entities decoded, one stripped line per line)."""
    import html
    import re

    text = html.unescape(re.sub(r"<[^>]+>", "", raw))
    return "\n".join(ln.strip() for ln in text.splitlines() if ln.strip())


def all_assignments():
    src = os.path.join(ROOT, "solutions")
    return sorted(a for a in os.listdir(src) if os.path.isdir(os.path.join(src, a)) and not a.startswith("."))


def assignments():
    """The assignments the round trip grades: all of them, or for development the ones named in
    GDGRADE_TEST_ASSIGNMENTS (e.g. "gradients,sgd")."""
    names = all_assignments()
    only = os.environ.get("GDGRADE_TEST_ASSIGNMENTS")
    return [a for a in names if a in only.split(",")] if only else names


FILTERED = bool(os.environ.get("GDGRADE_TEST_ASSIGNMENTS"))


def notebooks(assignment, base="solutions"):
    d = os.path.join(ROOT, base, assignment)
    return sorted(f for f in os.listdir(d) if f.endswith(".ipynb"))


def env():
    e = dict(os.environ)
    e["PATH"] = VENV_BIN + os.pathsep + e.get("PATH", "")  # nbgrader shells out to `alembic`
    e["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    return e


def run(cmd, cwd, check=True, timeout=3000):
    p = subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True, stdin=subprocess.DEVNULL,
                       timeout=timeout, check=False)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}) in {cwd}:\n{p.stdout[-3000:]}\n"
                           f"{p.stderr[-6000:]}")
    return p


def nbgrader(*args, cwd, check=True):
    return run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, check=check)


def tree_hashes(*dirs, skip=()):
    """{path: sha256} of every file under dirs (symlinks as their target text), skipping names in skip."""
    out = {}
    for d in dirs:
        for dirpath, dirnames, filenames in os.walk(d):
            dirnames[:] = [x for x in dirnames if x not in skip and x != "__pycache__"]
            for f in filenames:
                p = os.path.join(dirpath, f)
                if f in skip or f.startswith("grades"):
                    continue
                if os.path.islink(p):
                    out[p] = "link:" + os.readlink(p)
                    continue
                with open(p, "rb") as fh:
                    out[p] = hashlib.sha256(fh.read()).hexdigest()
    return out


def processes_of(uids):
    """{uid: pids} for the sandbox uids a batch used (other graders on the machine use others)."""
    return {uid: _pids_of_uid(uid) for uid in uids if uid is not None and _pids_of_uid(uid)}


ATTACKERS = ["monkeypatch", "input_transformer", "builtins", "fake_check", "frame_reader", "fake_records",
             "file_attack", "network", "background_process", "shadow_numpy"]
# messy and faulty notebooks: the grading machinery must handle them the same way whatever the assignment
FAULTS = ["error", "warning", "badjson", "exit", "deleted_setup", "duplicated", "reordered", "metadata_edited",
          "kernelspec", "big_output"]
SLOW = {"timeout", "memory_hog", "huge_notebook", "output_flood"}
FULL_CLASS = "gradients"   # the assignment graded with every synthetic student


def runs_on(assignment, who):
    """Whether student `who` is in the class CI grades for `assignment`. The full class on FULL_CLASS. On every
    other assignment: the honest students and every delegation attempt, but none of the slow students (an
    infinite loop, a memory hog), and only two of the ten generic attackers and three of the ten faults
    (they exercise the grading machinery, not the assignment), rotated so that across the assignments every
    attack and every fault runs at least three times (tests/test_grading.py checks this)."""
    if assignment == FULL_CLASS:
        return True
    if who in SLOW:
        return False
    others = [a for a in all_assignments() if a != FULL_CLASS]
    k = others.index(assignment) if assignment in others else 0
    if who in ATTACKERS:
        return who in {ATTACKERS[(2 * k + j) % len(ATTACKERS)] for j in range(2)}
    if who in FAULTS:
        return who in {FAULTS[(3 * k + j) % len(FAULTS)] for j in range(3)}
    return True


def class_for(assignment, source, release, full):
    """The synthetic class an assignment is graded with in CI (see runs_on); `full`: every student."""
    students = synthetic.build_class(source, release, assignment, synthetic.DELEGATIONS.get(assignment),
                                     with_timeout=full)
    return students if full else [s for s in students if runs_on(assignment, s.name)]


COURSE_STATE = {"submitted", "autograded", "feedback", ".grading", "gradebook.db", ".nbgrader.log", "downloaded"}


def generate_assignments(course, names):
    """nbgrader generate_assignment for each assignment, in this process, configured by the course's own
    nbgrader_config.py; fails with nbgrader's log if one fails."""
    from grading import cli

    api = cli.api(course)
    for a in names:
        res = api.generate_assignment(a, force=True)
        assert res["success"], f"generate_assignment {a}: {res.get('error', '')}{res.get('log', '')}"[-3000:]


def round_trip(workdir, which=None, full_class_for=("gradients",)):
    """Release every assignment, submit the synthetic class, grade it, and collect what the tests check."""
    t0 = time.time()
    course = os.path.join(workdir, "course")
    os.makedirs(os.path.join(course, "solutions"))
    shutil.copy(os.path.join(ROOT, "nbgrader_config.py"), course)
    names = which or assignments()
    for a in names:
        shutil.copytree(os.path.join(ROOT, "solutions", a), os.path.join(course, "solutions", a))
    # Released in this process through nbgrader's API (what `nbgrader generate_assignment` and formgrader run):
    # a separate `nbgrader` process per assignment spends ~4 s of CPU importing nbgrader for 0.5 s of work.
    # The command line itself is run by test_lms_zips_to_feedback_without_an_exchange.
    generate_assignments(course, names)

    import site

    import gdcore
    import grading
    protected = [os.path.dirname(gdcore.__file__), os.path.dirname(grading.__file__), site.getsitepackages()[0]]
    before = tree_hashes(course, *protected, skip=COURSE_STATE)

    classes, sources = {}, {}
    for a in names:
        for name in notebooks(a):
            source = nbformat.read(os.path.join(course, "solutions", a, name), as_version=4)
            release = nbformat.read(os.path.join(course, "exercises", a, name), as_version=4)
            sources[(a, name)] = source
            students = class_for(a, source, release, full=a in full_class_for)
            classes[(a, name)] = students
            for st in students:
                d = os.path.join(course, "submitted", st.name, a)
                os.makedirs(d, exist_ok=True)
                nb = st.notebook
                with open(os.path.join(d, name), "w", encoding="utf-8") as f:
                    f.write(nb if isinstance(nb, str) else json.dumps(nb, indent=1))  # as saved, unvalidated
                for fname, text in st.extra_files.items():
                    with open(os.path.join(d, fname), "w", encoding="utf-8") as f:
                        f.write(text)
                with open(os.path.join(d, "timestamp.txt"), "w") as f:
                    f.write("2026-01-15 12:00:00.000000 UTC")

    # Two batches at a time, as an instructor grading two assignments at once would: one batch's serial parts
    # (the trusted run of the solution, feedback, export) overlap the other's kernels. Each batch runs as many
    # workers as there are cores (the default of `python -m grading`).
    def batch(a):
        t = time.time()
        p = run([sys.executable, "-m", "grading", "--root", course, "all", a, "--timeout", str(TEST_TIMEOUT),
                 "--to", f"grades-{a}.csv"], cwd=course, check=False)
        n = len({s.name for (b, _), c in classes.items() if b == a for s in c})
        print(f"[round trip] {a}: {n} students graded in {time.time() - t:.1f} s", file=sys.__stderr__, flush=True)
        return a, {"returncode": p.returncode, "stdout": p.stdout[-20000:], "stderr": p.stderr[-20000:],
                   "seconds": time.time() - t}

    with ThreadPoolExecutor(max_workers=int(os.environ.get("GDGRADE_TEST_BATCHES", "2"))) as pool:
        batches = dict(pool.map(batch, names))

    after = tree_hashes(course, *protected, skip=COURSE_STATE)
    from nbgrader.api import Gradebook
    per_cell = {}
    with Gradebook("sqlite:///" + os.path.join(course, "gradebook.db"), course_id="gd-hands-on") as gb:
        for (a, name), students in classes.items():
            for st in students:
                try:
                    sub = gb.find_submission(a, st.name)
                except Exception:  # noqa: BLE001, S112 - a FAILED submission may have none
                    continue
                for snb in sub.notebooks:
                    for g in snb.grades:
                        per_cell[(a, st.name, snb.name + ".ipynb", g.name)] = (g.auto_score, g.max_score)
    status = {}
    for a in names:
        with open(os.path.join(course, f"grades-{a}.csv")) as f:
            for r in csv.DictReader(f):
                status[(a, r["student_id"])] = r
    reports = {}
    for (a, name), students in classes.items():
        for st in students:
            rp = report_path(course, st.name, a, name.replace(".ipynb", ""))
            if os.path.isfile(rp):
                with open(rp) as f:
                    reports[(a, st.name, name)] = json.load(f)
    return {"course": course, "classes": classes, "sources": sources, "per_cell": per_cell, "status": status,
            "reports": reports, "batches": batches, "before": before, "after": after,
            "procs_after": processes_of({r.get("uid") for r in reports.values()}), "seconds": time.time() - t0}


# --- servers the scale tests start themselves -------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_mentioning(*paths):
    """[(pid, command line)] of processes whose command line, environment or working directory names a
    path."""
    me = {os.getpid(), os.getppid()}
    keys = [p.encode() for p in paths]
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) in me:
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ")
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read()
            cwd = os.readlink(f"/proc/{pid}/cwd").encode()
        except OSError:
            continue
        if any(k in cmd or k in env or cwd.startswith(k) for k in keys):
            out.append((int(pid), cmd.decode(errors="replace").strip()[:300]))
    return out


def reap(paths, found):
    """Record and kill whatever is still running that mentions one of paths."""
    left = processes_mentioning(*paths)
    found.extend(left)
    for pid, _ in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def postgres_server(leftovers):
    """A PostgreSQL server on loopback in a temporary directory, started as the postgres user (pytest's
    own temporary directories are private to root) and stopped again; anything left running is recorded in
    leftovers and killed."""
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        p = subprocess.run(["bash", os.path.join(ROOT, "scripts", "install_grading.sh")],
                           capture_output=True, text=True, check=False)
        assert p.returncode == 0, \
            f"cannot install PostgreSQL with scripts/install_grading.sh:\n{p.stderr[-3000:]}"
    initdb = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    assert initdb, "PostgreSQL is not installed: run scripts/install_grading.sh (as root)"
    bindir = os.path.dirname(initdb[-1])
    base = pathlib.Path(tempfile.mkdtemp(prefix="gdgrade-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    shutil.chown(base, "postgres")
    shutil.chown(sock, "postgres")
    port = free_port()

    def as_postgres(*cmd):
        return subprocess.run(["runuser", "-u", "postgres", "--", *cmd], capture_output=True, text=True,
                              check=True)

    started = False
    try:
        as_postgres(f"{bindir}/initdb", "-D", str(data), "-A", "trust", "-U", "grader", "--no-sync")
        as_postgres(f"{bindir}/pg_ctl", "-D", str(data), "-l", str(base / "log"), "-w", "-o",
                    f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off", "start")
        started = True
        as_postgres(f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "grader", "gd")
        yield f"postgresql+psycopg://grader@127.0.0.1:{port}/gd"
    finally:
        if started:
            with contextlib.suppress(subprocess.CalledProcessError):
                as_postgres(f"{bindir}/pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        reap([str(base)], leftovers)
        shutil.rmtree(base, ignore_errors=True)
