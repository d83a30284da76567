"""The instructor guide's Slurm job array, run end to end on a one-node Slurm cluster the test starts itself.

Debian's `slurm-wlm` daemons and `munge` (installed by scripts/install_slurm.sh when missing) run by hand,
without systemd, from a temporary directory: a fresh munge key, a slurm.conf for this host only (no cgroups,
no accounting database), munged, slurmctld and slurmd. A PostgreSQL gradebook is started the same way as in
tests/test_grading_scale.py. The test then takes the job array command from book/instructor_guide.md, submits
it once for a small synthetic class of `gradients`, waits for every task, checks each task's exit state, runs
`python -m grading export` and checks every student's status and score. Every daemon it started is stopped,
and the test fails if any process (daemon, job step or sandboxed kernel) is left behind.

It is never skipped: when Slurm cannot be installed or does not start, it fails and says why.
"""
from __future__ import annotations

import contextlib
import csv
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _grading as g
import nbformat
import pytest

from grading import synthetic
from grading.preprocess import report_path

pytestmark = pytest.mark.integration

GUIDE = os.path.join(g.ROOT, "book", "instructor_guide.md")
INSTALL = os.path.join(g.ROOT, "scripts", "install_slurm.sh")
# one student of each outcome: needs_manual_grade (right, partly wrong, an error), graded (blank), flagged
# (the kernel exits mid-notebook), FAILED (a notebook that is not JSON: its array task must fail too)
KINDS = ["full", "blank", "partial", "error", "exit", "badjson"]
NODE = "gdnode"


def _stop(proc, timeout=20):
    if proc.poll() is None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=timeout)
    if proc.poll() is None:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)


def _tail(path, n=4000):
    try:
        with open(path, errors="replace") as f:
            return f.read()[-n:]
    except OSError as exc:
        return f"({path}: {exc})"


