"""The six explorers as ipywidgets widgets (anywidgets) that run their web twin.

>>> import explorers
>>> w = explorers.learning_rate()      # in a notebook cell: sliders, headline and plots
>>> w.params                           # the slider values, kept in sync as the sliders move
>>> w.headline                         # the text above the plot, as the page shows it

Each explorer's sliders, computation and drawing run in the browser (``web/gd-explorers.js`` with d3), the
same code in JupyterLab and in the HTML book, so a slider step redraws without a round trip to the kernel
and the book needs no kernel at all. The numbers are gdcore's: ``explorers.reference`` computes them with
gdcore, and the browser tests hold the web twin to them. Displayed in a notebook, the mime bundle carries
the live widget view and, as ``text/html``, the same explorer for the HTML book (myst-nb shows that one).
"""
from __future__ import annotations

import anywidget
import traitlets

from gdcore import _validate as v
from gdcore import explore_core as core
from gdcore import schedules as _sched
from gdcore.models import mlp

from . import reference as ref
from . import twin


def _linear(name, label, lo, hi, step, fmt):
    return {"name": name, "label": label, "kind": "float", "min": lo, "max": hi, "step": step, "format": fmt}


def _log(name, label, lo, hi, step, fmt):
    """A slider over base ** e for e from lo to hi (exponents, as ipywidgets' FloatLogSlider)."""
    return {"name": name, "label": label, "kind": "log", "base": 10, "min": lo, "max": hi, "step": step, "format": fmt}


def _int(name, label, lo, hi, step=1):
    return {"name": name, "label": label, "kind": "int", "min": lo, "max": hi, "step": step}


def _select(name, label, options):
    return {"name": name, "label": label, "kind": "select", "options": list(options)}


# The controls of each explorer: its sliders' labels, ranges, steps and readout formats, declared once.
CONTROLS = {
    "learning_rate": [
        _linear("lr", "learning rate η", 0.05, 2.5, 0.05, ".2f"),
        _log("kappa", "condition number κ", 0, 2, 0.05, ".3g"),
        _int("steps", "steps", 5, 100, 5),
        _linear("x0", "start θ₁", -2.8, 2.8, 0.1, ".1f"),
        _linear("y0", "start θ₂", -2.8, 2.8, 0.1, ".1f"),
    ],
    "batch_size": [
        _int("batch_size", "mini-batch size B", 1, ref.BS_N),
        _log("lr", "learning rate η", -2.5, -0.3, 0.05, ".3g"),
    ],
    "schedules": [
        _select("name", "schedule", _sched.NAMES),
        _linear("lr0", "η₀", 0.01, 0.3, 0.01, ".2f"),
        _linear("factor", "factor", 0.1, 0.9, 0.05, ".2f"),
        _int("every", "every (steps)", 32, 512, 32),
        _linear("gamma", "γ", 0.9, 0.9999, 0.0001, ".4f"),
        _log("decay", "decay λ", -4, -0.5, 0.1, ".2e"),
        _linear("lr_min", "η_min", 0.0, 0.05, 0.005, ".3f"),
        _int("warmup_steps", "warm-up steps", 1, 400),
    ],
    "momentum": [
        _log("lr", "η (GD, momentum, Nesterov)", -4, -2.5, 0.05, ".2e"),
        _linear("beta", "β (momentum; Adam's β₁)", 0.0, 0.99, 0.01, ".2f"),
        _log("adam_lr", "η (Adam)", -2.5, -0.3, 0.05, ".3f"),
    ],
    "xor": [
        _int("hidden", "hidden units H", 1, ref.XOR_H_MAX),
        _select("activation", "activation", mlp.ACTIVATIONS),
        _log("lr", "learning rate η", -1, 0.5, 0.05, ".2g"),
        _int("epochs", "epochs", 50, 1000, 50),
        _int("seed", "seed", 0, ref.XOR_SEEDS - 1),
    ],
    "preconditioning": [
        _log("kappa", "condition number κ", 0, 3, 0.05, ".4g"),
        _int("angle", "rotation θ (degrees)", 0, 90, 5),
        _linear("lr", "step η (GD and Jacobi)", 0.1, 2.5, 0.05, ".2f"),
        _int("steps", "steps shown", 10, 1000, 10),
    ],
}
for _spec in CONTROLS["schedules"]:                 # a schedule's own parameters show only for it
    _owners = [s for s, names in core.SCHEDULE_PARAMS.items() if _spec["name"] in names]
    if _owners:
        _spec["only"] = _owners
del _spec, _owners

TITLES = {"learning_rate": "Learning-rate explorer", "batch_size": "Batch-size explorer",
          "schedules": "Learning-rate schedules explorer", "momentum": "Momentum explorer", "xor": "XOR explorer",
          "preconditioning": "Preconditioning explorer"}


def web_config(name):
    """Everything explorer ``name``'s web twin needs: controls, title and the data from gdcore."""
    return {"name": name, "title": TITLES[name], "controls": CONTROLS[name], **ref.config(name)}


