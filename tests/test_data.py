"""Data sets and test functions: shapes, seeds and the properties they promise."""
import numpy as np
import pytest

import gdcore as gd


def test_make_linear_shapes_truth_and_seeds():
    X, y, true = gd.data.make_linear(50, 3, noise=0.0, rng=0, b=2.0)
    assert X.shape == (50, 3) and y.shape == (50,) and true["w"].shape == (3,) and true["b"].shape == ()
    np.testing.assert_allclose(y, X @ true["w"] + 2.0, rtol=1e-14)
    X2, y2, _ = gd.data.make_linear(50, 3, noise=0.0, rng=0, b=2.0)
    X3, _, _ = gd.data.make_linear(50, 3, noise=0.0, rng=1, b=2.0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, X3)
    w = np.array([1.0, -1.0])
    _, _, t = gd.data.make_linear(10, 2, w=w)
    t["w"][0] = 5.0
    assert w[0] == 1.0  # the returned truth is a copy
    Xs, _, _ = gd.data.make_linear(4000, 2, rng=0, feature_scale=[1.0, 10.0])
    np.testing.assert_allclose(Xs.std(axis=0), [1.0, 10.0], rtol=0.05)


def test_make_linear_noise_level():
    X, y, true = gd.data.make_linear(20000, 2, noise=0.5, rng=3)
    resid = y - X @ true["w"] - true["b"]
    np.testing.assert_allclose(resid.std(), 0.5, rtol=0.03)


def test_make_xor():
    X, y = gd.data.make_xor()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    X, y = gd.data.make_xor(n_repeats=5, noise=0.1, rng=0)
    assert X.shape == (20, 2) and y.shape == (20,)
    np.testing.assert_array_equal(y, np.tile([0, 1, 1, 0], 5))
    assert 0 < np.abs(X - np.tile([[0, 0], [0, 1], [1, 0], [1, 1]], (5, 1))).max() < 0.6
    np.testing.assert_array_equal(X, gd.data.make_xor(n_repeats=5, noise=0.1, rng=0)[0])


@pytest.mark.parametrize("kappa,L,angle", [(1.0, 1.0, 0.0), (10.0, 2.0, 0.3), (100.0, 0.5, -1.2)])
def test_quadratic_bowl(kappa, L, angle):
    q = gd.data.quadratic(kappa=kappa, L=L, angle=angle, x_star=(1.0, -1.0))
    np.testing.assert_allclose(sorted(np.linalg.eigvalsh(q.A)), [L / kappa, L], rtol=1e-12)
    assert q.L == L and q.mu == pytest.approx(L / kappa) and q.kappa == pytest.approx(kappa)
    np.testing.assert_allclose(q.A, q.A.T)
    x = np.array([0.3, 0.8])
    f, g = q(x)
    np.testing.assert_allclose(f, q.f(x))
    np.testing.assert_allclose(g, q.grad(x))
    # gradient by central differences
    fd = [(q.f(x + e) - q.f(x - e)) / 2e-6 for e in np.eye(2) * 1e-6]
    np.testing.assert_allclose(g, fd, rtol=1e-7)
    assert q(np.array([1.0, -1.0]))[0] == 0.0
    # batched evaluation
    np.testing.assert_allclose(q.f(np.stack([x, x])), [f, f])


def test_rosenbrock():
    r = gd.data.rosenbrock()
    np.testing.assert_array_equal(r.x_star, [1.0, 1.0])
    assert r(np.array([1.0, 1.0]))[0] == 0.0
    np.testing.assert_array_equal(r(np.array([1.0, 1.0]))[1], [0.0, 0.0])
    assert r.f(np.array([0.0, 0.0])) == 1.0  # (1-0)^2 + 100 (0-0)^2
    x = np.array([-1.2, 1.0])
    fd = [(r.f(x + e) - r.f(x - e)) / 2e-6 for e in np.eye(2) * 1e-6]
    np.testing.assert_allclose(r.grad(x), fd, rtol=1e-7)
    r2 = gd.data.rosenbrock(a=2.0, b=10.0)
    np.testing.assert_array_equal(r2.x_star, [2.0, 4.0])
