"""Pure optimisers: ``state = opt.init(params)``; ``params, state = opt.step(params, grads, state)``.

``params`` and ``grads`` are an ndarray or a dict of ndarrays with the same keys
and shapes. ``step`` never mutates its inputs: it returns new arrays and a new
state, so a run can be replayed, and a student can print the state (``m`` and
``v`` for Adam) at any step.

The update rules and default hyper-parameters are those of the algorithms
documented for ``torch.optim`` (SGD, Adagrad, RMSprop, Adam), with the step
counter :math:`t = 1, 2, \\dots` and :math:`\\eta_t` the learning rate (a float or a
schedule evaluated at the 0-based step ``t - 1``). ``weight_decay`` :math:`\\lambda`
adds :math:`\\lambda\\theta` to the gradient first, as torch does.

Two ways to take a step, one engine:

* ``opt.step(params, grads, state)`` is pure and checks its inputs: use it in notebooks and exercises.
* ``opt.step_inplace(params, grads, state, out=None, lr=None)`` is the fast engine behind ``step``,
  ``gd.fit`` and ``gd.minimize``: it writes the new parameters into ``out`` (default: ``params``
  itself) and advances ``state`` in place, with no checks and no copies. ``step`` is
  ``step_inplace`` on fresh copies, so both compute bit-for-bit the same numbers.

Each optimiser declares the constraints of its hyper-parameters once, in ``_parameter_constraints``.
"""
from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from . import _validate as v
from .schedules import LR, as_schedule  # noqa: F401  (as_schedule: for optimisers that set lr themselves)


def tree_map(fn, *trees):
    """Apply ``fn`` leaf-wise to ndarrays or dicts of ndarrays with one structure."""
    if isinstance(trees[0], dict):
        return {k: fn(*(t[k] for t in trees)) for k in trees[0]}
    return fn(*trees)


def global_norm(tree):
    """:math:`\\sqrt{\\sum_{\\text{leaves}} \\lVert g\\rVert^2}` for an ndarray or a dict of ndarrays."""
    if isinstance(tree, dict):
        total = 0.0
        for g in tree.values():
            if np.ndim(g):
                total += float(np.vdot(g, g))
            else:
                g = float(g)  # a scalar leaf (a bias): plain float arithmetic is much cheaper than vdot
                total += g * g
        return math.sqrt(total)
    return math.sqrt(float(np.vdot(tree, tree)))


@v.validate_params({"max_norm": v.Interval(float, 0, None, closed="neither")})
def clip_by_norm(grads, max_norm):
    """Rescale ``grads`` so that its global norm is at most ``max_norm`` (gradient clipping).

    .. math:: g \\leftarrow g \\cdot \\min\\!\\left(1, \\frac{c}{\\lVert g\\rVert}\\right)
    """
    grads = v.params(grads, "grads", "clip_by_norm")
    norm = global_norm(grads)
    scale = 1.0 if norm <= max_norm else max_norm / norm
    return tree_map(lambda g: g * scale, grads)


def copy_tree(tree):
    """Float64 copies of an ndarray or of every array in a dict of ndarrays."""
    if isinstance(tree, dict):
        return {k: np.array(a, dtype=np.float64, copy=True) for k, a in tree.items()}
    return np.array(tree, dtype=np.float64, copy=True)


def _zeros(params):
    return tree_map(np.zeros_like, params)


# hyper-parameters that several optimisers share, declared once
NON_NEGATIVE = v.Interval(float, 0, None)          # weight_decay, eps, lr_decay, ...
MOMENTUM = v.Interval(float, 0, 1, closed="left")
DECAY_RATE = v.Interval(float, 0, 1, closed="left")  # Adam's betas
BOOL = v.Boolean()


