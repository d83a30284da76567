"""Run a student's kernel in a bubblewrap sandbox, through nbgrader's own Execute preprocessor.

What the kernel gets (and nothing else):

* no network (a new network namespace with only loopback), its own pid, ipc and uts namespaces;
* a read-only view of /usr, the Python installation and the course venv;
* a read-only copy of ``gdcore`` in which this assignment's off-limits functions have no code (see
  ``policy.OFF_LIMITS``), and the student side of ``grading``, on PYTHONPATH;
* a private tmpfs of bounded size as its home and working directory, holding no notebook and no other file;
* a fresh, unprivileged uid (one per sandbox, so per-uid process limits never mix two submissions), no
  capabilities, ``no_new_privs``, a scrubbed environment, and rlimits on address space, processes, file size,
  open files and CPU time; a watchdog kills it after a wall-clock limit;
* one directory shared with the grader: the ZMQ ``ipc`` sockets of the kernel connection and a FIFO on which
  the kernel's audit hook reports suspicious events. The directory is made read-only for the kernel as soon as
  the kernel is up.

When the kernel is shut down (or the grader dies: ``--die-with-parent``) the sandbox's pid namespace ends, which
ends every process the submission started; the grader then also kills anything left under the sandbox's uid.

The course tree, solutions/, the gradebook, other submissions and the expected results are never mounted.

If bubblewrap cannot start, grading stops with ``SandboxUnavailable`` naming the cause. Running unsandboxed
needs an explicit opt-out (``SandboxKernelManager.allow_unsandboxed = True`` or ``GDGRADE_UNSANDBOXED=1``),
which is logged as a warning on every kernel start.
"""
from __future__ import annotations

import ast
import errno
import fcntl
import hashlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Dict, Integer, Unicode

from . import policy

UID_RANGE = range(200_000, 201_000)
LOCK_DIR = os.path.join(tempfile.gettempdir(), "gdgrade-uids")
IN_SANDBOX_LIB = "/opt/gdgrade"  # where the sanitised gdcore and grading appear inside


class SandboxUnavailable(RuntimeError):
    """bubblewrap cannot start here; grading refuses to run unsandboxed without an explicit opt-out."""


def _which(name):
    path = shutil.which(name)
    if path is None:
        raise SandboxUnavailable(
            f"the grading sandbox needs '{name}' (Debian: apt-get install -y bubblewrap util-linux) and it is not "
            "on the PATH; install it, or opt out explicitly with GDGRADE_UNSANDBOXED=1 (unsafe: student code "
            "then runs with your privileges)")
    return path


def preflight():
    """Start a trivial sandbox once; raise SandboxUnavailable with the reason if the host forbids it."""
    bwrap = _which("bwrap")
    cmd = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--die-with-parent",
           "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--", "/bin/true"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SandboxUnavailable(f"bubblewrap could not start a sandbox: {exc}") from exc
    if p.returncode != 0:
        raise SandboxUnavailable(
            "bubblewrap could not start a sandbox on this host (it needs root, or unprivileged user namespaces, "
            f"and permission to create namespaces): {p.stderr.strip()[:300]}")
    if os.geteuid() != 0:
        raise SandboxUnavailable(
            "the grading sandbox runs each kernel under its own unprivileged uid, which needs root to set up; "
            "run the grader as root (e.g. in a container or CI job), or opt out explicitly with "
            "GDGRADE_UNSANDBOXED=1 (unsafe)")


# --- the sanitised library ------------------------------------------------------------------------------

def _tree_hash(paths):
    h = hashlib.sha256()
    for base in paths:
        for dirpath, dirnames, filenames in sorted(os.walk(base)):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for f in sorted(filenames):
                if f.endswith(".py"):
                    p = os.path.join(dirpath, f)
                    h.update(os.path.relpath(p, base).encode())
                    with open(p, "rb") as fh:
                        h.update(fh.read())
    return h.hexdigest()[:16]


def _stub_definitions(path, names, qualname_of, assignment):
    """Rewrite the module at path so that its top-level functions and classes in names raise OffLimitsError
    (a class on instantiation). Docstrings and base classes stay; decorators go (a dataclass decorator would
    write a working __init__ back)."""
    from .student import off_limits_message

    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    found = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in names:
            found.add(node.name)
            msg = off_limits_message(qualname_of[node.name], assignment)
            doc = ast.get_docstring(node)
            raise_ = f"from grading.student import OffLimitsError\nraise OffLimitsError({msg!r})"
            if isinstance(node, ast.ClassDef):
                body = ast.parse("def __init__(self, *args, **kwargs):\n" +
                                 "\n".join("    " + ln for ln in raise_.splitlines())).body
            else:
                body = ast.parse(raise_).body
            node.body = ([ast.Expr(ast.Constant(doc))] if doc else []) + body
            node.decorator_list = []
    with open(path, "w", encoding="utf-8") as f:
        f.write(ast.unparse(ast.fix_missing_locations(tree)) + "\n")
    return found


