"""The computations behind the course's explorers (the ``explorers`` package): pure functions that return arrays.

No widgets, no plotting and no state here, so every number an explorer shows can be tested
headless (``tests/test_explore.py``); the explorers' web twins are checked against these functions. Each runner is a lean loop of exactly the
update that the matching gdcore code performs (``gd.minimize`` with ``gd.optim``,
or ``gd.fit`` on ``gd.models.linear`` / ``gd.models.mlp``), and the tests check the
twins agree; the lean loops exist only so that a slider move stays under 50 ms.
"""
from __future__ import annotations

import math

import numpy as np

from . import _validate as v
from . import schedules, second_order
from .data import quadratic
from .losses import _sigmoid
from .models import mlp

BOWL_ANGLE = np.pi / 6   # the learning-rate bowl's principal axes are rotated by 30 degrees
DIVERGE_AT = 1e6         # as in gd.minimize: a run stops once f > 1e6 * f(x0) or is not finite

# constraints shared by several functions below, declared once
LR = v.Interval(float, 0, None, closed="neither")
STEPS = v.Interval(int, 1, None)


# --------------------------------------------------------------------------- learning rate
@v.validate_params({"lr": LR, "eigenvalues": v.Array(ndim=1)})
def regime(lr, eigenvalues, func="regime"):
    """Classify gradient descent on a quadratic with Hessian eigenvalues ``eigenvalues``.

    Each eigen-direction is multiplied by :math:`1 - \\eta\\lambda_i` per step, so GD converges
    iff :math:`0 < \\eta\\lambda_i < 2` for every i. With :math:`\\rho = \\eta\\lambda_{max}`:

    * ``"converges"``: :math:`\\rho \\le 1`, every factor in [0, 1), no overshoot;
    * ``"oscillates"``: :math:`1 < \\rho < 2`, the steep direction flips sign every step but shrinks;
    * ``"diverges"``: :math:`\\rho \\ge 2` (at exactly 2 it bounces forever without converging).

    Parameters
    ----------
    lr : float > 0
    eigenvalues : ndarray of shape (d,), all > 0

    Returns
    -------
    label : str
    rho : float, :math:`\\eta\\lambda_{max}`
    """
    rho = lr * float(eigenvalues.max())
    if rho <= 1.0:
        return "converges", rho
    if rho < 2.0:
        return "oscillates", rho
    return "diverges", rho


def bowl(kappa):
    """The learning-rate explorer's bowl: ``gd.data.quadratic(kappa, L=1, angle=30 degrees)``."""
    return quadratic(kappa=kappa, L=1.0, angle=BOWL_ANGLE)


def bowl_axes():
    """The rotation :math:`R` whose columns are :func:`bowl`'s eigenvectors (for :math:`L`, then :math:`\\mu`).

    ``gd.data.quadratic`` builds :math:`A = R\\,\\mathrm{diag}(L, \\mu)\\,R^\\top` from exactly these numbers,
    so they are the bowl's eigen-decomposition without a numerical solver's rounding.

    Returns
    -------
    R : ndarray of shape (2, 2)
    """
    c, s = np.cos(BOWL_ANGLE), np.sin(BOWL_ANGLE)
    return np.array([[c, -s], [s, c]])


@v.validate_params({"lr": LR, "kappa": v.Interval(float, 1, None), "x0": v.Array(ndim=1, shape=(2,)),
                    "steps": STEPS})
def quadratic_path(lr, kappa, x0, steps, func="quadratic_path"):
    """Gradient descent :math:`x_{k+1} = x_k - \\eta A x_k` on :func:`bowl`, in closed form.

    .. math:: x_k - x^* = Q\\,\\mathrm{diag}\\big((1-\\eta\\lambda_i)^k\\big)\\,Q^\\top (x_0 - x^*)

    Equal to ``gd.minimize(bowl(kappa), x0, gd.optim.sgd(lr), steps)`` up to rounding, for as
    long as that run has not stopped for divergence; here the path continues (it is clipped
    for plotting by the caller) and the loss is ``inf`` once it overflows.

    Parameters
    ----------
    lr : float > 0
    kappa : float >= 1
    x0 : ndarray of shape (2,)
    steps : int >= 1

    Returns
    -------
    path : ndarray of shape (steps + 1, 2)
    loss : ndarray of shape (steps + 1,)
    """
    q = bowl(kappa)
    lam, Q = np.array([q.L, q.mu]), bowl_axes()     # the eigenpairs the bowl was built from
    c = Q.T @ (x0 - q.x_star)
    k = np.arange(steps + 1)[:, None]
    with np.errstate(over="ignore", invalid="ignore"):
        z = c * (1.0 - lr * lam) ** k                    # (steps + 1, 2) in eigen-coordinates
        loss = 0.5 * (lam * z * z).sum(axis=1)
        path = z @ Q.T + q.x_star
    loss[~np.isfinite(loss)] = np.inf
    return path, loss


