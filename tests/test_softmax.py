"""Multiclass: the stable log-softmax and softmax cross-entropy, softmax regression, the softmax MLP and the
digits data, against references that share no code with gdcore (scipy, scikit-learn, the logistic model and
central differences written out here)."""
import re

import numpy as np
import pytest
import scipy.special
from sklearn.datasets import load_digits as sklearn_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from test_models import fd_grad  # central differences written out, not gdcore.gradcheck

import gdcore as gd

softmax = gd.models.softmax
mlp = gd.models.mlp




def data(n=40, d=5, K=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = rng.integers(0, K, n)
    return X, y


# ----------------------------------------------------------------------------- losses

def test_log_softmax_matches_scipy_and_softmax_rows_sum_to_one():
    rng = np.random.default_rng(0)
    Z = 4 * rng.standard_normal((30, 7))
    np.testing.assert_allclose(gd.losses.log_softmax(Z), scipy.special.log_softmax(Z, axis=1),
                               rtol=1e-13, atol=1e-13)
    P = gd.losses.softmax(Z)
    np.testing.assert_allclose(P, scipy.special.softmax(Z, axis=1), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-14)
    # a constant added to a row changes nothing
    np.testing.assert_allclose(gd.losses.log_softmax(Z + 123.0), gd.losses.log_softmax(Z), atol=1e-12)


def test_log_softmax_is_stable_where_the_naive_formula_fails():
    Z = np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -1000.0], [710.0, 709.0, 0.0]])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        naive = np.log(np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True))
    assert not np.isfinite(naive).all()  # the naive form really breaks on these rows
    got = gd.losses.log_softmax(Z)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got[0], [0.0, -1000.0, -2000.0], atol=1e-12)
    np.testing.assert_allclose(got[1], -np.log(3.0), rtol=1e-14)
    np.testing.assert_allclose(got[2], [-np.log1p(np.exp(-1.0)), -1.0 - np.log1p(np.exp(-1.0)),
                                        -710.0 - np.log1p(np.exp(-1.0))], rtol=1e-14)
    np.testing.assert_allclose(got, scipy.special.log_softmax(Z, axis=1), rtol=1e-14, atol=1e-12)


def test_softmax_cross_entropy_value_and_gradient():
    rng = np.random.default_rng(1)
    Z = 3 * rng.standard_normal((25, 6))
    y = rng.integers(0, 6, 25)
    loss, grad = gd.losses.softmax_cross_entropy(Z, y)
    P = scipy.special.softmax(Z, axis=1)
    np.testing.assert_allclose(loss, log_loss(y, P, labels=range(6)), rtol=1e-12)
    np.testing.assert_allclose(loss, -np.mean(np.log(P[np.arange(25), y])), rtol=1e-12)
    num = fd_grad(lambda p: gd.losses.softmax_cross_entropy(p["Z"], y)[0], {"Z": Z})["Z"]
    np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-9)
    # the gradient is (P - one_hot(y)) / n, and each of its rows sums to zero
    np.testing.assert_allclose(grad, (P - np.eye(6)[y]) / 25, atol=1e-15)
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-16)
    # labels as integer-valued floats are the same labels
    np.testing.assert_array_equal(gd.losses.softmax_cross_entropy(Z, y.astype(float))[1], grad)


def test_softmax_cross_entropy_is_stable_at_large_logits():
    Z = np.array([[1000.0, 0.0, -1000.0], [1000.0, 0.0, -1000.0]])
    loss, grad = gd.losses.softmax_cross_entropy(Z, np.array([0, 2]))
    # one confident right answer costs 0, one confidently wrong costs 2000
    assert loss == 1000.0
    np.testing.assert_allclose(grad, np.array([[0.0, 0.0, 0.0], [1.0, 0.0, -1.0]]) / 2, atol=1e-300)


def test_two_class_softmax_is_logistic_regression_in_the_logit_difference():
    X, y = data(50, 3, 2, seed=2)
    rng = np.random.default_rng(3)
    params = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    logistic = {"w": params["W"][:, 1] - params["W"][:, 0], "b": np.array(params["b"][1] - params["b"][0])}
    np.testing.assert_allclose(softmax.loss_and_grad(params, X, y)[0],
                               gd.models.logistic.loss_and_grad(logistic, X, y.astype(float))[0], rtol=1e-12)
    np.testing.assert_allclose(softmax.predict(params, X)[:, 1], gd.models.logistic.predict(logistic, X),
                               rtol=1e-12)


