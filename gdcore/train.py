"""The training loop: full-batch, mini-batch and per-sample (stochastic) gradient descent.

``fit`` validates its inputs once, then runs a lean loop over the model's unchecked
``_loss_and_grad`` and the optimiser's public in-place engine ``step_inplace`` (which is what the
pure ``opt.step`` runs too). ``minimize`` is the full-batch loop on a deterministic objective
``fun(x) -> (f, grad)``, so its History means exactly what a full-batch ``fit``'s does.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from . import _validate as v
from .optim import Optimizer, copy_tree, global_norm


class DivergenceWarning(RuntimeWarning):
    """Issued once when a run's loss stops being finite or explodes."""


SAMPLING = ("reshuffle", "replacement", "fixed")

# the constraints fit and minimize share, declared once
OPTIMIZER = v.Instance(Optimizer, "a gdcore optimiser such as gd.optim.sgd(lr=0.1)")
TOL = v.Optional(v.Interval(float, 0, None, closed="neither"))
RECORD_PATH = v.Boolean()
DIVERGE_FACTOR = v.Interval(float, 1, None, closed="neither")


@dataclass
class History:
    """What happened during a run of :func:`fit` or :func:`minimize` (the same meaning for both).

    Attributes
    ----------
    loss, lr, grad_norm : ndarray of shape (n_steps,)
        Per step, before its update: the loss of the batch the step used, the learning rate and the
        norm of the batch gradient. ``loss[0]`` is the loss at the initial parameters. For
        ``minimize`` and full-batch ``fit`` the batch is everything, so ``loss`` is
        ``epoch_loss[:-1]``.
    examples : ndarray of shape (n_steps,)
        Cumulative number of per-example gradients computed after each step (the compute budget);
        ``minimize`` counts one per step.
    epoch_loss : ndarray of shape (epochs_run + 1,)
        Loss on the *whole* data set before training and after every epoch. For ``minimize`` and
        full-batch ``fit`` an epoch is one step, so ``epoch_loss[-1]`` is the loss of the returned
        parameters.
    path : list of params (``fit``), ndarray of shape (n_steps + 1, d) (``minimize``), or None
        The parameters before the first step and after every step (``record_path=True``);
        ``path[-1]`` is what the run returned.
    diverged : bool
        True if the run stopped because the loss became non-finite or exploded. The step that
        led there is undone: the run returns, and the records end at, the parameters before it.
    diverged_step : int or None
        The (1-based) step after which the loss was found non-finite or exploded (0: already at the
        start).
    converged : bool
        True if it stopped because the full gradient norm fell below ``tol``.
    n_steps, epochs_run : int
        Steps and complete epochs in the records.
    """

    loss: np.ndarray
    lr: np.ndarray
    grad_norm: np.ndarray
    examples: np.ndarray
    epoch_loss: np.ndarray
    path: list | np.ndarray | None = None
    diverged: bool = False
    diverged_step: int | None = None
    converged: bool = False
    n_steps: int = 0
    epochs_run: int = 0

    def __repr__(self):
        last = self.epoch_loss[-1] if len(self.epoch_loss) else float("nan")
        flags = " diverged" if self.diverged else (" converged" if self.converged else "")
        return f"History(n_steps={self.n_steps}, epochs_run={self.epochs_run}, final_loss={last:.6g}{flags})"


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


