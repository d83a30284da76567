"""Analytic gradients of every model against our own central finite differences (float64)."""
import numpy as np
import pytest

import gdcore as gd

EPS = 1e-6


def fd_grad(loss_fn, params, eps=EPS):
    """Central differences, written out here so the test does not trust gdcore.gradcheck."""
    out = {}
    for k, a in params.items():
        g = np.zeros_like(a, dtype=np.float64)
        for i in np.ndindex(a.shape):
            plus = {kk: vv.astype(np.float64).copy() for kk, vv in params.items()}
            minus = {kk: vv.astype(np.float64).copy() for kk, vv in params.items()}
            plus[k][i] += eps
            minus[k][i] -= eps
            g[i] = (loss_fn(plus) - loss_fn(minus)) / (2 * eps)
        out[k] = g
    return out


def assert_grads_close(analytic, numeric, rtol=1e-6, atol=1e-8):
    assert set(analytic) == set(numeric)
    for k in numeric:
        assert analytic[k].shape == numeric[k].shape, k
        np.testing.assert_allclose(analytic[k], numeric[k], rtol=rtol, atol=atol, err_msg=k)


def test_linear_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 4))
    y = rng.standard_normal(30)
    params = {"w": rng.standard_normal(4), "b": np.array(0.3)}
    loss, grads = gd.models.linear.loss_and_grad(params, X, y)
    r = X @ params["w"] + 0.3 - y
    np.testing.assert_allclose(loss, 0.5 * np.mean(r ** 2), rtol=1e-14)
    assert_grads_close(grads, fd_grad(lambda p: gd.models.linear.loss_and_grad(p, X, y)[0], params))


def test_logistic_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((40, 3))
    y = (rng.random(40) < 0.5).astype(float)
    params = {"w": rng.standard_normal(3), "b": np.array(-0.2)}
    loss, grads = gd.models.logistic.loss_and_grad(params, X, y)
    p = 1 / (1 + np.exp(-(X @ params["w"] - 0.2)))
    np.testing.assert_allclose(loss, -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), rtol=1e-12)
    assert_grads_close(grads, fd_grad(lambda q: gd.models.logistic.loss_and_grad(q, X, y)[0], params))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("sizes", [[2, 1], [2, 4, 1], [3, 5, 4, 1], [4, 6, 5, 4, 3, 1]])
def test_mlp_gradient_matches_finite_differences(activation, sizes):
    rng = np.random.default_rng(3)
    n = 25
    X = rng.standard_normal((n, sizes[0]))
    y = (rng.random(n) < 0.5).astype(float)
    params = gd.models.mlp.init(sizes, activation=activation, rng=4)
    # non-zero biases so that every bias gradient is exercised
    params = {k: v + (0.1 * rng.standard_normal(v.shape) if k.startswith("b") else 0) for k, v in params.items()}
    if activation == "relu":
        # keep every pre-activation away from the kink at 0 so the finite difference is valid
        z_min = np.inf
        a = X
        L = len(sizes) - 1
        for l in range(1, L):
            z = a @ params[f"W{l}"] + params[f"b{l}"]
            z_min = min(z_min, np.abs(z).min())
            a = np.maximum(z, 0)
        assert z_min > 10 * EPS * 100, "inputs too close to the relu kink; pick another seed"
    loss_fn = lambda p: gd.models.mlp.loss_and_grad(p, X, y, activation)[0]
    loss, grads = gd.models.mlp.loss_and_grad(params, X, y, activation)
    assert np.isfinite(loss)
    assert_grads_close(grads, fd_grad(loss_fn, params), rtol=1e-5, atol=1e-8)


def test_mlp_forward_matches_handwritten_network():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((10, 2))
    y = np.array([0, 1] * 5, dtype=float)
    params = gd.models.mlp.init([2, 3, 1], activation="tanh", rng=0)
    z = np.tanh(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]
    z = z[:, 0]
    np.testing.assert_allclose(gd.models.mlp.logits(params, X), z, rtol=1e-14)
    expected = np.mean(np.log1p(np.exp(z)) - y * z)
    np.testing.assert_allclose(gd.models.mlp.loss_and_grad(params, X, y)[0], expected, rtol=1e-12)
    np.testing.assert_allclose(gd.models.mlp.predict(params, X), 1 / (1 + np.exp(-z)), rtol=1e-12)


def test_mlp_model_object_binds_activation():
    net = gd.models.mlp.model("relu")
    X = np.random.default_rng(0).standard_normal((8, 2))
    y = np.array([0, 1] * 4, dtype=float)
    params = net.init([2, 3, 1], rng=1)
    assert set(params) == {"W1", "b1", "W2", "b2"}
    assert params["W1"].shape == (2, 3) and params["b2"].shape == (1,)
    l1, _g1 = net.loss_and_grad(params, X, y)
    l2, _g2 = gd.models.mlp.loss_and_grad(params, X, y, "relu")
    l3, _ = gd.models.mlp.loss_and_grad(params, X, y, "tanh")
    assert l1 == l2 and l1 != l3
    assert "relu" in repr(net)


def test_init_shapes_and_seeds():
    p = gd.models.linear.init(3)
    assert p["w"].shape == (3,) and p["b"].shape == () and not p["w"].any()
    a = gd.models.mlp.init([2, 8, 1], rng=7)
    b = gd.models.mlp.init([2, 8, 1], rng=7)
    c = gd.models.mlp.init([2, 8, 1], rng=8)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["W1"], c["W1"])
    # He-normal for relu hidden layers: larger spread than Glorot on a wide layer
    he = gd.models.mlp.init([200, 200, 1], activation="relu", rng=0)["W1"].std()
    glorot = gd.models.mlp.init([200, 200, 1], activation="tanh", rng=0)["W1"].std()
    np.testing.assert_allclose(he, np.sqrt(2 / 200), rtol=0.05)
    np.testing.assert_allclose(glorot, np.sqrt(2 / 400), rtol=0.05)
