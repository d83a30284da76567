"""Losses: values from the textbook formulas and gradients by central differences."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import gdcore as gd


def fd(f, z, eps=1e-6):
    g = np.zeros_like(z)
    for i in range(z.size):
        zp, zm = z.copy(), z.copy()
        zp[i] += eps
        zm[i] -= eps
        g[i] = (f(zp) - f(zm)) / (2 * eps)
    return g


def test_mse_value_and_gradient():
    rng = np.random.default_rng(0)
    y_hat, y = rng.standard_normal(12), rng.standard_normal(12)
    loss, grad = gd.losses.mse(y_hat, y)
    np.testing.assert_allclose(loss, 0.5 * np.mean((y_hat - y) ** 2), rtol=1e-14)
    np.testing.assert_allclose(grad, fd(lambda z: gd.losses.mse(z, y)[0], y_hat), rtol=1e-6, atol=1e-10)
    assert gd.losses.mse(np.array([1.0, 3.0]), np.array([0.0, 0.0]))[0] == 2.5  # (1 + 9) / 4


def test_bce_value_and_gradient():
    rng = np.random.default_rng(1)
    z = rng.standard_normal(15) * 3
    y = (rng.random(15) < 0.5).astype(float)
    loss, grad = gd.losses.bce_with_logits(z, y)
    p = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(loss, -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), rtol=1e-12)
    np.testing.assert_allclose(grad, fd(lambda q: gd.losses.bce_with_logits(q, y)[0], z), rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(gd.losses.bce_with_logits(np.array([0.0]), np.array([1.0]))[0], np.log(2))


def test_bce_is_stable_at_large_logits():
    z = np.array([1000.0, -1000.0, 1000.0, -1000.0])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    loss, grad = gd.losses.bce_with_logits(z, y)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    # two confident right answers cost ~0, two confidently wrong ones cost 1000 each
    np.testing.assert_allclose(loss, 2000.0 / 4, rtol=1e-12)
    np.testing.assert_allclose(grad, np.array([0.0, 0.0, 1.0, -1.0]) / 4, atol=1e-15)


@settings(max_examples=40, deadline=None, database=None)
@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-700, 700)))
def test_sigmoid_stable_and_symmetric(z):
    s = gd.losses.sigmoid(z)
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(s + gd.losses.sigmoid(-z), 1.0, rtol=1e-12)
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-z)), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("fn", [gd.losses.mse, gd.losses.bce_with_logits])
def test_losses_reject_bad_input(fn):
    name = fn.__name__
    with pytest.raises(ValueError, match=rf"The 'y' parameter of {name} must be an array with 3 entries"):
        fn(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match=rf"The 'y' parameter of {name} must be a 1-D array.*got shape \(3, 1\)"):
        fn(np.zeros(3), np.zeros((3, 1)))
    with pytest.raises(ValueError, match=rf"The '(y_hat|z)' parameter of {name} must be an array of finite"):
        fn(np.array([0.0, np.nan]), np.zeros(2))
    with pytest.raises(ValueError, match=rf"The '(y_hat|z)' parameter of {name} must be a non-empty array"):
        fn(np.zeros(0), np.zeros(0))


def test_bce_rejects_non_binary_labels():
    with pytest.raises(ValueError, match=r"The 'y' parameter of bce_with_logits must be an array of 0/1 labels; "
                                         r"got a label 0\.5 instead\."):
        gd.losses.bce_with_logits(np.zeros(2), np.array([0.0, 0.5]))
