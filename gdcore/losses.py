"""Loss functions, each with its gradient next to it.

Conventions used everywhere in the course (library, book and exercises):

* **MSE** is the *half* mean squared error
  :math:`J = \\frac{1}{2n}\\sum_i (\\hat y_i - y_i)^2`, so that
  :math:`\\partial J/\\partial \\hat y_i = (\\hat y_i - y_i)/n` has no stray factor 2.
* **Binary cross-entropy** is the mean negative log-likelihood, computed from the
  logit :math:`z` (before the sigmoid) so that it never evaluates ``log(0)``.
* **Softmax cross-entropy** (multiclass) is the mean negative log-likelihood of integer class
  labels, computed from the logits through a stable log-softmax, for the same reason.
"""
from __future__ import annotations

import numpy as np

from . import _validate as v


def _mse(y_hat, y):
    r = y_hat - y
    n = r.shape[0]
    return 0.5 * float(r @ r) / n, r / n


def mse(y_hat, y):
    """Half mean squared error and its gradient with respect to ``y_hat``.

    .. math:: J = \\frac{1}{2n}\\sum_{i=1}^n (\\hat y_i - y_i)^2, \\qquad
              \\frac{\\partial J}{\\partial \\hat y_i} = \\frac{\\hat y_i - y_i}{n}

    Parameters
    ----------
    y_hat : ndarray of shape (n,)
    y : ndarray of shape (n,)

    Returns
    -------
    loss : float
    grad : ndarray of shape (n,)
    """
    y_hat = v.array(y_hat, "y_hat", "mse", ndim=1)
    y = v.array(y, "y", "mse", ndim=1, shape=(y_hat.shape[0],))
    return _mse(y_hat, y)


def _sigmoid(z):
    # exp of a non-positive number only: no overflow for large |z|
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid(z):
    """Numerically stable logistic function :math:`\\sigma(z) = 1/(1+e^{-z})`."""
    return _sigmoid(v.array(z, "z", "sigmoid", allow_empty=True))


def _bce(z, y):
    n = z.shape[0]
    # log(1 + e^z) - y z, written with max(z, 0) + log1p(e^{-|z|}) so nothing overflows
    loss = np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))
    return float(loss.sum()) / n, (_sigmoid(z) - y) / n


def bce_with_logits(z, y):
    """Mean binary cross-entropy from logits, and its gradient with respect to ``z``.

    .. math:: J = \\frac1n\\sum_i \\big[\\log(1+e^{z_i}) - y_i z_i\\big], \\qquad
              \\frac{\\partial J}{\\partial z_i} = \\frac{\\sigma(z_i) - y_i}{n}

    This equals :math:`-\\frac1n\\sum_i [y_i\\log p_i + (1-y_i)\\log(1-p_i)]` with
    :math:`p_i=\\sigma(z_i)`, but never forms ``log(0)``, even for ``|z| = 1000``.

    Parameters
    ----------
    z : ndarray of shape (n,)
        Logits.
    y : ndarray of shape (n,)
        Labels in {0, 1}.
    """
    z = v.array(z, "z", "bce_with_logits", ndim=1)
    y = v.binary(v.array(y, "y", "bce_with_logits", ndim=1, shape=(z.shape[0],)), "y", "bce_with_logits")
    return _bce(z, y)


def _labels(y, name, func, n_classes):
    """Check that ``y`` (float64, shape (n,)) holds integer class labels 0..n_classes-1; return them as int64."""
    bad = (y != np.floor(y)) | (y < 0) | (y >= n_classes)
    if bad.any():
        fail_at = y[bad][0].item()
        v.fail(name, func, f"an array of integer class labels 0..{n_classes - 1}", y, got=f"a label {fail_at!r}")
    return y.astype(np.int64)


def _logits(Z, func):
    """``Z`` as a finite float64 array of shape (n, K), with a hint for the usual mistake (one row)."""
    shape = np.shape(Z) if isinstance(Z, (np.ndarray, list, tuple)) else None
    if shape is not None and len(shape) != 2:
        hint = " (use Z[None, :] for the logits of a single example)" if len(shape) == 1 else ""
        v.fail("Z", func, "a 2-D array of shape (n, K)", Z, got=f"shape {shape}{hint}")
    return v.array(Z, "Z", func, ndim=2)


def _log_softmax(Z):
    # shift each row by its maximum: exp only ever sees numbers <= 0, so nothing overflows
    S = Z - Z.max(axis=1, keepdims=True)
    return S - np.log(np.exp(S).sum(axis=1, keepdims=True))


def log_softmax(Z):
    """Row-wise log-softmax, computed stably.

    .. math:: \\log\\operatorname{softmax}(z)_k = z_k - m - \\log\\textstyle\\sum_j e^{z_j - m},\\qquad m = \\max_j z_j

    Subtracting the row maximum :math:`m` changes nothing mathematically but keeps every exponent
    at most 0, so logits of 1000 neither overflow nor give ``log(0)``.

    Parameters
    ----------
    Z : ndarray of shape (n, K)
        Logits, one row per example.

    Returns
    -------
    ndarray of shape (n, K)
    """
    return _log_softmax(_logits(Z, "log_softmax"))


def softmax(Z):
    """Row-wise softmax :math:`p_k = e^{z_k} / \\sum_j e^{z_j}`, computed stably (see :func:`log_softmax`).

    Parameters
    ----------
    Z : ndarray of shape (n, K)

    Returns
    -------
    P : ndarray of shape (n, K)
        Each row is a probability vector (non-negative, sums to 1).
    """
    return np.exp(_log_softmax(_logits(Z, "softmax")))


def _softmax_ce(Z, y):
    """Mean cross-entropy of logits ``Z`` (n, K) against int labels ``y`` (n,), and its gradient."""
    n = Z.shape[0]
    logp = _log_softmax(Z)
    rows = np.arange(n)
    loss = -float(logp[rows, y].sum()) / n
    dZ = np.exp(logp)
    dZ[rows, y] -= 1.0
    dZ /= n
    return loss, dZ


def softmax_cross_entropy(Z, y):
    """Mean multiclass cross-entropy from logits, and its gradient with respect to ``Z``.

    .. math:: J = -\\frac1n\\sum_i \\log\\operatorname{softmax}(z_i)_{y_i}, \\qquad
              \\frac{\\partial J}{\\partial Z} = \\frac{P - Y}{n}

    with :math:`P = \\operatorname{softmax}(Z)` row by row and :math:`Y` the one-hot encoding of ``y``.
    Computed through :func:`log_softmax`, so it is finite for any finite logits.

    Parameters
    ----------
    Z : ndarray of shape (n, K)
        Logits.
    y : ndarray of shape (n,)
        Integer class labels in 0..K-1 (ints, or floats with integer values).

    Returns
    -------
    loss : float
    grad : ndarray of shape (n, K)
    """
    func = "softmax_cross_entropy"
    Z = _logits(Z, func)
    y = v.array(y, "y", func, ndim=1)
    if y.shape[0] != Z.shape[0]:
        v.fail("y", func, f"a 1-D array with one entry per row of Z ({Z.shape[0]})", y, got=f"shape {y.shape}")
    return _softmax_ce(Z, _labels(y, "y", func, Z.shape[1]))