@v.validate_params({"optimizer": OPTIMIZER, "epochs": v.Interval(int, 1, None), "rng": v.Seed(), "tol": TOL,
                    "sampling": v.Options(SAMPLING), "record_path": RECORD_PATH,
                    "diverge_factor": DIVERGE_FACTOR})
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
        The final parameters; if the run diverged, the last ones before the step that made the loss
        explode (``hist.path[-1]``).
    hist : History
    """
    func = "fit"
    fast, check = _model_fns(model, func)
    if check is not None:
        params, X, y = check(params, X, y, func)
    else:
        X, y = v.data(X, y, func)
        params = v.params(params, "params", func)
    n = X.shape[0]
    # the one bound that depends on the data: declared here, where n is known
    batch_size = v.Optional(v.Interval(int, 1, n)).check(batch_size, "batch_size", func)
    B = n if batch_size is None else batch_size

    # a private copy from here on: the loop updates it (and the optimiser's state) in place
    params = copy_tree(params)
    rec = _Recorder(record_path, params)
    if B == n:
        params = _full_batch(fast, params, X, y, optimizer, epochs, tol, diverge_factor, rec, n)
    else:
        params = _stochastic(fast, params, X, y, optimizer, B, epochs, rng, tol, sampling,
                             diverge_factor, rec, _fresh_grads(model))
    return params, rec.history()


class _Recorder:
    """Collects the per-step and per-epoch records of a run (plain lists in the hot loop).

    The stochastic loop appends only the loss and the gradient norm per step; the learning
    rates and batch sizes of an epoch are known in advance and are added once per epoch.
    ``epoch_steps[i]`` is the number of steps behind ``epoch_loss[i]``.
    """

    def __init__(self, record_path, params):
        self.loss, self.lr, self.norm, self.sizes = [], [], [], []
        self.epoch_loss, self.epoch_steps = [], []
        self.path = [copy_tree(params)] if record_path else None
        self.batch = None  # full batch: every step uses this many examples (no per-step record)
        self.kw = {}

    def epoch(self, loss, steps):
        self.epoch_loss.append(loss)
        self.epoch_steps.append(steps)

    def diverged(self, t, lr, loss, keep):
        """The loss after step ``t`` exploded: keep the records of the first ``keep`` steps only."""
        self.kw.update(diverged=True, diverged_step=t)
        for records in (self.loss, self.lr, self.norm, self.sizes):
            del records[keep:]
        if self.path is not None:
            del self.path[keep + 1:]
        while self.epoch_steps and self.epoch_steps[-1] > keep:
            self.epoch_steps.pop()
            self.epoch_loss.pop()
        _warn_diverged(t, lr, loss)

    def history(self):
        n_steps = len(self.loss)
        sizes = self.sizes if self.batch is None else [self.batch] * n_steps
        return History(loss=np.array(self.loss), lr=np.array(self.lr), grad_norm=np.array(self.norm),
                       examples=np.cumsum(np.array(sizes, dtype=np.int64)),
                       epoch_loss=np.array(self.epoch_loss), path=self.path, n_steps=n_steps,
                       epochs_run=max(len(self.epoch_loss) - 1, 0), **self.kw)


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


def _full_batch(fast, params, X, y, optimizer, epochs, tol, diverge_factor, rec, n):
    """Batch gradient descent: one ``fast(params, X, y)`` per step, each step an epoch of ``n`` examples.

    The step's loss is the epoch loss before it. Shared by ``fit`` (full batch) and ``minimize``.
    """
    rec.batch = n
    lrs = _rates(optimizer.lr, 0, epochs)
    state = optimizer.init(params)
    step = optimizer.step_inplace
    limit = None
    prev = copy_tree(params)  # the parameters before the latest step; its arrays receive the next step
    losses, norms, path = rec.loss, rec.norm, rec.path
    epoch_loss, epoch_steps = rec.epoch_loss, rec.epoch_steps
    for t in range(epochs + 1):
        loss, grads = fast(params, X, y)
        norm = global_norm(grads)
        if limit is None:  # a non-finite initial loss makes every check fail
            limit = diverge_factor * max(abs(loss), 1e-12) if math.isfinite(loss) else -math.inf
        # "not (loss <= limit)" is also true for NaN
        if not (loss <= limit) or not math.isfinite(norm):
            rec.lr.extend(lrs[:len(losses)])
            rec.diverged(t, lrs[max(t - 1, 0)], loss, keep=max(t - 1, 0))
            return prev
        epoch_loss.append(loss)
        epoch_steps.append(t)
        if tol is not None and norm < tol:
            rec.lr.extend(lrs[:t])
            rec.kw["converged"] = True
            return params
        if t == epochs:
            break
        step(params, grads, state, prev, lrs[t])
        params, prev = prev, params
        losses.append(loss)
        norms.append(norm)
        if path is not None:
            path.append(copy_tree(params))
    rec.lr.extend(lrs)
    if not _finite(params):
        rec.diverged(t, lrs[t - 1], float("inf"), keep=t - 1)
        return prev
    return params


def _fresh_grads(model):
    """True for gdcore's own models, whose loss_and_grad returns new gradient arrays at every call."""
    from .models import linear, logistic, mlp, softmax
    return any(model is m for m in (linear, logistic, mlp, softmax)) or type(model) is mlp.Model


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


