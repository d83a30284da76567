"""Optimisers against plain-loop twins of the algorithms documented for torch.optim.

The twins below are written from the pseudo-code in the torch.optim documentation
(SGD, Adagrad, RMSprop, Adam), one array at a time, independently of gdcore's code.
"""
import copy

import numpy as np
import pytest

import gdcore as gd

STEPS = 20


# ---------------------------------------------------------------- the twins

def twin_sgd(theta, grad_fn, steps, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    theta = theta.copy()
    b = None
    path = [theta.copy()]
    for t in range(1, steps + 1):
        g = grad_fn(theta)
        if weight_decay != 0:
            g = g + weight_decay * theta
        if momentum != 0:
            if t > 1:
                b = momentum * b + (1 - dampening) * g
            else:
                b = g.copy()
            if nesterov:
                g = g + momentum * b
            else:
                g = b
        theta = theta - lr(t - 1) * g
        path.append(theta.copy())
    return path


def twin_adagrad(theta, grad_fn, steps, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                 eps=1e-10):
    theta = theta.copy()
    state_sum = np.full_like(theta, initial_accumulator_value)
    path = [theta.copy()]
    for t in range(1, steps + 1):
        g = grad_fn(theta)
        gamma = lr(t - 1) / (1 + (t - 1) * lr_decay)
        if weight_decay != 0:
            g = g + weight_decay * theta
        state_sum = state_sum + g * g
        theta = theta - gamma * g / (np.sqrt(state_sum) + eps)
        path.append(theta.copy())
    return path


def twin_rmsprop(theta, grad_fn, steps, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):
    theta = theta.copy()
    v = np.zeros_like(theta)
    g_ave = np.zeros_like(theta)
    b = np.zeros_like(theta)
    path = [theta.copy()]
    for t in range(1, steps + 1):
        g = grad_fn(theta)
        if weight_decay != 0:
            g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g * g
        v_tilde = v
        if centered:
            g_ave = alpha * g_ave + (1 - alpha) * g
            v_tilde = v_tilde - g_ave * g_ave
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(v_tilde) + eps)
            theta = theta - lr(t - 1) * b
        else:
            theta = theta - lr(t - 1) * g / (np.sqrt(v_tilde) + eps)
        path.append(theta.copy())
    return path


