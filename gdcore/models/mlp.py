"""Multi-layer perceptron for binary or multiclass classification, trained by backpropagation.

Layer sizes ``[d, h_1, ..., h_k, 1]``; hidden layers use ``activation`` (tanh,
sigmoid or relu); the single output unit is a logit ``z`` fed to the stable
binary cross-entropy of :func:`gdcore.losses.bce_with_logits`.

With ``output="softmax"`` the sizes are ``[d, h_1, ..., h_k, K]`` for ``K >= 2`` classes: the
output layer gives ``K`` logits per example, fed to the stable softmax cross-entropy of
:func:`gdcore.losses.softmax_cross_entropy` with integer labels ``y`` in 0..K-1. The backward pass
is the same with :math:`\\delta_L = (\\operatorname{softmax}(Z_L) - Y)/n`, ``Y`` the one-hot labels.

Forward pass, for :math:`l = 1..L` with :math:`a_0 = X`:

.. math:: z_l = a_{l-1} W_l + b_l,\\qquad a_l = \\phi(z_l)\\ (l<L),\\qquad z = z_L

Backward pass, with :math:`\\delta_L = \\partial J/\\partial z_L = (\\sigma(z) - y)/n`:

.. math:: \\nabla_{W_l} J = a_{l-1}^\\top \\delta_l,\\quad \\nabla_{b_l} J = \\textstyle\\sum_i \\delta_{l,i},
          \\quad \\delta_{l-1} = (\\delta_l W_l^\\top)\\odot\\phi'(z_{l-1})

Parameters are ``{"W1": (d, h_1), "b1": (h_1,), ..., "WL": (h_k, 1), "bL": (1,)}`` (``K`` in
place of 1 for ``output="softmax"``).

Neither the activation nor the output is stored in the parameter dict (which holds arrays only):
pass the same ``activation`` and ``output`` to every call, or bind them once with
:func:`model`, e.g. ``net = mlp.model("relu", output="softmax")`` and then ``gd.fit(net, ...)``.
"""
from __future__ import annotations

import itertools

import numpy as np

from .. import _validate as v
from ..losses import _bce, _labels, _log_softmax, _sigmoid, _softmax_ce

NAME = "mlp"
ACTIVATIONS = ("tanh", "sigmoid", "relu")
OUTPUTS = ("binary", "softmax")


def _act(name):
    if name == "tanh":
        return np.tanh, lambda z, a: 1.0 - a * a
    if name == "sigmoid":
        return _sigmoid, lambda z, a: a * (1.0 - a)
    return (lambda z: np.maximum(z, 0.0)), (lambda z, a: (z > 0).astype(np.float64))


def init(sizes, activation="tanh", rng=0, output="binary"):
    """Initialise weights once: Glorot-normal for tanh/sigmoid, He-normal for relu; zero biases.

    Parameters
    ----------
    sizes : sequence of int, length >= 2
        ``[n_features, hidden_1, ..., 1]``. The last size must be 1 (one logit), or the number of
        classes K >= 2 with ``output="softmax"``.
    activation : {"tanh", "sigmoid", "relu"}
    rng : int or numpy.random.Generator
    output : {"binary", "softmax"}
        One sigmoid logit (binary cross-entropy) or K softmax logits (multiclass cross-entropy).

    Returns
    -------
    params : dict of float64 arrays, ``W{l}`` of shape (sizes[l-1], sizes[l]) and ``b{l}`` of shape (sizes[l],)
    """
    func = "mlp.init"
    v.choice(activation, "activation", func, ACTIVATIONS)
    v.choice(output, "output", func, OUTPUTS)
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        v.fail("sizes", func, "a sequence of ints like [2, 4, 1]", sizes, TypeError)
    if len(sizes) < 2:
        v.fail("sizes", func, "a sequence of at least 2 layer sizes", sizes)
    sizes = [v.integer(s, "sizes", func, low=1) for s in sizes]
    if output == "binary" and sizes[-1] != 1:
        v.fail("sizes", func, "a sequence ending in 1 (one output logit for binary targets)", sizes)
    if output == "softmax" and sizes[-1] < 2:
        v.fail("sizes", func, "a sequence ending in the number of classes K >= 2 (output='softmax')", sizes)
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


def _check_params(params, func, output="binary"):
    L = _n_layers(params, func)
    p = {}
    prev = None
    for l in range(1, L + 1):
        W = v.array(params[f"W{l}"], f"params['W{l}']", func, ndim=2, shape=(prev, None))
        b = v.array(params[f"b{l}"], f"params['b{l}']", func, ndim=1, shape=(W.shape[1],))
        p[f"W{l}"], p[f"b{l}"] = W, b
        prev = W.shape[1]
    if output == "binary" and prev != 1:
        v.fail(f"params['W{L}']", func, "an array with 1 output column", p[f"W{L}"],
               got=f"shape {p[f'W{L}'].shape}")
    if output == "softmax" and prev < 2:
        v.fail(f"params['W{L}']", func, "an array with at least 2 output columns (one per class)", p[f"W{L}"],
               got=f"shape {p[f'W{L}'].shape}")
    return p


