"""The grading sandbox on its own: one kernel, started exactly as nbgrader's Execute starts it, probed from
inside by the kind of code a hostile student would write. Every probe's result is decided here, outside."""
from __future__ import annotations

import json
import os
import time

import nbformat
import pytest
from nbclient import NotebookClient

from grading import sandbox

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


def _run(cells, limits=None, env=None, timeout=60, max_output=0):
    """Execute code cells in one sandboxed kernel; returns (the executed cells' outputs, the kernel's report)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    old = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        client = NotebookClient(nb, kernel_manager_class=sandbox.SandboxKernelManager, timeout=timeout,
                                allow_errors=True, kernel_name="python3", shutdown_kernel="immediate")
        km = client.create_kernel_manager()
        km.assignment = "gradients"
        km.limits = limits or {}
        km.max_output = max_output
        try:
            client.execute()
        except Exception as exc:  # noqa: BLE001 - a killed kernel ends the run; the report says why
            km.report["run_error"] = repr(exc)
        km.finish()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return [c.outputs for c in nb.cells], km.report


def _text(outputs):
    out = []
    for o in outputs:
        if o.output_type == "stream":
            out.append(o.text)
        elif o.output_type == "error":
            out.append(f"{o.ename}: {o.evalue}")
        else:
            out.append(str(o.get("data", {}).get("text/plain", "")))
    return "".join(out)


def test_the_kernel_sees_nothing_of_the_course_and_cannot_change_anything():
    import gdcore

    course = os.path.dirname(os.path.dirname(os.path.abspath(gdcore.__file__)))
    probe = f"""
import json, os, socket, site
r = {{"uid": os.getuid(), "euid": os.geteuid(), "cwd": os.getcwd(), "home": os.listdir(".")}}
r["course_visible"] = [p for p in ("{course}/solutions", "{course}/nbgrader_config.py", "{course}/.git")
                       if os.path.exists(p)]
r["secret_env"] = os.environ.get("GDGRADE_TEST_SECRET")
writes = {{}}
for target in ["{course}/gdcore/__init__.py", os.path.join(site.getsitepackages()[0], "x.pth"), "/usr/x",
               "/etc/passwd", "/root/x"]:
    try:
        open(target, "a").close()
        writes[target] = "WRITTEN"
    except OSError as e:
        writes[target] = type(e).__name__
r["writes"] = writes
try:
    socket.create_connection(("1.1.1.1", 53), timeout=3)
    r["network"] = "connected"
except OSError as e:
    r["network"] = type(e).__name__
import gdcore.models.linear as lin
try:
    lin.loss_and_grad
    lin.loss_and_grad({{"w": [0.0], "b": 0.0}}, [[1.0]], [1.0])
    r["off_limits"] = "ran"
except Exception as e:
    r["off_limits"] = type(e).__name__
