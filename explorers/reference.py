"""The Python twin of every explorer: the numbers and the headline it shows, computed with gdcore.

An explorer's picture is drawn in the browser by its web twin (``explorers/web/gd-explorers.js``), in the HTML
book and in JupyterLab alike. gdcore stays the numeric truth: for a dict of slider values, :func:`compute`
returns what the explorer draws, computed by :mod:`gdcore.explore_core` (whose kernels are tested against
``gd.minimize``, ``gd.fit`` and ``gd.optim``), and :func:`headline` the text printed above the plot.
``tests/test_web_explorers.py`` runs the web twin over a grid of slider values in headless Chromium and
compares its numbers and headlines with these.

:func:`config` is the data a web twin needs and cannot compute itself without drifting from gdcore: the
training sets, the problems' constants, and every random number (SGD's shuffles, the networks' initial
weights), all generated here by NumPy and embedded, so that the twins agree exactly, not statistically.
"""
from __future__ import annotations

import functools

import numpy as np

from gdcore import explore_core as core
from gdcore import schedules as _sched
from gdcore import second_order as so
from gdcore.data import make_linear, quadratic, rosenbrock
from gdcore.plot import PALETTE

# the problems behind the explorers, declared once (the book's asserts read them from here)
LR_STEPS = 100                              # the learning-rate path is computed this far; a slider shows a prefix
BS_N, BS_EPOCHS = 128, 8                    # batch size: n examples, epochs of equal compute
SCH_N, SCH_EPOCHS = 128, 8                  # schedules: per-sample SGD for SCH_N * SCH_EPOCHS steps
SCH_T = SCH_N * SCH_EPOCHS
SCH_TAIL = 0.2                              # "final": the last 20% of the steps
SCH_RESOLUTION = 1e-9                       # a spread below this fraction of the loss prints as 0 (rounding)
MOM_BOWL_L, MOM_BOWL_KAPPA = 1000.0, 50.0
MOM_STEPS = 300
MOM_STARTS = {"bowl": (-2.5, 1.5), "rosenbrock": (-1.5, 2.0)}
XOR_H_MAX, XOR_SEEDS = 8, 10
XOR_GRID_N, XOR_LIM = 80, (-0.5, 1.5)
PRE_STEPS = 20_000                          # preconditioning: the most steps any run takes
PRE_TOL = 1e-6                              # a run stops once |grad f| < PRE_TOL * |grad f(x0)|
PRE_LR0 = 10.0                              # the first step the Armijo line search tries

NAMES = ("learning_rate", "batch_size", "schedules", "momentum", "xor", "preconditioning")


def _floats(a):
    return np.asarray(a, dtype=np.float64).tolist()


# ------------------------------------------------------------------------------------------ learning rate
def _lr_compute(p):
    path, loss = core.quadratic_path(p["lr"], p["kappa"], np.array([p["x0"], p["y0"]]), LR_STEPS)
    q = core.bowl(p["kappa"])
    label, rho = core.regime(p["lr"], np.array([q.L, q.mu]))   # the eigenvalues the bowl is built from
    k = p["steps"]
    return {"path": path[:k + 1], "loss": loss[:k + 1], "label": label, "rho": rho}


def _lr_headline(p, r):
    rho = r["rho"]
    verdict = {"converges": "converges", "oscillates": "oscillates but converges", "diverges": "diverges"}[r["label"]]
    if rho == 2.0:
        verdict = "bounces forever (ηλ_max = 2)"
    rel = "<" if rho < 2 else ("=" if rho == 2 else ">")
    return f"η = {p['lr']:.2f}, κ = {p['kappa']:.3g}:  η·λ_max = {rho:.2f} {rel} 2  →  {verdict}"


def _lr_config():
    q = core.bowl(1.0)
    return {"R": _floats(core.bowl_axes()), "L": q.L, "x_star": _floats(q.x_star), "steps": LR_STEPS}


