"""Multi-layer perceptron for binary classification, trained by backpropagation.

Layer sizes ``[d, h_1, ..., h_k, 1]``; hidden layers use ``activation`` (tanh,
sigmoid or relu); the single output unit is a logit ``z`` fed to the stable
binary cross-entropy of :func:`gdcore.losses.bce_with_logits`.

Forward pass, for :math:`l = 1..L` with :math:`a_0 = X`:

.. math:: z_l = a_{l-1} W_l + b_l,\\qquad a_l = \\phi(z_l)\\ (l<L),\\qquad z = z_L

Backward pass, with :math:`\\delta_L = \\partial J/\\partial z_L = (\\sigma(z) - y)/n`:

.. math:: \\nabla_{W_l} J = a_{l-1}^\\top \\delta_l,\\quad \\nabla_{b_l} J = \\textstyle\\sum_i \\delta_{l,i},
          \\quad \\delta_{l-1} = (\\delta_l W_l^\\top)\\odot\\phi'(z_{l-1})

Parameters are ``{"W1": (d, h_1), "b1": (h_1,), ..., "WL": (h_k, 1), "bL": (1,)}``.

The activation is not stored in the parameter dict (which holds arrays only):
pass the same ``activation`` to every call, or bind it once with
:func:`model`, e.g. ``net = mlp.model("relu")`` and then ``gd.fit(net, ...)``.
"""
from __future__ import annotations

import itertools

import numpy as np

from .. import _validate as v
from ..losses import _bce, _sigmoid

NAME = "mlp"
ACTIVATIONS = ("tanh", "sigmoid", "relu")


def _act(name):
    if name == "tanh":
        return np.tanh, lambda z, a: 1.0 - a * a
    if name == "sigmoid":
        return _sigmoid, lambda z, a: a * (1.0 - a)
    return (lambda z: np.maximum(z, 0.0)), (lambda z, a: (z > 0).astype(np.float64))


def init(sizes, activation="tanh", rng=0):
    """Initialise weights once: Glorot-normal for tanh/sigmoid, He-normal for relu; zero biases.

    Parameters
    ----------
    sizes : sequence of int, length >= 2
        ``[n_features, hidden_1, ..., 1]``. The last size must be 1 (one logit).
    activation : {"tanh", "sigmoid", "relu"}
    rng : int or numpy.random.Generator

    Returns
    -------
    params : dict of float64 arrays, ``W{l}`` of shape (sizes[l-1], sizes[l]) and ``b{l}`` of shape (sizes[l],)
    """
    func = "mlp.init"
    v.choice(activation, "activation", func, ACTIVATIONS)
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        v.fail("sizes", func, "a sequence of ints like [2, 4, 1]", sizes, TypeError)
    if len(sizes) < 2:
        v.fail("sizes", func, "a sequence of at least 2 layer sizes", sizes)
    sizes = [v.integer(s, "sizes", func, low=1) for s in sizes]
    if sizes[-1] != 1:
        v.fail("sizes", func, "a sequence ending in 1 (one output logit for binary targets)", sizes)
    g = v.rng(rng, "rng", func)
    params = {}
    for l, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes), start=1):
        if activation == "relu" and l < len(sizes) - 1:
            std = np.sqrt(2.0 / fan_in)
        else:
            std = np.sqrt(2.0 / (fan_in + fan_out))
        params[f"W{l}"] = std * g.standard_normal((fan_in, fan_out))
        params[f"b{l}"] = np.zeros(fan_out)
    return params


def _n_layers(params, func):
    if not isinstance(params, dict):
        v.fail("params", func, "a dict of arrays made by mlp.init", params, TypeError)
    L = len(params) // 2
    want = {f"{p}{l}" for l in range(1, L + 1) for p in "Wb"}
    if L < 1 or set(params) != want:
        v.fail("params", func, "a dict with keys W1, b1, ..., WL, bL (see mlp.init)", params,
               got=f"keys {sorted(params)}")
    return L