class Explorer(anywidget.AnyWidget):
    """An explorer: its web twin in JupyterLab, and in the HTML book through ``text/html``.

    Attributes
    ----------
    name : str, which explorer (a key of ``explorers.EXPLORERS``)
    params : dict, the slider values (set it to move the sliders from Python)
    headline : str, the text above the plot (the regime, the final errors...), as the page shows it
    """

    name = traitlets.Unicode().tag(sync=True)
    config = traitlets.Dict().tag(sync=True)
    params = traitlets.Dict().tag(sync=True)
    headline = traitlets.Unicode("").tag(sync=True)

    @property
    def _esm(self):
        return twin.esm()

    @property
    def _css(self):
        return twin.css()

    def __init__(self, name, params):
        super().__init__(name=name, config=web_config(name), params=dict(params))
        self.headline = ref.headline(name, self.params)

    def result(self):
        """What the explorer draws for the current slider values, computed by gdcore (``explorers.reference``)."""
        return ref.compute(self.name, self.params)

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        data["text/html"] = twin.static_html(self.config, self.params)
        return data, metadata

    def __repr__(self):
        args = ", ".join(f"{k}={val!r}" for k, val in self.params.items())
        return f"{self.name}({args})"


# Each explorer declares the accepted range of every argument once, here above it.
@v.validate_params({"lr": v.Interval(float, 0, None, closed="neither"), "kappa": v.Interval(float, 1, 100),
                    "x0": v.Array(ndim=1, shape=(2,)), "steps": v.Interval(int, 5, 100)})
def learning_rate(lr=0.5, kappa=10.0, x0=(-2.5, 1.5), steps=30):
    """Gradient descent on a 2-D quadratic bowl: the learning rate against the curvature.

    The bowl :math:`f(\\theta) = \\tfrac12\\theta^\\top A\\theta` has eigenvalues
    :math:`\\lambda_{max} = 1` and :math:`\\lambda_{min} = 1/\\kappa`; GD multiplies each
    eigen-component by :math:`1-\\eta\\lambda_i` per step, so it converges iff
    :math:`0 < \\eta\\lambda_i < 2` for all i. The explorer labels the regime and shows
    :math:`\\eta\\lambda_{max}` against 2.

    Parameters
    ----------
    lr : float > 0, initial learning rate :math:`\\eta` (slider 0.05-2.5)
    kappa : float in [1, 100], condition number
    x0 : pair of floats in [-2.8, 2.8], the starting point
    steps : int in [5, 100]

    Returns
    -------
    Explorer (an ipywidgets widget)
    """
    return Explorer("learning_rate", {"lr": lr, "kappa": kappa, "steps": steps, "x0": float(x0[0]),
                                      "y0": float(x0[1])})


@v.validate_params({"batch_size": v.Interval(int, 1, ref.BS_N),
                    "lr": v.Interval(float, 10 ** -2.5, 10 ** -0.3)})
def batch_size(batch_size=16, lr=0.05):
    """Full-batch, mini-batch and per-sample SGD on the same linear regression, at equal compute.

    Loss (minus the least-squares optimum, log scale) against the number of per-example
    gradients computed, :math:`8n` for each run (n = 128, d = 2, noise 0.5). Per-sample SGD
    makes n steps per epoch but settles into a noise ball whose size grows with
    :math:`\\eta` and shrinks with B; full batch makes one exact step per epoch.

    Parameters
    ----------
    batch_size : int in [1, 128], the mini-batch size B of the middle curve
    lr : float in [0.003, 0.5], the learning rate of all three runs

    Returns
    -------
    Explorer (an ipywidgets widget)
    """
    return Explorer("batch_size", {"batch_size": batch_size, "lr": lr})


@v.validate_params({"name": v.Options(_sched.NAMES), "lr0": v.Interval(float, 0.01, 0.3),
                    "factor": v.Interval(float, 0.1, 0.9), "every": v.Interval(int, 32, 512),
                    "gamma": v.Interval(float, 0.9, 0.9999), "decay": v.Interval(float, 1e-4, 10 ** -0.5),
                    "lr_min": v.Interval(float, 0, 0.05), "warmup_steps": v.Interval(int, 1, 400)})
def schedules(name="step_decay", lr0=0.1, factor=0.5, every=256, gamma=0.998, decay=0.01, lr_min=0.0,
              warmup_steps=100):
    """Learning-rate schedules: the rate curve, and per-sample SGD's final error and noise under it.

    Per-sample SGD on a linear regression (n = 128, d = 2, noise 0.5, 8 epochs = 1024 steps)
    under the schedule and under the constant rate :math:`\\eta_0`. The final error is the mean
    excess loss :math:`J(\\theta_t) - J(\\theta^*)` over the last 20% of steps and the noise its
    standard deviation: a decaying rate shrinks the noise ball.

    Parameters
    ----------
    name : {"constant", "step_decay", "exponential", "inverse_time", "cosine", "warmup"}
    lr0 : float in [0.01, 0.3]
    factor, every : step_decay's parameters; gamma : exponential's; decay : inverse_time's;
    lr_min : cosine's floor (cosine runs over all 1024 steps); warmup_steps : warmup's ramp length
        (a warm-up into the constant rate :math:`\\eta_0`).

    Returns
    -------
    Explorer (an ipywidgets widget)
    """
    return Explorer("schedules", {"name": name, "lr0": lr0, "factor": factor, "every": every, "gamma": gamma,
                                  "decay": decay, "lr_min": lr_min, "warmup_steps": warmup_steps})