# ------------------------------------------------------------------------------------------ batch size
@functools.lru_cache(maxsize=1)
def _bs_data():
    X, y, _ = make_linear(BS_N, 2, noise=0.5, rng=0)
    return X, y, core.lstsq_loss(X, y)


def _linear_run(X, y, floor, lr, B, epochs, clip):
    W, b, ex = core.linear_sgd(X, y, lr, None if B == len(y) else B, epochs, rng=0)
    J = core.linear_loss(X, y, W, b)
    return {"examples": ex, "w": W, "b": b, "loss": J, "excess": np.maximum(J - floor, clip)}


def _bs_compute(p):
    X, y, floor = _bs_data()
    runs = {k: _linear_run(X, y, floor, p["lr"], B, BS_EPOCHS, 1e-12)
            for k, B in (("full", BS_N), ("mini", p["batch_size"]), ("sgd", 1))}
    last = {k: float(r["excess"][r["examples"] > (BS_EPOCHS - 1) * BS_N].mean()) for k, r in runs.items()}
    return {"runs": runs, "last": last}


def _bs_headline(p, r):
    last = r["last"]
    return (f"B = {p['batch_size']}, η = {p['lr']:.3g}, equal compute: {BS_EPOCHS} epochs each\n"
            "last-epoch mean excess loss (full / mini / per-sample): "
            + " / ".join(f"{last[k]:.1e}" for k in ("full", "mini", "sgd")))


def _shuffles(n, epochs):
    """The permutations ``core.linear_sgd(..., rng=0)`` draws, one per epoch, in order."""
    g = np.random.default_rng(0)
    return [g.permutation(n).tolist() for _ in range(epochs)]


def _linear_config(X, y, floor, n, epochs):
    return {"X": _floats(X), "y": _floats(y), "floor": floor, "epochs": epochs, "perms": _shuffles(n, epochs)}


def _bs_config():
    return _linear_config(*_bs_data(), BS_N, BS_EPOCHS)


# ------------------------------------------------------------------------------------------ schedules
@functools.lru_cache(maxsize=1)
def _sch_data():
    X, y, _ = make_linear(SCH_N, 2, noise=0.5, rng=1)
    return X, y, core.lstsq_loss(X, y)


def make_schedule(p):
    """The schedule that the slider values ``p`` describe (its parameters as the slider gives them)."""
    kw = {k: p[k] for k in core.SCHEDULE_PARAMS[p["name"]]}
    return core.make_schedule(p["name"], p["lr0"], SCH_T, func="schedules", **kw)


def _sch_run(X, y, sched):
    lrs, excess, final, noise = core.schedule_run(X, y, sched, SCH_EPOCHS, rng=0, tail=SCH_TAIL)
    return {"lrs": lrs, "excess": excess, "final": final, "noise": noise}


def _sch_compute(p):
    X, y, _ = _sch_data()
    sched = make_schedule(p)
    return {"schedule": repr(sched), "run": _sch_run(X, y, sched), "const": _sch_run(X, y, _sched.constant(p["lr0"]))}


def _resolved(noise, final, floor):
    """The noise as printed: a spread below 1e-9 of the losses it is measured on is rounding, not noise (a
    run whose rate has decayed to nothing repeats one loss; its computed spread is a few ulps), so it prints 0."""
    return noise if noise > SCH_RESOLUTION * (final + floor) else 0.0


def _sch_headline(p, r):
    floor = _sch_data()[2]
    s, c = r["run"], r["const"]
    sn, cn = _resolved(s["noise"], s["final"], floor), _resolved(c["noise"], c["final"], floor)
    return (f"{r['schedule']}\nlast 20% of steps: error {s['final']:.1e} ± {sn:.1e}  "
            f"vs constant η₀: {c['final']:.1e} ± {cn:.1e}")