print(json.dumps(r))
"""
    outputs, report = _run([probe], env={"GDGRADE_TEST_SECRET": "s3cret"})
    r = json.loads(_text(outputs[0]).strip().splitlines()[-1])
    assert report["sandboxed"] and r["uid"] == r["euid"] == report["uid"] and r["uid"] >= 200_000, r
    assert r["cwd"] == "/home/student" and set(r["home"]) <= {".ipython", ".mpl", ".jupyter"}, r
    assert r["course_visible"] == [] and r["secret_env"] is None, r
    assert "WRITTEN" not in r["writes"].values(), r["writes"]
    assert r["network"] != "connected", r
    assert r["off_limits"] == "OffLimitsError", r


def test_limits_processes_memory_file_size_and_scratch_space():
    cells = [
        # processes: fork until refused; the children wait to be killed with the sandbox
        ("import os, time\nn = 0\ntry:\n    for _ in range(500):\n        if os.fork() == 0:\n"
        "            time.sleep(600)\n            os._exit(0)\n        n += 1\nexcept OSError as e:\n"
        "    print('forks', n, type(e).__name__)"),
        # memory: one large allocation
        "try:\n    b = bytearray(8 * 1024**3)\n    print('allocated')\nexcept MemoryError:\n    print('MemoryError')",
        # file size: one file larger than the limit
        ("try:\n    open('big', 'wb').write(b'0' * 80 * 1024**2)\n    print('wrote')\nexcept OSError as e:\n"
        "    print('file', type(e).__name__)\nimport os\nos.path.exists('big') and os.remove('big')"),
        # scratch space: many files, each under the file-size limit
        ("import os\ntry:\n    for i in range(20):\n        open(f'f{i}', 'wb').write(b'0' * 30 * 1024**2)\n"
        "    print('filled')\nexcept OSError as e:\n    print('space', type(e).__name__)"),
    ]
    outputs, report = _run(cells, limits={"processes": 32})
    text = [_text(o) for o in outputs]
    forks = int(text[0].split()[1])
    assert text[0].startswith("forks") and forks < 32, text[0]
    assert "MemoryError" in text[1], text[1]
    assert "file OSError" in text[2], text[2]
    assert "space OSError" in text[3], text[3]
    uid = report["uid"]
    time.sleep(0.5)
    assert sandbox._pids_of_uid(uid) == [], "the forked children outlived the sandbox"


def test_wall_clock_limit_kills_the_kernel():
    t = time.time()
    _outputs, report = _run(["import time\nwhile True:\n    time.sleep(0.1)"], limits={"notebook_seconds": 4},
                           timeout=120)
    assert report["killed_by_watchdog"], report
    assert time.time() - t < 60


def test_grading_stops_with_a_reason_when_the_sandbox_cannot_start(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no bubblewrap anywhere
    with pytest.raises(sandbox.SandboxUnavailable, match="bubblewrap"):
        sandbox.preflight()


def test_audit_hook_reports_hidden_tricks_and_ignores_honest_code():
    """Runtime events the static scan cannot see (names built at run time) reach the grader; honest code
    (numpy, warnings, a plot, files in the sandbox's home) reports nothing."""
    tricky = ["import sys\nf = getattr(sys, '_get' + 'frame')(0)",
              "import importlib\nsp = importlib.import_module('sub' + 'process')\nsp.run(['true'])",
              "try:\n    open('/opt/gdgrade/x', 'w')\nexcept OSError:\n    pass"]
    honest = ["import numpy as np, warnings\nwarnings.warn('fine')\nx = np.linalg.solve(np.eye(2), np.ones(2))",
              "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.savefig('plot.png')\nplt.show()",
              "open('notes.txt', 'w').write('ok')"]
    _, report = _run(honest)
    assert report["audit"] == [], report["audit"]
    _, report = _run(tricky)
    events = {e["event"] for e in report["audit"]}
    assert {"sys._getframe", "subprocess.Popen", "open for writing"} <= events, report["audit"]


def test_nbgrader_execute_stops_when_the_sandbox_cannot_start(monkeypatch):
    """Through nbgrader's Execute (as `nbgrader autograde` runs it): the error names the cause and is not
    mistaken for a student's dead kernel (which would grade the submission instead of stopping)."""
    from grading.preprocess import SandboxedExecute

    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("print('hello')")]
    def refuse():  # as on a host where the grader is not root: the reason mentions the kernel
        raise sandbox.SandboxUnavailable("the grading sandbox runs each kernel under its own unprivileged uid, "
                                         "which needs root")

    monkeypatch.setattr(sandbox, "preflight", refuse)
    with pytest.raises(sandbox.SandboxUnavailable, match="needs root"):
        SandboxedExecute(timeout=30).preprocess(nb, {"nbgrader": {"assignment": "gradients"}})


def test_a_flood_of_prints_is_dropped_inside_the_kernel():
    """An honest loop that prints a lot: the kernel sends the cell's first max_output characters (stdout and
    stderr together) and one note, not everything; the next cell prints in full. Without a cap (the control),
    every character arrives. (The grader drops the excess again on its side; that is tested in the round trip.)
    Before the cap, 300 MB of honest prints took longer to drain than nbclient waited on a loaded machine, and
    the student was graded as if the kernel had died."""
    flood = ("import sys\nfor i in range(30):\n    print(str(i % 10) * 99_999)\n"
             "    print('e' * 9, file=sys.stderr)")
    cap = 1_000_000
    outputs, _ = _run([flood, "print('after')"], max_output=cap)
    text = "".join(o.get("text", "") for o in outputs[0] if o.output_type == "stream")
    note = "... further output dropped by the grader (too many bytes) ..."
    assert text.count(note) == 1, text[-300:]
    kept = text.replace("\n" + note + "\n", "")
    assert len(kept) == cap, len(kept)
    assert kept.startswith("0" * 99_999 + "\n"), kept[:20]
    assert _text(outputs[1]) == "after\n"
    outputs, _ = _run([flood], max_output=0)
    text = "".join(o.get("text", "") for o in outputs[0] if o.output_type == "stream")
    assert note not in text and len(text) == 30 * (100_000 + 10), len(text)


