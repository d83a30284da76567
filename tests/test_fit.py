"""The training loop: least squares, batching, divergence and reproducibility."""
import copy
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

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
    for k in p0:
        np.testing.assert_array_equal(p0[k], keep[k])
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
    # path[-1] holds the parameters whose loss exploded; fit hands back the ones before them
    assert len(hist.path) == hist.n_steps + 1
    for k in params:
        np.testing.assert_array_equal(params[k], hist.path[-2][k])
    assert not np.array_equal(params["w"], hist.path[-1]["w"])
    if batch_size is None:
        assert gd.models.linear.loss_and_grad(params, X, y)[0] <= 1e6 * hist.epoch_loss[0]
        assert gd.models.linear.loss_and_grad(hist.path[-1], X, y)[0] > 1e6 * hist.epoch_loss[0]
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
    sched = lambda t: 0.1 if t < 5 else 50.0  # noqa: E731
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