def twin_adam(theta, grad_fn, steps, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    theta = theta.copy()
    b1, b2 = betas
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    path = [theta.copy()]
    for t in range(1, steps + 1):
        g = grad_fn(theta)
        if weight_decay != 0:
            g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        v_hat = v / (1 - b2 ** t)
        theta = theta - lr(t - 1) * m_hat / (np.sqrt(v_hat) + eps)
        path.append(theta.copy())
    return path


TWINS = {"sgd": twin_sgd, "adagrad": twin_adagrad, "rmsprop": twin_rmsprop, "adam": twin_adam}

CONFIGS = [
    ("sgd", {}),
    ("sgd", {"momentum": 0.9}),
    ("sgd", {"momentum": 0.8, "dampening": 0.3}),
    ("sgd", {"momentum": 0.9, "nesterov": True}),
    ("sgd", {"momentum": 0.5, "weight_decay": 0.1}),
    ("sgd", {"momentum": 0.7, "nesterov": True, "weight_decay": 0.05}),
    ("adagrad", {}),
    ("adagrad", {"lr_decay": 0.1}),
    ("adagrad", {"initial_accumulator_value": 0.5, "weight_decay": 0.01}),
    ("adagrad", {"lr_decay": 0.05, "initial_accumulator_value": 0.1, "eps": 1e-6}),
    ("rmsprop", {}),
    ("rmsprop", {"centered": True}),
    ("rmsprop", {"momentum": 0.9}),
    ("rmsprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.1, "alpha": 0.9}),
    ("adam", {}),
    ("adam", {"betas": (0.8, 0.99), "weight_decay": 0.05}),
    ("adam", {"eps": 1e-3}),
]

A = np.array([[3.0, 0.5, 0.0, 0.2], [0.5, 1.0, 0.1, 0.0], [0.0, 0.1, 0.5, 0.3], [0.2, 0.0, 0.3, 2.0]])
c = np.array([1.0, -2.0, 0.5, 0.3])


def flat_grad(theta):
    """A deterministic, non-linear gradient field on R^4."""
    return A @ theta - c + 0.3 * np.sin(3 * theta)


def as_dict(theta):
    return {"b": np.array(theta[0]), "w": theta[1:4].copy()}


def as_flat(params):
    return np.concatenate([np.atleast_1d(params["b"]), params["w"]])


def run_gdcore(opt, params, grad_of, steps):
    state = opt.init(params)
    path = [copy.deepcopy(params)]
    for _ in range(steps):
        params, state = opt.step(params, grad_of(params), state)
        path.append(params)
    return path, state


@pytest.mark.parametrize("name,kw", CONFIGS, ids=[f"{n}-{'-'.join(k) or 'default'}" for n, k in CONFIGS])
@pytest.mark.parametrize("lr", [0.05, gd.schedules.step_decay(0.1, 0.5, 3)], ids=["const", "sched"])
def test_matches_plain_loop_twin(name, kw, lr):
    lr_fn = lr if callable(lr) else (lambda t: lr)
    theta0 = np.array([0.5, -1.0, 2.0, 0.1])
    want = TWINS[name](theta0, flat_grad, STEPS, lr_fn, **kw)
    opt = getattr(gd.optim, name)(lr=lr, **kw)

    # a bare ndarray
    got, _ = run_gdcore(opt, theta0.copy(), flat_grad, STEPS)
    np.testing.assert_allclose(np.array(got), np.array(want), rtol=1e-12, atol=1e-14)

    # a dict of arrays (a 0-d and a 1-d leaf): the gradient field couples the leaves
    got, _ = run_gdcore(opt, as_dict(theta0), lambda p: as_dict(flat_grad(as_flat(p))), STEPS)
    np.testing.assert_allclose(np.array([as_flat(p) for p in got]), np.array(want), rtol=1e-12, atol=1e-14)
    assert got[-1]["b"].shape == () and got[-1]["w"].shape == (3,)


def test_twins_are_not_trivially_equal():
    """Sanity check of the harness: different hyper-parameters give different trajectories."""
    theta0 = np.array([0.5, -1.0, 2.0, 0.1])
    lr = lambda t: 0.05
    a = twin_sgd(theta0, flat_grad, STEPS, lr, momentum=0.9)
    b = twin_sgd(theta0, flat_grad, STEPS, lr, momentum=0.9, nesterov=True)
    assert not np.allclose(a[-1], b[-1])
    got, _ = run_gdcore(gd.optim.sgd(lr=0.05, momentum=0.9), theta0, flat_grad, STEPS)
    assert not np.allclose(got[-1], b[-1])


@pytest.mark.parametrize("name,kw", CONFIGS[::2])
def test_step_is_pure(name, kw):
    opt = getattr(gd.optim, name)(lr=0.1, **kw)
    params = {"w": np.array([1.0, -2.0]), "b": np.array(0.5)}
    grads = {"w": np.array([0.3, 0.1]), "b": np.array(-0.2)}
    p0, g0 = copy.deepcopy(params), copy.deepcopy(grads)
    state = opt.init(params)
    for _ in range(3):
        state_before = copy.deepcopy(state)
        new_params, new_state = opt.step(params, grads, state)
        for k, a in params.items():
            np.testing.assert_array_equal(a, p0[k])
            np.testing.assert_array_equal(grads[k], g0[k])
            assert not np.shares_memory(new_params[k], a)
        assert state.keys() == state_before.keys()
        assert state["step"] == state_before["step"]
        for key in state:
            if key != "step":
                for k in state[key]:
                    np.testing.assert_array_equal(state[key][k], state_before[key][k])
                    assert not np.shares_memory(new_state[key][k], state[key][k])
        assert new_state["step"] == state["step"] + 1
        state = new_state
    # a bare array is not mutated either
    x = np.array([1.0, 2.0])
    st = opt.init(x)
    opt.step(x, np.array([1.0, 1.0]), st)
    np.testing.assert_array_equal(x, [1.0, 2.0])


@pytest.mark.parametrize("name,kw", CONFIGS, ids=[f"{n}-{'-'.join(k) or 'default'}" for n, k in CONFIGS])
@pytest.mark.parametrize("lr", [0.05, gd.schedules.step_decay(0.1, 0.5, 3)], ids=["const", "sched"])
def test_pure_step_equals_the_in_place_engine(name, kw, lr):
    """opt.step (pure) against opt.step_inplace (the engine fit and minimize run), bit for bit:
    in place (out=None), into a second set of arrays swapped each step (as fit does), on a bare
    array and on a dict with a 0-d leaf, with the learning rate passed in or read from the schedule."""
    opt = getattr(gd.optim, name)(lr=lr, **kw)
    theta0 = np.array([0.5, -1.0, 2.0, 0.1])
    for start, grad_of in ((theta0, flat_grad), (as_dict(theta0), lambda p: as_dict(flat_grad(as_flat(p))))):
        pure, pure_state = copy.deepcopy(start), opt.init(start)
        inplace, inplace_state = copy.deepcopy(start), opt.init(start)
        swap, swap_state = copy.deepcopy(start), opt.init(start)
        spare = copy.deepcopy(start)
        for t in range(STEPS):
            pure, pure_state = opt.step(pure, grad_of(pure), pure_state)
            out = opt.step_inplace(inplace, grad_of(inplace), inplace_state)
            assert out is inplace  # written into params itself
            out = opt.step_inplace(swap, grad_of(swap), swap_state, spare, lr=opt.lr(t))
            assert out is spare
            swap, spare = spare, swap
            for got, state in ((inplace, inplace_state), (swap, swap_state)):
                assert state["step"] == pure_state["step"] == t + 1
                if isinstance(start, dict):
                    for k, a in got.items():
                        assert np.array_equal(a, pure[k]) and a.shape == pure[k].shape
                else:
                    assert np.array_equal(got, pure)
                for key in opt._buffers:
                    a, b = state[key], pure_state[key]
                    for k in (a if isinstance(a, dict) else [None]):
                        assert np.array_equal(a if k is None else a[k], b if k is None else b[k]), key


def test_step_inplace_mutates_params_and_state_and_nothing_else():
    opt = gd.optim.adam(lr=0.1)
    params = {"w": np.array([1.0, -2.0]), "b": np.array(0.5)}
    grads = {"w": np.array([0.3, 0.1]), "b": np.array(-0.2)}
    g0 = copy.deepcopy(grads)
    state = opt.init(params)
    m_before = state["m"]["w"]
    w_before = params["w"]
    opt.step_inplace(params, grads, state)
    assert params["w"] is w_before and state["m"]["w"] is m_before  # the same arrays, new values
    # Adam's first step moves each coordinate by lr against the sign of its gradient (hand-derived:
    # m_hat = g, v_hat = g^2, so the update is lr * g / (|g| + eps))
    np.testing.assert_allclose(params["w"], [1.0 - 0.1, -2.0 - 0.1], rtol=1e-7)
    np.testing.assert_allclose(params["b"], 0.5 + 0.1, rtol=1e-7)
    np.testing.assert_allclose(state["m"]["w"], [0.03, 0.01], rtol=1e-12)
    assert state["step"] == 1
    for k, g in grads.items():
        np.testing.assert_array_equal(g, g0[k])


def test_step_inplace_reads_the_schedule_unless_given_a_rate():
    opt = gd.optim.sgd(lr=gd.schedules.step_decay(0.1, 0.5, 1))
    x, state = np.array([0.0]), opt.init(np.zeros(1))
    opt.step_inplace(x, np.array([1.0]), state)           # step 0: 0.1
    opt.step_inplace(x, np.array([1.0]), state)           # step 1: 0.05
    opt.step_inplace(x, np.array([1.0]), state, lr=1.0)   # the caller's rate
    np.testing.assert_allclose(x, [-1.15], rtol=1e-15)
    assert state["step"] == 3


def test_private_hooks_and_dead_names_are_gone():
    for name in ("lr_at", "_update", "_leaf_buffers", "_step"):
        assert not hasattr(gd.optim.Optimizer, name), name
    assert not hasattr(gd.optim, "NAMES") and not hasattr(gd.optim, "_copy_tree")


def test_fit_and_minimize_use_only_the_public_optimiser_interface():
    """fit and minimize step through the public step_inplace, with the rate of each step
    (the private hooks are gone: see the test above)."""
    calls = []

    class Spy(gd.optim.sgd):
        def step_inplace(self, params, grads, state, out=None, lr=None):
            calls.append(lr)
            return super().step_inplace(params, grads, state, out, lr)

    X, y, _ = gd.data.make_linear(12, 2, rng=0)
    _, hist = gd.fit(gd.models.linear, gd.models.linear.init(2), X, y, Spy(lr=0.1, momentum=0.5), epochs=3)
    assert hist.n_steps == 3 and calls == [0.1] * 3
    _, hist = gd.fit(gd.models.linear, gd.models.linear.init(2), X, y, Spy(lr=0.1), batch_size=4, epochs=2)
    assert hist.n_steps == 6 and len(calls) == 9
    _, hist = gd.minimize(gd.data.quadratic(), np.array([1.0, 1.0]), Spy(lr=0.1), steps=5)
    assert hist.n_steps == 5 and len(calls) == 14


def test_state_is_visible():
    opt = gd.optim.adam(lr=0.1)
    state = opt.init(np.zeros(2))
    assert set(state) == {"step", "m", "v"}
    _, state = opt.step(np.zeros(2), np.array([1.0, -2.0]), state)
    np.testing.assert_allclose(state["m"], [0.1, -0.2])
    np.testing.assert_allclose(state["v"], [0.001, 0.004])
    assert set(gd.optim.sgd().init(np.zeros(1))) == {"step", "b"}
    assert set(gd.optim.rmsprop().init(np.zeros(1))) == {"step", "v", "g_avg", "b"}
    np.testing.assert_array_equal(gd.optim.adagrad(initial_accumulator_value=0.25).init(np.zeros(2))["sum"], 0.25)


def test_defaults_follow_torch():
    assert gd.optim.sgd().lr(0) == 1e-3
    a = gd.optim.adagrad()
    assert (a.lr(0), a.lr_decay, a.eps, a.initial_accumulator_value) == (0.01, 0.0, 1e-10, 0.0)
    r = gd.optim.rmsprop()
    assert (r.lr(0), r.alpha, r.eps, r.momentum, r.centered) == (0.01, 0.99, 1e-8, 0.0, False)
    ad = gd.optim.adam()
    assert (ad.lr(0), ad.betas, ad.eps, ad.weight_decay) == (1e-3, (0.9, 0.999), 1e-8, 0.0)


def test_schedule_is_read_at_the_zero_based_step():
    """With a unit gradient, theta_k = theta_0 - sum of the first k rates, listed by hand."""
    opt = gd.optim.sgd(lr=gd.schedules.step_decay(0.1, 0.5, 2))
    x = np.array([0.0])
    state = opt.init(x)
    got = []
    for _ in range(5):
        x, state = opt.step(x, np.array([1.0]), state)
        got.append(-x[0])
    np.testing.assert_allclose(got, [0.1, 0.2, 0.25, 0.3, 0.325], rtol=1e-14)
    # a user function step -> lr is called with 0, 1, 2, ...
    seen = []
    opt = gd.optim.sgd(lr=lambda t: seen.append(t) or 0.1)
    x, state = np.zeros(1), opt.init(np.zeros(1))
    for _ in range(3):
        x, state = opt.step(x, np.ones(1), state)
    assert seen == [0, 1, 2]


def test_fit_uses_schedule_at_step_index():
    X, y, _ = gd.data.make_linear(10, 2, rng=0)
    sched = gd.schedules.step_decay(0.1, 0.5, 2)
    _, hist = gd.fit(gd.models.linear, gd.models.linear.init(2), X, y, gd.optim.sgd(lr=sched),
                     batch_size=4, epochs=2)
    # 3 steps per epoch, 6 steps: 0.1, 0.1, 0.05, 0.05, 0.025, 0.025
    np.testing.assert_allclose(hist.lr, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025], rtol=1e-14)
    _, hist = gd.fit(gd.models.linear, gd.models.linear.init(2), X, y, gd.optim.sgd(lr=sched), epochs=3)
    np.testing.assert_allclose(hist.lr, [0.1, 0.1, 0.05], rtol=1e-14)


def test_clip_by_norm_and_global_norm():
    g = {"a": np.array([3.0]), "b": np.array([[4.0, 0.0]])}
    assert gd.optim.global_norm(g) == 5.0
    clipped = gd.optim.clip_by_norm(g, 1.0)
    np.testing.assert_allclose(clipped["a"], [0.6])
    np.testing.assert_allclose(clipped["b"], [[0.8, 0.0]])
    np.testing.assert_array_equal(gd.optim.clip_by_norm(g, 10.0)["a"], [3.0])
    np.testing.assert_array_equal(g["a"], [3.0])


def test_against_torch_if_available():
    torch = pytest.importorskip("torch")
    theta0 = np.array([0.5, -1.0, 2.0, 0.1])
    cases = [("sgd", torch.optim.SGD, {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
             ("adagrad", torch.optim.Adagrad, {"lr_decay": 0.1, "initial_accumulator_value": 0.2}),
             ("rmsprop", torch.optim.RMSprop, {"centered": True, "momentum": 0.5}),
             ("adam", torch.optim.Adam, {"betas": (0.8, 0.99)})]
    for name, cls, kw in cases:
        p = torch.tensor(theta0.copy(), dtype=torch.float64, requires_grad=True)
        opt_t = cls([p], lr=0.05, **kw)
        want = [theta0.copy()]
        for _ in range(STEPS):
            opt_t.zero_grad()
            p.grad = torch.tensor(flat_grad(p.detach().numpy().copy()))
            opt_t.step()
            want.append(p.detach().numpy().copy())
        got, _ = run_gdcore(getattr(gd.optim, name)(lr=0.05, **kw), theta0, flat_grad, STEPS)
        np.testing.assert_allclose(np.array(got), np.array(want), rtol=1e-10, atol=1e-12, err_msg=name)


# ---------------------------------------------------------------- convergence

@pytest.mark.parametrize("opt", [gd.optim.sgd(lr=0.9), gd.optim.sgd(lr=0.5, momentum=0.7),
                                 gd.optim.sgd(lr=0.5, momentum=0.7, nesterov=True),
                                 gd.optim.adam(lr=0.05), gd.optim.rmsprop(lr=0.01), gd.optim.adagrad(lr=0.5)],
                         ids=repr)
def test_converges_on_quadratic_bowl(opt):
    bowl = gd.data.quadratic(kappa=10.0, L=1.0, angle=0.4, x_star=(1.0, -2.0))
    x, hist = gd.minimize(bowl, np.array([-3.0, 3.0]), opt, steps=3000, tol=1e-8)
    np.testing.assert_allclose(x, [1.0, -2.0], atol=1e-3)
    assert not hist.diverged
    assert hist.loss[-1] < 1e-6 * hist.loss[0]


@pytest.mark.parametrize("opt,steps", [(gd.optim.sgd(lr=1e-3, momentum=0.9), 20000),
                                       (gd.optim.adam(lr=0.02), 20000)], ids=repr)
def test_converges_on_rosenbrock(opt, steps):
    f = gd.data.rosenbrock()
    x, hist = gd.minimize(f, np.array([-1.5, 2.0]), opt, steps=steps, tol=1e-6, record_path=False)
    np.testing.assert_allclose(x, [1.0, 1.0], atol=1e-3)
    assert f.f(x) < 1e-6
    assert not hist.diverged


def test_plain_gd_on_quadratic_matches_closed_form():
    """On an axis-aligned bowl GD contracts each coordinate by |1 - lr * lambda_i| per step."""
    bowl = gd.data.quadratic(kappa=4.0, L=2.0)
    x0 = np.array([1.0, 1.0])
    x, hist = gd.minimize(bowl, x0, gd.optim.sgd(lr=0.25), steps=10)
    np.testing.assert_allclose(x, [(1 - 0.25 * 2.0) ** 10, (1 - 0.25 * 0.5) ** 10], rtol=1e-12)
    assert hist.path.shape == (11, 2)
