"""The first code a sandboxed kernel runs: install an audit hook, then start ipykernel.

The hook (PEP 578) cannot be removed once installed. For events that touch the grading machinery and that
come from code in a notebook cell (imports of ctypes, gc, subprocess, ...; starting processes; loading native
code; frame inspection; writing files outside the sandbox's home), it writes one JSON line to a FIFO that the
grader reads outside the sandbox. A line, once written, is out of the student's reach; the first suspicious
step (say ``import ctypes``) is reported before it can be used to hide the next ones. The grader turns the lines
into the submission's *flagged* status, so that a human looks at it. The hook never raises and never blocks an
event: whether a test passes is decided elsewhere, so there is nothing here to defend.
"""
from __future__ import annotations

import glob
import json
import os
import re
import shutil
import sys
import threading

# a cell's code is compiled by ipykernel with a file name like /tmp/ipykernel_<pid>/<hash>.py
CELL_FILE = re.compile(r"(^<ipython-input-)|(/ipykernel_\d+/\d+\.py$)")
WATCHED_MODULES = {"ctypes", "_ctypes", "cffi", "gc", "subprocess", "_posixsubprocess", "multiprocessing",
                   "socket", "_socket", "signal", "builtins", "importlib", "inspect", "dis", "sys", "pty",
                   "grading", "nbgrader", "nbformat", "ipykernel", "IPython", "jupyter_client", "zmq", "resource",
                   "threading", "_thread", "faulthandler", "marshal", "pickle", "shutil"}
PROCESS_EVENTS = {"subprocess.Popen", "os.system", "os.posix_spawn", "os.fork", "os.forkpty", "os.kill",
                  "os.killpg", "pty.spawn", "ctypes.dlopen", "ctypes.dlsym", "ctypes.cdata", "ctypes.addressof",
                  "ctypes.string_at", "ctypes.get_errno", "sys.addaudithook", "sys.settrace", "sys.setprofile",
                  "sys._current_frames", "gc.get_objects", "gc.get_referrers", "gc.get_referents",
                  "socket.connect", "socket.bind", "os.mkfifo", "os.mknod", "fcntl.ioctl",
                  "code.__new__", "function.__new__", "cpython._PySys_ClearAuditHooks"}
FRAME_EVENTS = {"sys._getframe"}


def _copy_mpl_cache():
    cache, target = os.environ.get("GDGRADE_MPLCACHE"), os.environ.get("MPLCONFIGDIR")
    if cache and target:
        os.makedirs(target, exist_ok=True)
        for f in glob.glob(os.path.join(cache, "fontlist-*.json")):
            shutil.copy(f, target)


def install(fd, home):
    local = threading.local()
    allowed_write = (home.rstrip("/") + "/", "/tmp/", "/dev/null")

    def emit(event, detail, line):
        try:
            os.write(fd, (json.dumps({"event": event, "detail": detail[:200], "line": line[:200]}) + "\n")
                     .encode("utf-8", "replace"))
        except Exception:  # noqa: BLE001, S110 - the channel is gone: the grader notices the early close
            pass

    def cell_line(frame):
        import linecache
        try:
            return linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
        except Exception:  # noqa: BLE001
            return "?"

    def first_cell_frame(frame, direct):
        """The nearest frame in a cell; with direct=True only if nothing but import machinery is between."""
        while frame is not None:
            name = frame.f_code.co_filename
            if CELL_FILE.search(name):
                return frame
            if direct and not name.startswith("<frozen importlib"):
                return None
            frame = frame.f_back
        return None

    def hook(event, args):
        if getattr(local, "busy", False):
            return
        local.busy = True
        try:
            if event == "import":
                root = str(args[0]).split(".")[0]
                if root in WATCHED_MODULES:
                    f = first_cell_frame(sys._getframe(1), direct=True)
                    if f is not None:
                        emit("import", str(args[0]), cell_line(f))
            elif event == "open":
                if isinstance(args[0], int):  # an already open file descriptor
                    return
                path, mode = os.path.normpath(os.path.join(os.getcwd(), os.fsdecode(args[0]))), str(args[1] or "r")
                if any(c in mode for c in "wax+") and not path.startswith(allowed_write):
                    f = first_cell_frame(sys._getframe(1), direct=False)
                    if f is not None:
                        emit("open for writing", f"{path} ({mode})", cell_line(f))
            elif event in FRAME_EVENTS:
                caller = sys._getframe(1)  # the code that asked for a frame (0 is this hook)
                if caller is not None and caller.f_code.co_filename.endswith("inspect.py"):
                    caller = caller.f_back
                if caller is not None and CELL_FILE.search(caller.f_code.co_filename):
                    emit(event, "", cell_line(caller))
            elif event in PROCESS_EVENTS or event.startswith(("os.exec", "os.spawn", "ctypes.")):
                f = first_cell_frame(sys._getframe(1), direct=False)
                if f is not None:
                    emit(event, repr(args)[:200], cell_line(f))
        except Exception:  # noqa: BLE001, S110 - never disturb the kernel
            pass
        finally:
            local.busy = False

    sys.addaudithook(hook)
    emit("hello", "", "")


DROPPED_NOTE = "\n... further output dropped by the grader (too many bytes) ...\n"


def cap_streams(limit):
    """Drop what a cell prints to stdout/stderr beyond `limit` characters, inside the kernel, with one note.

    The grader drops the excess too (``SandboxedExecute.max_collect_bytes``), and that is what a hostile
    kernel cannot get round. This cap is for the honest student whose loop prints 300 MB: without it every byte
    is still serialised, sent and decoded before the grader can drop it, which on a loaded machine outlasts
    the wait for the cell's output. Counted per execute request, across stdout and stderr together.
    """
    from ipykernel.iostream import OutStream

    write = OutStream.write
    state = {"cell": None, "n": 0}
    lock = threading.Lock()

    def capped(self, string):
        if not isinstance(string, str):
            return write(self, string)  # ipykernel's own TypeError
        with lock:
            cell = (self.parent_header or {}).get("msg_id")
            if cell != state["cell"]:
                state["cell"], state["n"] = cell, 0
            before = state["n"]
            state["n"] = before + len(string)
        if before + len(string) <= limit:
            return write(self, string)
        if before < limit:
            write(self, string[:limit - before])
            write(self, DROPPED_NOTE)
        return len(string)

    OutStream.write = capped


def main():
    _copy_mpl_cache()
    path = os.environ.pop("GDGRADE_AUDIT", None)
    cap = os.environ.pop("GDGRADE_MAX_OUTPUT", "")
    if cap.isdigit():
        cap_streams(int(cap))
    home = os.environ.get("GDGRADE_HOME", os.path.expanduser("~"))
    for k in ("GDGRADE_MPLCACHE", "GDGRADE_HOME"):
        os.environ.pop(k, None)
    if path:
        install(os.open(path, os.O_WRONLY), home)
    sys.argv = ["ipykernel_launcher"] + sys.argv[1:]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
