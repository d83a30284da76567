"""Curvature and second-order ideas: condition numbers, Hessians, Newton's method and backtracking line search.

* :func:`condition_number` — :math:`\\kappa = \\lambda_{\\max}/\\lambda_{\\min}` of a symmetric positive-definite matrix;
* :func:`numerical_hessian` — the Hessian by central differences of the gradient (to check an analytic one);
* :func:`newton_step` — the Newton direction :math:`p = -H^{-1} g`;
* :func:`backtracking` — a backtracking (Armijo) line search along a descent direction;
* :func:`newton` — Newton's method, pure or damped by the line search;
* :func:`gd_backtracking` — gradient descent whose step length comes from the line search (no ``L`` needed);
* :func:`preconditioned_gd` — gradient descent with a fixed step and a preconditioner, :math:`x - \\eta P \\nabla f(x)`.

The objectives take the form :func:`gdcore.minimize` uses, ``fun(x) -> (f, grad)`` for ``x`` of shape (d,),
and Hessians are callables ``hess(x) -> ndarray of shape (d, d)``. Newton's method costs a d x d solve per
step, :math:`O(d^3)`: it is meant for small problems (d up to a few thousand).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _validate as v
from .train import History

FUN = v.Function("a callable x -> (f, grad)")
STEPS = v.Interval(int, 1, None)
TOL = v.Optional(v.Interval(float, 0, None, closed="neither"))
LR0 = v.Interval(float, 0, None, closed="neither")
ARMIJO_C = v.Interval(float, 0, 1, closed="neither")
SHRINK = v.Interval(float, 0, 1, closed="neither")
MAX_ITER = v.Interval(int, 1, None)
DIVERGE_FACTOR = v.Interval(float, 1, None, closed="neither")


def _square(A, name, func):
    A = v.array(A, name, func, ndim=2)
    if A.shape[0] != A.shape[1]:
        v.fail(name, func, "a square 2-D array", A, got=f"shape {A.shape}")
    return A


def _symmetric(A, name, func):
    A = _square(A, name, func)
    if not np.allclose(A, A.T, rtol=1e-10, atol=1e-12 * max(np.abs(A).max(), 1e-300)):
        v.fail(name, func, "a symmetric matrix", A, got="a matrix with A != A.T")
    return 0.5 * (A + A.T)


@v.validate_params({"A": v.Array(ndim=2)})
def condition_number(A):
    """Condition number :math:`\\kappa = \\lambda_{\\max}(A) / \\lambda_{\\min}(A)` of a symmetric positive-definite A.

    For a quadratic :math:`f(x) = \\tfrac12 x^\\top A x - b^\\top x` it is :math:`L/\\mu`, the ratio of the largest
    to the smallest curvature, and it sets how slowly gradient descent converges.

    Parameters
    ----------
    A : ndarray of shape (d, d)
        Symmetric positive definite (e.g. a Hessian, or ``X.T @ X / n``).

    Returns
    -------
    float
        kappa >= 1.
    """
    func = "condition_number"
    A = _symmetric(A, "A", func)
    lam = np.linalg.eigvalsh(A)
    if not lam[0] > 0:
        v.fail("A", func, "a positive-definite matrix", A, got=f"a matrix with smallest eigenvalue {lam[0]:.3g}")
    return float(lam[-1] / lam[0])


@v.validate_params({"grad": v.Function("a callable x -> gradient of shape (d,)"), "x": v.Array(ndim=1),
                    "eps": v.Interval(float, 0, None, closed="neither")})
def numerical_hessian(grad, x, eps=1e-5):
    """Hessian by central differences of the gradient, symmetrised.

    .. math:: H_{:,j} \\approx \\frac{\\nabla f(x + \\epsilon e_j) - \\nabla f(x - \\epsilon e_j)}{2\\epsilon},
              \\qquad H \\leftarrow \\tfrac12 (H + H^\\top)

    Parameters
    ----------
    grad : callable
        ``grad(x)`` returns the gradient, an ndarray of shape (d,). It receives float64 copies.
    x : ndarray of shape (d,)
    eps : float > 0

    Returns
    -------
    H : ndarray of shape (d, d)
    """
    func = "numerical_hessian"
    d = x.shape[0]
    H = np.empty((d, d))
    for j in range(d):
        cols = []
        for sign in (1.0, -1.0):
            xj = x.copy()
            xj[j] += sign * eps
            g = np.asarray(grad(xj), dtype=np.float64)
            if g.shape != (d,):
                v.fail("grad", func, f"a callable returning a gradient of shape ({d},)", grad,
                       got=f"a gradient of shape {g.shape}")
            cols.append(g)
        H[:, j] = (cols[0] - cols[1]) / (2.0 * eps)
    return 0.5 * (H + H.T)


@v.validate_params({"grad": v.Array(ndim=1), "hess": v.Array(ndim=2)})
def newton_step(grad, hess):
    """The Newton direction :math:`p = -H^{-1} g`, the minimiser of the local quadratic model.

    .. math:: m(p) = f + g^\\top p + \\tfrac12 p^\\top H p, \\qquad \\nabla m(p) = g + Hp = 0

    Solved with :func:`numpy.linalg.solve` (an LU factorisation, :math:`O(d^3)`), never by forming
    :math:`H^{-1}`. If H is not positive definite, p still solves :math:`Hp = -g` but need not point downhill.

    Parameters
    ----------
    grad : ndarray of shape (d,)
    hess : ndarray of shape (d, d)
        Symmetric and nonsingular.

    Returns
    -------
    p : ndarray of shape (d,)
    """
    func = "newton_step"
    H = _symmetric(hess, "hess", func)
    if H.shape[0] != grad.shape[0]:
        v.fail("hess", func, f"an array of shape ({grad.shape[0]}, {grad.shape[0]}) to match grad", H,
               got=f"shape {H.shape}")
    try:
        p = np.linalg.solve(H, -grad)
    except np.linalg.LinAlgError:
        v.fail("hess", func, "a nonsingular matrix", H, got="a singular matrix")
    if not np.all(np.isfinite(p)):
        v.fail("hess", func, "a nonsingular, well-conditioned matrix", H, got="a numerically singular matrix")
    return p


@dataclass
class LineSearch:
    """The result of :func:`backtracking`.

    Attributes
    ----------
    lr : float
        The accepted step length :math:`\\alpha` (0.0 if none was found).
    x : ndarray of shape (d,)
        :math:`x + \\alpha d`, the accepted point (``x`` itself if none was found).
    f, grad : float and ndarray of shape (d,)
        The objective and its gradient at the accepted point.
    n_evals : int
        Calls of ``fun`` made by the search (the one at the starting point included if it was made).
    success : bool
        True if the Armijo condition holds at ``lr``.
    """

    lr: float
    x: np.ndarray
    f: float
    grad: np.ndarray
    n_evals: int
    success: bool

    def __repr__(self):
        return f"LineSearch(lr={self.lr:g}, f={self.f:.6g}, n_evals={self.n_evals}, success={self.success})"


def _evaluate(fun, x, func):
    """``fun(x)`` as ``(float, float64 array of x's shape)``; a wrong form is a TypeError naming ``fun``."""
    out = fun(x.copy())
    want = f"a callable x -> (f, grad) with a scalar f and grad of shape {x.shape}"
    if not isinstance(out, tuple) or len(out) != 2:
        v.fail("fun", func, want, out, TypeError)
    f, g = out
    if np.ndim(f) != 0 or np.shape(g) != x.shape:
        v.fail("fun", func, want, fun, got=f"f of shape {np.shape(f)} and grad of shape {np.shape(g)}")
    return float(f), np.array(g, dtype=np.float64)


def _backtracking(fun, x, f0, g0, d, lr0, c, shrink, max_iter, func):
    """Backtracking from lr0 along d, with f0 and g0 known at x. Returns a LineSearch (n_evals: trial points)."""
    slope = float(g0 @ d)
    lr = lr0
    for k in range(1, max_iter + 1):
        x_new = x + lr * d
        f_new, g_new = _evaluate(fun, x_new, func)
        # "not (f_new > ...)" would accept NaN: compare the right way round
        if f_new <= f0 + c * lr * slope:
            return LineSearch(lr, x_new, f_new, g_new, k, True)
        lr *= shrink
    return LineSearch(0.0, x.copy(), f0, g0.copy(), max_iter, False)


@v.validate_params({"fun": FUN, "x": v.Array(ndim=1), "direction": v.Optional(v.Array(ndim=1)), "lr0": LR0,
                    "c": ARMIJO_C, "shrink": SHRINK, "max_iter": MAX_ITER})
def backtracking(fun, x, direction=None, lr0=1.0, c=1e-4, shrink=0.5, max_iter=60):
    """Backtracking (Armijo) line search: the first :math:`\\alpha = \\alpha_0 \\rho^k` with sufficient decrease.

    .. math:: f(x + \\alpha d) \\le f(x) + c\\,\\alpha\\,\\nabla f(x)^\\top d

    Starting from ``lr0``, the step is multiplied by ``shrink`` until the condition holds. It needs no
    smoothness constant: if :math:`\\nabla f` is L-Lipschitz and ``d = -grad``, every
    :math:`\\alpha \\le 2(1-c)/L` passes, so the accepted step is at least
    :math:`\\min(\\alpha_0, 2\\rho(1-c)/L)`.

    Parameters
    ----------
    fun : callable
        ``fun(x)`` returns ``(f(x), grad f(x))`` for ``x`` of shape (d,).
    x : ndarray of shape (d,)
    direction : ndarray of shape (d,) or None
        A descent direction (``grad @ direction < 0``); None means steepest descent, ``-grad``.
    lr0 : float > 0
        The first step tried (1 for Newton directions).
    c : float in (0, 1)
        The sufficient-decrease constant (1e-4 is the usual choice).
    shrink : float in (0, 1)
        The backtracking factor :math:`\\rho`.
    max_iter : int >= 1
        Trial steps before giving up (then ``success`` is False and ``lr`` is 0).

    Returns
    -------
    LineSearch
        ``lr``, the new point ``x`` with its ``f`` and ``grad``, ``n_evals`` (the call at ``x`` included)
        and ``success``.
    """
    func = "backtracking"
    f0, g0 = _evaluate(fun, x, func)
    if not math.isfinite(f0) or not np.all(np.isfinite(g0)):
        v.fail("x", func, "a point where fun is finite", x, got=f"f = {f0!r} there")
    d = -g0 if direction is None else direction
    if d.shape != x.shape:
        v.fail("direction", func, f"an array of shape {x.shape} like x", d, got=f"shape {d.shape}")
    if not float(g0 @ d) < 0:
        what = "the gradient is zero there" if direction is None else f"grad @ direction = {float(g0 @ d):.3g}"
        v.fail("direction", func, "a descent direction (grad @ direction < 0)", d, got=what)
    res = _backtracking(fun, x, f0, g0, d, lr0, c, shrink, max_iter, func)
    res.n_evals += 1
    return res


def _run(fun, x0, steps, tol, direction_of, lr0, c, shrink, max_iter, record_path, func, step=1.0,
         diverge_factor=None):
    """The loop of newton, gd_backtracking and preconditioned_gd: direction, then a line search or a fixed
    step, records. Without a line search the run stops as diverged when f or the gradient is not finite, or,
    with diverge_factor, when f exceeds diverge_factor * max(|f(x0)|, 1e-12) (as gdcore.minimize does)."""
    x = x0.copy()
    f, g = _evaluate(fun, x, func)
    if not math.isfinite(f):
        v.fail("x0", func, "a point where fun is finite", x0, got=f"f = {f!r} there")
    limit = math.inf if diverge_factor is None else diverge_factor * max(abs(f), 1e-12)
    losses, lrs, norms, evals, epoch_loss = [], [], [], [], [f]
    path = [x.copy()] if record_path else None
    n_evals, converged, diverged, diverged_step = 1, False, False, None
    for t in range(1, steps + 1):
        norm = float(np.linalg.norm(g))
        if (tol is not None and norm < tol) or norm == 0.0:
            converged = True
            break
        d, searched = direction_of(x, g)
        if searched:
            if not float(g @ d) < 0:  # a Newton direction uphill (H not positive definite): steepest descent
                d = -g
            res = _backtracking(fun, x, f, g, d, lr0, c, shrink, max_iter, func)
            n_evals += res.n_evals
            if not res.success:  # no decrease found, even at tiny steps: round-off has the last word
                break
            lr, x_new, f_new, g_new = res.lr, res.x, res.f, res.grad
        else:
            lr, x_new = step, x + step * d
            f_new, g_new = _evaluate(fun, x_new, func)
            n_evals += 1
            # "not (f_new <= limit)" is also true for NaN, and for inf when there is no limit
            if not (f_new <= limit and math.isfinite(f_new)) or not np.all(np.isfinite(g_new)):
                diverged, diverged_step = True, t
                break
        losses.append(f)
        lrs.append(lr)
        norms.append(norm)
        evals.append(n_evals)
        x, f, g = x_new, f_new, g_new
        epoch_loss.append(f)
        if path is not None:
            path.append(x.copy())
    else:
        norm = float(np.linalg.norm(g))
        converged = tol is not None and norm < tol
    n = len(losses)
    return x, History(loss=np.array(losses), lr=np.array(lrs), grad_norm=np.array(norms),
                      examples=np.array(evals, dtype=np.int64), epoch_loss=np.array(epoch_loss),
                      path=None if path is None else np.array(path), diverged=diverged,
                      diverged_step=diverged_step, converged=converged, n_steps=n, epochs_run=n)


@v.validate_params({"fun": FUN, "hess": v.Function("a callable x -> Hessian of shape (d, d)"),
                    "x0": v.Array(ndim=1), "steps": STEPS, "tol": TOL, "line_search": v.Boolean(),
                    "c": ARMIJO_C, "shrink": SHRINK, "record_path": v.Boolean()})
def newton(fun, hess, x0, steps=20, tol=None, line_search=False, c=1e-4, shrink=0.5, record_path=True):
    """Newton's method :math:`x_{t+1} = x_t - \\alpha_t\\, \\nabla^2 f(x_t)^{-1} \\nabla f(x_t)`.

    With ``line_search=False`` every step is the full Newton step (:math:`\\alpha_t = 1`): near a minimiser
    with a positive-definite, Lipschitz Hessian the error then shrinks quadratically,
    :math:`\\lVert e_{t+1}\\rVert \\le \\tfrac{M}{2\\mu} \\lVert e_t\\rVert^2`, but from far away it can diverge,
    and on a non-convex function it is attracted to any stationary point. With ``line_search=True``
    (damped Newton) :math:`\\alpha_t` comes from :func:`backtracking` starting at 1, and a Newton direction
    that does not point downhill is replaced by ``-grad``.

    Parameters
    ----------
    fun : callable
        ``fun(x)`` returns ``(f(x), grad f(x))`` for ``x`` of shape (d,).
    hess : callable
        ``hess(x)`` returns the Hessian, an ndarray of shape (d, d).
    x0 : ndarray of shape (d,)
    steps : int >= 1
    tol : float > 0 or None
        Stop when the gradient norm falls below ``tol`` (a zero gradient always stops).
    line_search : bool
    c, shrink : float in (0, 1)
        The line search's constants (see :func:`backtracking`).
    record_path : bool
        Keep the iterates in ``hist.path``, an ndarray of shape (n_steps + 1, d).

    Returns
    -------
    x : ndarray of shape (d,)
    hist : gdcore.History
        As after :func:`gdcore.minimize`: ``loss``, ``lr`` (the step length used), ``grad_norm`` per step,
        ``epoch_loss`` at ``x0`` and after every step; ``examples`` counts calls of ``fun``. ``diverged``
        is set if a full step reached a non-finite f.
    """
    func = "newton"

    def direction(x, g):
        H = np.asarray(hess(x.copy()), dtype=np.float64)
        if H.shape != (x.shape[0], x.shape[0]):
            v.fail("hess", func, f"a callable returning an array of shape {(x.shape[0], x.shape[0])}", hess,
                   got=f"shape {H.shape}")
        try:
            return newton_step(g, H), line_search
        except ValueError:
            v.fail("hess", func, "a callable returning nonsingular symmetric matrices", hess,
                   got=f"a singular or non-symmetric Hessian at x = {v._show(x)}")

    return _run(fun, x0, steps, tol, direction, 1.0, c, shrink, 60, record_path, func)


@v.validate_params({"fun": FUN, "x0": v.Array(ndim=1), "steps": STEPS, "tol": TOL, "lr0": LR0, "c": ARMIJO_C,
                    "shrink": SHRINK, "record_path": v.Boolean()})
def gd_backtracking(fun, x0, steps=100, tol=None, lr0=1.0, c=1e-4, shrink=0.5, record_path=True):
    """Gradient descent whose every step length comes from a backtracking (Armijo) line search.

    .. math:: x_{t+1} = x_t - \\alpha_t \\nabla f(x_t), \\qquad
              \\alpha_t = \\max\\{\\alpha_0\\rho^k : f(x_t - \\alpha\\nabla f(x_t)) \\le f(x_t) - c\\,\\alpha\\lVert\\nabla f(x_t)\\rVert^2\\}

    No smoothness constant is needed: the search finds a step that decreases f enough, starting from ``lr0``
    every time.

    Parameters
    ----------
    fun : callable
        ``fun(x)`` returns ``(f(x), grad f(x))`` for ``x`` of shape (d,).
    x0 : ndarray of shape (d,)
    steps : int >= 1
    tol : float > 0 or None
        Stop when the gradient norm falls below ``tol``.
    lr0 : float > 0
        The first step length tried at every iteration.
    c, shrink : float in (0, 1)
        See :func:`backtracking`.
    record_path : bool

    Returns
    -------
    x : ndarray of shape (d,)
    hist : gdcore.History
        As for :func:`newton`; ``hist.lr`` holds the accepted step lengths and ``hist.examples`` the
        cumulative calls of ``fun``.
    """
    return _run(fun, x0, steps, tol, lambda x, g: (-g, True), lr0, c, shrink, 60, record_path,
                "gd_backtracking")


def _preconditioner(P, d, func):
    """``P`` as None (the identity), a positive diagonal of shape (d,), or a symmetric positive-definite (d, d)."""
    if P is None:
        return None
    if P.shape not in ((d,), (d, d)):
        v.fail("P", func, f"an array of shape ({d},) or ({d}, {d}) to match x0", P, got=f"shape {P.shape}")
    if P.ndim == 1:
        if not np.all(P > 0):
            v.fail("P", func, "a positive diagonal (every entry > 0)", P)
        return P
    P = _symmetric(P, "P", func)
    if not np.linalg.eigvalsh(P)[0] > 0:
        v.fail("P", func, "a positive-definite matrix", P, got="a matrix with an eigenvalue <= 0")
    return P


@v.validate_params({"fun": FUN, "x0": v.Array(ndim=1), "P": v.Optional(v.Array()), "lr": LR0, "steps": STEPS,
                    "tol": TOL, "record_path": v.Boolean(), "diverge_factor": DIVERGE_FACTOR})
def preconditioned_gd(fun, x0, P=None, lr=1.0, steps=100, tol=None, record_path=True, diverge_factor=1e6):
    """Preconditioned gradient descent with a fixed step: :math:`x_{t+1} = x_t - \\eta\\, P\\, \\nabla f(x_t)`.

    It is plain gradient descent on :math:`g(z) = f(Sz)` mapped back through :math:`x = Sz`, for any S with
    :math:`SS^\\top = P`, so on a quadratic with Hessian A it converges iff :math:`0 < \\eta\\lambda < 2` for every
    eigenvalue :math:`\\lambda` of :math:`PA`, at a rate set by :math:`\\kappa(PA)`. ``P = None`` is plain gradient
    descent; the Jacobi preconditioner is ``P = 1 / np.diag(A)``; ``P = inv(A)`` with ``lr = 1`` is Newton's step.

    Parameters
    ----------
    fun : callable
        ``fun(x)`` returns ``(f(x), grad f(x))`` for ``x`` of shape (d,).
    x0 : ndarray of shape (d,)
    P : None, ndarray of shape (d,) or ndarray of shape (d, d)
        The preconditioner: None for the identity, a positive diagonal (multiplied elementwise,
        :math:`P \\odot \\nabla f`), or a symmetric positive-definite matrix.
    lr : float > 0
        The fixed step :math:`\\eta`.
    steps : int >= 1
    tol : float > 0 or None
        Stop when the gradient norm falls below ``tol`` (a zero gradient always stops).
    record_path : bool
        Keep the iterates in ``hist.path``, an ndarray of shape (n_steps + 1, d).
    diverge_factor : float > 1
        As in :func:`gdcore.minimize`: the run stops, with ``hist.diverged`` set, once f exceeds
        ``diverge_factor * max(|f(x0)|, 1e-12)`` or is not finite; the exploding step is not kept.

    Returns
    -------
    x : ndarray of shape (d,)
    hist : gdcore.History
        As for :func:`newton`: ``loss``, ``lr``, ``grad_norm`` per step, ``epoch_loss`` at ``x0`` and after
        every step, ``examples`` the cumulative calls of ``fun``, ``converged``, ``diverged``.
    """
    func = "preconditioned_gd"
    P = _preconditioner(P, x0.shape[0], func)

    def direction_of(x, g):
        return -(g if P is None else (P * g if P.ndim == 1 else P @ g)), False

    return _run(fun, x0, steps, tol, direction_of, None, None, None, None, record_path, func, step=lr,
                diverge_factor=diverge_factor)