# --------------------------------------------------------------------------- linear-regression SGD
def linear_sgd(X, y, lr, batch_size, epochs, rng=0):
    """Mini-batch SGD on ``gd.models.linear`` from zero, as ``gd.fit`` does it (sampling="reshuffle").

    Every epoch draws ``rng.permutation(n)`` and steps through batches of ``batch_size``
    (``None`` = full batch, one step per epoch, no shuffle drawn); the update is
    :math:`\\theta \\leftarrow \\theta - \\eta_t \\nabla J_B(\\theta)`.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    lr : float > 0, or ndarray of per-step rates (at least as long as the run)
    batch_size : None or int in [1, n]
    epochs : int >= 1
    rng : int or numpy.random.Generator

    Returns
    -------
    w : ndarray of shape (steps + 1, d), the weights before the first step and after every step
    b : ndarray of shape (steps + 1,)
    examples : ndarray of shape (steps + 1,), per-example gradients computed so far
    """
    n, d = X.shape
    B = n if batch_size is None else batch_size
    g = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    per_epoch = -(-n // B)
    T = per_epoch * epochs
    lrs = np.broadcast_to(np.asarray(lr, dtype=np.float64), (T,)) if np.ndim(lr) == 0 else lr[:T]
    W = np.zeros((T + 1, d))
    b = np.zeros(T + 1)
    ex = np.zeros(T + 1, dtype=np.int64)
    w_t, b_t, t, seen = np.zeros(d), 0.0, 0, 0
    for _ in range(epochs):
        if B < n:
            order = g.permutation(n)
            Xp, yp = X[order], y[order]     # batches are then contiguous views, not fancy-index copies
        else:
            Xp, yp = X, y
        for s in range(0, n, B):
            Xb, yb = Xp[s:s + B], yp[s:s + B]
            m = yb.shape[0]
            r = Xb @ w_t + b_t - yb
            w_t = w_t - lrs[t] * (Xb.T @ r) / m
            b_t = b_t - lrs[t] * r.sum() / m
            t += 1
            seen += m
            W[t], b[t], ex[t] = w_t, b_t, seen
    return W, b, ex


def linear_loss(X, y, W, b):
    """Full-data half-MSE :math:`\\frac1{2n}\\lVert Xw+b-y\\rVert^2` for each row of ``W`` (shape (T, d))."""
    R = W @ X.T + b[:, None] - y
    return 0.5 * np.mean(R * R, axis=1)


def lstsq_loss(X, y):
    """The least-squares optimum of the half-MSE (the floor every run is measured against)."""
    A = np.column_stack([X, np.ones(len(y))])
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    r = A @ coef - y
    return 0.5 * float(r @ r) / len(y)


@v.validate_params({"lr": LR})
def batch_size_runs(X, y, lr, batch_size, epochs, rng=0, func="batch_size_runs"):
    """Full-batch, mini-batch and per-sample SGD for the same number of gradient evaluations.

    Returns
    -------
    dict name -> (examples, excess) with ``excess`` = full-data loss minus the least-squares loss,
    both ndarrays of shape (steps + 1,), for names "full batch", "mini-batch (B=...)", "SGD (B=1)".
    """
    n = X.shape[0]
    batch_size = v.integer(batch_size, "batch_size", func, low=1, high=n)  # its bound depends on X
    floor = lstsq_loss(X, y)
    out = {}
    for name, B in (("full batch", None), (f"mini-batch (B={batch_size})", batch_size), ("SGD (B=1)", 1)):
        W, b, ex = linear_sgd(X, y, lr, B, epochs, rng)
        out[name] = (ex, linear_loss(X, y, W, b) - floor)
    return out


# --------------------------------------------------------------------------- schedules
SCHEDULE_PARAMS = {
    "constant": (),
    "step_decay": ("factor", "every"),
    "exponential": ("gamma",),
    "inverse_time": ("decay",),
    "cosine": ("lr_min",),
    "warmup": ("warmup_steps",),
}


@v.validate_params({"name": v.Options(schedules.NAMES), "lr0": schedules.LR0})
def make_schedule(name, lr0, total_steps, func="make_schedule", **params):
    """Build the named schedule; cosine runs over ``total_steps``, warmup ramps into a constant."""
    kw = {k: params[k] for k in SCHEDULE_PARAMS[name]}
    if name == "cosine":
        return schedules.cosine(lr0, total_steps, lr_min=min(kw["lr_min"], lr0))
    if name == "warmup":
        return schedules.warmup(schedules.constant(lr0), kw["warmup_steps"])
    return schedules.get(name, lr0=lr0, **kw)


def schedule_run(X, y, schedule, epochs, rng=0, tail=0.2):
    """Per-sample SGD under ``schedule``; report the final error and the noise around it.

    Returns
    -------
    lrs : ndarray of shape (T,), the rate used at every step
    excess : ndarray of shape (T + 1,), full-data loss minus the least-squares loss
    final : float, mean of ``excess`` over the last ``tail`` fraction of steps
    noise : float, standard deviation of ``excess`` over the same steps
    """
    T = X.shape[0] * epochs
    lrs = schedule(np.arange(T))
    W, b, _ = linear_sgd(X, y, lrs, 1, epochs, rng)
    excess = linear_loss(X, y, W, b) - lstsq_loss(X, y)
    last = excess[-max(1, int(tail * T)):]
    return lrs, excess, float(last.mean()), float(last.std())


# --------------------------------------------------------------------------- momentum
OPTIMIZERS = ("GD", "momentum", "Nesterov", "Adam")


def run_2d(fun, x0, method, lr, beta, steps, beta2=0.999, eps=1e-8):
    """One 2-D run of ``method`` in plain Python floats, the update rules of ``gd.optim``.

    ``GD`` is ``sgd(lr)``, ``momentum`` is ``sgd(lr, momentum=beta)``, ``Nesterov`` is
    ``sgd(lr, momentum=beta, nesterov=True)`` and ``Adam`` is ``adam(lr, betas=(beta, beta2))``.
    Stops like ``gd.minimize`` when f is not finite or exceeds ``1e6 * f(x0)``.

    Parameters
    ----------
    fun : callable, ``fun(x, y) -> (f, df/dx, df/dy)`` on floats
    x0 : pair of floats
    method : one of :data:`OPTIMIZERS`

    Returns
    -------
    path : ndarray of shape (k + 1, 2), k <= steps
    loss : ndarray of shape (k + 1,)
    diverged : bool
    """
    x, y = float(x0[0]), float(x0[1])
    f, gx, gy = fun(x, y)
    limit = DIVERGE_AT * max(abs(f), 1e-12)
    px, py, fs = [x], [y], [f]
    bx = by = mx = my = vx = vy = 0.0
    diverged = False
    for t in range(1, steps + 1):
        if method == "GD":
            dx, dy = gx, gy
        elif method == "Adam":
            mx = beta * mx + (1 - beta) * gx
            my = beta * my + (1 - beta) * gy
            vx = beta2 * vx + (1 - beta2) * gx * gx
            vy = beta2 * vy + (1 - beta2) * gy * gy
            c1, c2 = 1 - beta ** t, 1 - beta2 ** t
            dx = (mx / c1) / (math.sqrt(vx / c2) + eps)
            dy = (my / c1) / (math.sqrt(vy / c2) + eps)
        else:
            bx, by = (gx, gy) if t == 1 else (beta * bx + gx, beta * by + gy)
            dx, dy = (gx + beta * bx, gy + beta * by) if method == "Nesterov" else (bx, by)
        x, y = x - lr * dx, y - lr * dy
        try:
            f, gx, gy = fun(x, y)
        except OverflowError:
            f = math.inf
        if not math.isfinite(f) or f > limit:
            diverged = True
            break
        px.append(x), py.append(y), fs.append(f)
    return np.column_stack([px, py]), np.array(fs), diverged


def bowl_fun(q):
    """``q`` (a gd.data.Quadratic in 2-D) as a float function ``(x, y) -> (f, fx, fy)``."""
    (a, b_), (_, c) = q.A
    sx, sy = q.x_star

    def fun(x, y):
        rx, ry = x - sx, y - sy
        gx, gy = a * rx + b_ * ry, b_ * rx + c * ry
        return 0.5 * (rx * gx + ry * gy), gx, gy
    return fun


def rosenbrock_fun(a=1.0, b=100.0):
    """The Rosenbrock function of ``gd.data.rosenbrock(a, b)`` as ``(x, y) -> (f, fx, fy)``."""
    def fun(x, y):
        s = y - x * x
        return (a - x) ** 2 + b * s * s, -2 * (a - x) - 4 * b * x * s, 2 * b * s
    return fun


@v.validate_params({"lr": LR, "beta": v.Interval(float, 0, 1, closed="left")})
def momentum_runs(fun, x0, lr, beta, steps, func="momentum_runs"):
    """All four methods of :data:`OPTIMIZERS` from ``x0``: dict name -> (path, loss, diverged)."""
    return {m: run_2d(fun, x0, m, lr, beta, steps) for m in OPTIMIZERS}


def momentum_region(lr, beta, lam):
    """Heavy-ball momentum on a quadratic converges iff :math:`0 < \\eta\\lambda < 2 + 2\\beta`.

    For ``0 <= beta < 1`` and one eigenvalue ``lam`` of the Hessian; returns a bool.
    """
    return 0.0 < lr * lam < 2.0 + 2.0 * beta


# --------------------------------------------------------------------------- conditioning
PRECOND_METHODS = ("GD", "GD + Armijo", "Jacobi", "Newton")
PRECOND_START = (-2.5, 1.5)


def precond_bowl(kappa, angle):
    """The conditioning explorer's bowl: ``gd.data.quadratic(kappa, L=1)`` turned by ``angle`` degrees."""
    return quadratic(kappa=kappa, L=1.0, angle=angle * (math.pi / 180.0))


def _float_objective(q):
    """``q`` (a 2-D gd.data.Quadratic) as ``fun(x) -> (f, grad)`` computed in plain floats (:func:`bowl_fun`),
    so that the web twin can repeat it operation for operation."""
    fxy = bowl_fun(q)

    def fun(x):
        f, gx, gy = fxy(float(x[0]), float(x[1]))
        return f, np.array([gx, gy])
    return fun


@v.validate_params({"kappa": v.Interval(float, 1, None), "angle": v.Interval(float, None, None), "lr": LR,
                    "steps": STEPS, "tol_ratio": v.Interval(float, 0, 1, closed="neither"), "lr0": LR})
def precond_runs(kappa, angle, lr, steps, tol_ratio=1e-6, lr0=1.0, func="precond_runs"):
    """Gradient descent, its Armijo and Jacobi variants and Newton's method on one ill-conditioned bowl.

    From :data:`PRECOND_START` on :func:`precond_bowl`, until the gradient norm falls below
    ``tol_ratio`` times its value at the start, for at most ``steps`` steps:

    * ``"GD"``: ``gd.second_order.preconditioned_gd(fun, x0, None, lr)``, :math:`x - \\eta\\nabla f`;
    * ``"GD + Armijo"``: ``gd.second_order.gd_backtracking(fun, x0, lr0=lr0)``, no :math:`\\eta` needed;
    * ``"Jacobi"``: ``preconditioned_gd`` with :math:`P = \\mathrm{diag}(A)^{-1}`, :math:`x - \\eta P\\nabla f`;
    * ``"Newton"``: ``gd.second_order.newton(fun, hess, x0, line_search=True)`` (damped; on a quadratic
      the unit step always passes, so it is the pure method).

    Parameters
    ----------
    kappa : float >= 1, the condition number (L = 1, :math:`\\mu = 1/\\kappa`)
    angle : float, the rotation of the bowl's axes in degrees (0: the steep axis is :math:`\\theta_1`)
    lr : float > 0, the fixed step of GD and Jacobi
    steps : int >= 1, the most steps any run takes
    tol_ratio : float in (0, 1)
    lr0 : float > 0, the first step the line search tries

    Returns
    -------
    dict method -> gdcore.History (with ``path``), for the methods of :data:`PRECOND_METHODS`
    """
    q = precond_bowl(kappa, angle)
    fun = _float_objective(q)
    x0 = np.array(PRECOND_START)
    tol = tol_ratio * float(np.linalg.norm(fun(x0)[1]))
    so = second_order
    return {
        "GD": so.preconditioned_gd(fun, x0, None, lr, steps, tol)[1],
        "GD + Armijo": so.gd_backtracking(fun, x0, steps, tol, lr0=lr0)[1],
        "Jacobi": so.preconditioned_gd(fun, x0, 1.0 / np.diag(q.A), lr, steps, tol)[1],
        "Newton": so.newton(fun, lambda x: q.A, x0, steps, tol, line_search=True)[1],
    }


# --------------------------------------------------------------------------- XOR
XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])