def _defining(qualname):
    """(defining module, name there) of an off-limits gdcore name, following re-exports such as gdcore.fit."""
    import importlib

    module, attr = qualname.rsplit(".", 1)
    try:
        obj = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"grading/policy.py names {qualname}, which does not exist") from exc
    defining = getattr(obj, "__module__", None) or module
    if not defining.startswith("gdcore"):
        raise ValueError(f"grading/policy.py names {qualname}, which is not defined in gdcore ({defining})")
    return defining, getattr(obj, "__name__", attr)


def library_hash():
    """Hash of the gdcore and grading sources (computed once per grading process)."""
    import gdcore
    import grading

    if not hasattr(library_hash, "value"):
        library_hash.value = _tree_hash([os.path.dirname(os.path.abspath(gdcore.__file__)),
                                         os.path.dirname(os.path.abspath(grading.__file__))])
    return library_hash.value


def sanitised_library(assignment, cache_root):
    """A directory holding a copy of gdcore without this assignment's off-limits code, and grading.

    Built once per (assignment, gdcore source, grading source) under cache_root, atomically.
    """
    import gdcore
    import grading

    gd_src = os.path.dirname(os.path.abspath(gdcore.__file__))
    gr_src = os.path.dirname(os.path.abspath(grading.__file__))
    key = f"{assignment}-{library_hash()}"
    dest = os.path.join(cache_root, "lib", key)
    if os.path.isdir(dest):
        return dest
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=key + ".", dir=os.path.dirname(dest))
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")  # (compiled afresh below)
    shutil.copytree(gd_src, os.path.join(tmp, "gdcore"), ignore=ignore)
    os.makedirs(os.path.join(tmp, "grading"))
    for name in ("__init__.py", "student.py", "compare.py", "policy.py", "boot.py"):
        shutil.copy(os.path.join(gr_src, name), os.path.join(tmp, "grading", name))
    by_module = {}
    try:
        for qualname in policy.off_limits(assignment):
            module, attr = _defining(qualname)
            by_module.setdefault(module, {})[attr] = qualname
        for module, attrs in by_module.items():
            rel = module.split(".")
            path = os.path.join(tmp, *rel) + ".py"
            if not os.path.isfile(path):
                path = os.path.join(tmp, *rel, "__init__.py")
            names = set(attrs) | {"_" + a for a in attrs}
            qualname_of = {**attrs, **{"_" + a: q for a, q in attrs.items()}}
            missing = set(attrs) - _stub_definitions(path, names, qualname_of, assignment)
            if missing:
                raise ValueError(f"policy.OFF_LIMITS[{assignment!r}] names {sorted(missing)} in {module}, which "
                                 "defines no such top-level function or class")
    except Exception:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    # compiled once here (the sandbox is read-only, so a kernel would compile every module on every start)
    import compileall
    compileall.compile_dir(tmp, ddir=IN_SANDBOX_LIB, quiet=1, workers=1)
    # a matplotlib font cache, so each kernel does not rebuild it
    mpl = os.path.join(tmp, "mplconfig")
    os.makedirs(mpl)
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env={**_base_env(), "MPLCONFIGDIR": mpl},
                   check=True, capture_output=True, timeout=300)
    for dirpath, _, filenames in os.walk(tmp):
        os.chmod(dirpath, 0o755)
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), 0o644)
    try:
        os.rename(tmp, dest)
    except OSError:  # another worker won the race
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _parents(paths):
    """Every proper ancestor directory of the paths (not '/'), parents first, each once."""
    out = []
    for p in paths:
        parts = os.path.normpath(p).strip("/").split("/")[:-1]
        for k in range(1, len(parts) + 1):
            d = "/" + "/".join(parts[:k])
            if d not in out and d not in ("/usr", "/tmp", "/proc", "/dev"):
                out.append(d)
    return sorted(out, key=lambda d: d.count("/"))


