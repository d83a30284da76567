"""gdcore.second_order against finite differences, hand-derived Hessians and plain-loop twins.

The twins below are written from the textbook statements (Nocedal & Wright, *Numerical Optimization*,
Algorithm 3.1 for backtracking and the Newton iteration of their Chapter 3), independently of gdcore's code:
one trial step at a time, with np.linalg.inv where gdcore solves.
"""
import warnings

import numpy as np
import pytest

import gdcore as gd

so = gd.second_order


# ---------------------------------------------------------------- problems with hand-derived Hessians

def rosen_hess(x, a=1.0, b=100.0):
    """Hessian of (a - x)^2 + b (y - x^2)^2, differentiated by hand."""
    x0, x1 = x
    return np.array([[2 - 4 * b * x1 + 12 * b * x0 ** 2, -4 * b * x0],
                     [-4 * b * x0, 2 * b]])


def logistic_problem(n=200, d=4, lam=0.1, seed=0):
    """L2-regularised logistic regression on a flat vector theta = (w, b); returns fun, hess, X, y."""
    g = np.random.default_rng(seed)
    X = g.standard_normal((n, d)) * np.array([1.0, 3.0, 0.3, 2.0])[:d]
    y = (X @ g.standard_normal(d) + 0.5 * g.standard_normal(n) > 0).astype(float)

    def fun(theta):
        p = {"w": theta[:d], "b": np.array(theta[d])}
        loss, gr = gd.models.logistic.loss_and_grad(p, X, y)
        w = theta[:d]
        return loss + 0.5 * lam * w @ w, np.append(gr["w"] + lam * w, gr["b"])

    def hess(theta):
        # J = mean(log(1 + e^z) - y z) + lam/2 |w|^2, z = Xa theta: H = Xa^T diag(s(1-s)) Xa / n + lam diag(1..1, 0)
        Xa = np.column_stack([X, np.ones(n)])
        s = 1 / (1 + np.exp(-(Xa @ theta)))
        return Xa.T @ (Xa * (s * (1 - s))[:, None]) / n + lam * np.diag(np.append(np.ones(d), 0.0))

    return fun, hess, X, y


def rotated(eigs, seed=0):
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((len(eigs), len(eigs))))
    return Q @ np.diag(eigs) @ Q.T


def quad_fun(A, b):
    """f = x^T A x / 2 - b^T x."""
    return lambda x: (0.5 * x @ A @ x - b @ x, A @ x - b)


# ---------------------------------------------------------------- twins

def twin_backtracking(f, grad, x, d, lr0, c, rho, max_iter=60):
    """Nocedal & Wright, Algorithm 3.1: returns (alpha, trial count)."""
    alpha, fx, slope = lr0, f(x), grad(x) @ d
    for k in range(1, max_iter + 1):
        if f(x + alpha * d) <= fx + c * alpha * slope:
            return alpha, k
        alpha = rho * alpha
    return 0.0, max_iter


def twin_newton(grad, hess, x, steps):
    path = [x.copy()]
    for _ in range(steps):
        x = x - np.linalg.inv(hess(x)) @ grad(x)
        path.append(x.copy())
    return np.array(path)


# ---------------------------------------------------------------- condition number

def test_condition_number_of_matrices_with_known_eigenvalues():
    assert so.condition_number(np.diag([4.0, 1.0, 0.5])) == pytest.approx(8.0, rel=1e-14)
    # [[2, 1], [1, 2]] has eigenvalues 3 and 1
    assert so.condition_number(np.array([[2.0, 1.0], [1.0, 2.0]])) == pytest.approx(3.0, rel=1e-14)
    assert so.condition_number(rotated([1e-3, 0.5, 2.0, 10.0], seed=3)) == pytest.approx(1e4, rel=1e-8)
    assert so.condition_number(np.eye(5)) == pytest.approx(1.0, rel=1e-14)


@pytest.mark.parametrize("kappa", [1.0, 7.5, 1e3])
def test_condition_number_of_the_course_bowls(kappa):
    q = gd.data.quadratic(kappa=kappa, L=2.0, angle=0.4)
    assert so.condition_number(q.A) == pytest.approx(kappa, rel=1e-9)


