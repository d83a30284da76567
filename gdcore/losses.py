"""Loss functions, each with its gradient next to it.

Conventions used everywhere in the course (library, book and exercises):

* **MSE** is the *half* mean squared error
  :math:`J = \\frac{1}{2n}\\sum_i (\\hat y_i - y_i)^2`, so that
  :math:`\\partial J/\\partial \\hat y_i = (\\hat y_i - y_i)/n` has no stray factor 2.
* **Binary cross-entropy** is the mean negative log-likelihood, computed from the
  logit :math:`z` (before the sigmoid) so that it never evaluates ``log(0)``.
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
