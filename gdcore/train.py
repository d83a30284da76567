"""The training loop: full-batch, mini-batch and per-sample (stochastic) gradient descent.

``fit`` validates its inputs once, then runs a lean loop over the model's
unchecked ``_loss_and_grad`` and the optimiser's unchecked ``_step``.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import _validate as v
from .optim import Optimizer, global_norm


class DivergenceWarning(RuntimeWarning):
    """Issued once when a run's loss stops being finite or explodes."""


SAMPLING = ("reshuffle", "replacement", "fixed")


@dataclass
class History:
    """What happened during a run.

    Attributes
    ----------
    loss, lr, grad_norm : ndarray of shape (n_steps,)
        Per step: the loss of the batch the step used (before the update), the
        learning rate and the norm of the batch gradient.
    examples : ndarray of shape (n_steps,)
        Cumulative number of per-example gradients computed after each step (the compute budget).
    epoch_loss : ndarray of shape (n_epochs_run + 1,)
        Loss on the *whole* data set before training and after every epoch.
    path : list of params, or None
        The parameters before the first step and after every step (``record_path=True``).
    diverged : bool
        True if the run stopped because the loss became non-finite or exploded.
    converged : bool
        True if it stopped because the full gradient norm fell below ``tol``.
    """

    loss: np.ndarray
    lr: np.ndarray
    grad_norm: np.ndarray
    examples: np.ndarray
    epoch_loss: np.ndarray
    path: list | None = None
    diverged: bool = False
    diverged_step: int | None = None
    converged: bool = False
    n_steps: int = 0
    epochs_run: int = 0
    extra: dict = field(default_factory=dict)

    def __repr__(self):
        last = self.epoch_loss[-1] if len(self.epoch_loss) else float("nan")
        flags = " diverged" if self.diverged else (" converged" if self.converged else "")
        return f"History(n_steps={self.n_steps}, epochs_run={self.epochs_run}, final_loss={last:.6g}{flags})"


def _copy(params):
    if isinstance(params, dict):
        return {k: np.array(a, dtype=np.float64, copy=True) for k, a in params.items()}
    return np.array(params, dtype=np.float64, copy=True)


def _finite(params):
    if isinstance(params, dict):
        return all(np.isfinite(a).all() for a in params.values())
    return bool(np.isfinite(params).all())


def _model_fns(model, func):
    if not callable(getattr(model, "loss_and_grad", None)):
        v.fail("model", func, "a model with a loss_and_grad(params, X, y) function (e.g. gd.models.linear)",
               model, TypeError)
    fast = getattr(model, "_loss_and_grad", None) or model.loss_and_grad
    check = getattr(model, "_validate", None)
    return fast, check


def _warn_diverged(step, lr, loss):
    warnings.warn(
        f"Training diverged at step {step} with learning rate {lr:g} (loss = {loss:g}); "
        "stopped and returned the last finite parameters. Try a smaller learning rate.",
        DivergenceWarning, stacklevel=3)


