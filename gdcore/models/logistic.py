"""Logistic regression :math:`p = \\sigma(Xw + b)` with binary cross-entropy.

.. math:: J(w,b) = \\frac1n\\sum_i \\big[\\log(1+e^{z_i}) - y_i z_i\\big],\\quad z = Xw+b,\\qquad
          \\nabla_w J = \\frac1n X^\\top(\\sigma(z) - y),\\quad \\nabla_b J = \\frac1n\\textstyle\\sum_i(\\sigma(z_i)-y_i)

The loss is computed from the logits ``z`` (see :func:`gdcore.losses.bce_with_logits`),
so it never takes ``log(0)``.
"""
from __future__ import annotations

import numpy as np

from .. import _validate as v
from ..losses import _bce, _sigmoid
from .linear import _check_params, _init, _predict

NAME = "logistic"


def init(n_features, rng=0, scale=0.0):
    """Initial parameters ``{"w": (d,), "b": ()}`` (zeros unless ``scale`` > 0)."""
    return _init(n_features, rng, scale, "logistic.init")


def logits(params, X):
    """Logits :math:`z = Xw + b`, shape (n,)."""
    p = _check_params(params, "logistic.logits")
    X = v.array(X, "X", "logistic.logits", ndim=2, shape=(None, p["w"].shape[0]))
    return _predict(p, X)


def predict(params, X):
    """Probabilities :math:`p = \\sigma(Xw+b)` of class 1.

    Parameters
    ----------
    params : dict with ``w`` of shape (d,) and ``b`` of shape ()
    X : ndarray of shape (n, d)

    Returns
    -------
    p : ndarray of shape (n,)
    """
    return _sigmoid(logits(params, X))


def _loss_and_grad(params, X, y):
    z = X @ params["w"] + params["b"]
    loss, dz = _bce(z, y)
    return loss, {"w": X.T @ dz, "b": np.array(dz.sum())}


def _validate(params, X, y, func):
    p = _check_params(params, func)
    X, y = v.data(X, y, func, n_features=p["w"].shape[0])
    v.binary(y, "y", func)
    return p, X, y


def loss_and_grad(params, X, y):
    """Mean binary cross-entropy and its gradient.

    Parameters
    ----------
    params : dict with ``w`` of shape (d,) and ``b`` of shape ()
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,) with values in {0, 1}

    Returns
    -------
    loss : float
    grads : dict with ``w`` of shape (d,) and ``b`` of shape ()
    """
    p, X, y = _validate(params, X, y, "logistic.loss_and_grad")
    return _loss_and_grad(p, X, y)