class Optimizer:
    """Base class. Subclasses define ``name``, ``_hyper`` (hyper-parameter names), ``_buffers`` (the
    state's buffer names), ``_parameter_constraints`` and ``_leaf``.

    ``_leaf(p, g, bufs, lr, t, out)`` writes the update of one parameter array ``p`` into ``out`` and
    updates its buffers ``bufs`` (a sequence, in the order of ``_buffers``) in place.
    """

    name = "optimizer"
    _hyper = ()
    _buffers = ()
    _parameter_constraints: ClassVar[dict] = {"lr": LR}

    def _set(self, **values):
        """Check the constructor's arguments against ``_parameter_constraints`` and store them."""
        for key, value in v.check_params(self.name, self._parameter_constraints, values).items():
            setattr(self, key, value)

    def __repr__(self):
        args = ", ".join(f"{h}={getattr(self, h)!r}" for h in ("lr",) + self._hyper)
        return f"{self.name}({args})"

    def init(self, params):
        """Initial state: ``{"step": 0, <buffer>: zeros_like(params), ...}``."""
        params = v.params(params, "params", f"{self.name}.init")
        state = {"step": 0}
        for b in self._buffers:
            state[b] = _zeros(params)
        return state

    def step(self, params, grads, state):
        """One update. Returns ``(new_params, new_state)``; the inputs are not modified.

        Parameters
        ----------
        params : ndarray or dict of ndarrays
        grads : same structure and shapes as ``params``
        state : dict from :meth:`init` (or from a previous :meth:`step`)
        """
        func = f"{self.name}.step"
        params = v.params(params, "params", func)
        grads = v.params(grads, "grads", func, like=params)
        if not isinstance(state, dict) or "step" not in state or any(b not in state for b in self._buffers):
            v.fail("state", func, f"a dict from {self.name}.init with keys {['step', *self._buffers]}",
                   state, TypeError)
        new_state = {"step": state["step"]}
        for b in self._buffers:
            new_state[b] = copy_tree(state[b])
        new_params = tree_map(lambda p: np.empty(np.shape(p)), params)
        self.step_inplace(params, grads, new_state, new_params)
        return new_params, new_state

    def step_inplace(self, params, grads, state, out=None, lr=None):
        """One update, in place: the engine behind :meth:`step`, ``gd.fit`` and ``gd.minimize``.

        Writes the updated parameters into the arrays of ``out`` and advances ``state`` in place
        (``state["step"]`` and every buffer). Nothing is checked or copied, so this is for loops that
        validated their inputs once.

        Parameters
        ----------
        params : float64 ndarray or dict of float64 ndarrays; only read (unless ``out`` is ``params``)
        grads : the same structure and shapes; only read
        state : dict from :meth:`init`, modified in place
        out : arrays with the structure of ``params``, or None for ``params`` itself (an in-place step)
        lr : float, optional
            The learning rate of this step if the caller already has it (``fit`` reads a whole
            epoch's rates with one vectorised schedule call); by default ``self.lr(state["step"])``.

        Returns
        -------
        out
        """
        if out is None:
            out = params
        t = state["step"] + 1
        state["step"] = t
        if lr is None:
            lr = self.lr(t - 1)
        names = self._buffers
        leaf = self._leaf
        if not isinstance(params, dict):
            leaf(params, grads, [state[b] for b in names], lr, t, out)
        elif len(names) == 1:  # the common cases without a list per leaf and step (fit's hot loop)
            b1 = state[names[0]]
            for k, p in params.items():
                leaf(p, grads[k], (b1[k],), lr, t, out[k])
        elif len(names) == 2:
            b1, b2 = state[names[0]], state[names[1]]
            for k, p in params.items():
                leaf(p, grads[k], (b1[k], b2[k]), lr, t, out[k])
        else:
            bufs = [state[b] for b in names]
            for k, p in params.items():
                leaf(p, grads[k], [b[k] for b in bufs], lr, t, out[k])
        return out