# ----------------------------------------------------------------------------- softmax regression

@pytest.mark.parametrize("n, d, K", [(40, 5, 4), (7, 1, 2), (30, 8, 10)])
def test_softmax_regression_gradient_matches_finite_differences(n, d, K):
    X, y = data(n, d, K, seed=K)
    rng = np.random.default_rng(d)
    params = {"W": rng.standard_normal((d, K)), "b": rng.standard_normal(K)}
    loss, grads = softmax.loss_and_grad(params, X, y)
    np.testing.assert_allclose(loss, log_loss(y, scipy.special.softmax(X @ params["W"] + params["b"], axis=1),
                                              labels=range(K)), rtol=1e-12)
    num = fd_grad(lambda p: softmax.loss_and_grad(p, X, y)[0], params)
    for k, a in params.items():
        assert grads[k].shape == a.shape
        np.testing.assert_allclose(grads[k], num[k], rtol=1e-6, atol=1e-9, err_msg=k)
    assert gd.gradcheck.check_grad(softmax, params, X, y) < 1e-7


def test_softmax_regression_gradient_vanishes_at_sklearns_optimum():
    """Reference twin: sklearn's LogisticRegression minimises C * sum_i CE_i + |W|^2 / 2 (intercept not
    penalised), so at its solution our gradient of the *mean* CE must be -W / (n C) for W and 0 for b."""
    X, y = data(120, 4, 3, seed=0)
    n, C = len(y), 0.7
    clf = LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y)
    params = {"W": clf.coef_.T.copy(), "b": clf.intercept_.copy()}
    _, grads = softmax.loss_and_grad(params, X, y)
    np.testing.assert_allclose(grads["W"], -clf.coef_.T / (n * C), atol=1e-7)
    np.testing.assert_allclose(grads["b"], 0.0, atol=1e-7)
    assert np.abs(clf.coef_).max() > 0.1  # a real solution, not a trivial zero
    np.testing.assert_allclose(softmax.predict(params, X), clf.predict_proba(X), rtol=1e-10)


def test_softmax_regression_trains_with_fit_and_does_not_touch_its_inputs():
    X, y = data(60, 3, 3, seed=4)
    X[:, 0] += 2.5 * y  # separable enough to learn
    params0 = softmax.init(3, 3)
    before = {k: a.copy() for k, a in params0.items()}
    X_before = X.copy()
    params, hist = gd.fit(softmax, params0, X, y, gd.optim.sgd(lr=0.5), batch_size=8, epochs=30, rng=0)
    assert hist.epoch_loss[-1] < 0.5 * hist.epoch_loss[0]
    np.testing.assert_allclose(hist.epoch_loss[0], np.log(3), rtol=1e-14)  # zero weights: uniform P
    assert np.mean(softmax.predict(params, X).argmax(axis=1) == y) > 0.8
    for k, a in before.items():
        np.testing.assert_array_equal(params0[k], a)
    np.testing.assert_array_equal(X, X_before)


def test_softmax_init_shapes_and_seed():
    p = softmax.init(64, 10)
    assert p["W"].shape == (64, 10) and p["b"].shape == (10,) and not p["W"].any() and not p["b"].any()
    a, b, c = softmax.init(5, 3, rng=1, scale=0.1), softmax.init(5, 3, rng=1, scale=0.1), softmax.init(5, 3, rng=2,
                                                                                                          scale=0.1)
    np.testing.assert_array_equal(a["W"], b["W"])
    assert not np.array_equal(a["W"], c["W"])
    np.testing.assert_allclose(softmax.init(200, 50, rng=0, scale=0.1)["W"].std(), 0.1, rtol=0.02)


# ----------------------------------------------------------------------------- the softmax MLP