# ---------------------------------------------------------------- Hessians by finite differences

def test_numerical_hessian_of_a_quadratic_is_A():
    A = rotated([0.1, 1.0, 3.0], seed=1)
    fun = quad_fun(A, np.ones(3))
    H = so.numerical_hessian(lambda x: fun(x)[1], np.array([0.3, -1.0, 2.0]))
    np.testing.assert_allclose(H, A, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("x", [(-1.2, 1.0), (0.5, 0.5), (1.0, 1.0), (2.0, -1.0)])
def test_rosenbrock_hessian_by_hand_matches_differences_of_the_gradient(x):
    r = gd.data.rosenbrock()
    x = np.array(x)
    H = so.numerical_hessian(r.grad, x, eps=1e-6)
    np.testing.assert_allclose(H, rosen_hess(x), rtol=1e-6, atol=1e-5)


def test_logistic_hessian_matches_differences_of_the_gradient_and_of_the_loss():
    fun, hess, _, _ = logistic_problem(d=3)
    theta = np.array([0.3, -0.2, 1.0, 0.1])
    H = hess(theta)
    H_grad = so.numerical_hessian(lambda t: fun(t)[1], theta)
    np.testing.assert_allclose(H_grad, H, rtol=1e-7, atol=1e-9)
    # a second, independent check: second differences of the loss alone
    h, d = 1e-4, theta.size
    E = np.eye(d) * h
    f = lambda t: fun(t)[0]
    H_f = np.array([[(f(theta + E[i] + E[j]) - f(theta + E[i] - E[j]) - f(theta - E[i] + E[j])
                      + f(theta - E[i] - E[j])) / (4 * h * h) for j in range(d)] for i in range(d)])
    np.testing.assert_allclose(H_f, H, rtol=1e-5, atol=1e-6)


def test_numerical_hessian_is_exactly_symmetric_and_does_not_touch_x():
    x = np.array([1.0, 2.0])
    H = so.numerical_hessian(gd.data.rosenbrock().grad, x)
    assert x.tolist() == [1.0, 2.0]
    assert np.array_equal(H, H.T)


# ---------------------------------------------------------------- Newton step

def test_newton_step_lands_on_the_minimiser_of_a_quadratic():
    A = rotated([0.01, 0.3, 1.0, 50.0], seed=2)
    b = np.array([1.0, -2.0, 0.5, 3.0])
    x_star = np.linalg.lstsq(A, b, rcond=None)[0]
    fun = quad_fun(A, b)
    for x in (np.zeros(4), np.array([10.0, -3.0, 7.0, 0.1])):
        p = so.newton_step(fun(x)[1], A)
        np.testing.assert_allclose(x + p, x_star, rtol=1e-9, atol=1e-9)


def test_newton_step_solves_the_newton_system():
    g = np.random.default_rng(4)
    A = rotated([0.5, 2.0, 9.0], seed=5)
    grad = g.standard_normal(3)
    p = so.newton_step(grad, A)
    np.testing.assert_allclose(A @ p, -grad, rtol=1e-12, atol=1e-13)
    # an indefinite but nonsingular H: p still solves H p = -g
    H = np.diag([1.0, -2.0])
    np.testing.assert_allclose(so.newton_step(np.array([1.0, 1.0]), H), [-1.0, 0.5])


# ---------------------------------------------------------------- backtracking line search

def _points(seed=0, k=12):
    g = np.random.default_rng(seed)
    return [g.uniform(-2, 2, size=2) for _ in range(k)]


@pytest.mark.parametrize("lr0,c,rho", [(1.0, 1e-4, 0.5), (0.1, 0.3, 0.8), (5.0, 0.5, 0.1)])
def test_backtracking_matches_the_textbook_twin(lr0, c, rho):
    problems = [gd.data.rosenbrock(), gd.data.quadratic(kappa=100.0, L=10.0, angle=0.7)]
    for prob in problems:
        for x in _points():
            if np.linalg.norm(prob.grad(x)) == 0:
                continue
            res = so.backtracking(prob, x, lr0=lr0, c=c, shrink=rho)
            alpha, trials = twin_backtracking(prob.f, prob.grad, x, -prob.grad(x), lr0, c, rho)
            assert res.success and res.lr == alpha
            assert res.n_evals == trials + 1   # the trials and the call at x
            np.testing.assert_allclose(res.x, x - alpha * prob.grad(x), rtol=1e-14, atol=1e-15)
            assert res.f == pytest.approx(prob.f(res.x), rel=1e-14)
            np.testing.assert_allclose(res.grad, prob.grad(res.x), rtol=1e-12, atol=1e-14)


def test_backtracking_accepts_the_first_armijo_step_and_no_earlier_one():
    prob = gd.data.rosenbrock()
    for x in _points(seed=1):
        g = prob.grad(x)
        res = so.backtracking(prob, x, lr0=1.0, c=1e-4, shrink=0.5)
        assert prob.f(x - res.lr * g) <= prob.f(x) - 1e-4 * res.lr * g @ g
        if res.lr < 1.0:   # the step before, twice as long, fails the condition
            assert prob.f(x - 2 * res.lr * g) > prob.f(x) - 1e-4 * 2 * res.lr * g @ g


@pytest.mark.parametrize("kappa,L", [(10.0, 1.0), (1e3, 50.0), (1.0, 1e4)])
def test_backtracking_step_is_at_least_the_theoretical_bound_without_knowing_L(kappa, L):
    """On an L-smooth f every step <= 2(1 - c)/L passes Armijo, so backtracking returns >= min(lr0, 2 rho (1-c)/L)."""
    q = gd.data.quadratic(kappa=kappa, L=L, angle=0.3)
    c, rho = 1e-4, 0.5
    for x in _points(seed=2):
        res = so.backtracking(q, x, lr0=1.0, c=c, shrink=rho)
        assert res.lr >= min(1.0, 2 * rho * (1 - c) / L)


def test_backtracking_along_a_given_direction():
    prob = gd.data.rosenbrock()
    x = np.array([-1.2, 1.0])
    d = so.newton_step(prob.grad(x), rosen_hess(x))
    res = so.backtracking(prob, x, direction=d)
    alpha, _ = twin_backtracking(prob.f, prob.grad, x, d, 1.0, 1e-4, 0.5)
    assert res.lr == alpha
    np.testing.assert_allclose(res.x, x + alpha * d)


def test_backtracking_gives_up_without_moving():
    # a function that never decreases along -grad within 3 halvings (a kink far below the step sizes tried)
    fun = lambda x: (float(abs(x[0]) * 1e9 if abs(x[0]) > 1e-12 else 0.0) + float(x[0]), np.array([1.0]))
    res = so.backtracking(fun, np.array([0.0]), max_iter=3)
    assert not res.success and res.lr == 0.0 and res.x.tolist() == [0.0] and res.n_evals == 4


# ---------------------------------------------------------------- Newton's method

def test_newton_solves_a_quadratic_in_one_step():
    A = rotated([1e-4, 1.0, 1e3], seed=6)
    b = np.array([3.0, -1.0, 2.0])
    _, h = so.newton(quad_fun(A, b), lambda x: A, np.array([5.0, 5.0, -5.0]), steps=3)
    x_star = np.linalg.lstsq(A, b, rcond=None)[0]
    np.testing.assert_allclose(h.path[1], x_star, rtol=1e-9, atol=1e-9)
    assert h.lr.tolist() == [1.0] * h.n_steps


def test_newton_matches_the_twin_on_logistic_regression():
    fun, hess, _, _ = logistic_problem()
    x0 = np.zeros(5)
    _, h = so.newton(fun, hess, x0, steps=6)
    np.testing.assert_allclose(h.path, twin_newton(lambda t: fun(t)[1], hess, x0, 6), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h.epoch_loss, [fun(p)[0] for p in h.path], rtol=1e-14)
    np.testing.assert_allclose(h.grad_norm, [np.linalg.norm(fun(p)[1]) for p in h.path[:-1]], rtol=1e-14)


def test_newton_converges_quadratically():
    """|e_{t+1}| <= C |e_t|^2 with one constant C along the whole run, and the correct digits double."""
    fun, hess, _, _ = logistic_problem()
    x_star, _ = so.newton(fun, hess, np.zeros(5), steps=30, tol=1e-14)
    _, h = so.newton(fun, hess, np.zeros(5), steps=6)
    err = np.linalg.norm(h.path - x_star, axis=1)
    err = err[err > 1e-13]          # below that, round-off
    assert len(err) >= 4
    ratios = err[1:] / err[:-1] ** 2
    assert ratios.max() < 1.0
    digits = -np.log10(err)
    late = digits[digits > 1]
    assert np.all(late[1:] >= 1.8 * late[:-1])


def test_gradient_descent_converges_only_linearly_on_the_same_problem():
    """The contrast: constant-step GD's error ratio settles at 1 - mu/L of the Hessian at x*, not at zero."""
    fun, hess, _, _ = logistic_problem()
    x_star, _ = so.newton(fun, hess, np.zeros(5), steps=30, tol=1e-14)
    lam = np.linalg.eigvalsh(hess(x_star))
    _, h = gd.minimize(fun, np.zeros(5), gd.optim.sgd(lr=1 / lam[-1]), steps=150)
    err = np.linalg.norm(h.path - x_star, axis=1)
    r = err[101:141] / err[100:140]      # before round-off (err ~ 1e-12 at step 140)
    np.testing.assert_allclose(r, 1 - lam[0] / lam[-1], atol=2e-3)


def test_damped_newton_on_rosenbrock():
    r = gd.data.rosenbrock()
    x, h = so.newton(r, rosen_hess, np.array([-1.2, 1.0]), steps=100, tol=1e-10, line_search=True)
    assert h.converged and np.allclose(x, [1.0, 1.0], atol=1e-8)
    assert h.n_steps < 30
    assert np.all(np.diff(h.epoch_loss) <= 0)          # every accepted step decreased f
    assert h.lr.min() < 1.0 and h.lr[-1] == 1.0        # damped early, full steps at the end


def test_pure_newton_is_attracted_to_a_maximum_and_damped_newton_is_not():
    # f = x^4/4 - x^2/2: minima at +-1, a local maximum at 0, f'' = 3x^2 - 1 < 0 for |x| < 0.577
    fun = lambda x: (x[0] ** 4 / 4 - x[0] ** 2 / 2, np.array([x[0] ** 3 - x[0]]))
    hess = lambda x: np.array([[3 * x[0] ** 2 - 1]])
    x, h = so.newton(fun, hess, np.array([0.3]), steps=20, tol=1e-12)
    assert abs(x[0]) < 1e-10 and h.epoch_loss[-1] > h.epoch_loss[0]   # at the maximum, uphill
    x, h = so.newton(fun, hess, np.array([0.3]), steps=50, tol=1e-12, line_search=True)
    assert abs(abs(x[0]) - 1.0) < 1e-10 and np.all(np.diff(h.epoch_loss) <= 0)


def test_pure_newton_can_diverge_and_says_so():
    # f = sqrt(1 + x^2): Newton's step is x -> -x^3, which blows up from |x| > 1
    fun = lambda x: (float(np.sqrt(1 + x[0] ** 2)), x / np.sqrt(1 + x[0] ** 2))
    hess = lambda x: np.array([[(1 + x[0] ** 2) ** -1.5]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        x, h = so.newton(fun, hess, np.array([1.1]), steps=30)
    assert h.diverged and np.isfinite(x).all()
    np.testing.assert_allclose(h.path[1], [-1.1 ** 3])
    x, h = so.newton(fun, hess, np.array([0.5]), steps=10, tol=1e-12)   # |x| < 1: x -> -x^3 converges
    assert h.converged and abs(x[0]) < 1e-12


# ---------------------------------------------------------------- gradient descent with backtracking

def test_gd_backtracking_matches_a_twin_loop():
    q = gd.data.quadratic(kappa=50.0, L=20.0, angle=0.5)
    x0 = np.array([2.0, -1.0])
    _, h = so.gd_backtracking(q, x0, steps=40, lr0=1.0)
    xs, lrs = [x0], []
    for _ in range(40):
        g = q.grad(xs[-1])
        alpha, _ = twin_backtracking(q.f, q.grad, xs[-1], -g, 1.0, 1e-4, 0.5)
        lrs.append(alpha)
        xs.append(xs[-1] - alpha * g)
    np.testing.assert_allclose(h.path, np.array(xs), rtol=1e-12, atol=1e-14)
    assert h.lr.tolist() == lrs


@pytest.mark.parametrize("L", [0.01, 1.0, 100.0, 1e4])
def test_gd_backtracking_converges_whatever_the_scale(L):
    """The same call, with no L given, converges on bowls whose curvature spans six orders of magnitude."""
    q = gd.data.quadratic(kappa=10.0, L=L, angle=0.3, x_star=(1.0, -2.0))
    x, h = so.gd_backtracking(q, np.array([3.0, 3.0]), steps=5000, tol=1e-10 * L, lr0=1e3)
    assert h.converged and np.allclose(x, [1.0, -2.0], atol=1e-8)
    assert np.all(np.diff(h.epoch_loss) <= 0)


def test_runs_do_not_modify_x0_and_count_evaluations():
    r = gd.data.rosenbrock()
    x0 = np.array([-1.2, 1.0])
    _, h = so.gd_backtracking(r, x0, steps=5)
    assert x0.tolist() == [-1.2, 1.0]
    assert h.n_steps == 5 and len(h.epoch_loss) == 6 and h.path.shape == (6, 2)
    assert np.all(np.diff(h.examples) >= 1) and h.examples[0] >= 2


# ---------------------------------------------------------------- preconditioned gradient descent

def twin_preconditioned(grad, x, P, lr, steps):
    """x <- x - lr P grad(x), written from the update rule with a full matrix P."""
    path = [x.copy()]
    for _ in range(steps):
        x = x - lr * (P @ grad(x))
        path.append(x.copy())
    return np.array(path)


def test_preconditioned_gd_without_P_is_gradient_descent():
    """P = None against gd.minimize with gd.optim.sgd: the same iterates, losses and gradient norms."""
    q = gd.data.quadratic(kappa=20.0, L=3.0, angle=0.7, x_star=(1.0, -1.0))
    x0 = np.array([2.5, 0.5])
    _, h = so.preconditioned_gd(q, x0, None, lr=0.3, steps=50)
    _, ref = gd.minimize(q, x0, gd.optim.sgd(lr=0.3), steps=50)
    np.testing.assert_allclose(h.path, ref.path, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(h.epoch_loss, ref.epoch_loss, rtol=1e-13)
    np.testing.assert_allclose(h.grad_norm, ref.grad_norm, rtol=1e-13)
    assert h.lr.tolist() == [0.3] * 50 and h.n_steps == 50 and not h.converged and not h.diverged


def test_diagonal_P_is_gradient_descent_in_scaled_coordinates():
    """x = S z with S = diag(sqrt(p)): plain GD on g(z) = f(Sz), mapped back, is GD preconditioned by P = S S^T."""
    fun, _, _, _ = logistic_problem(d=4, seed=2)
    p = np.array([2.0, 0.1, 5.0, 0.5, 1.0])
    S = np.sqrt(p)
    g_fun = lambda z: (fun(S * z)[0], S * fun(S * z)[1])
    x0 = np.array([0.5, -1.0, 0.2, 1.0, 0.0])
    _, h = so.preconditioned_gd(fun, x0, p, lr=0.4, steps=30)
    _, hz = gd.minimize(g_fun, x0 / S, gd.optim.sgd(lr=0.4), steps=30)
    np.testing.assert_allclose(h.path, hz.path * S, rtol=1e-12, atol=1e-14)


def test_matrix_P_matches_the_twin_and_P_inverse_hessian_is_newton():
    A = rotated([0.05, 1.0, 4.0], seed=4)
    b = np.array([1.0, 2.0, -1.0])
    fun = quad_fun(A, b)
    P = rotated([0.5, 1.0, 2.0], seed=5)
    x0 = np.array([1.0, -2.0, 3.0])
    _, h = so.preconditioned_gd(fun, x0, P, lr=0.2, steps=25)
    np.testing.assert_allclose(h.path, twin_preconditioned(lambda x: fun(x)[1], x0, P, 0.2, 25), rtol=1e-12,
                               atol=1e-13)
    # P = A^-1 with lr = 1 is Newton's step: the minimiser in one step
    _, h1 = so.preconditioned_gd(fun, x0, np.linalg.inv(A), lr=1.0, steps=5, tol=1e-9)
    np.testing.assert_allclose(h1.path[1], np.linalg.solve(A, b), rtol=1e-10, atol=1e-12)
    assert h1.converged and h1.n_steps == 1


@pytest.mark.parametrize("angle", [0.0, 0.3, np.pi / 4])
def test_jacobi_converges_at_the_rate_of_the_preconditioned_matrix(angle):
    """With P = diag(A)^-1 the error contracts by (k - 1)/(k + 1) per step at lr = 2/(lmin + lmax) of PA, where
    k = kappa(PA): 1 step when the bowl's axes are aligned, the plain kappa at 45 degrees."""
    q = gd.data.quadratic(kappa=50.0, L=1.0, angle=angle)
    p = 1.0 / np.diag(q.A)
    lam = np.linalg.eigvalsh(np.sqrt(p)[:, None] * q.A * np.sqrt(p)[None, :])
    k = lam[1] / lam[0]
    _, h = so.preconditioned_gd(q, np.array([1.0, 1.0]), p, lr=2 / (lam[0] + lam[1]), steps=200, tol=1e-12)
    if angle == 0.0:
        assert k == 1.0 and h.converged and h.n_steps == 1
    else:
        # the error in the norm of the metric P^-1 contracts exactly at that rate
        err = np.sqrt(np.einsum("ti,i,ti->t", h.path, 1 / p, h.path))
        np.testing.assert_allclose(err[1:] / err[:-1], (k - 1) / (k + 1), rtol=1e-6)
    if angle == np.pi / 4:
        assert k == pytest.approx(50.0, rel=1e-9)


def test_preconditioned_gd_stops_when_it_diverges_like_minimize():
    q = gd.data.quadratic(kappa=10.0, L=1.0, angle=0.3)
    x0 = np.array([1.0, 1.0])
    _, h = so.preconditioned_gd(q, x0, None, lr=2.3, steps=500)
    with pytest.warns(gd.DivergenceWarning):
        _, ref = gd.minimize(q, x0, gd.optim.sgd(lr=2.3), steps=500)
    assert h.diverged and ref.diverged and not h.converged
    np.testing.assert_allclose(h.path, ref.path, rtol=1e-13)
    assert h.epoch_loss[-1] <= 1e6 * h.epoch_loss[0] < q(h.path[-1] - 2.3 * q.grad(h.path[-1]))[0]
    assert h.diverged_step == h.n_steps + 1


def test_preconditioned_gd_tol_and_inputs():
    q = gd.data.quadratic(kappa=4.0, L=1.0)
    x0 = np.array([1.0, -1.0])
    _, h = so.preconditioned_gd(q, x0, np.array([1.0, 4.0]), lr=1.0, steps=10, tol=1e-8)
    assert x0.tolist() == [1.0, -1.0] and h.converged and h.n_steps == 1     # axis-aligned: P = A^-1
    assert h.examples.tolist() == [2] and h.path.shape == (2, 2)
    _, h = so.preconditioned_gd(q, x0, lr=0.5, steps=3, record_path=False)
    assert h.path is None and h.n_steps == 3


# ---------------------------------------------------------------- a reference library, where installed

def test_newton_agrees_with_scipy_newton_cg():
    optimize = pytest.importorskip("scipy.optimize")
    fun, hess, _, _ = logistic_problem(d=4, seed=3)
    x, _ = so.newton(fun, hess, np.zeros(5), steps=50, tol=1e-12)
    ref = optimize.minimize(lambda t: fun(t)[0], np.zeros(5), jac=lambda t: fun(t)[1], hess=hess,
                            method="Newton-CG", options={"xtol": 1e-12})
    np.testing.assert_allclose(x, ref.x, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- bad input

Q = gd.data.quadratic()
BAD = [
    (lambda: so.condition_number(np.ones(3)), ValueError, "A", "condition_number", "a 2-D array"),
    (lambda: so.condition_number(np.ones((2, 3))), ValueError, "A", "condition_number", "a square 2-D array"),
    (lambda: so.condition_number(np.array([[1.0, 2.0], [0.0, 1.0]])), ValueError, "A", "condition_number",
     "a symmetric matrix"),
    (lambda: so.condition_number(np.diag([1.0, -1.0])), ValueError, "A", "condition_number",
     "a positive-definite matrix"),
    (lambda: so.condition_number(np.diag([1.0, np.nan])), ValueError, "A", "condition_number", "finite"),
    (lambda: so.numerical_hessian(Q.grad, np.zeros(2), eps=0.0), ValueError, "eps", "numerical_hessian",
     r"a float > 0"),
    (lambda: so.numerical_hessian("grad", np.zeros(2)), TypeError, "grad", "numerical_hessian", "a callable"),
    (lambda: so.numerical_hessian(lambda x: np.zeros(3), np.zeros(2)), ValueError, "grad", "numerical_hessian",
     r"shape \(2,\)"),
    (lambda: so.newton_step(np.zeros(2), np.eye(3)), ValueError, "hess", "newton_step", r"shape \(2, 2\)"),
    (lambda: so.newton_step(np.zeros((2, 1)), np.eye(2)), ValueError, "grad", "newton_step", "a 1-D array"),
    (lambda: so.newton_step(np.ones(2), np.zeros((2, 2))), ValueError, "hess", "newton_step", "nonsingular"),
    (lambda: so.newton_step(np.ones(2), np.array([[1.0, 1.0], [0.0, 1.0]])), ValueError, "hess", "newton_step",
     "symmetric"),
    (lambda: so.newton_step([np.inf, 1.0], np.eye(2)), ValueError, "grad", "newton_step", "finite"),
    (lambda: so.backtracking(Q, np.ones(2), c=1.0), ValueError, "c", "backtracking", r"in the range \(0, 1\)"),
    (lambda: so.backtracking(Q, np.ones(2), shrink=0), ValueError, "shrink", "backtracking", r"\(0, 1\)"),
    (lambda: so.backtracking(Q, np.ones(2), lr0=-1.0), ValueError, "lr0", "backtracking", r"a float > 0"),
    (lambda: so.backtracking(Q, np.ones(2), max_iter=0), ValueError, "max_iter", "backtracking", r"an int >= 1"),
    (lambda: so.backtracking(Q, np.ones(2), direction=np.array([1.0, 1.0])), ValueError, "direction",
     "backtracking", "a descent direction"),
    (lambda: so.backtracking(Q, np.zeros(2)), ValueError, "direction", "backtracking", "a descent direction"),
    (lambda: so.backtracking(Q, np.ones(2), direction=np.ones(3)), ValueError, "direction", "backtracking",
     r"shape \(2,\)"),
    (lambda: so.backtracking(lambda x: 1.0, np.ones(2)), TypeError, "fun", "backtracking", r"\(f, grad\)"),
    (lambda: so.backtracking(lambda x: (1.0, np.ones(3)), np.ones(2)), ValueError, "fun", "backtracking",
     r"grad of shape \(2,\)"),
    (lambda: so.backtracking(lambda x: (np.nan, x), np.ones(2)), ValueError, "x", "backtracking",
     "a point where fun is finite"),
    (lambda: so.newton(Q, lambda x: np.eye(3), np.ones(2)), ValueError, "hess", "newton", r"shape \(2, 2\)"),
    (lambda: so.newton(Q, lambda x: np.zeros((2, 2)), np.ones(2)), ValueError, "hess", "newton", "nonsingular"),
    (lambda: so.newton(Q, "H", np.ones(2)), TypeError, "hess", "newton", "a callable"),
    (lambda: so.newton(Q, lambda x: Q.A, np.ones(2), steps=0), ValueError, "steps", "newton", r"an int >= 1"),
    (lambda: so.newton(Q, lambda x: Q.A, np.ones(2), line_search="yes"), TypeError, "line_search", "newton",
     "a bool"),
    (lambda: so.newton(Q, lambda x: Q.A, np.ones(2), tol=-1.0), ValueError, "tol", "newton", "a float > 0 or None"),
    (lambda: so.gd_backtracking(Q, [[1.0, 2.0]]), ValueError, "x0", "gd_backtracking", "a 1-D array"),
    (lambda: so.gd_backtracking(Q, [1.0, np.nan]), ValueError, "x0", "gd_backtracking", "finite"),
    (lambda: so.gd_backtracking(lambda x: (np.inf, x), [1.0, 1.0]), ValueError, "x0", "gd_backtracking",
     "a point where fun is finite"),
    (lambda: so.preconditioned_gd(Q, np.ones(2), np.ones(3)), ValueError, "P", "preconditioned_gd",
     r"shape \(2,\) or \(2, 2\)"),
    (lambda: so.preconditioned_gd(Q, np.ones(2), np.eye(3)), ValueError, "P", "preconditioned_gd",
     r"shape \(2,\) or \(2, 2\)"),
    (lambda: so.preconditioned_gd(Q, np.ones(2), np.array([1.0, 0.0])), ValueError, "P", "preconditioned_gd",
     "a positive diagonal"),
    (lambda: so.preconditioned_gd(Q, np.ones(2), np.array([[1.0, 1.0], [0.0, 1.0]])), ValueError, "P",
     "preconditioned_gd", "a symmetric matrix"),
    (lambda: so.preconditioned_gd(Q, np.ones(2), np.diag([1.0, -1.0])), ValueError, "P", "preconditioned_gd",
     "a positive-definite matrix"),
    (lambda: so.preconditioned_gd(Q, np.ones(2), np.ones((2, 2, 2))), ValueError, "P", "preconditioned_gd",
     r"shape \(2,\) or \(2, 2\)"),
    (lambda: so.preconditioned_gd(Q, np.ones(2), [1.0, np.nan]), ValueError, "P", "preconditioned_gd",
     "an array of numbers or None"),
    (lambda: so.preconditioned_gd(Q, np.ones(2), lr=0.0), ValueError, "lr", "preconditioned_gd", "a float > 0"),
    (lambda: so.preconditioned_gd(Q, np.ones(2), diverge_factor=1.0), ValueError, "diverge_factor",
     "preconditioned_gd", "a float > 1"),
    (lambda: so.preconditioned_gd(Q, np.ones(2), steps=0), ValueError, "steps", "preconditioned_gd", "an int >= 1"),
    (lambda: so.preconditioned_gd(lambda x: (np.nan, x), np.ones(2)), ValueError, "x0", "preconditioned_gd",
     "a point where fun is finite"),
    (lambda: so.preconditioned_gd("f", np.ones(2)), TypeError, "fun", "preconditioned_gd", "a callable"),
]


@pytest.mark.parametrize("call,exc,name,func,must", BAD, ids=[f"{b[3]}-{b[2]}-{i}" for i, b in enumerate(BAD)])
def test_bad_input_names_the_parameter(call, exc, name, func, must):
    with pytest.raises(exc, match=rf"^The '{name}' parameter of {func} must be .*{must}.*; got .* instead\.$"):
        call()


def test_functions_carry_their_constraint_tables():
    for f in (so.condition_number, so.numerical_hessian, so.newton_step, so.backtracking, so.newton,
              so.gd_backtracking, so.preconditioned_gd):
        assert f.parameter_constraints