@v.validate_params({"hidden": STEPS, "activation": v.Options(mlp.ACTIVATIONS), "lr": LR, "epochs": STEPS,
                    "seed": v.Interval(int, 0, None)})
def xor_run(hidden, activation, lr, epochs, seed, func="xor_run"):
    """Full-batch GD on the 4 XOR points with a ``[2, hidden, 1]`` MLP, as ``gd.fit`` does it.

    Parameters ``mlp.init([2, hidden, 1], activation, rng=seed)``; the loss is the mean binary
    cross-entropy; the update is ``sgd(lr)``: :math:`\\theta \\leftarrow \\theta - \\eta\\nabla J`.

    Returns
    -------
    snapshots : list of params dicts, after 0, 1, ..., epochs steps
    loss : ndarray of shape (epochs + 1,), the loss of each snapshot
    """
    p = mlp.init([2, hidden, 1], activation, rng=seed)
    return xor_continue(p, activation, lr, epochs)


def xor_continue(p, activation, lr, epochs):
    """``epochs`` more full-batch steps from ``p`` (a 1-hidden-layer MLP): snapshots and losses.

    A lean copy of ``mlp._loss_and_grad`` + ``sgd`` for one hidden layer (about 3x faster).
    """
    phi, dphi = mlp._act(activation)
    X, y = XOR_X, XOR_Y
    W1, b1, W2, b2 = p["W1"], p["b1"], p["W2"], p["b2"]
    snaps, zs = [], []
    n = len(y)
    for t in range(epochs + 1):
        Z1 = X @ W1 + b1
        A1 = phi(Z1)
        z = (A1 @ W2)[:, 0] + b2[0]
        zs.append(z)
        snaps.append({"W1": W1, "b1": b1, "W2": W2, "b2": b2})
        if t == epochs:
            break
        dz = ((0.5 + 0.5 * np.tanh(0.5 * z) - y) / n)[:, None]     # sigmoid(z), stable for any z
        gW2, gb2 = A1.T @ dz, dz.sum(axis=0)
        D1 = (dz @ W2.T) * dphi(Z1, A1)
        gW1, gb1 = X.T @ D1, D1.sum(axis=0)
        W1, b1, W2, b2 = W1 - lr * gW1, b1 - lr * gb1, W2 - lr * gW2, b2 - lr * gb2
    Z = np.array(zs)                       # all the losses at once, as losses._bce computes them
    losses = (np.maximum(Z, 0.0) - y * Z + np.log1p(np.exp(-np.abs(Z)))).sum(axis=1) / n
    return snaps, losses


def xor_accuracy(params, activation):
    """Fraction of the four XOR points classified correctly (threshold 0.5)."""
    z = mlp._forward(params, XOR_X, activation)[0]
    return float(np.mean((_sigmoid(z) > 0.5) == XOR_Y))


def xor_prob_grid(params, activation, grid):
    """Probability of class 1 over ``grid`` (shape (m, m, 2)); returns shape (m, m)."""
    m = grid.shape[0]
    z = mlp._forward(params, grid.reshape(-1, 2), activation)[0]
    return _sigmoid(z).reshape(m, m)
