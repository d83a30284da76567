"""Linear regression :math:`\\hat y = Xw + b` with the half-MSE loss.

.. math:: J(w, b) = \\frac{1}{2n}\\lVert Xw + b - y\\rVert^2,\\qquad
          \\nabla_w J = \\frac1n X^\\top r,\\quad \\nabla_b J = \\frac1n \\textstyle\\sum_i r_i,
          \\quad r = Xw + b - y
"""
from __future__ import annotations

import numpy as np

from .. import _validate as v

NAME = "linear"


def init(n_features, rng=0, scale=0.0):
    """Initial parameters ``{"w": (d,), "b": ()}``.

    Parameters
    ----------
    n_features : int
        d, the number of columns of ``X``.
    rng : int or numpy.random.Generator
    scale : float
        Standard deviation of the Gaussian initial weights (0 gives zeros, which is
        fine for a convex model).
    """
    return _init(n_features, rng, scale, "linear.init")


def _init(n_features, rng, scale, func):
    """``{"w": scale * N(0, I_d), "b": 0}``; shared by the linear and logistic models."""
    d = v.integer(n_features, "n_features", func, low=1)
    scale = v.real(scale, "scale", func, low=0.0)
    g = v.rng(rng, "rng", func)
    return {"w": scale * g.standard_normal(d), "b": np.array(0.0)}


def _check_params(params, func):
    if not isinstance(params, dict) or set(params) != {"w", "b"}:
        v.fail("params", func, "a dict with keys 'w' and 'b' (see linear.init)", params, TypeError)
    w = v.array(params["w"], "params['w']", func, ndim=1)
    b = v.array(params["b"], "params['b']", func, ndim=0)
    return {"w": w, "b": b}


def _predict(params, X):
    return X @ params["w"] + params["b"]


def predict(params, X):
    """Predictions :math:`\\hat y = Xw + b`.

    Parameters
    ----------
    params : dict with ``w`` of shape (d,) and ``b`` of shape ()
    X : ndarray of shape (n, d)

    Returns
    -------
    y_hat : ndarray of shape (n,)
    """
    p = _check_params(params, "linear.predict")
    X = v.array(X, "X", "linear.predict", ndim=2, shape=(None, p["w"].shape[0]))
    return _predict(p, X)


def _loss_and_grad(params, X, y):
    r = X @ params["w"]
    r += params["b"]  # in place: no temporaries of length n
    r -= y
    n = r.shape[0]
    gw = X.T @ r
    gw /= n
    return 0.5 * float(r @ r) / n, {"w": gw, "b": np.array(float(np.add.reduce(r)) / n)}


def loss_and_grad(params, X, y):
    """Half-MSE loss and its gradient.

    Parameters
    ----------
    params : dict with ``w`` of shape (d,) and ``b`` of shape ()
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)

    Returns
    -------
    loss : float
        :math:`\\frac{1}{2n}\\lVert Xw+b-y\\rVert^2`
    grads : dict with ``w`` of shape (d,) and ``b`` of shape ()
    """
    p = _check_params(params, "linear.loss_and_grad")
    X, y = v.data(X, y, "linear.loss_and_grad", n_features=p["w"].shape[0])
    return _loss_and_grad(p, X, y)


def _validate(params, X, y, func):
    p = _check_params(params, func)
    X, y = v.data(X, y, func, n_features=p["w"].shape[0])
    return p, X, y