def _sch_config():
    out = _linear_config(*_sch_data(), SCH_N, SCH_EPOCHS)
    out.update(T=SCH_T, tail=SCH_TAIL, resolution=SCH_RESOLUTION, params=core.SCHEDULE_PARAMS)
    return out


# ------------------------------------------------------------------------------------------ momentum
@functools.lru_cache(maxsize=1)
def _mom_problems():
    return {"bowl": quadratic(kappa=MOM_BOWL_KAPPA, L=MOM_BOWL_L, angle=np.pi / 6), "rosenbrock": rosenbrock()}


def _mom_fun(prob):
    obj = _mom_problems()[prob]
    return core.bowl_fun(obj) if prob == "bowl" else core.rosenbrock_fun(obj.a, obj.b)


def _mom_compute(p):
    out = {}
    for prob in ("bowl", "rosenbrock"):
        fun = _mom_fun(prob)
        out[prob] = {}
        for m in core.OPTIMIZERS:
            lr = p["adam_lr"] if m == "Adam" else p["lr"]
            path, loss, diverged = core.run_2d(fun, MOM_STARTS[prob], m, lr, p["beta"], MOM_STEPS)
            out[prob][m] = {"path": path, "loss": loss, "diverged": diverged}
    return out


def _mom_headline(p, r):
    gone = [f"{m} on the {prob}" for prob, runs in r.items() for m, run in runs.items() if run["diverged"]]
    b, rho = p["beta"], p["lr"] * MOM_BOWL_L
    return (f"η = {p['lr']:.2e}, β = {b:.2f}, Adam η = {p['adam_lr']:.3f};  bowl: η·λ_max = {rho:.2f}\n"
            f"stable on the bowl iff η·λ_max < 2 (GD), < 2+2β = {2 + 2 * b:.2f} (momentum), "
            f"< (2+2β)/(1+2β) = {(2 + 2 * b) / (1 + 2 * b):.2f} (Nesterov)\n"
            f"diverged (run stopped): {', '.join(gone) if gone else 'none'}")


def _mom_config():
    q, r = _mom_problems()["bowl"], _mom_problems()["rosenbrock"]
    return {"A": _floats(q.A), "x_star": _floats(q.x_star), "a": r.a, "b": r.b, "steps": MOM_STEPS,
            "starts": {k: list(v) for k, v in MOM_STARTS.items()}, "diverge_at": core.DIVERGE_AT,
            "methods": list(core.OPTIMIZERS), "L": MOM_BOWL_L, "kappa": MOM_BOWL_KAPPA}


# ------------------------------------------------------------------------------------------ XOR
@functools.lru_cache(maxsize=1)
def _xor_grid():
    g = np.linspace(*XOR_LIM, XOR_GRID_N)
    return g, np.stack(np.meshgrid(g, g), axis=-1)


def _xor_compute(p):
    snaps, loss = core.xor_run(p["hidden"], p["activation"], p["lr"], p["epochs"], p["seed"], func="xor")
    params = snaps[-1]
    _, grid = _xor_grid()
    acc = core.xor_accuracy(params, p["activation"])
    return {"loss": loss, "prob": core.xor_prob_grid(params, p["activation"], grid), "acc": acc}


def _xor_headline(p, r):
    ok = "learns XOR" if r["acc"] == 1.0 else "fails"
    return (f"H = {p['hidden']}, {p['activation']}, η = {p['lr']:.2g}, seed {p['seed']}, "
            f"{p['epochs']} epochs: {round(4 * r['acc'])}/4 correct, loss {r['loss'][-1]:.3g}  →  {ok}")


def _xor_normals():
    """Per seed, the standard normals ``mlp.init([2, H, 1], rng=seed)`` scales into W1 (the first 2H, row by
    row) and W2 (the next H): the same stream for every H, so the first 3 * XOR_H_MAX of them serve all."""
    return [np.random.default_rng(seed).standard_normal(3 * XOR_H_MAX).tolist() for seed in range(XOR_SEEDS)]