def _base_env():
    return {"PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}


# --- uids -----------------------------------------------------------------------------------------------

class _UidLease:
    """A uid from UID_RANGE that no other sandbox on this machine holds (an flock on a file per uid)."""

    def __init__(self):
        os.makedirs(LOCK_DIR, exist_ok=True)
        start = (os.getpid() * 7919) % len(UID_RANGE)
        for k in range(len(UID_RANGE)):
            uid = UID_RANGE[(start + k) % len(UID_RANGE)]
            fd = os.open(os.path.join(LOCK_DIR, str(uid)), os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            self.uid, self._fd = uid, fd
            _kill_uid(uid)  # nothing may survive from an earlier holder
            return
        raise SandboxUnavailable(f"all {len(UID_RANGE)} sandbox uids are in use")

    def release(self):
        _kill_uid(self.uid)
        os.close(self._fd)


def _pids_of_uid(uid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.stat(f"/proc/{d}").st_uid == uid:
                    out.append(int(d))
            except OSError:
                pass
    return out


def _kill_uid(uid):
    for _ in range(50):
        pids = _pids_of_uid(uid)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.02)


# --- the audit channel ----------------------------------------------------------------------------------

class _AuditReader(threading.Thread):
    """Reads the lines the kernel's audit hook writes to a FIFO; notes when the channel closes early."""

    MAX_EVENTS = 200

    def __init__(self, path):
        super().__init__(daemon=True)
        os.mkfifo(path, 0o622)
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self.events, self.hello, self.closed_at = [], False, None
        self._halt = threading.Event()
        self._buf = b""

    def run(self):
        while not self._halt.is_set():
            r, _, _ = select.select([self.fd], [], [], 0.1)
            if not r:
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError as exc:
                if exc.errno == errno.EAGAIN:
                    continue
                break
            if not chunk:
                if self.hello and self.closed_at is None:
                    self.closed_at = time.time()
                time.sleep(0.05)
                continue
            self._buf += chunk
            *lines, self._buf = self._buf.split(b"\n")
            for line in lines:
                self._line(line)
            if len(self._buf) > 65536:
                self._buf = b""

    def _line(self, raw):
        try:
            ev = json.loads(raw.decode("utf-8", "replace"))
        except ValueError:
            ev = {"event": "garbled audit line"}
        if ev.get("event") == "hello":
            self.hello = True
            return
        if len(self.events) < self.MAX_EVENTS and isinstance(ev, dict):
            self.events.append({k: str(v)[:300] for k, v in list(ev.items())[:5]})

    def stop(self):
        self._halt.set()
        self.join(timeout=2)
        os.close(self.fd)


# --- the kernel manager ---------------------------------------------------------------------------------

class SandboxKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernel runs in the sandbox described in this module's docstring."""

    assignment = Unicode("", help="assignment id (selects the off-limits functions)").tag(config=True)
    cache_root = Unicode("", help="where sanitised libraries are cached (outside every sandbox)").tag(config=True)
    allow_unsandboxed = Bool(False, help="UNSAFE: run kernels without the sandbox").tag(config=True)
    limits = Dict(help="override entries of grading.policy.LIMITS").tag(config=True)
    max_output = Integer(0, help="characters of stdout/stderr one cell may print; the kernel drops the rest at "
                                 "the source (0: no cap in the kernel)").tag(config=True)

    def __init__(self, **kw):
        super().__init__(**kw)
        self.conn_dir = tempfile.mkdtemp(prefix="gdgrade-")
        os.chmod(self.conn_dir, 0o755)
        self.transport = "ipc"
        self.ip = os.path.join(self.conn_dir, "k")
        self.connection_file = os.path.join(self.conn_dir, "kernel.json")
        self.audit = None
        self.report = {"sandboxed": False, "audit": [], "audit_closed_early": False, "killed_by_watchdog": False}
        self._lease = None
        self._watchdog = None

    @property
    def unsandboxed(self):
        return self.allow_unsandboxed or os.environ.get("GDGRADE_UNSANDBOXED") == "1"

    def _limits(self):
        return {**policy.LIMITS, **{k: int(v) for k, v in self.limits.items()}}

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        if self.unsandboxed:
            self.log.warning("GRADING UNSANDBOXED (explicit opt-out): student code runs with the grader's "
                             "privileges and can change any grade")
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        preflight()
        lim = self._limits()
        lib = sanitised_library(self.assignment, self.cache_root or os.path.join(tempfile.gettempdir(),
                                                                                 "gdgrade-cache"))
        self._lease = _UidLease()
        uid = self._lease.uid
        os.chown(self.conn_dir, uid, uid)
        os.chmod(self.connection_file, 0o644)
        self.audit = _AuditReader(os.path.join(self.conn_dir, "audit"))
        os.chown(os.path.join(self.conn_dir, "audit"), uid, uid)
        self.audit.start()

        # the kernel command: the venv's python running grading.boot instead of ipykernel_launcher
        try:
            i = kernel_cmd.index("ipykernel_launcher")
        except ValueError as exc:
            raise SandboxUnavailable(f"unexpected kernel command {kernel_cmd}: only python3 kernels are "
                                     "supported") from exc
        inner = [sys.executable, "-m", "grading.boot"] + kernel_cmd[i + 1:]
        home = "/home/student"
        venv, base = sys.prefix, sys.base_prefix
        b = [_which("bwrap"), "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
             "--unshare-cgroup-try", "--die-with-parent", "--new-session",
             "--ro-bind", "/usr", "/usr"]
        for link in ("bin", "sbin", "lib", "lib64", "lib32", "libx32"):
            p = os.path.join("/", link)
            if os.path.islink(p):
                b += ["--symlink", os.readlink(p), p]
            elif os.path.isdir(p):
                b += ["--ro-bind", p, p]
        # bwrap creates missing parents of a mount point as root-only (0700): create them readable first
        for d in _parents([base, venv, IN_SANDBOX_LIB, self.conn_dir, home]):
            b += ["--perms", "0755", "--dir", d]
        for p in sorted({base, venv}):
            b += ["--ro-bind", p, p]
        b += ["--ro-bind", lib, IN_SANDBOX_LIB,
              "--proc", "/proc", "--dev", "/dev",
              "--size", str(lim["scratch_bytes"]), "--perms", "1777", "--tmpfs", "/tmp",
              "--size", str(lim["scratch_bytes"]), "--perms", "1777", "--tmpfs", home,
              "--bind", self.conn_dir, self.conn_dir,
              "--chdir", home, "--clearenv"]
        env = {**_base_env(), "HOME": home, "PYTHONPATH": IN_SANDBOX_LIB, "PYTHONNOUSERSITE": "1",
               "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "MPLCONFIGDIR": home + "/.mpl",
               "IPYTHONDIR": home + "/.ipython", "JUPYTER_RUNTIME_DIR": home + "/.jupyter",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "GDGRADE_AUDIT": os.path.join(self.conn_dir, "audit"), "GDGRADE_HOME": home,
               "GDGRADE_MPLCACHE": IN_SANDBOX_LIB + "/mplconfig"}
        if self.max_output > 0:
            env["GDGRADE_MAX_OUTPUT"] = str(self.max_output)
        for k, v in env.items():
            b += ["--setenv", k, v]
        b += ["--", _which("prlimit"), f"--as={lim['address_space']}", f"--nproc={lim['processes']}",
              f"--fsize={lim['file_size']}", f"--nofile={lim['open_files']}", f"--cpu={lim['cpu_seconds']}",
              "--core=0", "--",
              _which("setpriv"), f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
              "--bounding-set=-all", "--no-new-privs", "--"] + inner
        kw = dict(kw)
        kw["env"] = {"PATH": "/usr/bin:/bin"}
        kw["stdout"] = kw["stderr"] = subprocess.DEVNULL  # a student's prints to the real stderr go nowhere
        kw["cwd"] = self.conn_dir
        self.log.debug("sandboxed kernel: %s", " ".join(b))
        self.report["sandboxed"] = True
        self.report["uid"] = uid
        await super()._async_launch_kernel(b, **kw)
        self._watchdog = threading.Timer(lim["notebook_seconds"], self._watchdog_fire)
        self._watchdog.daemon = True
        self._watchdog.start()

    async def _async_interrupt_kernel(self):
        """Interrupt by message: a signal would reach bubblewrap, not the kernel inside the sandbox."""
        if self.unsandboxed or not self.has_kernel:
            return await super()._async_interrupt_kernel()
        msg = self.session.msg("interrupt_request", content={})
        self._connect_control_socket()
        self.session.send(self._control_socket, msg)

    interrupt_kernel = _async_interrupt_kernel

    def _watchdog_fire(self):
        self.report["killed_by_watchdog"] = True
        if self._lease is not None:
            _kill_uid(self._lease.uid)

    def lock_connection_dir(self):
        """Called once the kernel answered: from now on it cannot create files in the shared directory."""
        if self._lease is not None:
            os.chown(self.conn_dir, 0, 0)
            os.chmod(self.conn_dir, 0o755)

    async def _async_shutdown_kernel(self, now=False, restart=False):
        if self.audit is not None and self.audit.closed_at is not None:
            self.report["audit_closed_early"] = True
        try:
            await super()._async_shutdown_kernel(now=now, restart=restart)
        finally:
            self.finish()

    shutdown_kernel = _async_shutdown_kernel  # nbclient awaits shutdown_kernel on an AsyncKernelManager

    def finish(self):
        """End the sandbox: every process under its uid killed, the uid and the shared directory released.
        Idempotent; called on shutdown and, for a kernel that died on its own, by SandboxedExecute."""
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self.audit is not None:
            time.sleep(0.05)
            self.audit.stop()
            self.report["audit"] = list(self.audit.events)
            if not self.audit.hello:
                self.report["audit"].append({"event": "the audit hook never reported (kernel did not start?)"})
            self.audit = None
        if self._lease is not None:
            self._lease.release()
            self._lease = None
        shutil.rmtree(self.conn_dir, ignore_errors=True)

    async def _async_cleanup_resources(self, restart=False):
        try:
            await super()._async_cleanup_resources(restart=restart)
        except Exception:  # noqa: BLE001, S110 - the directory may be gone already
            pass
        self.finish()

    cleanup_resources = _async_cleanup_resources