def _execute(cells, **kw):
    """Cells through the grader's own SandboxedExecute (as nbgrader autograde runs them)."""
    from grading.preprocess import SandboxedExecute

    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    resources = {"nbgrader": {"assignment": "gradients"}}
    nb, resources = SandboxedExecute(**kw).preprocess(nb, resources)
    return nb, resources["gdgrade"]


def test_a_kernel_that_stops_answering_is_not_reported_as_dead_and_a_dead_one_is():
    """The grader gives up on a cell whose end of output never comes (here the kernel was told never to say
    it is idle again); a kernel that exits dies. Both end the notebook (the cells left score 0, the report is
    flagged), and the flag says which it was, so an instructor knows where to look."""
    from grading.preprocess import died_flag

    hang = "import IPython\nIPython.get_ipython().kernel._publish_status = lambda *a, **k: None"
    nb, info = _execute(["print('one')", hang, "print('three')"], timeout=30, iopub_timeout=2)
    died = info["kernel_died"]
    assert died["kind"] == "timeout" and died["cell"] == 1, died
    assert "IOPub" in died["error"], died
    assert _text(nb.cells[0].outputs) == "one\n"
    assert [o.ename for o in nb.cells[2].outputs] == ["KernelStopped"]
    assert died_flag(died).startswith("the grader stopped waiting during cell 2")

    nb, info = _execute(["print('one')", "import os\nos._exit(3)", "print('three')"], timeout=30)
    died = info["kernel_died"]
    assert died["kind"] == "died" and died["cell"] == 1, died
    assert [o.ename for o in nb.cells[2].outputs] == ["KernelStopped"]
    assert died_flag(died).startswith("the kernel died during cell 2")


def test_a_stuck_kernel_ends_the_notebook_and_an_interruptible_loop_does_not():
    """A cell that times out is interrupted. A kernel that answers the interrupt goes on to the next cell (an
    honest infinite loop costs that cell only); one that does not answer within interrupt_grace (here its own
    machinery is broken: with len() returning 0 it spins forever) ends the notebook, rather than burning a core
    through every later cell's timeout. Both outcomes are reported, the second as the grader giving up."""
    loop = ["while True:\n    pass", "print('after')"]
    nb, info = _execute(loop, timeout=3, interrupt_grace=5)
    assert "kernel_died" not in info, info
    assert any(o.output_type == "error" for o in nb.cells[0].outputs), nb.cells[0].outputs
    assert _text(nb.cells[1].outputs) == "after\n"

    stuck = ["print('one')", "import builtins\nbuiltins.len = lambda x: 0"] + ["print('never')"] * 6
    nb, info = _execute(stuck, timeout=3, interrupt_grace=2)
    died = info["kernel_died"]
    assert died["kind"] == "timeout" and died["cell"] == 1, died
    assert "did not answer the interrupt" in died["error"], died
    assert _text(nb.cells[0].outputs) == "one\n"
    assert all([o.ename for o in c.outputs] == ["KernelStopped"] for c in nb.cells[2:]), [c.outputs for c in nb.cells]


def test_a_flood_of_displays_is_bounded_by_the_grader():
    """The kernel's cap covers printed text only; output sent another way (here 100 MB of display_data, which
    a student could also produce by displaying big arrays in a loop) is dropped by the grader as it arrives:
    the cell keeps at most max_collect_bytes and one note, the grader's memory stays bounded, and the next cell
    runs normally."""
    flood = "from IPython.display import display\nfor _ in range(100):\n    display({'text/plain': 'z' * 1_000_000}, raw=True)"
    nb, info = _execute([flood, "print('after')"], timeout=60, max_collect_bytes=2_000_000)
    assert "kernel_died" not in info, info
    kept = sum(len(str(o.get("data", {}).get("text/plain", ""))) + len(o.get("text", "")) for o in nb.cells[0].outputs)
    assert 1_000_000 <= kept <= 2_000_000 + 100, kept
    assert any("further output dropped by the grader" in o.get("text", "") for o in nb.cells[0].outputs)
    assert _text(nb.cells[1].outputs) == "after\n"
