"""gdcore.gradcheck: central differences, the CS231n relative error, and catching a wrong gradient."""
import numpy as np

import gdcore as gd


def test_numerical_grad_of_known_functions():
    x = np.array([1.0, -2.0, 0.5])
    g = gd.gradcheck.numerical_grad(lambda p: float(np.sum(p ** 3)), x)
    np.testing.assert_allclose(g, 3 * x ** 2, rtol=1e-8)
    params = {"a": np.array(2.0), "M": np.array([[1.0, 2.0], [3.0, 4.0]])}
    g = gd.gradcheck.numerical_grad(lambda p: float(p["a"] * np.sum(p["M"] ** 2)), params)
    np.testing.assert_allclose(g["a"], 30.0, rtol=1e-8)
    np.testing.assert_allclose(g["M"], 2 * 2.0 * params["M"], rtol=1e-8)
    assert g["a"].shape == () and g["M"].shape == (2, 2)


def test_numerical_grad_does_not_touch_inputs_and_passes_copies():
    x = np.array([1.0, 2.0])
    seen = []

    def f(p):
        seen.append(p)
        p[0] = 99.0  # a careless f that writes into its argument
        return float(np.sum(p))

    gd.gradcheck.numerical_grad(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])
    assert all(a is not x for a in seen)


def test_central_differences_are_second_order():
    """Error of central differences shrinks like eps^2 (forward differences would give eps)."""
    x = np.array([0.7])
    exact = np.cos(0.7)
    errs = [abs(gd.gradcheck.numerical_grad(lambda p: float(np.sin(p[0])), x, eps=e)[0] - exact)
            for e in (1e-2, 1e-3)]
    np.testing.assert_allclose(errs[0] / errs[1], 100.0, rtol=0.05)


def test_rel_error():
    assert gd.gradcheck.rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    np.testing.assert_allclose(gd.gradcheck.rel_error(np.array([1.0]), np.array([3.0])), 0.5)
    np.testing.assert_allclose(gd.gradcheck.rel_error({"a": np.array([1.0]), "b": np.array([2.0])},
                                                      {"a": np.array([1.0]), "b": np.array([1.0])}), 1 / 3)
    assert gd.gradcheck.rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert gd.gradcheck.rel_error(np.zeros(0), np.zeros(0)) == 0.0


def test_check_grad_passes_for_models_and_flags_a_wrong_gradient():
    X, y = gd.data.make_xor(n_repeats=3, noise=0.2, rng=0)
    net = gd.models.mlp.model("tanh")
    params = net.init([2, 5, 1], rng=1)
    assert gd.gradcheck.check_grad(net, params, X, y) < 1e-7
    Xl, yl, _ = gd.data.make_linear(20, 3, rng=0)
    assert gd.gradcheck.check_grad(gd.models.linear, gd.models.linear.init(3, scale=1.0), Xl, yl) < 1e-7

    class Broken:
        """A linear model whose weight gradient misses the 1/n factor (a classic slip)."""

        @staticmethod
        def loss_and_grad(p, X, y):
            loss, g = gd.models.linear.loss_and_grad(p, X, y)
            return loss, {"w": g["w"] * len(y), "b": g["b"]}

    assert gd.gradcheck.check_grad(Broken, gd.models.linear.init(3, scale=1.0), Xl, yl) > 0.5