def _check_params(params, func):
    L = _n_layers(params, func)
    p = {}
    prev = None
    for l in range(1, L + 1):
        W = v.array(params[f"W{l}"], f"params['W{l}']", func, ndim=2, shape=(prev, None))
        b = v.array(params[f"b{l}"], f"params['b{l}']", func, ndim=1, shape=(W.shape[1],))
        p[f"W{l}"], p[f"b{l}"] = W, b
        prev = W.shape[1]
    if prev != 1:
        v.fail(f"params['W{L}']", func, "an array with 1 output column", p[f"W{L}"],
               got=f"shape {p[f'W{L}'].shape}")
    return p


def _forward(params, X, activation):
    """Return the output logits (n,) and the cache of (z_l, a_l) for backprop."""
    phi, _ = _act(activation)
    L = len(params) // 2
    a = X
    cache = [(None, X)]
    for l in range(1, L):
        z = a @ params[f"W{l}"] + params[f"b{l}"]
        a = phi(z)
        cache.append((z, a))
    return (a @ params[f"W{L}"] + params[f"b{L}"])[:, 0], cache


def logits(params, X, activation="tanh"):
    """Output logits ``z`` of shape (n,) for inputs ``X`` of shape (n, d)."""
    func = "mlp.logits"
    v.choice(activation, "activation", func, ACTIVATIONS)
    p = _check_params(params, func)
    X = v.array(X, "X", func, ndim=2, shape=(None, p["W1"].shape[0]))
    return _forward(p, X, activation)[0]


def predict(params, X, activation="tanh"):
    """Probabilities :math:`\\sigma(z)` of class 1, shape (n,), for ``X`` of shape (n, d)."""
    return _sigmoid(logits(params, X, activation))


def _loss_and_grad(params, X, y, activation="tanh"):
    _, dphi = _act(activation)
    z, cache = _forward(params, X, activation)
    loss, dz = _bce(z, y)
    L = len(params) // 2
    grads = {}
    delta = dz[:, None]
    for l in range(L, 0, -1):
        a_prev = cache[l - 1][1]
        grads[f"W{l}"] = a_prev.T @ delta
        grads[f"b{l}"] = delta.sum(axis=0)
        if l > 1:
            z_prev, a_prev_act = cache[l - 1]
            delta = (delta @ params[f"W{l}"].T) * dphi(z_prev, a_prev_act)
    return loss, {k: grads[k] for k in params}


def _validate(params, X, y, func, activation="tanh"):
    v.choice(activation, "activation", func, ACTIVATIONS)
    p = _check_params(params, func)
    X, y = v.data(X, y, func, n_features=p["W1"].shape[0])
    v.binary(y, "y", func)
    return p, X, y


def loss_and_grad(params, X, y, activation="tanh"):
    """Mean binary cross-entropy of the network and its gradient by backprop.

    Parameters
    ----------
    params : dict from :func:`init`
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,) with values in {0, 1}
    activation : {"tanh", "sigmoid", "relu"}
        Must match the hidden activation the network is meant to use.

    Returns
    -------
    loss : float
    grads : dict with the keys and shapes of ``params``
    """
    p, X, y = _validate(params, X, y, "mlp.loss_and_grad", activation)
    return _loss_and_grad(p, X, y, activation)


class Model:
    """An MLP with its activation bound, usable wherever a model module is.

    >>> net = model("relu")
    >>> params = net.init([2, 4, 1], rng=0)
    >>> loss, grads = net.loss_and_grad(params, X, y)
    """

    def __init__(self, activation="tanh"):
        self.activation = v.choice(activation, "activation", "mlp.model", ACTIVATIONS)
        self.NAME = f"mlp[{self.activation}]"

    def __repr__(self):
        return f"mlp.model(activation={self.activation!r})"

    def init(self, sizes, rng=0):
        return init(sizes, self.activation, rng)

    def logits(self, params, X):
        return logits(params, X, self.activation)

    def predict(self, params, X):
        return predict(params, X, self.activation)

    def loss_and_grad(self, params, X, y):
        return loss_and_grad(params, X, y, self.activation)

    def _loss_and_grad(self, params, X, y):
        return _loss_and_grad(params, X, y, self.activation)

    def _validate(self, params, X, y, func):
        return _validate(params, X, y, func, self.activation)


def model(activation="tanh"):
    """Bind ``activation`` once: returns an object with ``init``, ``predict`` and ``loss_and_grad``."""
    return Model(activation)