@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("sizes", [[3, 2], [3, 5, 4], [4, 6, 5, 10]])
def test_softmax_mlp_gradient_matches_finite_differences(activation, sizes):
    X, y = data(20, sizes[0], sizes[-1], seed=len(sizes))
    params = mlp.init(sizes, activation=activation, rng=5, output="softmax")
    for k in params:  # non-zero biases, so their gradients are exercised too
        if k.startswith("b"):
            params[k] = 0.3 * np.random.default_rng(6).standard_normal(params[k].shape)
    _, grads = mlp.loss_and_grad(params, X, y, activation, output="softmax")
    num = fd_grad(lambda p: mlp.loss_and_grad(p, X, y, activation, output="softmax")[0], params)
    for k, a in params.items():
        assert grads[k].shape == a.shape
        np.testing.assert_allclose(grads[k], num[k], rtol=1e-6, atol=1e-9, err_msg=k)


def test_softmax_mlp_forward_matches_a_handwritten_network():
    X, y = data(15, 4, 3, seed=7)
    params = mlp.init([4, 5, 3], activation="tanh", rng=0, output="softmax")
    Z = np.tanh(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]
    np.testing.assert_allclose(mlp.logits(params, X, output="softmax"), Z, rtol=1e-14)
    np.testing.assert_allclose(mlp.predict(params, X, output="softmax"), scipy.special.softmax(Z, axis=1),
                               rtol=1e-12)
    np.testing.assert_allclose(mlp.loss_and_grad(params, X, y, output="softmax")[0],
                               log_loss(y, scipy.special.softmax(Z, axis=1), labels=range(3)), rtol=1e-12)


def test_softmax_mlp_without_hidden_layer_is_softmax_regression():
    X, y = data(30, 4, 5, seed=8)
    rng = np.random.default_rng(9)
    W, b = rng.standard_normal((4, 5)), rng.standard_normal(5)
    l1, g1 = mlp.loss_and_grad({"W1": W, "b1": b}, X, y, output="softmax")
    l2, g2 = softmax.loss_and_grad({"W": W, "b": b}, X, y)
    assert l1 == l2
    np.testing.assert_array_equal(g1["W1"], g2["W"])
    np.testing.assert_array_equal(g1["b1"], g2["b"])


def test_softmax_mlp_model_object_binds_activation_and_output():
    net = mlp.model("relu", output="softmax")
    assert repr(net) == "mlp.model(activation='relu', output='softmax')" and net.NAME == "mlp[relu, softmax]"
    assert repr(mlp.model("relu")) == "mlp.model(activation='relu')"  # binary: as before
    X, y = data(20, 3, 4, seed=10)
    params = net.init([3, 6, 4], rng=1)
    np.testing.assert_array_equal(params["W1"], mlp.init([3, 6, 4], "relu", rng=1, output="softmax")["W1"])
    l1, g1 = net.loss_and_grad(params, X, y)
    l2, g2 = mlp.loss_and_grad(params, X, y, "relu", output="softmax")
    assert l1 == l2 and all(np.array_equal(g1[k], g2[k]) for k in g1)
    assert net.predict(params, X).shape == (20, 4)
    _, hist = gd.fit(net, params, X, y, gd.optim.adam(lr=0.01), batch_size=5, epochs=100, rng=0)
    assert hist.epoch_loss[-1] < 0.5 * hist.epoch_loss[0]


# ----------------------------------------------------------------------------- digits data

def test_load_digits_is_sklearns_data_scaled_to_unit_range():
    X, y = gd.data.load_digits()
    ref = sklearn_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64 and y.shape == (1797,) and y.dtype == np.int64
    np.testing.assert_array_equal(X * 16, ref.data)
    np.testing.assert_array_equal(y, ref.target)
    assert X.min() == 0.0 and X.max() == 1.0 and set(np.unique(y)) == set(range(10))


def test_split_is_a_seeded_partition():
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    parts = gd.data.split(X, y, (0.6, 0.2, 0.2), rng=3)
    assert [len(p[1]) for p in parts] == [6, 2, 2]
    got = np.concatenate([p[1] for p in parts])
    np.testing.assert_array_equal(np.sort(got), y)  # every example exactly once
    for Xp, yp in parts:
        np.testing.assert_array_equal(Xp[:, 0], 2 * yp)  # rows stay with their labels
        assert yp.dtype == y.dtype
    again = gd.data.split(X, y, (0.6, 0.2, 0.2), rng=3)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(parts, again))
    other = gd.data.split(X, y, (0.6, 0.2, 0.2), rng=4)
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(parts, other))
    # sizes: round(f * n) for every part but the first, which gets the rest
    assert [len(p[1]) for p in gd.data.split(np.zeros((1797, 1)), np.zeros(1797))] == [1079, 359, 359]