class sgd(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum, as in ``torch.optim.SGD``.

    .. math::
        g_t &\\leftarrow \\nabla J(\\theta_{t-1}) + \\lambda\\theta_{t-1} \\\\
        b_t &= \\begin{cases} g_t & t = 1\\\\ \\mu b_{t-1} + (1-\\tau) g_t & t > 1\\end{cases} \\\\
        d_t &= \\begin{cases} g_t + \\mu b_t & \\text{nesterov} \\\\ b_t & \\text{otherwise}\\end{cases}
              \\quad (d_t = g_t \\text{ if } \\mu = 0) \\\\
        \\theta_t &= \\theta_{t-1} - \\eta_t d_t

    Parameters
    ----------
    lr : float > 0 or schedule, default 1e-3 (torch's default)
    momentum : float in [0, 1), :math:`\\mu`
    dampening : float in [0, 1], :math:`\\tau`
    weight_decay : float >= 0, :math:`\\lambda`
    nesterov : bool (needs momentum > 0 and dampening = 0)

    State: ``step`` and ``b`` (the momentum buffer).
    """

    name = "sgd"
    _hyper = ("momentum", "dampening", "weight_decay", "nesterov")
    _buffers = ("b",)
    _parameter_constraints: ClassVar[dict] = {
        "lr": LR, "momentum": MOMENTUM, "dampening": v.Interval(float, 0, 1), "weight_decay": NON_NEGATIVE,
        "nesterov": BOOL}

    def __init__(self, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        self._set(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
        if self.nesterov and (self.momentum == 0.0 or self.dampening != 0.0):
            v.fail("nesterov", "sgd", "False unless momentum > 0 and dampening = 0", nesterov,
                   got=f"nesterov=True with momentum={self.momentum}, dampening={self.dampening}")

    def step_inplace(self, params, grads, state, out=None, lr=None):
        if self.momentum or self.weight_decay or not isinstance(params, dict):
            return super().step_inplace(params, grads, state, out, lr)
        # plain SGD on a dict, the hot path of fit: theta <- theta - lr g, leaf by leaf (the buffer is
        # unused), the same IEEE operations as _leaf
        if out is None:
            out = params
        t = state["step"] + 1
        state["step"] = t
        if lr is None:
            lr = self.lr(t - 1)
        for k, p in params.items():
            if p.ndim:
                np.subtract(p, lr * grads[k], out=out[k])
            else:
                out[k][()] = float(p) - lr * float(grads[k])
        return out

    def _leaf(self, p, g, bufs, lr, t, out):
        (b,) = bufs
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum == 0.0:
            if p.ndim:
                np.subtract(p, lr * g, out=out)
            else:
                out[()] = float(p) - lr * float(g)  # same IEEE operations, without 0-d array overhead
            return
        if t == 1:
            b[...] = g
        else:
            b *= self.momentum
            b += (1.0 - self.dampening) * g
        d = g + self.momentum * b if self.nesterov else b
        np.subtract(p, lr * d, out=out)


class adagrad(Optimizer):
    """Adagrad, as in ``torch.optim.Adagrad``.

    .. math::
        g_t &\\leftarrow \\nabla J(\\theta_{t-1}) + \\lambda\\theta_{t-1} \\\\
        \\tilde\\eta_t &= \\eta_t / (1 + (t-1)\\,\\text{lr\\_decay}) \\\\
        s_t &= s_{t-1} + g_t^2 \\quad (s_0 = \\text{initial\\_accumulator\\_value}) \\\\
        \\theta_t &= \\theta_{t-1} - \\tilde\\eta_t\\, g_t / (\\sqrt{s_t} + \\epsilon)

    Defaults: lr=0.01, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10.
    State: ``step`` and ``sum``.
    """

    name = "adagrad"
    _hyper = ("lr_decay", "weight_decay", "initial_accumulator_value", "eps")
    _buffers = ("sum",)

    _parameter_constraints: ClassVar[dict] = {
        "lr": LR, "lr_decay": NON_NEGATIVE, "weight_decay": NON_NEGATIVE, "initial_accumulator_value": NON_NEGATIVE,
        "eps": NON_NEGATIVE}

    def __init__(self, lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
        self._set(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                  initial_accumulator_value=initial_accumulator_value, eps=eps)

    def init(self, params):
        state = super().init(params)
        # np.full_like keeps a 0-d leaf an array (z + value would give an immutable np.float64,
        # which the in-place engine could not update)
        state["sum"] = tree_map(lambda z: np.full_like(z, self.initial_accumulator_value), state["sum"])
        return state

    def _leaf(self, p, g, bufs, lr, t, out):
        (s,) = bufs
        if self.weight_decay:
            g = g + self.weight_decay * p
        clr = lr / (1.0 + (t - 1) * self.lr_decay)
        s += g * g
        np.subtract(p, clr * g / (np.sqrt(s) + self.eps), out=out)


class rmsprop(Optimizer):
    """RMSprop, as in ``torch.optim.RMSprop``.

    .. math::
        g_t &\\leftarrow \\nabla J(\\theta_{t-1}) + \\lambda\\theta_{t-1} \\\\
        v_t &= \\alpha v_{t-1} + (1-\\alpha) g_t^2 \\\\
        \\tilde v_t &= v_t - \\bar g_t^2,\\ \\ \\bar g_t = \\alpha \\bar g_{t-1} + (1-\\alpha) g_t
              \\quad\\text{if centered, else } \\tilde v_t = v_t \\\\
        b_t &= \\mu b_{t-1} + g_t/(\\sqrt{\\tilde v_t}+\\epsilon),\\quad
              \\theta_t = \\theta_{t-1} - \\eta_t b_t \\quad\\text{if } \\mu > 0 \\\\
        \\theta_t &= \\theta_{t-1} - \\eta_t\\, g_t/(\\sqrt{\\tilde v_t}+\\epsilon) \\quad\\text{otherwise}

    Defaults: lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False.
    State: ``step``, ``v``, ``g_avg`` and ``b``.
    """

    name = "rmsprop"
    _hyper = ("alpha", "eps", "weight_decay", "momentum", "centered")
    _buffers = ("v", "g_avg", "b")

    _parameter_constraints: ClassVar[dict] = {
        "lr": LR, "alpha": v.Interval(float, 0, 1), "eps": NON_NEGATIVE, "weight_decay": NON_NEGATIVE,
        "momentum": MOMENTUM, "centered": BOOL}

    def __init__(self, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        self._set(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                  centered=centered)

    def _leaf(self, p, g, bufs, lr, t, out):
        vv, g_avg, b = bufs
        if self.weight_decay:
            g = g + self.weight_decay * p
        a = self.alpha
        vv *= a
        vv += (1.0 - a) * g * g
        denom = vv
        if self.centered:
            g_avg *= a
            g_avg += (1.0 - a) * g
            denom = vv - g_avg * g_avg
        scaled = g / (np.sqrt(denom) + self.eps)
        if self.momentum > 0.0:
            b *= self.momentum
            b += scaled
            np.subtract(p, lr * b, out=out)
        else:
            np.subtract(p, lr * scaled, out=out)


class adam(Optimizer):
    """Adam (Kingma & Ba, 2015), as in ``torch.optim.Adam``.

    .. math::
        g_t &\\leftarrow \\nabla J(\\theta_{t-1}) + \\lambda\\theta_{t-1} \\\\
        m_t &= \\beta_1 m_{t-1} + (1-\\beta_1) g_t \\\\
        v_t &= \\beta_2 v_{t-1} + (1-\\beta_2) g_t^2 \\\\
        \\hat m_t &= m_t/(1-\\beta_1^t),\\qquad \\hat v_t = v_t/(1-\\beta_2^t) \\\\
        \\theta_t &= \\theta_{t-1} - \\eta_t\\, \\hat m_t/(\\sqrt{\\hat v_t} + \\epsilon)

    Defaults: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.
    State: ``step``, ``m`` and ``v``.
    """

    name = "adam"
    _hyper = ("betas", "eps", "weight_decay")
    _buffers = ("m", "v")

    _parameter_constraints: ClassVar[dict] = {
        "lr": LR, "betas": v.Pair(DECAY_RATE, ("beta1", "beta2")), "eps": NON_NEGATIVE, "weight_decay": NON_NEGATIVE}

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        self._set(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def _leaf(self, p, g, bufs, lr, t, out):
        if self.weight_decay:
            g = g + self.weight_decay * p  # coupled: L2 on the loss, rescaled by the denominator below
        np.subtract(p, lr * self._direction(g, bufs, t), out=out)

    def _direction(self, g, bufs, t):
        """Update the moments in place; return the bias-corrected step direction m_hat / (sqrt(v_hat) + eps)."""
        m, vv = bufs
        b1, b2 = self.betas
        m *= b1
        m += (1.0 - b1) * g
        vv *= b2
        vv += (1.0 - b2) * g * g
        m_hat = m / (1.0 - b1 ** t)
        v_hat = vv / (1.0 - b2 ** t)
        return m_hat / (np.sqrt(v_hat) + self.eps)



class adamw(adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as in ``torch.optim.AdamW``.

    The decay shrinks the parameters directly instead of entering the gradient, so it is not
    rescaled by the adaptive denominator (compare ``adam(weight_decay=...)``, which is coupled
    :math:`L_2` regularisation):

    .. math::
        g_t &= \\nabla J(\\theta_{t-1}) \\\\
        m_t &= \\beta_1 m_{t-1} + (1-\\beta_1) g_t,\\qquad v_t = \\beta_2 v_{t-1} + (1-\\beta_2) g_t^2 \\\\
        \\hat m_t &= m_t/(1-\\beta_1^t),\\qquad \\hat v_t = v_t/(1-\\beta_2^t) \\\\
        \\theta_t &= (1 - \\eta_t\\lambda)\\,\\theta_{t-1} - \\eta_t\\, \\hat m_t/(\\sqrt{\\hat v_t} + \\epsilon)

    Parameters
    ----------
    lr : float > 0 or schedule, default 1e-3
    betas : pair of floats in [0, 1), default (0.9, 0.999)
    eps : float >= 0, default 1e-8
    weight_decay : float >= 0, :math:`\\lambda`, default 1e-2 (torch's default for AdamW)

    State: ``step``, ``m`` and ``v`` (the same moments as :class:`adam`).
    """

    name = "adamw"
    _hyper = ("betas", "eps", "weight_decay")
    _buffers = ("m", "v")

    _parameter_constraints: ClassVar[dict] = adam._parameter_constraints

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        self._set(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def _leaf(self, p, g, bufs, lr, t, out):
        # decoupled: shrink the parameters directly, then take Adam's step on the loss gradient alone
        np.subtract((1.0 - lr * self.weight_decay) * p, lr * self._direction(g, bufs, t), out=out)