def fit(model, params, X, y, optimizer, batch_size=None, epochs=100, rng=0, tol=None,
        sampling="reshuffle", record_path=False, diverge_factor=1e6):
    """Train ``params`` of ``model`` on ``(X, y)`` with ``optimizer``.

    Each epoch visits the data once in batches of ``batch_size``:

    * ``None``: full batch (batch gradient descent, one step per epoch);
    * ``1``: per-sample stochastic gradient descent (n steps per epoch);
    * ``k``: mini-batch gradient descent (ceil(n/k) steps; the last batch may be smaller).

    Parameters
    ----------
    model : module or object with ``loss_and_grad(params, X, y)``
        e.g. ``gd.models.linear``, ``gd.models.logistic`` or ``gd.models.mlp.model("tanh")``.
    params : dict of ndarrays
        Initial parameters (not modified).
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    optimizer : gdcore.optim optimiser, e.g. ``gd.optim.sgd(lr=0.1)``
    batch_size : None or int in [1, n]
    epochs : int >= 1
    rng : int or numpy.random.Generator
        Seeds the per-epoch shuffles; the same seed gives bit-identical results.
    tol : float > 0 or None
        Stop when the norm of the full-data gradient falls below ``tol`` (checked
        after every step for full batch, after every epoch otherwise).
    sampling : {"reshuffle", "replacement", "fixed"}
        "reshuffle" draws a fresh permutation every epoch (default); "replacement"
        draws each batch independently with replacement; "fixed" keeps the data
        order (no shuffling).
    record_path : bool
        Keep a copy of the parameters after every step in ``hist.path``.
    diverge_factor : float > 1
        The run counts as diverged if a loss exceeds ``diverge_factor`` times the initial loss
        (or becomes NaN/inf).

    Returns
    -------
    params : dict of ndarrays
        The final parameters; if the run diverged, the last parameters with a finite loss.
    hist : History
    """
    func = "fit"
    fast, check = _model_fns(model, func)
    if check is not None:
        params, X, y = check(params, X, y, func)
    else:
        X, y = v.data(X, y, func)
        params = v.params(params, "params", func)
    params = _copy(params)
    n = X.shape[0]
    if not isinstance(optimizer, Optimizer):
        v.fail("optimizer", func, "a gdcore optimiser such as gd.optim.sgd(lr=0.1)", optimizer, TypeError)
    B = n if batch_size is None else v.integer(batch_size, "batch_size", func, low=1, high=n)
    epochs = v.integer(epochs, "epochs", func, low=1)
    g = v.rng(rng, "rng", func)
    if tol is not None:
        tol = v.real(tol, "tol", func, low=0.0, low_open=True)
    v.choice(sampling, "sampling", func, SAMPLING)
    diverge_factor = v.real(diverge_factor, "diverge_factor", func, low=1.0, low_open=True)
    record_path = v.boolean(record_path, "record_path", func)

    # params is a private copy from here on: the loop updates it (and the optimiser's buffers) in place
    state = optimizer.init(params)
    bufs = optimizer._leaf_buffers(params, tuple(state[b] for b in optimizer._buffers))
    rec = _Recorder(record_path, params)
    if B == n:
        params = _full_batch(fast, params, X, y, optimizer, bufs, epochs, tol, diverge_factor, rec)
    else:
        params = _stochastic(fast, params, X, y, optimizer, bufs, B, epochs, g, tol, sampling,
                             diverge_factor, rec, _fresh_grads(model))
    return params, rec.history()


class _Recorder:
    """Collects the per-step and per-epoch records of a run (plain lists in the hot loop).

    The stochastic loop appends only the loss and the gradient norm per step; the learning
    rates and batch sizes of an epoch are known in advance and are added once per epoch.
    """

    def __init__(self, record_path, params):
        self.loss, self.lr, self.norm, self.sizes, self.epoch_loss = [], [], [], [], []
        self.path = [_copy(params)] if record_path else None
        self.kw = {"epochs_run": 0}

    def diverged(self, t, lr, loss):
        self.kw.update(diverged=True, diverged_step=t)
        _warn_diverged(t, lr, loss)

    def history(self):
        return History(loss=np.array(self.loss), lr=np.array(self.lr), grad_norm=np.array(self.norm),
                       examples=np.cumsum(np.array(self.sizes, dtype=np.int64)),
                       epoch_loss=np.array(self.epoch_loss), path=self.path, n_steps=len(self.loss),
                       **self.kw)


def _assign(dst, src):
    """Copy the values of ``src`` into the arrays of ``dst`` (same structure), without allocating."""
    if isinstance(dst, dict):
        for k, a in dst.items():
            np.copyto(a, src[k])
    else:
        np.copyto(dst, src)


def _rates(lr_of, t0, k):
    """The learning rates of steps t0 .. t0+k-1 as a list of floats (one vectorised schedule call)."""
    return lr_of(np.arange(t0, t0 + k)).tolist()


# a reshuffled epoch gathers the permuted data once (contiguous batches, no per-step fancy indexing)
# unless that copy would be larger than this
_GATHER_BYTES = 1 << 28


def _epoch_data(X, y, B, sampling, g):
    """The data of one epoch, drawing from ``g`` in a fixed order.

    Returns ``(Xs, ys, None)`` when the batches are the contiguous slices ``Xs[s:s+B]`` (fixed order,
    or a reshuffle gathered once: no fancy indexing per step), else ``(None, None, batches)`` with
    a generator of ``(X_batch, y_batch)``.
    """
    n = X.shape[0]
    if sampling == "fixed":
        return X, y, None
    if sampling == "reshuffle":
        perm = g.permutation(n)
        if X.nbytes <= _GATHER_BYTES:
            return np.take(X, perm, axis=0), np.take(y, perm), None
        return None, None, ((X[idx], y[idx]) for idx in (perm[s:s + B] for s in range(0, n, B)))

    def draws():
        for s in range(0, n, B):
            idx = g.integers(0, n, size=min(B, n - s))
            yield X[idx], y[idx]
    return None, None, draws()