def _ensure_slurm():
    tools = ["munged", "munge", "unmunge", "slurmctld", "slurmd", "slurmstepd", "sbatch", "squeue",
             "scontrol", "sinfo", "scancel"]
    missing = [t for t in tools if not shutil.which(t, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")]
    if missing:
        assert os.geteuid() == 0, f"Slurm is not installed ({', '.join(missing)} missing): run " \
                                  f"scripts/install_slurm.sh as root"
        p = subprocess.run(["bash", INSTALL], capture_output=True, text=True, timeout=900, check=False)
        assert p.returncode == 0, (f"scripts/install_slurm.sh could not install Slurm and MUNGE "
                                   f"(exit {p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-3000:]}")
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    missing = [t for t in tools if not shutil.which(t, path=path)]
    assert not missing, f"scripts/install_slurm.sh ran but {', '.join(missing)} still missing"
    return {t: shutil.which(t, path=path) for t in tools}


def _mem_mb():
    with open("/proc/meminfo") as f:
        kb = int(next(ln for ln in f if ln.startswith("MemTotal:")).split()[1])
    return int(kb / 1024 * 0.9)


SLURM_CONF = """\
# a one-node cluster for tests/test_grading_slurm.py; no cgroups, no accounting database, no systemd
ClusterName=gdtest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={base}/munge/munge.socket
StateSaveLocation={base}/state
SlurmdSpoolDir={base}/spool
SlurmctldPidFile={base}/slurmctld.pid
SlurmdPidFile={base}/slurmd.pid
SlurmctldLogFile={base}/log/slurmctld.log
SlurmdLogFile={base}/log/slurmd.log
PlugStackConfig={base}/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
MpiDefault=none
ReturnToService=2
MinJobAge=600
MailProg=/bin/true
NodeName={node} NodeHostname={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={mem} State=UNKNOWN
PartitionName=grading Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""


@contextlib.contextmanager
def slurm_cluster(leftovers):
    """munged, slurmctld and slurmd for this host, from a temporary directory; yields the environment the
    Slurm commands need (SLURM_CONF). Stops all three and every job step afterwards."""
    tool = _ensure_slurm()
    base = pathlib.Path(tempfile.mkdtemp(prefix="gdgrade-slurm-"))
    base.chmod(0o755)  # munged insists that every directory above its socket is searchable by all
    for d in ("munge", "state", "spool", "log"):
        (base / d).mkdir(mode=0o755)
    key = base / "munge" / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    (base / "plugstack.conf").write_text("")
    conf = base / "slurm.conf"
    conf.write_text(SLURM_CONF.format(host=socket.gethostname().split(".")[0], ctld_port=g.free_port(),
                                      d_port=g.free_port(), base=base, node=NODE, cpus=os.cpu_count() or 1,
                                      mem=_mem_mb()))
    env = g.env()
    env["SLURM_CONF"] = str(conf)
    sock = str(base / "munge" / "munge.socket")
    procs, logs = {}, {}

    def daemon(name, *cmd):
        logs[name] = base / "log" / f"{name}.out"
        with open(logs[name], "w") as out:
            procs[name] = subprocess.Popen([tool[name], *cmd], stdout=out, stderr=subprocess.STDOUT, env=env,
                                           stdin=subprocess.DEVNULL, start_new_session=True, cwd=base)

    def diagnostics():
        return "\n".join(f"--- {p.name}\n{_tail(p)}" for p in sorted((base / "log").iterdir()))

    def client(*cmd, check=True, timeout=30):
        p = subprocess.run([tool.get(cmd[0], cmd[0]), *cmd[1:]], env=env, capture_output=True, text=True,
                           timeout=timeout, check=False)
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stdout}{p.stderr}\n"
                                 f"{diagnostics()}")
        return p

    def wait_for(what, ok, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for name, p in procs.items():
                assert p.poll() is None, \
                    f"{name} exited ({p.returncode}) while waiting for {what}:\n{diagnostics()}"
            with contextlib.suppress(subprocess.TimeoutExpired):
                if ok():
                    return
            time.sleep(0.5)
        raise AssertionError(f"Slurm did not start here: timed out waiting for {what}\n{diagnostics()}")

    try:
        daemon("munged", "-F", f"--socket={sock}", f"--key-file={key}", f"--log-file={base}/log/munged.log",
               f"--pid-file={base}/munge/munged.pid", f"--seed-file={base}/munge/munged.seed")

        def munge_ok():
            if not os.path.exists(sock):
                return False
            cred = subprocess.run([tool["munge"], "-n", "-S", sock], capture_output=True, timeout=10, check=False)
            return cred.returncode == 0 and subprocess.run([tool["unmunge"], "-S", sock], input=cred.stdout,
                                                           capture_output=True, timeout=10, check=False).returncode == 0
        wait_for("munged to encode and decode a credential", munge_ok)
        daemon("slurmctld", "-D", "-f", str(conf))
        wait_for("slurmctld to answer", lambda: "UP" in client("scontrol", "ping", check=False).stdout)
        daemon("slurmd", "-D", "-f", str(conf), "-N", NODE)
        wait_for(f"node {NODE} to become idle",
                 lambda: client("sinfo", "-h", "-n", NODE, "-o", "%t", check=False).stdout.strip() == "idle")
        yield {"env": env, "client": client, "diagnostics": diagnostics, "base": str(base)}
    finally:
        if procs.get("slurmctld") is not None and procs["slurmctld"].poll() is None:
            with contextlib.suppress(Exception):
                client("scancel", "--quiet", "--user=root", check=False)
                deadline = time.time() + 30
                while time.time() < deadline and client("squeue", "-h", check=False).stdout.strip():
                    time.sleep(0.5)
                client("scontrol", "shutdown", check=False)
        for name in ("slurmd", "slurmctld", "munged"):
            if name in procs:
                if name == "munged" and procs[name].poll() is None:
                    procs[name].terminate()
                _stop(procs[name])
        g.reap([str(base)], leftovers)
        shutil.rmtree(base, ignore_errors=True)


def _guide_job_array(course, assignment):
    """The Slurm job array block of the instructor guide, pointed at this course and assignment."""
    text = Path(GUIDE).read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```bash\n(.*?)```", text, re.DOTALL) if "sbatch" in b and "--array" in b]
    assert len(blocks) == 1, ("book/instructor_guide.md should show exactly one Slurm job array "
                              "(a ```bash block with sbatch --array)")
    block = blocks[0]
    assert "/shared/course" in block and re.search(r"autograde \S+ --student", block), block
    assert "SLURM_ARRAY_TASK_ID" in block and "students.txt" in block, block
    block = block.replace("/shared/course", str(course))
    return re.sub(r"autograde \S+ --student", f"autograde {assignment} --student", block)


def _job_tasks(text):
    """{array task id: {field: value}} from `scontrol show job -o`."""
    out = {}
    for line in text.splitlines():
        fields = dict(tok.split("=", 1) for tok in line.split() if "=" in tok)
        if "ArrayTaskId" in fields:
            out[int(fields["ArrayTaskId"])] = fields
    return out


@pytest.mark.timeout(1200)
def test_guide_job_array_on_slurm(tmp_path, monkeypatch):
    t0 = time.time()
    assert os.geteuid() == 0, "the Slurm test runs as root (the daemons and the grading sandbox need it)"
    leftovers, kernels = [], {}
    course = tmp_path / "course"
    with g.postgres_server(leftovers) as url, slurm_cluster(leftovers) as slurm:
        # the course reads the gradebook URL from the environment, as the instructor guide shows
        monkeypatch.setenv("NBGRADER_DB_URL", url)
        (course / "solutions").mkdir(parents=True)
        shutil.copytree(os.path.join(g.ROOT, "solutions", "gradients"), course / "solutions" / "gradients")
        cfg = Path(g.ROOT, "nbgrader_config.py").read_text()
        (course / "nbgrader_config.py").write_text(
            cfg + '\nc.CourseDirectory.db_url = os.environ["NBGRADER_DB_URL"]\n')
        os.symlink(os.path.dirname(g.VENV_BIN), course / ".venv")  # the guide's `source .venv/bin/activate`
        g.nbgrader("generate_assignment", "gradients", "--force", cwd=str(course))
        src = nbformat.read(str(course / "solutions" / "gradients" / "gradients.ipynb"), as_version=4)
        rel = nbformat.read(str(course / "exercises" / "gradients" / "gradients.ipynb"), as_version=4)
        built = synthetic.build_class(src, rel, "gradients", synthetic.DELEGATIONS["gradients"])
        cls = {s.name: s for s in built}
        who = {}
        for i, kind in enumerate(KINDS):
            sid = f"s{i + 1}-{kind}"
            who[sid] = cls[kind]
            d = course / "submitted" / sid / "gradients"
            d.mkdir(parents=True)
            nb = cls[kind].notebook
            (d / "gradients.ipynb").write_text(nb if isinstance(nb, str) else json.dumps(nb, indent=1))

        # ONE sbatch: the guide's own commands (ls submitted > students.txt; sbatch --array=1-N ...)
        env = dict(slurm["env"], NBGRADER_DB_URL=url)
        script = _guide_job_array(course, "gradients")
        p = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=course, env=env,
                           capture_output=True, text=True, timeout=60, check=False)
        assert p.returncode == 0, f"sbatch failed:\n{script}\n{p.stdout}{p.stderr}\n{slurm['diagnostics']()}"
        m = re.search(r"Submitted batch job (\d+)", p.stdout)
        assert m, p.stdout + p.stderr
        job = m.group(1)
        students = (course / "students.txt").read_text().split()
        assert sorted(students) == sorted(who)

        deadline = time.time() + 900
        while slurm["client"]("squeue", "-h", "-j", job, check=False).stdout.strip():
            assert time.time() < deadline, (f"the job array did not finish in 15 minutes:\n"
                                            f"{slurm['client']('squeue', check=False).stdout}\n"
                                            f"{slurm['diagnostics']()}")
            time.sleep(2)
        tasks = _job_tasks(slurm["client"]("scontrol", "show", "job", "-o", job).stdout)
        outputs = {i: _tail(course / f"slurm-{job}_{i}.out", 10 ** 6) for i in tasks}
        assert sorted(tasks) == list(range(1, len(students) + 1)), (tasks, slurm["diagnostics"]())
        wrong = []
        for i, t in sorted(tasks.items()):
            sid = students[i - 1]
            # a FAILED submission makes its task exit 1 (the batch must show it); every other task succeeds
            want = ("FAILED", "1:0") if who[sid].status == "FAILED" else ("COMPLETED", "0:0")
            ok = "ERROR" if who[sid].status == "FAILED" else "ok"
            if (t["JobState"], t["ExitCode"]) != want or f"autograde gradients {sid}: {ok}" not in outputs[i]:
                wrong.append(f"task {i} ({sid}): {t['JobState']} exit {t['ExitCode']}, expected {want[0]} "
                             f"exit {want[1]}; its output ends:\n{outputs[i][-1500:]}")
        assert not wrong, ("the instructor guide's job array did not grade as it should:\n" + "\n".join(wrong)
                           + f"\nthe job script was:\n{script}")

        # then the batch is finished from the course root, against the same gradebook
        p = g.run([sys.executable, "-m", "grading", "export"], cwd=str(course), check=False)
        assert p.returncode == 1, p.stdout + p.stderr  # the badjson submission is FAILED, and export says so
        rows = {r["student_id"]: r for r in csv.DictReader((course / "grades.csv").read_text().splitlines())}
        assert sorted(rows) == sorted(who), p.stdout[-3000:]
        for sid, st in who.items():
            r = rows[sid]
            assert r["status"] == st.status, (sid, r)
            if st.status != "FAILED":
                assert float(r["auto_score"]) == synthetic.expected_score(src, st), (sid, r)
        assert not (course / "gradebook.db").exists(), "graded into sqlite instead of PostgreSQL"
        from nbgrader.api import Gradebook
        with Gradebook(url, course_id="gd-hands-on") as gb:
            assert {s.student.id for s in gb.find_assignment("gradients").submissions} == set(who)

        for sid in who:
            rp = report_path(str(course), sid, "gradients", "gradients")
            if os.path.isfile(rp):
                kernels[sid] = json.loads(Path(rp).read_text()).get("uid")
        assert len(kernels) == len(who) - 1, kernels  # every submission but the broken file ran in a sandbox

    # after the daemons stopped: nothing the test started (daemons, job steps, sandboxed kernels) may remain
    g.reap([str(course)], leftovers)
    assert not leftovers, f"processes left behind: {leftovers}"
    assert not g.processes_of(set(kernels.values())), g.processes_of(set(kernels.values()))
    print(f"slurm job array test: {len(who)} students in {time.time() - t0:.0f} s")
