"""gd.optim.adamw against a plain-loop twin of torch.optim.AdamW's documented algorithm, against torch
itself (when installed), and on the behaviour that sets decoupled decay apart from Adam's coupled L2."""
import copy
import re

import numpy as np
import pytest

import gdcore as gd

STEPS = 25
A = np.array([[3.0, 0.5, 0.0, 0.2], [0.5, 1.0, 0.1, 0.0], [0.0, 0.1, 0.5, 0.3], [0.2, 0.0, 0.3, 2.0]])
c = np.array([1.0, -2.0, 0.5, 0.3])
THETA0 = np.array([0.5, -1.0, 2.0, 0.1])


def flat_grad(theta):
    """A deterministic, non-linear gradient field on R^4."""
    return A @ theta - c + 0.3 * np.sin(3 * theta)


def twin_adamw(theta, grad_fn, steps, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    """torch.optim.AdamW's pseudo-code (amsgrad=False, maximize=False), one array, written independently."""
    theta = theta.copy()
    b1, b2 = betas
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    path = [theta.copy()]
    for t in range(1, steps + 1):
        g = grad_fn(theta)                     # the gradient at theta_{t-1}, before the decay
        gamma = lr(t - 1)
        theta = theta - gamma * weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        v_hat = v / (1 - b2 ** t)
        theta = theta - gamma * m_hat / (np.sqrt(v_hat) + eps)
        path.append(theta.copy())
    return path


def run(opt, params, grad_of, steps):
    state = opt.init(params)
    path = [copy.deepcopy(params)]
    for _ in range(steps):
        params, state = opt.step(params, grad_of(params), state)
        path.append(params)
    return path, state


def as_dict(theta):
    return {"b": np.array(theta[0]), "w": theta[1:4].copy()}


def as_flat(params):
    return np.concatenate([np.atleast_1d(params["b"]), params["w"]])


CONFIGS = [{}, {"weight_decay": 0.1}, {"betas": (0.8, 0.99), "weight_decay": 0.5}, {"eps": 1e-3, "weight_decay": 0.0}]


@pytest.mark.parametrize("kw", CONFIGS, ids=lambda kw: "-".join(kw) or "default")
@pytest.mark.parametrize("lr", [0.05, gd.schedules.step_decay(0.1, 0.5, 4)], ids=["const", "sched"])
def test_matches_plain_loop_twin(kw, lr):
    lr_fn = lr if callable(lr) else (lambda t: lr)
    want = np.array(twin_adamw(THETA0, flat_grad, STEPS, lr_fn, **kw))
    opt = gd.optim.adamw(lr=lr, **kw)
    got, _ = run(opt, THETA0.copy(), flat_grad, STEPS)
    np.testing.assert_allclose(np.array(got), want, rtol=1e-12, atol=1e-14)
    got, _ = run(opt, as_dict(THETA0), lambda p: as_dict(flat_grad(as_flat(p))), STEPS)
    np.testing.assert_allclose(np.array([as_flat(p) for p in got]), want, rtol=1e-12, atol=1e-14)
    assert got[-1]["b"].shape == () and got[-1]["w"].shape == (3,)


def test_against_torch_if_available():
    torch = pytest.importorskip("torch")
    for kw in ({}, {"weight_decay": 0.3}, {"betas": (0.8, 0.99), "weight_decay": 0.05, "eps": 1e-6}):
        p = torch.tensor(THETA0.copy(), dtype=torch.float64, requires_grad=True)
        opt_t = torch.optim.AdamW([p], lr=0.05, **kw)
        want = [THETA0.copy()]
        for _ in range(STEPS):
            opt_t.zero_grad()
            p.grad = torch.tensor(flat_grad(p.detach().numpy().copy()))
            opt_t.step()
            want.append(p.detach().numpy().copy())
        got, _ = run(gd.optim.adamw(lr=0.05, **kw), THETA0.copy(), flat_grad, STEPS)
        np.testing.assert_allclose(np.array(got), np.array(want), rtol=1e-10, atol=1e-12, err_msg=str(kw))


def test_defaults_follow_torch():
    o = gd.optim.adamw()
    assert (o.lr(0), o.betas, o.eps, o.weight_decay) == (1e-3, (0.9, 0.999), 1e-8, 1e-2)
    assert repr(o) == "adamw(lr=constant(lr0=0.001), betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01)"


def test_without_decay_it_is_adam():
    got, _ = run(gd.optim.adamw(lr=0.05, weight_decay=0.0), THETA0.copy(), flat_grad, STEPS)
    want, _ = run(gd.optim.adam(lr=0.05), THETA0.copy(), flat_grad, STEPS)
    np.testing.assert_array_equal(np.array(got), np.array(want))


def test_decay_is_decoupled_from_the_adaptive_scaling():
    """With a zero loss gradient AdamW shrinks every coordinate by exactly (1 - lr*lambda) per step, whatever its
    size; Adam's coupled L2 feeds lambda*theta through m/sqrt(v), which normalises it to a step of about lr."""
    theta = np.array([1e-3, 1.0, 50.0])
    lr, lam = 0.01, 0.1
    zero = lambda p: np.zeros_like(p)
    path_w, state = run(gd.optim.adamw(lr=lr, weight_decay=lam), theta, zero, 30)
    np.testing.assert_allclose(path_w[-1], theta * (1 - lr * lam) ** 30, rtol=1e-12)
    np.testing.assert_array_equal(state["m"], 0.0)
    path_a, _ = run(gd.optim.adam(lr=lr, weight_decay=lam), theta, zero, 30)
    steps_a = np.abs(np.diff(np.array(path_a), axis=0))
    assert np.all((0.85 * lr < steps_a[:, 1:]) & (steps_a[:, 1:] < 1.0001 * lr))   # about lr, whatever theta is
    assert not np.allclose(path_a[-1], path_w[-1], rtol=1e-3)


def test_step_is_pure_and_state_visible():
    opt = gd.optim.adamw(lr=0.1, weight_decay=0.2)
    params = {"w": np.array([1.0, -2.0]), "b": np.array(0.5)}
    grads = {"w": np.array([0.3, 0.1]), "b": np.array(-0.2)}
    p0, g0 = copy.deepcopy(params), copy.deepcopy(grads)
    state = opt.init(params)
    assert set(state) == {"step", "m", "v"}
    new_params, new_state = opt.step(params, grads, state)
    for k in params:  # noqa: PLC0206 - keys index several dicts
        np.testing.assert_array_equal(params[k], p0[k])
        np.testing.assert_array_equal(grads[k], g0[k])
        assert not np.shares_memory(new_params[k], params[k])
    assert state["step"] == 0 and new_state["step"] == 1
    np.testing.assert_array_equal(state["m"]["w"], 0.0)
    np.testing.assert_allclose(new_state["m"]["w"], [0.03, 0.01])
    np.testing.assert_allclose(new_state["v"]["w"], [9e-5, 1e-5])
    # first step: decay, then exactly lr per coordinate (bias correction), up to eps
    np.testing.assert_allclose(new_params["w"], np.array([1.0, -2.0]) * (1 - 0.1 * 0.2) - 0.1 * np.sign(grads["w"]),
                               rtol=1e-7)


def test_full_batch_fixed_point():
    """At a fixed point of full-batch AdamW the step vanishes: m_hat/(sqrt(v_hat)+eps) = -lambda*theta, with the
    moments settled at g and g^2. So each coordinate with |theta_i| < 1/lambda has a data gradient of order eps,
    unlike Adam's coupled L2 (and SGD's weight decay), whose fixed point is the ridge solution."""
    X, y, _ = gd.data.make_linear(80, 3, noise=0.5, rng=1)
    lam = 0.2
    sched = gd.schedules.cosine(0.05, total_steps=6000, lr_min=1e-4)
    p_w, _ = gd.fit(gd.models.linear, gd.models.linear.init(3), X, y, gd.optim.adamw(lr=sched, weight_decay=lam),
                    epochs=6000)
    A_ = np.c_[X, np.ones(len(y))]
    ols = np.linalg.lstsq(A_, y, rcond=None)[0]
    ridge = np.linalg.solve(A_.T @ A_ / len(y) + lam * np.eye(4), A_.T @ y / len(y))
    assert np.max(np.abs(ols)) < 1 / lam
    got = np.r_[p_w["w"], p_w["b"]]
    np.testing.assert_allclose(got, ols, atol=1e-3)
    assert np.max(np.abs(got - ridge)) > 0.05


BETAS = r"a pair \(beta1, beta2\) of floats in the range \[0, 1\)"


@pytest.mark.parametrize("call,exc,name,constraint", [
    (lambda: gd.optim.adamw(lr=-1.0), ValueError, "lr", "a float > 0 or a schedule"),
    (lambda: gd.optim.adamw(betas=(0.9,)), TypeError, "betas", r"a pair \(beta1, beta2\)"),
    (lambda: gd.optim.adamw(betas=0.9), TypeError, "betas", r"a pair \(beta1, beta2\)"),
    (lambda: gd.optim.adamw(betas=(1.0, 0.999)), ValueError, "betas", BETAS),
    (lambda: gd.optim.adamw(betas=(0.9, -0.1)), ValueError, "betas", BETAS),
    (lambda: gd.optim.adamw(eps=-1.0), ValueError, "eps", "a float >= 0"),
    (lambda: gd.optim.adamw(weight_decay=-0.1), ValueError, "weight_decay", "a float >= 0"),
    (lambda: gd.optim.adamw(weight_decay="0.1"), TypeError, "weight_decay", "a float >= 0"),
    (lambda: gd.optim.adamw().step(np.zeros(2), np.zeros(2), {"step": 0}), TypeError, "state", "a dict from"),
    (lambda: gd.optim.adamw().step(np.zeros(2), np.zeros(3), gd.optim.adamw().init(np.zeros(2))), ValueError,
     "grads", r"an array of shape \(2,\)"),
])
def test_validation(call, exc, name, constraint):
    func = r"adamw(\.step)?"
    with pytest.raises(exc, match=rf"^The '{re.escape(name)}' parameter of {func} must be {constraint}.*; got .* instead\.$"):
        call()
