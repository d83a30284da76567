"""The training loop: least squares, batching, divergence and reproducibility."""
import copy
import dataclasses
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gdcore as gd

H = settings(max_examples=25, deadline=None, database=None)  # no .hypothesis/ left in the tree


class Spy:
    """A model that fit accepts (it has loss_and_grad) and that records every batch it is given.

    Column 0 of X holds the row index, so the batches reveal which rows were used.
    The loss is the half-MSE of a linear model on the other columns.
    """

    def __init__(self):
        self.batches = []
        self.params_seen = []

    def loss_and_grad(self, params, X, y):
        self.batches.append(X[:, 0].astype(int).tolist())
        self.params_seen.append({k: v.copy() for k, v in params.items()})
        r = X[:, 1:] @ params["w"] - y
        n = len(y)
        return 0.5 * float(r @ r) / n, {"w": X[:, 1:].T @ r / n}


def spy_data(n, d=2, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.arange(n), rng.standard_normal((n, d))])
    return X, rng.standard_normal(n)


# ---------------------------------------------------------------- least squares

def test_linear_regression_reaches_lstsq():
    X, y, _ = gd.data.make_linear(200, 3, noise=0.5, rng=1, b=2.0)
    coef, *_ = np.linalg.lstsq(np.column_stack([X, np.ones(len(y))]), y, rcond=None)
    params, hist = gd.fit(gd.models.linear, gd.models.linear.init(3), X, y, gd.optim.sgd(lr=0.5),
                          epochs=2000, tol=1e-12)
    assert hist.converged and not hist.diverged
    np.testing.assert_allclose(params["w"], coef[:3], rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(params["b"], coef[3], rtol=1e-9)
    assert params["b"].shape == ()


def test_minibatch_adam_gets_close_to_lstsq():
    X, y, _ = gd.data.make_linear(500, 2, noise=0.1, rng=3)
    coef, *_ = np.linalg.lstsq(np.column_stack([X, np.ones(len(y))]), y, rcond=None)
    opt = gd.optim.adam(lr=gd.schedules.exponential(0.05, 0.995))
    params, hist = gd.fit(gd.models.linear, gd.models.linear.init(2), X, y, opt, batch_size=50, epochs=100)
    np.testing.assert_allclose(np.append(params["w"], params["b"]), coef, atol=5e-3)
    assert hist.epoch_loss[-1] < hist.epoch_loss[0] / 10


def test_fit_is_pure_and_matches_optimiser_steps():
    """Full-batch fit equals the hand loop of loss_and_grad + opt.step, and leaves its inputs alone."""
    X, y, _ = gd.data.make_linear(30, 2, rng=0)
    p0 = {"w": np.array([0.5, -0.5]), "b": np.array(0.1)}
    keep = copy.deepcopy(p0)
    Xc, yc = X.copy(), y.copy()
    opt = gd.optim.sgd(lr=0.1, momentum=0.9, nesterov=True)
    params, hist = gd.fit(gd.models.linear, p0, X, y, opt, epochs=15, record_path=True)
    for k, a in p0.items():
        np.testing.assert_array_equal(a, keep[k])
    np.testing.assert_array_equal(X, Xc)
    np.testing.assert_array_equal(y, yc)
    p, state = keep, opt.init(keep)
    losses, norms = [], []
    for _ in range(15):
        loss, grads = gd.models.linear.loss_and_grad(p, X, y)
        losses.append(loss)
        norms.append(np.sqrt(np.sum(grads["w"] ** 2) + grads["b"] ** 2))
        p, state = opt.step(p, grads, state)
    for k in p:
        np.testing.assert_allclose(params[k], p[k], rtol=1e-13)
    np.testing.assert_allclose(hist.loss, losses, rtol=1e-13)
    np.testing.assert_allclose(hist.grad_norm, norms, rtol=1e-13)
    assert len(hist.path) == 16
    np.testing.assert_allclose(hist.path[-1]["w"], params["w"], rtol=0)
    np.testing.assert_array_equal(hist.path[0]["w"], keep["w"])
    assert hist.n_steps == 15 and hist.epochs_run == 15 and len(hist.epoch_loss) == 16
    np.testing.assert_array_equal(hist.examples, 30 * np.arange(1, 16))


def test_minibatch_fit_matches_hand_loop_with_same_shuffles():
    X, y, _ = gd.data.make_linear(23, 2, rng=0)
    opt = gd.optim.rmsprop(lr=0.01, momentum=0.5)
    params, hist = gd.fit(gd.models.linear, gd.models.linear.init(2), X, y, opt, batch_size=5, epochs=3, rng=7)
    rng = np.random.default_rng(7)
    p, state = gd.models.linear.init(2), opt.init(gd.models.linear.init(2))
    losses, norms = [], []
    for _ in range(3):
        perm = rng.permutation(23)
        for s in range(0, 23, 5):
            idx = perm[s:s + 5]
            loss, grads = gd.models.linear.loss_and_grad(p, X[idx], y[idx])
            losses.append(loss)
            p, state = opt.step(p, grads, state)
            norms.append(np.sqrt(grads["w"] @ grads["w"] + grads["b"] ** 2))
    np.testing.assert_allclose(hist.loss, losses, rtol=1e-12)
    np.testing.assert_allclose(hist.grad_norm, norms, rtol=1e-12)
    for k in p:
        np.testing.assert_allclose(params[k], p[k], rtol=1e-12)
    np.testing.assert_array_equal(np.diff(np.concatenate([[0], hist.examples])), [5, 5, 5, 5, 3] * 3)
    assert hist.lr.shape == (15,) and np.all(hist.lr == 0.01)


class LinearViaSpy:
    """gd.models.linear behind a plain object: fit takes its generic (non-deferred) bookkeeping path."""

    def loss_and_grad(self, params, X, y):
        return gd.models.linear.loss_and_grad(params, X, y)


@pytest.mark.parametrize("batch_size", [1, 7])
def test_generic_and_fast_bookkeeping_agree(batch_size):
    X, y, _ = gd.data.make_linear(600, 3, rng=2)  # 600 per-sample steps: more than one block of norms
    opt = gd.optim.sgd(lr=0.01, momentum=0.5)
    p1, h1 = gd.fit(gd.models.linear, gd.models.linear.init(3), X, y, opt, batch_size=batch_size, epochs=2)
    p2, h2 = gd.fit(LinearViaSpy(), gd.models.linear.init(3), X, y, opt, batch_size=batch_size, epochs=2)
    np.testing.assert_array_equal(p1["w"], p2["w"])
    np.testing.assert_array_equal(h1.loss, h2.loss)
    np.testing.assert_allclose(h1.grad_norm, h2.grad_norm, rtol=1e-13)
    assert h1.grad_norm.shape == h1.loss.shape == h1.lr.shape == h1.examples.shape
    assert h1.examples[-1] == 2 * 600


# ---------------------------------------------------------------- batching properties

@H
@given(n=st.integers(2, 40), data=st.data())
def test_reshuffle_visits_every_index_once_per_epoch(n, data):
    B = data.draw(st.integers(1, n - 1))
    epochs = data.draw(st.integers(1, 3))
    seed = data.draw(st.integers(0, 2 ** 16))
    X, y = spy_data(n)
    spy = Spy()
    _, hist = gd.fit(spy, {"w": np.zeros(2)}, X, y, gd.optim.sgd(lr=0.01), batch_size=B, epochs=epochs, rng=seed)
    steps = -(-n // B)
    # first call: full-data loss before training; then per epoch `steps` batches and one full-data call
    assert spy.batches[0] == list(range(n))
    for e in range(epochs):
        chunk = spy.batches[1 + e * (steps + 1): 1 + (e + 1) * (steps + 1)]
        batches, full = chunk[:-1], chunk[-1]
        assert full == list(range(n))
        seen = [i for b in batches for i in b]
        assert sorted(seen) == list(range(n))
        assert [len(b) for b in batches] == [B] * (n // B) + ([n % B] if n % B else [])
    assert hist.n_steps == epochs * steps
    assert len(spy.batches) == 1 + epochs * (steps + 1)


@H
@given(k=st.integers(2, 8), B=st.integers(1, 6), seed=st.integers(0, 2 ** 16))
def test_mean_of_equal_minibatch_gradients_is_full_gradient(k, B, seed):
    """Over one reshuffled epoch with n = k * B, the average batch gradient equals the full gradient
    (at fixed parameters: lr is tiny and we evaluate the spy's gradient at the initial params)."""
    n = k * B
    X, y = spy_data(n, seed=seed)
    w0 = np.array([0.3, -0.7])
    spy = Spy()
    gd.fit(spy, {"w": w0}, X, y, gd.optim.sgd(lr=1e-300), batch_size=B, epochs=1, rng=seed)
    batches = spy.batches[1:1 + k]
    assert sorted(i for b in batches for i in b) == list(range(n))
    Xd = X[:, 1:]
    full = Xd.T @ (Xd @ w0 - y) / n
    grads = [Xd[b].T @ (Xd[b] @ w0 - y[b]) / B for b in batches]
    np.testing.assert_allclose(np.mean(grads, axis=0), full, rtol=1e-10, atol=1e-12)
    # and the linear model's own batch gradients average to its full gradient
    p = {"w": w0, "b": np.array(0.2)}
    full_g = gd.models.linear.loss_and_grad(p, Xd, y)[1]
    mean_g = np.mean([gd.models.linear.loss_and_grad(p, Xd[b], y[b])[1]["w"] for b in batches], axis=0)
    np.testing.assert_allclose(mean_g, full_g["w"], rtol=1e-10, atol=1e-12)


@H
@given(n=st.integers(1, 30), epochs=st.integers(1, 5))
def test_full_batch_is_one_step_per_epoch(n, epochs):
    X, y = spy_data(n)
    for B in (None, n):
        spy = Spy()
        _, hist = gd.fit(spy, {"w": np.zeros(2)}, X, y, gd.optim.sgd(lr=0.01), batch_size=B, epochs=epochs)
        assert hist.n_steps == epochs and hist.epochs_run == epochs
        assert all(b == list(range(n)) for b in spy.batches)
        np.testing.assert_array_equal(hist.examples, n * np.arange(1, epochs + 1))


@H
@given(n=st.integers(2, 50), data=st.data())
def test_last_partial_batch_and_sampling_modes(n, data):
    B = data.draw(st.integers(1, n - 1))
    X, y = spy_data(n)
    spy = Spy()
    gd.fit(spy, {"w": np.zeros(2)}, X, y, gd.optim.sgd(lr=0.01), batch_size=B, epochs=1, sampling="fixed")
    batches = spy.batches[1:-1]
    assert batches == [list(range(s, min(s + B, n))) for s in range(0, n, B)]
    assert len(batches[-1]) == n - B * (len(batches) - 1)
    spy = Spy()
    gd.fit(spy, {"w": np.zeros(2)}, X, y, gd.optim.sgd(lr=0.01), batch_size=B, epochs=1, sampling="replacement",
           rng=1)
    batches = spy.batches[1:-1]
    assert [len(b) for b in batches] == [len(range(s, min(s + B, n))) for s in range(0, n, B)]
    assert all(0 <= i < n for b in batches for i in b)


def test_replacement_sampling_repeats_indices():
    X, y = spy_data(200)
    spy = Spy()
    gd.fit(spy, {"w": np.zeros(2)}, X, y, gd.optim.sgd(lr=0.01), batch_size=200 - 1, epochs=1,
           sampling="replacement")
    drawn = spy.batches[1] + spy.batches[2]
    assert len(set(drawn)) < len(drawn)  # 200 draws from 200 items without a repeat: probability ~1e-86


# ---------------------------------------------------------------- divergence

def _one_divergence_warning(record):
    div = [w for w in record if issubclass(w.category, gd.DivergenceWarning)]
    assert len(div) == 1, [str(w.message) for w in record]
    return str(div[0].message)


@pytest.mark.parametrize("batch_size", [None, 10, 1])
def test_fit_detects_divergence(batch_size):
    X, y, _ = gd.data.make_linear(50, 3, rng=0, feature_scale=[1.0, 5.0, 10.0])
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        params, hist = gd.fit(gd.models.linear, gd.models.linear.init(3), X, y, gd.optim.sgd(lr=3.0),
                              batch_size=batch_size, epochs=200, record_path=True)
    msg = _one_divergence_warning(record)
    # the step after which the loss exploded is undone: fit hands back, and the records end at, the
    # parameters before it
    assert len(hist.path) == hist.n_steps + 1
    assert len(hist.loss) == len(hist.lr) == len(hist.grad_norm) == len(hist.examples) == hist.n_steps
    assert len(hist.epoch_loss) == hist.epochs_run + 1
    for k in params:
        np.testing.assert_array_equal(params[k], hist.path[-1][k])
    if batch_size is None:
        # one more plain GD step from the returned parameters, by hand, makes the loss explode
        loss, grads = gd.models.linear.loss_and_grad(params, X, y)
        assert loss <= 1e6 * hist.epoch_loss[0] and loss == hist.epoch_loss[-1]
        bad = {k: params[k] - 3.0 * grads[k] for k in params}
        assert gd.models.linear.loss_and_grad(bad, X, y)[0] > 1e6 * hist.epoch_loss[0]
        assert hist.diverged_step == hist.n_steps + 1
    else:
        assert hist.n_steps < hist.diverged_step
    assert hist.diverged and not hist.converged
    assert f"step {hist.diverged_step}" in msg and "learning rate 3" in msg
    assert all(np.all(np.isfinite(v)) for v in params.values())
    assert np.isfinite(gd.models.linear.loss_and_grad(params, X, y)[0])
    assert np.all(np.isfinite(hist.loss)) and np.all(np.isfinite(hist.epoch_loss))
    assert hist.n_steps < 200 * (50 if batch_size == 1 else 5)


class NaNGradAfter:
    """Finite losses, but the gradient turns NaN from call number `k` on."""

    def __init__(self, k):
        self.k, self.calls = k, 0

    def loss_and_grad(self, params, X, y):
        self.calls += 1
        loss, grads = gd.models.linear.loss_and_grad(params, X, y)
        if self.calls >= self.k:
            grads = {"w": grads["w"] * np.nan, "b": grads["b"]}
        return loss, grads


@pytest.mark.parametrize("batch_size", [None, 4])
def test_nan_gradient_is_divergence(batch_size):
    X, y, _ = gd.data.make_linear(16, 2, rng=0)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        params, hist = gd.fit(NaNGradAfter(4), gd.models.linear.init(2), X, y, gd.optim.sgd(lr=0.1),
                              batch_size=batch_size, epochs=5)
    _one_divergence_warning(record)
    assert hist.diverged and np.all(np.isfinite(params["w"]))


def test_fit_reports_step_and_scheduled_lr_on_divergence():
    X, y, _ = gd.data.make_linear(20, 1, rng=0, w=[3.0])
    sched = lambda t: 0.1 if t < 5 else 50.0
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        params, hist = gd.fit(gd.models.linear, gd.models.linear.init(1), X, y, gd.optim.sgd(lr=sched), epochs=50)
    msg = _one_divergence_warning(record)
    assert hist.diverged and hist.diverged_step > 5
    assert "learning rate 50" in msg and f"step {hist.diverged_step}" in msg
    assert np.all(np.isfinite(params["w"]))


def test_stable_run_does_not_warn():
    X, y, _ = gd.data.make_linear(20, 2, rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, hist = gd.fit(gd.models.linear, gd.models.linear.init(2), X, y, gd.optim.sgd(lr=0.1), epochs=20)
    assert not hist.diverged and hist.diverged_step is None


def test_minimize_detects_divergence():
    bowl = gd.data.quadratic(kappa=2.0, L=1.0)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        x, hist = gd.minimize(bowl, np.array([1.0, 1.0]), gd.optim.sgd(lr=2.5), steps=500)
    msg = _one_divergence_warning(record)
    assert hist.diverged and f"step {hist.diverged_step}" in msg and "learning rate 2.5" in msg
    assert np.all(np.isfinite(x)) and np.all(np.isfinite(hist.path)) and np.all(np.isfinite(hist.loss))
    np.testing.assert_array_equal(x, hist.path[-1])
    # lr = 2/L is the boundary. Along the axes x_k = ((1 - 2.5 L)^k, (1 - 2.5 mu)^k) with L = 1, mu = 0.5,
    # so f_k = 0.5 * 1.5^(2k) + 0.25 * 0.25^(2k); the run stops at the first k with f_k > 1e6 * f_0
    k = next(k for k in range(100) if 0.5 * 1.5 ** (2 * k) + 0.25 * 0.25 ** (2 * k) > 1e6 * 0.75)
    assert hist.diverged_step == k == 18
    x, hist = gd.minimize(bowl, np.array([1.0, 1.0]), gd.optim.sgd(lr=1.9), steps=500)
    assert not hist.diverged


# ---------------------------------------------------------------- reproducibility

@pytest.mark.parametrize("sampling", ["reshuffle", "replacement"])
def test_same_seed_same_result_different_seed_differs(sampling):
    X, y = gd.data.make_xor(n_repeats=10, noise=0.1, rng=0)
    net = gd.models.mlp.model("tanh")

    def run(seed):
        return gd.fit(net, net.init([2, 4, 1], rng=seed), X, y, gd.optim.adam(lr=0.05), batch_size=8,
                      epochs=5, rng=seed, sampling=sampling)

    (p1, h1), (p2, h2), (p3, h3) = run(0), run(0), run(1)
    for k in p1:
        np.testing.assert_array_equal(p1[k], p2[k])
    np.testing.assert_array_equal(h1.loss, h2.loss)
    np.testing.assert_array_equal(h1.grad_norm, h2.grad_norm)
    np.testing.assert_array_equal(h1.epoch_loss, h2.epoch_loss)
    assert not np.array_equal(p1["W1"], p3["W1"])
    assert not np.array_equal(h1.loss, h3.loss)
    # a Generator is accepted too, and advances
    g = np.random.default_rng(0)
    pa, _ = gd.fit(net, net.init([2, 4, 1], rng=0), X, y, gd.optim.adam(lr=0.05), batch_size=8, epochs=5, rng=g,
                   sampling=sampling)
    pb, _ = gd.fit(net, net.init([2, 4, 1], rng=0), X, y, gd.optim.adam(lr=0.05), batch_size=8, epochs=5, rng=g,
                   sampling=sampling)
    np.testing.assert_array_equal(pa["W1"], p1["W1"])
    assert not np.array_equal(pb["W1"], pa["W1"])


def test_xor_mlp_learns():
    X, y = gd.data.make_xor()
    net = gd.models.mlp.model("tanh")
    params, hist = gd.fit(net, net.init([2, 4, 1], rng=0), X, y, gd.optim.sgd(lr=0.5, momentum=0.9), epochs=2000)
    assert np.array_equal(net.predict(params, X) > 0.5, y == 1)
    assert hist.epoch_loss[-1] < 0.05


@pytest.mark.parametrize("batch_size", [None, 1])
def test_non_finite_initial_loss_is_divergence_at_step_0(batch_size):
    class InfLoss:
        def loss_and_grad(self, params, X, y):
            return float("inf"), {"w": np.zeros(1)}

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        params, hist = gd.fit(InfLoss(), {"w": np.array([0.5])}, np.ones((3, 1)), np.ones(3), gd.optim.sgd(lr=0.1),
                              batch_size=batch_size, epochs=3)
    assert "step 0" in _one_divergence_warning(record)
    assert hist.diverged and hist.diverged_step == 0 and hist.n_steps == 0
    np.testing.assert_array_equal(params["w"], [0.5])


# ---------------------------------------------------------------- History means the same after fit and minimize

def _lsq_objective(X, y):
    """The half-MSE of gd.models.linear as a function of one flat vector x = (w, b), written by hand."""
    n = len(y)

    def fun(x):
        r = X @ x[:-1] + x[-1] - y
        return 0.5 * float(r @ r) / n, np.append(X.T @ r, r.sum()) / n
    return fun


def _flat(p):
    return np.append(p["w"], p["b"])


@pytest.mark.parametrize("lr,steps,tol,diverges", [
    (0.1, 25, None, False),      # runs to the end
    (0.05, 5000, 1e-6, False),   # converges
    (3.0, 200, None, True),      # diverges
])
def test_minimize_history_means_what_full_batch_fit_history_means(lr, steps, tol, diverges):
    """The same GD run through fit (full batch) and through minimize on the same objective."""
    X, y, _ = gd.data.make_linear(40, 2, rng=3, feature_scale=[1.0, 4.0])
    p0 = {"w": np.array([0.3, -0.2]), "b": np.array(0.1)}
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        params, hf = gd.fit(gd.models.linear, p0, X, y, gd.optim.sgd(lr=lr), epochs=steps, tol=tol,
                            record_path=True)
        x, hm = gd.minimize(_lsq_objective(X, y), _flat(p0), gd.optim.sgd(lr=lr), steps=steps, tol=tol)
    assert sum(issubclass(w.category, gd.DivergenceWarning) for w in record) == (2 if diverges else 0)
    assert hf.diverged == hm.diverged == diverges and hf.converged == hm.converged == (tol is not None)
    assert hf.n_steps == hm.n_steps and hf.epochs_run == hm.epochs_run == hf.n_steps
    assert hf.diverged_step == hm.diverged_step
    for name in ("loss", "lr", "grad_norm", "epoch_loss"):
        a, b = getattr(hf, name), getattr(hm, name)
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=1e-10, err_msg=name)
    # lengths: per step, and per iterate
    assert hm.loss.shape == hm.lr.shape == hm.grad_norm.shape == hm.examples.shape == (hm.n_steps,)
    assert hm.epoch_loss.shape == (hm.n_steps + 1,) and hm.path.shape == (hm.n_steps + 1, 3)
    # loss[0] is the same point for both: the loss at the initial parameters
    f0 = _lsq_objective(X, y)(_flat(p0))[0]
    assert hf.loss[0] == pytest.approx(f0, rel=1e-12) and hm.loss[0] == pytest.approx(f0, rel=1e-12)
    # a step's loss is taken before its update: loss is epoch_loss without the last iterate
    np.testing.assert_array_equal(hm.loss, hm.epoch_loss[:-1])
    np.testing.assert_array_equal(hf.loss, hf.epoch_loss[:-1])
    # the returned parameters are the last ones on the path, and their loss is epoch_loss[-1]
    np.testing.assert_array_equal(x, hm.path[-1])
    np.testing.assert_allclose(_flat(params), x, rtol=1e-10)
    np.testing.assert_allclose(np.array([_flat(p) for p in hf.path]), hm.path, rtol=1e-10, atol=1e-14)
    assert _lsq_objective(X, y)(x)[0] == pytest.approx(hm.epoch_loss[-1], rel=1e-12)
    np.testing.assert_array_equal(hm.examples, np.arange(1, hm.n_steps + 1))
    np.testing.assert_array_equal(hf.examples, 40 * np.arange(1, hf.n_steps + 1))


def test_minimize_records_the_loss_before_each_step_by_hand():
    """1-D bowl f(x) = x^2 / 2 from x0 = 1 with lr = 0.5: x_k = 0.5^k, f_k = 0.5^(2k) / 2, |grad_k| = 0.5^k."""
    x, hist = gd.minimize(lambda x: (0.5 * float(x @ x), x.copy()), np.array([1.0]), gd.optim.sgd(lr=0.5), steps=4)
    np.testing.assert_allclose(hist.loss, [0.5, 0.125, 0.03125, 0.0078125], rtol=1e-15)
    np.testing.assert_allclose(hist.grad_norm, [1.0, 0.5, 0.25, 0.125], rtol=1e-15)
    np.testing.assert_allclose(hist.epoch_loss, [0.5, 0.125, 0.03125, 0.0078125, 0.001953125], rtol=1e-15)
    np.testing.assert_allclose(hist.path[:, 0], [1.0, 0.5, 0.25, 0.125, 0.0625], rtol=1e-15)
    np.testing.assert_array_equal(hist.lr, [0.5] * 4)
    assert x.tolist() == [0.0625] and hist.n_steps == 4 and hist.epochs_run == 4


def test_minimize_does_not_let_fun_keep_the_loops_arrays():
    seen = []

    def fun(x):
        seen.append(x)  # a function that keeps what it is given must not see it change later
        return 0.5 * float(x @ x), x

    gd.minimize(fun, np.array([1.0, 2.0]), gd.optim.sgd(lr=0.5), steps=3)
    np.testing.assert_allclose([s[0] for s in seen[-4:]], [1.0, 0.5, 0.25, 0.125])


@pytest.mark.parametrize("batch_size", [1, 5])
def test_stochastic_divergence_rolls_back_to_the_returned_parameters(batch_size):
    X, y, _ = gd.data.make_linear(20, 2, rng=0, feature_scale=[1.0, 8.0])
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        params, hist = gd.fit(gd.models.linear, gd.models.linear.init(2), X, y, gd.optim.sgd(lr=2.0),
                              batch_size=batch_size, epochs=50, record_path=True)
    assert hist.diverged and hist.n_steps < hist.diverged_step
    assert len(hist.path) == hist.n_steps + 1 and len(hist.loss) == hist.n_steps
    assert len(hist.epoch_loss) == hist.epochs_run + 1
    assert hist.examples[-1] == hist.n_steps * batch_size if hist.n_steps else True
    for k in params:
        np.testing.assert_array_equal(params[k], hist.path[-1][k])
    assert np.all(np.isfinite(hist.loss)) and np.all(np.isfinite(hist.grad_norm))


def test_history_has_no_extra_field():
    assert "extra" not in {f.name for f in dataclasses.fields(gd.History)}


OPTIMISERS = [gd.optim.sgd(lr=0.05), gd.optim.sgd(lr=0.05, momentum=0.9, nesterov=True),
              gd.optim.adagrad(lr=0.1, initial_accumulator_value=0.1), gd.optim.rmsprop(lr=0.01, centered=True),
              gd.optim.adam(lr=0.05, weight_decay=0.01)]


@pytest.mark.parametrize("opt", OPTIMISERS, ids=repr)
@pytest.mark.parametrize("batch_size", [None, 8])
def test_fit_equals_a_hand_loop_of_opt_step_for_every_optimiser(opt, batch_size):
    """fit runs the in-place engine; a hand loop of the pure opt.step must give the same numbers
    (this caught Adagrad's 0-d accumulator, which the in-place engine could not update)."""
    X, y, _ = gd.data.make_linear(24, 2, rng=5)
    params, hist = gd.fit(gd.models.linear, gd.models.linear.init(2), X, y, opt, batch_size=batch_size,
                          epochs=4, rng=1, sampling="fixed")
    p, state = gd.models.linear.init(2), opt.init(gd.models.linear.init(2))
    B = batch_size or 24
    losses = []
    for _ in range(4):
        for s in range(0, 24, B):
            loss, grads = gd.models.linear.loss_and_grad(p, X[s:s + B], y[s:s + B])
            losses.append(loss)
            p, state = opt.step(p, grads, state)
    np.testing.assert_allclose(hist.loss, losses, rtol=1e-13)
    for k in p:
        np.testing.assert_allclose(params[k], p[k], rtol=1e-13, atol=1e-15)


def test_models_that_fit_trusts_return_fresh_gradient_arrays():
    """fit skips copying the gradients of gdcore's own models (train._fresh_grads): each call must return
    new arrays, never a buffer it reuses or one of the parameters."""
    from gdcore.train import _fresh_grads

    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 3))
    cases = [(gd.models.linear, gd.models.linear.init(3), rng.normal(size=12)),
             (gd.models.logistic, gd.models.logistic.init(3), rng.integers(0, 2, 12).astype(float)),
             (gd.models.mlp, gd.models.mlp.init([3, 4, 1]), rng.integers(0, 2, 12).astype(float)),
             (gd.models.softmax, gd.models.softmax.init(3, 4), rng.integers(0, 4, 12))]
    for model, params, y in cases:
        assert _fresh_grads(model), model
        _, g1 = model.loss_and_grad(params, X, y)
        _, g2 = model.loss_and_grad(params, X, y)
        for k in g1:
            assert not np.shares_memory(g1[k], g2[k]), (model, k)
            assert all(not np.shares_memory(g1[k], v) for v in params.values()), (model, k)