def _xor_config():
    g, _ = _xor_grid()
    return {"X": _floats(core.XOR_X), "y": _floats(core.XOR_Y), "normals": _xor_normals(), "grid": _floats(g)}


# ------------------------------------------------------------------------------------------ preconditioning
def _pre_compute(p):
    runs = core.precond_runs(p["kappa"], float(p["angle"]), p["lr"], PRE_STEPS, PRE_TOL, PRE_LR0)
    A = core.precond_bowl(p["kappa"], float(p["angle"])).A
    d = 1.0 / np.sqrt(np.diag(A))
    PA = d[:, None] * A * d[None, :]        # diag(A)^-1/2 A diag(A)^-1/2: PA's eigenvalues, symmetric
    k = p["steps"]
    out = {m: {"path": h.path[:k + 1], "loss": h.epoch_loss[:k + 1], "n_steps": h.n_steps, "converged": h.converged,
               "diverged": h.diverged, "last": float(h.epoch_loss[-1])} for m, h in runs.items()}
    return {"runs": out, "kappa_jacobi": so.condition_number(PA),
            "rho_gd": core.regime(p["lr"], np.linalg.eigvalsh(A))[1],
            "rho_jacobi": core.regime(p["lr"], np.linalg.eigvalsh(PA))[1]}


def _pre_outcome(m, run):
    if run["converged"]:
        return f"{m} {run['n_steps']}"
    if run["diverged"]:
        return f"{m} diverges"
    return f"{m} > {PRE_STEPS}" if run["n_steps"] == PRE_STEPS else f"{m} stalls after {run['n_steps']}"


def _pre_headline(p, r):
    return ("steps until |∇f| < 10⁻⁶ |∇f(x₀)|:  "
            + " · ".join(_pre_outcome(m, r["runs"][m]) for m in core.PRECOND_METHODS) + "\n"
            f"κ = {p['kappa']:.4g}, θ = {p['angle']}°: Jacobi's diag(A)⁻¹ leaves κ = {r['kappa_jacobi']:.4g}, "
            "Newton's A⁻¹ leaves none (PA = I)\n"
            f"η = {p['lr']:.2f}: η·λ_max(PA) = {r['rho_gd']:.2f} (GD), {r['rho_jacobi']:.2f} (Jacobi); stable iff < 2")


def _pre_config():
    return {"start": list(core.PRECOND_START), "steps_max": PRE_STEPS, "tol": PRE_TOL, "lr0": PRE_LR0,
            "methods": list(core.PRECOND_METHODS), "diverge_at": core.DIVERGE_AT}


# ------------------------------------------------------------------------------------------ dispatch
_COMPUTE = {"learning_rate": _lr_compute, "batch_size": _bs_compute, "schedules": _sch_compute,
            "momentum": _mom_compute, "xor": _xor_compute, "preconditioning": _pre_compute}
_HEADLINE = {"learning_rate": _lr_headline, "batch_size": _bs_headline, "schedules": _sch_headline,
             "momentum": _mom_headline, "xor": _xor_headline, "preconditioning": _pre_headline}
_CONFIG = {"learning_rate": _lr_config, "batch_size": _bs_config, "schedules": _sch_config,
           "momentum": _mom_config, "xor": _xor_config, "preconditioning": _pre_config}


def compute(name, params):
    """What explorer ``name`` draws for the slider values ``params`` (a dict), computed with gdcore."""
    return _COMPUTE[name](params)


def headline(name, params, result=None):
    """The text the explorer prints above its plot for ``params`` (``result`` = :func:`compute`'s, if known)."""
    return _HEADLINE[name](params, compute(name, params) if result is None else result)


@functools.cache
def _config(name):
    return _CONFIG[name]()


def config(name):
    """The data explorer ``name``'s web twin embeds (JSON-ready: lists, floats, ints, strings)."""
    return {**_config(name), "palette": list(PALETTE)}
