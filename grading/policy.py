"""What each assignment forbids, and the sandbox's limits. One table, read by the student side and the grader.

OFF_LIMITS maps an assignment to the gdcore functions that compute what that assignment asks students to
write. In JupyterLab, ``grading.student.use_assignment`` makes them raise ``OffLimitsError`` (so students learn
it before they submit); in the grading sandbox the kernel sees a copy of gdcore in which their bodies are
replaced by that same raise, so no alias, wrapper or other gdcore function can reach the real code. Each
assignment's instructions list them (a test checks that).
"""
from __future__ import annotations

OFF_LIMITS: dict[str, tuple[str, ...]] = {
    "gradients": (
        "gdcore.losses.mse",
        "gdcore.models.linear.loss_and_grad",
        "gdcore.gradcheck.numerical_grad",
        "gdcore.gradcheck.check_grad",
    ),
    "batch-gd": (),
    "debugging": (),
    "learning-rate": (),
    "linear-regression": (),
    "minibatch": (),
    "momentum-adam": (),
    "sgd": (),
    "xor-mlp": (),
}

# Resource limits of one sandboxed kernel (bytes, counts, seconds). The per-cell time limit is nbgrader's
# c.Execute.timeout; the wall-clock limit below covers a whole notebook.
LIMITS = {
    "address_space": 3 * 1024**3,   # RLIMIT_AS of each process: numpy + matplotlib need ~1 GB of address space
    "processes": 64,                # RLIMIT_NPROC for the sandbox's own uid (threads count too)
    "file_size": 64 * 1024**2,      # RLIMIT_FSIZE: no single file larger than this
    "open_files": 256,              # RLIMIT_NOFILE
    "cpu_seconds": 900,             # RLIMIT_CPU of the kernel process
    "scratch_bytes": 128 * 1024**2,  # size of the tmpfs the kernel works in (its cwd and /tmp)
    "notebook_seconds": 900,        # wall clock for one notebook, after which the kernel is killed
}


def off_limits(assignment: str) -> tuple[str, ...]:
    return OFF_LIMITS.get(assignment, ())