def _full_batch(fast, params, X, y, optimizer, bufs, epochs, tol, diverge_factor, rec):
    """Batch gradient descent: one loss_and_grad per step; the step's loss is the previous epoch's."""
    n = X.shape[0]
    update = optimizer._update
    lrs = _rates(optimizer.lr, 0, epochs)
    limit = None
    prev = _copy(params)  # the parameters before the latest step; its arrays receive the next step
    for t in range(epochs + 1):
        loss, grads = fast(params, X, y)
        norm = global_norm(grads)
        if limit is None:  # a non-finite initial loss makes every check fail
            limit = diverge_factor * max(abs(loss), 1e-12) if math.isfinite(loss) else -math.inf
        # "not (loss <= limit)" is also true for NaN
        if not (loss <= limit) or not math.isfinite(norm):
            rec.diverged(t, lrs[max(t - 1, 0)], loss)
            return prev
        rec.epoch_loss.append(loss)
        rec.kw["epochs_run"] = t
        if tol is not None and norm < tol:
            rec.kw["converged"] = True
            return params
        if t == epochs:
            break
        update(params, grads, bufs, lrs[t], t + 1, prev)
        params, prev = prev, params
        rec.loss.append(loss)
        rec.lr.append(lrs[t])
        rec.norm.append(norm)
        rec.sizes.append(n)
        if rec.path is not None:
            rec.path.append(_copy(params))
    if not _finite(params):
        rec.diverged(t, lrs[t - 1], float("inf"))
        return prev
    return params


def _fresh_grads(model):
    """True for gdcore's own models, whose loss_and_grad returns new gradient arrays at every call."""
    from .models import linear, logistic, mlp
    return model is linear or model is logistic or model is mlp or type(model) is mlp.Model


def _norms(grads_list):
    """Global norms of a list of gradients (ndarrays or dicts of ndarrays), computed together."""
    m = len(grads_list)
    first = grads_list[0]
    total = 0.0
    for key in (first if isinstance(first, dict) else [None]):
        a = np.array([g[key] for g in grads_list] if key is not None else grads_list, dtype=np.float64)
        a = a.reshape(m, -1)
        total = total + np.einsum("ij,ij->i", a, a)
    return np.sqrt(total).tolist()