def _stochastic(fast, params, X, y, optimizer, B, epochs, g, tol, sampling, diverge_factor, rec, fresh):
    """Mini-batch / per-sample SGD: ceil(n/B) steps per epoch, full-data loss after each epoch.

    For gdcore's own models (``fresh``: new gradient arrays at every call) the per-step gradient
    norms are computed in blocks of steps, because one small reduction per step costs as much as
    the step's arithmetic; a NaN/inf gradient with a finite loss is then caught one step later, by
    the loss it produces, and the parameters returned are still those before the bad step. Other
    models get the norm, and the check, at every step.
    """
    n = X.shape[0]
    state = optimizer.init(params)
    step = optimizer.step_inplace
    loss0, grads0 = fast(params, X, y)
    if not math.isfinite(loss0):
        rec.diverged(0, optimizer.lr(0), loss0, keep=0)
        return params
    limit = diverge_factor * max(abs(loss0), 1e-12)
    rec.epoch(loss0, 0)
    if tol is not None and global_norm(grads0) < tol:
        rec.kw["converged"] = True
        return params
    prev = copy_tree(params)         # the parameters before the latest step; its arrays receive the next step
    epoch_start = copy_tree(params)  # the parameters after the latest epoch with a finite full loss
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
                # the parameters after step t0 + k are bad: undo that step
                if pending:
                    norms.extend(_norms(pending))
                rec.lr.extend(lrs[:k])
                rec.sizes.extend(sizes[:k])
                t = t0 + k
                rec.diverged(t, lrs[k - 1] if k else optimizer.lr(max(t0 - 1, 0)), loss, keep=max(t - 1, 0))
                return prev
            k += 1
            step(params, grads, state, prev, lrs[k - 1])
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
                path.append(copy_tree(params))
        if pending:
            norms.extend(_norms(pending))
        rec.lr.extend(lrs)
        rec.sizes.extend(sizes)
        full_loss, full_grads = fast(params, X, y)
        if not (full_loss <= limit) or not _finite(params):
            # the epoch as a whole went wrong: back to where it started
            rec.diverged(t0 + k, lrs[-1], full_loss, keep=t0)
            return epoch_start
        t0 += k
        _assign(epoch_start, params)
        rec.epoch(full_loss, t0)
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


@v.validate_params({"fun": v.Function("a callable x -> (f, grad)"), "x0": v.Array(ndim=1),
                    "optimizer": OPTIMIZER, "steps": v.Interval(int, 1, None), "tol": TOL,
                    "record_path": RECORD_PATH, "diverge_factor": DIVERGE_FACTOR})
def minimize(fun, x0, optimizer, steps=100, tol=None, record_path=True, diverge_factor=1e6):
    """Run ``optimizer`` on a deterministic objective ``fun(x) -> (f, grad)``.

    Used for 2-D test functions (quadratic bowls, Rosenbrock) and the explorers. This is
    full-batch gradient descent with the whole objective as the batch, so the History has the
    same meaning as after a full-batch :func:`fit` with ``epochs=steps``: ``loss`` (and
    ``grad_norm``, ``lr``) per step, ``epoch_loss`` at ``x0`` and after every step.

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
    diverge_factor : float > 1
        The run counts as diverged if f exceeds ``diverge_factor`` times ``f(x0)`` (or is NaN/inf).

    Returns
    -------
    x : ndarray of shape (d,)
        The last iterate; if the run diverged, the last one before the step that made f explode.
    hist : History (``epoch_loss[k]`` is f at the k-th iterate, ``epoch_loss[-1]`` at ``x``)
    """
    func = "minimize"
    x = np.array(x0, dtype=np.float64)  # a private copy, updated in place
    _check_fun(fun, x, func)

    def objective(x, X, y):
        f, grad = fun(x.copy())  # fun never sees (or keeps) the loop's own arrays
        return float(f), np.array(grad, dtype=np.float64)

    rec = _Recorder(record_path, x)
    x = _full_batch(objective, x, None, None, optimizer, steps, tol, diverge_factor, rec, 1)
    hist = rec.history()
    if record_path:
        hist.path = np.array(hist.path)
    return x, hist
