"""Softmax regression (multinomial logistic regression) :math:`P = \\operatorname{softmax}(XW + b)`.

For ``K`` classes the model has one weight column and one bias per class; the loss is the mean
cross-entropy of integer labels ``y`` in 0..K-1, computed from the logits ``Z`` through a stable
log-softmax (see :func:`gdcore.losses.softmax_cross_entropy`):

.. math:: J(W, b) = -\\frac1n\\sum_i \\log\\operatorname{softmax}(z_i)_{y_i},\\quad Z = XW + b,\\qquad
          \\nabla_W J = \\frac1n X^\\top(P - Y),\\quad \\nabla_b J = \\frac1n\\textstyle\\sum_i (P - Y)_{i\\cdot}

where :math:`Y` is the one-hot encoding of ``y``. With ``K = 2`` it is logistic regression written with
two logits (only their difference matters).
"""
from __future__ import annotations

import numpy as np

from .. import _validate as v
from ..losses import _labels, _log_softmax, _softmax_ce

NAME = "softmax"


def init(n_features, n_classes, rng=0, scale=0.0):
    """Initial parameters ``{"W": (d, K), "b": (K,)}``.

    Parameters
    ----------
    n_features : int >= 1
        d, the number of columns of ``X``.
    n_classes : int >= 2
        K, the number of classes.
    rng : int or numpy.random.Generator
    scale : float >= 0
        Standard deviation of the Gaussian initial weights (0 gives zeros, which is fine: the loss
        is convex).

    Returns
    -------
    params : dict with ``W`` of shape (d, K) and ``b`` of shape (K,)
    """
    func = "softmax.init"
    d = v.integer(n_features, "n_features", func, low=1)
    K = v.integer(n_classes, "n_classes", func, low=2)
    scale = v.real(scale, "scale", func, low=0.0)
    g = v.rng(rng, "rng", func)
    return {"W": scale * g.standard_normal((d, K)), "b": np.zeros(K)}


def _check_params(params, func):
    if not isinstance(params, dict) or set(params) != {"W", "b"}:
        v.fail("params", func, "a dict with keys 'W' and 'b' (see softmax.init)", params, TypeError)
    W = v.array(params["W"], "params['W']", func, ndim=2)
    if W.shape[1] < 2:
        v.fail("params['W']", func, "an array with at least 2 columns (one per class)", W,
               got=f"shape {W.shape}")
    b = v.array(params["b"], "params['b']", func, ndim=1, shape=(W.shape[1],))
    return {"W": W, "b": b}


def logits(params, X):
    """Logits :math:`Z = XW + b`.

    Parameters
    ----------
    params : dict with ``W`` of shape (d, K) and ``b`` of shape (K,)
    X : ndarray of shape (n, d)

    Returns
    -------
    Z : ndarray of shape (n, K)
    """
    p = _check_params(params, "softmax.logits")
    X = v.array(X, "X", "softmax.logits", ndim=2, shape=(None, p["W"].shape[0]))
    return X @ p["W"] + p["b"]


def predict(params, X):
    """Class probabilities :math:`P = \\operatorname{softmax}(XW + b)`, row by row.

    Parameters
    ----------
    params : dict with ``W`` of shape (d, K) and ``b`` of shape (K,)
    X : ndarray of shape (n, d)

    Returns
    -------
    P : ndarray of shape (n, K)
        Row i holds the probabilities of the K classes for example i (``P.argmax(axis=1)`` is the
        predicted class).
    """
    return np.exp(_log_softmax(logits(params, X)))


def _loss_and_grad(params, X, y):
    Z = X @ params["W"] + params["b"]
    loss, dZ = _softmax_ce(Z, y.astype(np.int64))
    return loss, {"W": X.T @ dZ, "b": dZ.sum(axis=0)}


def _validate(params, X, y, func):
    p = _check_params(params, func)
    X, y = v.data(X, y, func, n_features=p["W"].shape[0])
    _labels(y, "y", func, p["W"].shape[1])
    return p, X, y


def loss_and_grad(params, X, y):
    """Mean softmax cross-entropy and its gradient.

    Parameters
    ----------
    params : dict with ``W`` of shape (d, K) and ``b`` of shape (K,)
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
        Integer class labels in 0..K-1 (ints, or floats with integer values).

    Returns
    -------
    loss : float
    grads : dict with ``W`` of shape (d, K) and ``b`` of shape (K,)
    """
    p, X, y = _validate(params, X, y, "softmax.loss_and_grad")
    return _loss_and_grad(p, X, y)