# ----------------------------------------------------------------------------- bad input

X4, Y4 = data(6, 2, 3, seed=11)
SM = softmax.init(2, 3)
MLP_SM = mlp.init([2, 3, 3], output="softmax")

CASES = [
    ("softmax-init-classes", lambda: softmax.init(4, 1), ValueError, "n_classes", "softmax.init", "an int >= 2",
     "1"),
    ("softmax-init-features", lambda: softmax.init(0, 3), ValueError, "n_features", "softmax.init", "an int >= 1",
     "0"),
    ("softmax-init-scale", lambda: softmax.init(2, 3, scale=-1.0), ValueError, "scale", "softmax.init",
     "a float >= 0", "-1.0"),
    ("softmax-params-keys", lambda: softmax.loss_and_grad({"w": 1}, X4, Y4), TypeError, "params",
     "softmax.loss_and_grad", r"a dict with keys 'W' and 'b' \(see softmax.init\)", ".*"),
    ("softmax-params-one-column", lambda: softmax.loss_and_grad({"W": np.zeros((2, 1)), "b": np.zeros(1)}, X4, Y4),
     ValueError, "params['W']", "softmax.loss_and_grad", r"an array with at least 2 columns \(one per class\)",
     r"shape \(2, 1\)"),
    ("softmax-params-b", lambda: softmax.loss_and_grad({**SM, "b": np.zeros(4)}, X4, Y4), ValueError,
     "params['b']", "softmax.loss_and_grad", "an array with 3 entries along axis 0", r"shape \(4,\)"),
    ("softmax-label-range", lambda: softmax.loss_and_grad(SM, X4, np.array([0, 1, 2, 3, 0, 1])), ValueError, "y",
     "softmax.loss_and_grad", "an array of integer class labels 0..2", "a label 3.0"),
    ("softmax-label-frac", lambda: softmax.loss_and_grad(SM, X4, np.array([0, 1, 2, 0.5, 0, 1])), ValueError, "y",
     "softmax.loss_and_grad", "an array of integer class labels 0..2", "a label 0.5"),
    ("softmax-label-neg", lambda: softmax.loss_and_grad(SM, X4, np.array([0, 1, 2, -1, 0, 1])), ValueError, "y",
     "softmax.loss_and_grad", "an array of integer class labels 0..2", "a label -1.0"),
    ("softmax-y-column", lambda: softmax.loss_and_grad(SM, X4, Y4[:, None]), ValueError, "y",
     "softmax.loss_and_grad", r"a 1-D array of shape \(n,\)",
     r"shape \(6, 1\) \(use y\.ravel\(\) to turn a column into a 1-D array\)"),
    ("softmax-X-features", lambda: softmax.predict(SM, np.ones((2, 3))), ValueError, "X", "softmax.logits",
     "an array with 2 entries along axis 1", r"shape \(2, 3\)"),
    ("softmax-fit-labels", lambda: gd.fit(softmax, SM, X4, Y4 + 1, gd.optim.sgd(lr=0.1)), ValueError, "y", "fit",
     "an array of integer class labels 0..2", "a label 3.0"),
    ("log-softmax-1d", lambda: gd.losses.log_softmax(np.zeros(3)), ValueError, "Z", "log_softmax",
     r"a 2-D array of shape \(n, K\)", r"shape \(3,\) \(use Z\[None, :\] for the logits of a single example\)"),
    ("sce-3d", lambda: gd.losses.softmax_cross_entropy(np.zeros((2, 2, 2)), np.zeros(2)), ValueError, "Z",
     "softmax_cross_entropy", r"a 2-D array of shape \(n, K\)", r"shape \(2, 2, 2\)"),
    ("softmax-fn-nan", lambda: gd.losses.softmax(np.array([[0.0, np.nan]])), ValueError, "Z", "softmax",
     "an array of finite numbers.*", r"NaN at index \(0, 1\)"),
    ("sce-y-length", lambda: gd.losses.softmax_cross_entropy(np.zeros((3, 2)), np.zeros(4)), ValueError, "y",
     "softmax_cross_entropy", r"a 1-D array with one entry per row of Z \(3\)", r"shape \(4,\)"),
    ("sce-y-label", lambda: gd.losses.softmax_cross_entropy(np.zeros((2, 2)), np.array([0, 2])), ValueError, "y",
     "softmax_cross_entropy", "an array of integer class labels 0..1", "a label 2.0"),
    ("mlp-init-output", lambda: mlp.init([2, 3], output="multi"), ValueError, "output", "mlp.init",
     "one of 'binary', 'softmax'", "'multi'"),
    ("mlp-init-softmax-last", lambda: mlp.init([2, 3, 1], output="softmax"), ValueError, "sizes", "mlp.init",
     r"a sequence ending in the number of classes K >= 2 \(output='softmax'\)", r"\[2, 3, 1\]"),
    ("mlp-softmax-one-column", lambda: mlp.loss_and_grad(mlp.init([2, 3, 1]), X4, Y4, output="softmax"),
     ValueError, "params['W2']", "mlp.loss_and_grad", r"an array with at least 2 output columns \(one per class\)",
     r"shape \(3, 1\)"),
    ("mlp-softmax-labels", lambda: mlp.loss_and_grad(MLP_SM, X4, Y4 + 1, output="softmax"), ValueError, "y",
     "mlp.loss_and_grad", "an array of integer class labels 0..2", "a label 3.0"),
    ("mlp-binary-on-softmax-params", lambda: mlp.logits(MLP_SM, X4), ValueError, "params['W2']", "mlp.logits",
     "an array with 1 output column", r"shape \(3, 3\)"),
    ("mlp-model-output", lambda: mlp.model("tanh", output=3), TypeError, "output", "mlp.model",
     "one of 'binary', 'softmax'", "3"),
    ("split-sum", lambda: gd.data.split(X4, Y4, (0.5, 0.2)), ValueError, "fractions", "split",
     "a sequence of at least 2 floats > 0 that add up to 1", r"\(0.5, 0.2\)"),
    ("split-negative", lambda: gd.data.split(X4, Y4, (1.2, -0.2)), ValueError, "fractions", "split",
     "a sequence of at least 2 floats > 0 that add up to 1", r"\(1.2, -0.2\)"),
    ("split-one", lambda: gd.data.split(X4, Y4, (1.0,)), ValueError, "fractions", "split",
     "a sequence of at least 2 floats > 0 that add up to 1", r"\(1.0,\)"),
    ("split-str", lambda: gd.data.split(X4, Y4, "60/40"), TypeError, "fractions", "split",
     "a sequence of at least 2 floats > 0 that add up to 1", "'60/40'"),
    ("split-empty-part", lambda: gd.data.split(X4, Y4, (0.95, 0.05)), ValueError, "fractions", "split",
     "fractions that leave every part at least one of the 6 examples", r"\[0.95, 0.05\] \(part sizes \[6, 0\]\)"),
    ("split-y-length", lambda: gd.data.split(X4, Y4[:5]), ValueError, "y", "split",
     r"a 1-D array with one entry per row of X \(6\)", r"shape \(5,\)"),
    ("split-rng", lambda: gd.data.split(X4, Y4, rng=-1), ValueError, "rng", "split",
     "a non-negative int seed or a numpy.random.Generator", "-1"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_named(case):
    _, call, exc, name, func, constraint, got = case
    pattern = (rf"^The '{re.escape(name)}' parameter of {re.escape(func)} must be {constraint}; "
               rf"got {got} instead\.$")
    with pytest.raises(exc, match=pattern):
        call()


def test_bad_labels_leave_nothing_half_done():
    params = softmax.init(2, 3, rng=0, scale=1.0)
    before = {k: a.copy() for k, a in params.items()}
    with pytest.raises(ValueError):
        gd.fit(softmax, params, X4, np.array([0, 1, 2, 7, 0, 1]), gd.optim.sgd(lr=0.1))
    for k, a in before.items():
        np.testing.assert_array_equal(params[k], a)
