"""What each assignment forbids, and the sandbox's limits. One table, read by the student side and the grader.

OFF_LIMITS maps an assignment to the gdcore functions and classes that compute what that assignment asks
students to write (a re-exported name such as gdcore.fit means the object itself, wherever it is defined).
In JupyterLab, ``grading.student.use_assignment`` makes them raise ``OffLimitsError`` (so students learn it
before they submit); in the grading sandbox the kernel sees a copy of gdcore in which their bodies are replaced
by that same raise, so no alias, wrapper or other gdcore function can reach the real code. Each assignment's
instructions list them (a test checks that).
"""
from __future__ import annotations

# groups that several assignments forbid
TRAINING_LOOPS = ("gdcore.train.fit", "gdcore.train.minimize", "gdcore.explore_core.linear_sgd")
LINEAR_LOSS = ("gdcore.losses.mse", "gdcore.explore_core.linear_loss", "gdcore.models.linear.loss_and_grad")
BCE = ("gdcore.losses.bce_with_logits", "gdcore.losses._bce", "gdcore.models.logistic.loss_and_grad")
MLP_FORWARD = ("gdcore.models.mlp.logits", "gdcore.models.mlp._forward")
SOFTMAX_CE = ("gdcore.losses.log_softmax", "gdcore.losses._log_softmax", "gdcore.losses.softmax",
              "gdcore.losses.softmax_cross_entropy", "gdcore.losses._softmax_ce",
              "gdcore.models.softmax.loss_and_grad", "gdcore.models.softmax._loss_and_grad")

OFF_LIMITS: dict[str, tuple[str, ...]] = {
    "gradients": ("gdcore.losses.mse", "gdcore.models.linear.loss_and_grad", "gdcore.gradcheck.numerical_grad",
                  "gdcore.gradcheck.check_grad"),
    "batch-gd": TRAINING_LOOPS + LINEAR_LOSS,
    "conditioning": ("gdcore.second_order.condition_number", "gdcore.second_order.newton_step",
                     "gdcore.second_order.backtracking", "gdcore.second_order.newton",
                     "gdcore.second_order.gd_backtracking", "gdcore.second_order.preconditioned_gd"),
    "debugging": TRAINING_LOOPS + LINEAR_LOSS + MLP_FORWARD + BCE,
    "digits": TRAINING_LOOPS[:2] + SOFTMAX_CE,  # a softmax mlp reaches _softmax_ce, so it is blocked too
    "learning-rate": ("gdcore.explore_core.regime", "gdcore.schedules.step_decay", "gdcore.schedules.inverse_time",
                      "gdcore.schedules.get"),
    "linear-regression": TRAINING_LOOPS + LINEAR_LOSS,
    "minibatch": ("gdcore.models.linear.loss_and_grad", "gdcore.gradcheck.numerical_grad",
                  "gdcore.explore_core.linear_sgd"),
    "momentum-adam": ("gdcore.optim.sgd", "gdcore.optim.adam", "gdcore.optim.adamw", "gdcore.train.minimize",
                      "gdcore.train.fit", "gdcore.explore_core.run_2d"),  # (adamw with weight_decay=0 is adam)
    "sgd": TRAINING_LOOPS + ("gdcore.losses.mse", "gdcore.models.linear.loss_and_grad",
                             "gdcore.gradcheck.numerical_grad"),
    "sgd-convergence": TRAINING_LOOPS + ("gdcore.optim.sgd", "gdcore.schedules.inverse_time",
                                         "gdcore.schedules.get"),
    "xor-mlp": TRAINING_LOOPS[:2] + BCE + MLP_FORWARD + ("gdcore.models.mlp.loss_and_grad",
                                                         "gdcore.explore_core.xor_run",
                                                         "gdcore.explore_core.xor_continue"),
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