def _stochastic(fast, params, X, y, optimizer, bufs, B, epochs, g, tol, sampling, diverge_factor, rec, fresh):
    """Mini-batch / per-sample SGD: ceil(n/B) steps per epoch, full-data loss after each epoch.

    For gdcore's own models (``fresh``: new gradient arrays at every call) the per-step gradient
    norms are computed in blocks of steps, because one small reduction per step costs as much as
    the step's arithmetic; a NaN/inf gradient with a finite loss is then caught one step later, by
    the loss it produces, and the parameters returned are still those before the bad step. Other
    models get the norm, and the check, at every step.
    """
    n = X.shape[0]
    update = optimizer._update
    loss0, grads0 = fast(params, X, y)
    if not math.isfinite(loss0):
        rec.diverged(0, optimizer.lr(0), loss0)
        return params
    limit = diverge_factor * max(abs(loss0), 1e-12)
    rec.epoch_loss.append(loss0)
    if tol is not None and global_norm(grads0) < tol:
        rec.kw["converged"] = True
        return params
    prev = _copy(params)         # the parameters before the latest step; its arrays receive the next step
    epoch_start = _copy(params)  # the parameters after the latest epoch with a finite full loss
    starts = range(0, n, B)
    sizes = [B] * (n // B) + ([n % B] if n % B else [])
    # pending gradients: at most 256 steps and ~32 MB
    grad_bytes = 8 * sum(np.size(a) for a in (params.values() if isinstance(params, dict) else [params]))
    block = max(1, min(256, (32 << 20) // max(grad_bytes, 1)))
    losses, norms, path = rec.loss, rec.norm, rec.path
    t0 = 0  # steps before this epoch
    for epoch in range(1, epochs + 1):
        lrs = _rates(optimizer.lr, t0, len(sizes))
        k = 0
        pending = []
        Xs, ys, batches = _epoch_data(X, y, B, sampling, g)
        for item in (starts if batches is None else batches):
            if batches is None:
                Xb, yb = Xs[item:item + B], ys[item:item + B]
            else:
                Xb, yb = item
            loss, grads = fast(params, Xb, yb)
            if fresh:
                ok = loss <= limit  # also False for NaN
            else:
                norm = global_norm(grads)
                ok = loss <= limit and math.isfinite(norm)
            if not ok:
                if pending:
                    norms.extend(_norms(pending))
                rec.lr.extend(lrs[:k])
                rec.sizes.extend(sizes[:k])
                rec.diverged(t0 + k, lrs[k - 1] if k else optimizer.lr(max(t0 - 1, 0)), loss)
                return prev
            k += 1
            update(params, grads, bufs, lrs[k - 1], t0 + k, prev)
            params, prev = prev, params
            losses.append(loss)
            if fresh:
                pending.append(grads)
                if len(pending) == block:
                    norms.extend(_norms(pending))
                    pending = []
            else:
                norms.append(norm)
            if path is not None:
                path.append(_copy(params))
        if pending:
            norms.extend(_norms(pending))
        rec.lr.extend(lrs)
        rec.sizes.extend(sizes)
        t0 += k
        full_loss, full_grads = fast(params, X, y)
        if not (full_loss <= limit) or not _finite(params):
            rec.diverged(t0, lrs[-1], full_loss)
            return epoch_start
        _assign(epoch_start, params)
        rec.epoch_loss.append(full_loss)
        rec.kw["epochs_run"] = epoch
        if tol is not None and global_norm(full_grads) < tol:
            rec.kw["converged"] = True
            break
    return params


def _check_fun(fun, x, func):
    """Call ``fun`` once at ``x0``: it must return a scalar and a gradient shaped like ``x0``."""
    want = f"a callable x -> (f, grad) with a scalar f and grad of shape {x.shape}"
    out = fun(x.copy())
    if not isinstance(out, tuple) or len(out) != 2:
        v.fail("fun", func, want, out, TypeError)
    f, grad = out
    if np.ndim(f) != 0 or np.shape(grad) != x.shape:
        v.fail("fun", func, want, fun, got=f"f of shape {np.shape(f)} and grad of shape {np.shape(grad)}")
    return float(f)


def minimize(fun, x0, optimizer, steps=100, tol=None, record_path=True, diverge_factor=1e6):
    """Run ``optimizer`` on a deterministic objective ``fun(x) -> (f, grad)``.

    Used for 2-D test functions (quadratic bowls, Rosenbrock) and the explorers.

    Parameters
    ----------
    fun : callable
        ``fun(x)`` returns ``(f(x), grad f(x))`` for ``x`` an ndarray of shape (d,).
    x0 : ndarray of shape (d,)
    optimizer : gdcore optimiser
    steps : int >= 1
    tol : float > 0 or None
        Stop when the gradient norm falls below ``tol``.
    record_path : bool
        Return the iterates in ``hist.path`` as an ndarray of shape (n_steps + 1, d).

    Returns
    -------
    x : ndarray of shape (d,)
    hist : History (``loss[k]`` is f at the k-th iterate, ``path`` an array)
    """
    func = "minimize"
    if not callable(fun):
        v.fail("fun", func, "a callable x -> (f, grad)", fun, TypeError)
    x = v.array(x0, "x0", func, ndim=1).copy()
    if not isinstance(optimizer, Optimizer):
        v.fail("optimizer", func, "a gdcore optimiser such as gd.optim.sgd(lr=0.1)", optimizer, TypeError)
    steps = v.integer(steps, "steps", func, low=1)
    if tol is not None:
        tol = v.real(tol, "tol", func, low=0.0, low_open=True)
    diverge_factor = v.real(diverge_factor, "diverge_factor", func, low=1.0, low_open=True)
    record_path = v.boolean(record_path, "record_path", func)
    state = optimizer.init(x)
    f0 = _check_fun(fun, x, func)
    limit = diverge_factor * max(abs(float(f0)), 1e-12)
    losses, lrs, norms = [], [], []
    path = [x.copy()]
    kw = {}
    t = 0
    for t in range(steps + 1):
        f, grad = fun(x)
        f = float(f)
        gn = float(np.sqrt(np.dot(grad, grad))) if np.all(np.isfinite(grad)) else float("inf")
        losses.append(f)
        norms.append(gn)
        if not np.isfinite(f) or f > limit or not np.isfinite(gn):
            kw.update(diverged=True, diverged_step=t)
            _warn_diverged(t, optimizer.lr(max(t - 1, 0)), f)
            losses.pop(), norms.pop(), path.pop()
            x = path[-1].copy() if path else v.array(x0, "x0", func)
            break
        if tol is not None and gn < tol:
            kw["converged"] = True
            break
        if t == steps:
            break
        lrs.append(optimizer.lr(t))
        x, state = optimizer._step(x, np.asarray(grad, dtype=np.float64), state)
        path.append(x.copy())
    n_steps = len(path) - 1
    return x, History(loss=np.array(losses), lr=np.array(lrs[:n_steps]), grad_norm=np.array(norms),
                      examples=np.arange(1, n_steps + 1), epoch_loss=np.array(losses),
                      path=np.array(path) if record_path else None, n_steps=n_steps, **kw)