def _forward(params, X, activation, output="binary"):
    """Return the output logits, (n,) for binary or (n, K) for softmax, and the cache of (z_l, a_l)."""
    phi, _ = _act(activation)
    L = len(params) // 2
    a = X
    cache = [(None, X)]
    for l in range(1, L):
        z = a @ params[f"W{l}"] + params[f"b{l}"]
        a = phi(z)
        cache.append((z, a))
    out = a @ params[f"W{L}"] + params[f"b{L}"]
    return (out[:, 0] if output == "binary" else out), cache


def logits(params, X, activation="tanh", output="binary"):
    """Output logits for inputs ``X`` of shape (n, d): shape (n,) for binary, (n, K) for softmax."""
    func = "mlp.logits"
    v.choice(activation, "activation", func, ACTIVATIONS)
    v.choice(output, "output", func, OUTPUTS)
    p = _check_params(params, func, output)
    X = v.array(X, "X", func, ndim=2, shape=(None, p["W1"].shape[0]))
    return _forward(p, X, activation, output)[0]


def predict(params, X, activation="tanh", output="binary"):
    """Probabilities for ``X`` of shape (n, d).

    Binary: :math:`\\sigma(z)`, the probability of class 1, shape (n,). Softmax: the class
    probabilities :math:`\\operatorname{softmax}(z_i)`, shape (n, K), each row summing to 1.
    """
    z = logits(params, X, activation, output)
    return _sigmoid(z) if output == "binary" else np.exp(_log_softmax(z))


def _loss_and_grad(params, X, y, activation="tanh", output="binary"):
    _, dphi = _act(activation)
    z, cache = _forward(params, X, activation, output)
    if output == "binary":
        loss, dz = _bce(z, y)
        delta = dz[:, None]
    else:
        loss, delta = _softmax_ce(z, y.astype(np.int64))
    L = len(params) // 2
    grads = {}
    for l in range(L, 0, -1):
        a_prev = cache[l - 1][1]
        grads[f"W{l}"] = a_prev.T @ delta
        grads[f"b{l}"] = delta.sum(axis=0)
        if l > 1:
            z_prev, a_prev_act = cache[l - 1]
            delta = (delta @ params[f"W{l}"].T) * dphi(z_prev, a_prev_act)
    return loss, {k: grads[k] for k in params}


def _validate(params, X, y, func, activation="tanh", output="binary"):
    v.choice(activation, "activation", func, ACTIVATIONS)
    v.choice(output, "output", func, OUTPUTS)
    p = _check_params(params, func, output)
    X, y = v.data(X, y, func, n_features=p["W1"].shape[0])
    if output == "binary":
        v.binary(y, "y", func)
    else:
        _labels(y, "y", func, p[f"W{len(p) // 2}"].shape[1])
    return p, X, y


def loss_and_grad(params, X, y, activation="tanh", output="binary"):
    """Mean cross-entropy of the network (binary or softmax) and its gradient by backprop.

    Parameters
    ----------
    params : dict from :func:`init`
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
        Labels in {0, 1} (binary), or integer class labels in 0..K-1 (softmax).
    activation : {"tanh", "sigmoid", "relu"}
        Must match the hidden activation the network is meant to use.
    output : {"binary", "softmax"}
        Must match the output the network was initialised for.

    Returns
    -------
    loss : float
    grads : dict with the keys and shapes of ``params``
    """
    p, X, y = _validate(params, X, y, "mlp.loss_and_grad", activation, output)
    return _loss_and_grad(p, X, y, activation, output)


class Model:
    """An MLP with its activation (and output) bound, usable wherever a model module is.

    >>> net = model("relu")
    >>> params = net.init([2, 4, 1], rng=0)
    >>> loss, grads = net.loss_and_grad(params, X, y)
    >>> clf = model("relu", output="softmax")       # 10 classes, integer labels 0..9
    >>> params = clf.init([64, 32, 10], rng=0)
    """

    def __init__(self, activation="tanh", output="binary"):
        self.activation = v.choice(activation, "activation", "mlp.model", ACTIVATIONS)
        self.output = v.choice(output, "output", "mlp.model", OUTPUTS)
        self.NAME = f"mlp[{self.activation}]" if output == "binary" else f"mlp[{self.activation}, softmax]"

    def __repr__(self):
        if self.output == "binary":
            return f"mlp.model(activation={self.activation!r})"
        return f"mlp.model(activation={self.activation!r}, output={self.output!r})"

    def init(self, sizes, rng=0):
        return init(sizes, self.activation, rng, self.output)

    def logits(self, params, X):
        return logits(params, X, self.activation, self.output)

    def predict(self, params, X):
        return predict(params, X, self.activation, self.output)

    def loss_and_grad(self, params, X, y):
        return loss_and_grad(params, X, y, self.activation, self.output)

    def _loss_and_grad(self, params, X, y):
        return _loss_and_grad(params, X, y, self.activation, self.output)

    def _validate(self, params, X, y, func):
        return _validate(params, X, y, func, self.activation, self.output)


def model(activation="tanh", output="binary"):
    """Bind ``activation`` and ``output`` once: returns an object with ``init``, ``predict`` and ``loss_and_grad``."""
    return Model(activation, output)