@v.validate_params({"lr": v.Interval(float, 1e-4, 10 ** -2.5), "beta": v.Interval(float, 0, 0.99),
                    "adam_lr": v.Interval(float, 10 ** -2.5, 10 ** -0.3)})
def momentum(lr=1e-3, beta=0.9, adam_lr=0.1):
    """Plain GD, momentum, Nesterov and Adam side by side on an ill-conditioned bowl and on Rosenbrock.

    GD, momentum and Nesterov share the learning rate ``lr`` (``gd.optim.sgd`` with
    ``momentum=beta`` and ``nesterov``); Adam (``gd.optim.adam(adam_lr, betas=(beta, 0.999))``)
    has its own, because its step is about :math:`\\eta` in parameter units whatever the
    gradient's scale. On a quadratic, heavy-ball momentum converges iff
    :math:`0 < \\eta\\lambda < 2 + 2\\beta` for every eigenvalue :math:`\\lambda`.

    Parameters
    ----------
    lr : float in [1e-4, 10**-2.5]
    beta : float in [0, 0.99]
    adam_lr : float in [10**-2.5, 10**-0.3]

    Returns
    -------
    Explorer (an ipywidgets widget)
    """
    return Explorer("momentum", {"lr": lr, "beta": beta, "adam_lr": adam_lr})


@v.validate_params({"hidden": v.Interval(int, 1, ref.XOR_H_MAX), "activation": v.Options(mlp.ACTIVATIONS),
                    "lr": v.Interval(float, 0.1, 10 ** 0.5), "epochs": v.Interval(int, 50, 1000),
                    "seed": v.Interval(int, 0, ref.XOR_SEEDS - 1)})
def xor(hidden=4, activation="tanh", lr=1.0, epochs=500, seed=0):
    """The XOR MLP ``[2, H, 1]`` trained by full-batch GD: decision boundary and loss.

    With one hidden unit the output is a monotone function of :math:`w^\\top x + b`, so the
    decision region is a half-plane and at most 3 of the 4 XOR points are right; a few more
    units learn it (for most seeds: GD can still stop in a poor local minimum).

    Parameters
    ----------
    hidden : int in [1, 8]
    activation : {"tanh", "sigmoid", "relu"}
    lr : float in [0.1, 10**0.5]
    epochs : int in [50, 1000]
    seed : int in [0, 9], seeds ``gd.models.mlp.init``

    Returns
    -------
    Explorer (an ipywidgets widget)
    """
    return Explorer("xor", {"hidden": hidden, "activation": activation, "lr": lr, "epochs": epochs, "seed": seed})


@v.validate_params({"kappa": v.Interval(float, 1, 1000), "angle": v.Interval(int, 0, 90),
                    "lr": v.Interval(float, 0.1, 2.5), "steps": v.Interval(int, 10, 1000)})
def preconditioning(kappa=100.0, angle=30, lr=1.0, steps=100):
    """Gradient descent, GD with Armijo backtracking, Jacobi-preconditioned GD and Newton's method on a turned bowl.

    The bowl :math:`f(x) = \\tfrac12 x^\\top A x` has eigenvalues 1 and :math:`1/\\kappa`, its axes turned by
    ``angle`` degrees. Every run starts at (-2.5, 1.5) and stops once :math:`\\lVert\\nabla f\\rVert` is below
    :math:`10^{-6}` of its start (at most 20,000 steps). GD and Jacobi take the fixed step ``lr``
    (:math:`x - \\eta P\\nabla f` with :math:`P = I` and :math:`P = \\mathrm{diag}(A)^{-1}`), the line search
    needs none, Newton's :math:`P = A^{-1}` solves the bowl in one step. The explorer counts the steps and
    prints the condition number that Jacobi's scaling leaves: it removes :math:`\\kappa` only when the axes
    are aligned (``angle`` 0 or 90).

    Parameters
    ----------
    kappa : float in [1, 1000], the condition number
    angle : int in [0, 90], the rotation of the bowl in degrees
    lr : float in [0.1, 2.5], the step of GD and Jacobi
    steps : int in [10, 1000], the steps drawn

    Returns
    -------
    Explorer (an ipywidgets widget)
    """
    return Explorer("preconditioning", {"kappa": kappa, "angle": angle, "lr": lr, "steps": steps})


EXPLORERS = {"learning_rate": learning_rate, "batch_size": batch_size, "schedules": schedules,
             "momentum": momentum, "xor": xor, "preconditioning": preconditioning}
