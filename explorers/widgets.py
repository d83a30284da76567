"""Explorers: see gradient descent move, live in JupyterLab and as a static twin in the book.

Each public function returns an ipywidgets widget (a ``VBox``): sliders, then recompute, then
redraw. The figure is a plain Agg ``Figure`` whose artists are updated in place (``set_data``)
and rendered to PNG bytes inside a ``widgets.Image``, so nothing flickers and no ipympl is needed.
The numbers come from :mod:`gdcore.explore_core` (pure, tested headless) and are cached, so a
slider only recomputes what depends on it.

>>> import gdcore as gd
>>> gd.explore.learning_rate()        # in a notebook cell: the live explorer

Displayed in a notebook, an explorer's mime bundle carries both the live widget view
(``application/vnd.jupyter.widget-view+json``) and a static twin (``text/html``): frames
precomputed over the main slider's range, played by matplotlib's self-contained
``FuncAnimation.to_jshtml`` player (no kernel, no CDN). JupyterLab shows the widget; the HTML
book (myst-nb ``nb_mime_priority_overrides``) shows the player.
"""
from __future__ import annotations

import base64
import functools
import html
import io
import itertools
import tempfile
import time
from pathlib import Path

import ipywidgets as widgets
import numpy as np
from matplotlib.animation import HTMLWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage

from gdcore import _validate as v
from gdcore import explore_core as core
from gdcore import plot
from gdcore import schedules as _sched
from gdcore.data import make_linear, quadratic, rosenbrock
from gdcore.models import mlp
from gdcore.plot import PALETTE, style

__all__ = ["Explorer", "batch_size", "learning_rate", "momentum", "schedules", "xor"]

LIVE_DPI = 80
STATIC_TWIN = True
"""Put the static twin (``text/html``) in every explorer's mime bundle. It costs a few seconds per
explorer at display and about 0.1-0.5 MB in the saved notebook; the HTML book needs it. Set
``gd.explore.STATIC_TWIN = False`` for instant, lean live-only explorers in JupyterLab."""
STATIC_DPI = 64
_SLIDER = {"continuous_update": True, "style": {"description_width": "initial"}}


_PLAYERS = itertools.count(1)   # stable, unique ids for the static players on one page


def _encode(canvas, palette=False):
    """The Agg buffer as image bytes.

    Live (``palette=False``): JPEG at quality 92 without chroma subsampling, which Pillow encodes
    far faster than PNG at about the same size (measured for the schedules figure: ~1 ms against
    ~80 ms, even at zlib level 0: PNG's row filtering dominates); the live view is regenerated on
    every slider move, so speed wins. Static twin (``palette=True``): a PNG
    quantised to :func:`_static_palette` (3-4x smaller than full colour, crisp lines), encoded once.
    """
    w, h = canvas.get_width_height(physical=True)
    img = PILImage.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    out = io.BytesIO()
    if palette:
        img = img.quantize(palette=_static_palette(), dither=PILImage.Dither.NONE)
        img.save(out, format="png", compress_level=9)
    else:
        img.save(out, format="jpeg", quality=92, subsampling=0)
    return out.getvalue()


@functools.lru_cache(maxsize=1)
def _static_palette():
    """A fixed palette for the static frames: greys, the Okabe–Ito colours blended with white (for
    anti-aliased edges) and cividis (the XOR map). Adaptive palettes merge similar line colours."""
    from matplotlib import colormaps
    from matplotlib.colors import to_rgb
    cols = [(g, g, g) for g in np.linspace(0, 1, 24)]
    for c in PALETTE:
        rgb = np.array(to_rgb(c))
        cols += [tuple(a * rgb + (1 - a)) for a in (1.0, 0.8, 0.6, 0.4, 0.2)]
        cols += [tuple(a * rgb + (1 - a) * 0.7) for a in (0.6, 0.3)]          # over grey contours
    cols += [tuple(colormaps["cividis"](x)[:3]) for x in np.linspace(0, 1, 48)]
    flat = [round(255 * v) for c in cols for v in c]
    pal = PILImage.new("P", (1, 1))
    pal.putpalette(flat + flat[:3] * (256 - len(cols)))
    return pal


class _FramesWriter(HTMLWriter):
    """matplotlib's HTMLWriter (the ``to_jshtml`` player) fed with ready-made PNG frames.

    ``Animation.to_jshtml`` would redraw the whole figure twice per frame; the explorer's
    blitter renders a frame in a fraction of that, and the player markup is the same.
    """

    def grab_frame(self, png=None, **savefig_kwargs):
        if png is None:
            return super().grab_frame(**savefig_kwargs)
        data = base64.b64encode(png).decode("ascii")
        self._total_bytes += len(data)
        self._saved_frames.append(data)


def _figure(size, dpi):
    fig = Figure(figsize=size, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


class _Blitter:
    """Draw a figure's static part once, then only its dynamic artists (Agg blitting)."""

    def __init__(self, fig, view):
        self.fig, self.view, self.background = fig, view, None
        view.animated = True
        for a in view.dynamic:
            a.set_animated(True)

    def render(self, full=False, palette=False):
        canvas = self.fig.canvas
        if full or self.background is None:
            canvas.draw()                       # everything but the animated artists
            self.background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self.background)
        for a in self.view.dynamic:
            if a.get_visible():
                self.fig.draw_artist(a)
        return _encode(canvas, palette)


class Explorer(widgets.VBox):
    """Base class: controls on top, the rendered figure below, a static twin for the book.

    Subclasses define ``FIGSIZE``, ``MAIN`` (the control the static twin sweeps), ``_frames()``
    (the values it takes), ``_compute(p)`` (cached, returns what the view draws) and
    ``_view(fig)``: an object with ``dynamic`` (artists redrawn on every change) and
    ``update(result, params) -> bool`` (True if something static changed: limits, contours).

    Attributes
    ----------
    controls : dict name -> ipywidgets control
    image : ipywidgets.Image, the live figure (JPEG)
    status : ipywidgets.HTML, the headline (regime, final errors, ...) above it
    last_update_s : float, wall time of the last recompute + redraw
    """

    FIGSIZE = (8.0, 3.2)
    MAIN = None
    INTERVAL = 400

    def __init__(self, controls, layout_rows):
        self.controls = controls
        self.image = widgets.Image(format="jpeg", layout=widgets.Layout(max_width="100%"))
        self.status = widgets.HTML(layout=widgets.Layout(margin="4px 0 0 8px"))
        self._fig = _figure(self.FIGSIZE, LIVE_DPI)
        self._live = self._view(self._fig)
        # live, the headline goes to an HTML label: text is the slowest thing matplotlib draws
        self._live.title.set_visible(False)
        self._static_html = None
        self.last_update_s = 0.0
        super().__init__([*(widgets.HBox(row) for row in layout_rows), self.status, self.image])
        p = self.params()
        self._live.update(self._compute(p), p)
        self.status.value = self._status()
        self._fig.canvas.draw()                 # lay out once with the constrained engine...
        self._fig.set_layout_engine("none")     # ...then freeze it: no re-layout on every redraw
        self._blit = _Blitter(self._fig, self._live)
        self.image.value = self._blit.render(full=True)
        for c in controls.values():
            c.observe(self._on_change, names="value")

    # -- live
    def params(self):
        """The current control values as a dict."""
        return {k: c.value for k, c in self.controls.items()}

    def _on_change(self, change):
        self.update()

    def update(self):
        """Recompute (through the caches) and redraw the live figure into ``self.image``."""
        t0 = time.perf_counter()
        p = self.params()
        full = self._live.update(self._compute(p), p)
        self.image.value = self._blit.render(full=full)
        self.status.value = self._status()
        self.last_update_s = time.perf_counter() - t0

    def _status(self):
        lines = html.escape(self._live.title.get_text()).split("\n")
        return "<b>" + lines[0] + "</b>" + "".join("<br>" + ln for ln in lines[1:])

    # -- static twin
    def static_html(self):
        """The static twin: an HTML player of frames over the main control's range.

        Costs a computation, a (blitted) redraw and a PNG encoding per frame: seconds, not
        milliseconds (``benchmarks/bench_explorers.py`` measures it). So it is made lazily, at the
        first display, and cached; it sweeps the main control with the others fixed at their
        values at that moment.
        """
        if self._static_html is None:
            self._static_html = self._make_static()
        return self._static_html

    def _make_static(self):
        fig = _figure(self.FIGSIZE, STATIC_DPI)
        view = self._view(fig)
        values = list(self._frames())
        base = self.params()
        frames = [dict(base, **{self.MAIN: value}) for value in values]
        results = [self._compute(p) for p in frames]
        blit = None
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "player.html")
            writer = _FramesWriter(fps=1000 / self.INTERVAL, embed_frames=True, default_mode="loop")
            writer.setup(fig, path, dpi=STATIC_DPI)
            for r, p in zip(results, frames):
                full = view.update(r, p)
                if blit is None:                       # first frame: lay out, then freeze
                    fig.canvas.draw()
                    fig.set_layout_engine("none")
                    blit = _Blitter(fig, view)
                writer.grab_frame(png=blit.render(full=full, palette=True))
            writer.finish()
            name = type(self).__name__.lower()
            player = plot.offline_player(
                path.read_text(), uid=f"{name}_{next(_PLAYERS)}",
                alt=f"Frame of the {name} explorer; use the slider or buttons below to step through "
                    f"{len(values)} precomputed settings")
        desc = self.controls[self.MAIN].description or self.MAIN
        note = (f"<p class='gd-explorer-note'><em>Static preview</em>: {len(values)} frames precomputed "
                f"for <b>{desc}</b> from {_fmt(values[0])} to {_fmt(values[-1])}, the other settings "
                "fixed. Open this page as a notebook (download or launch button) for the live "
                "explorer with sliders.</p>")
        return (f"<div class='gd-explorer-static' data-explorer='{type(self).__name__}'>"
                f"{note}{player}</div>")

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:              # a closed widget
            return None
        if STATIC_TWIN:
            bundle["text/html"] = self.static_html()
        return bundle

    def close(self):
        for c in self.controls.values():
            c.close()
        self.image.close()
        self.status.close()
        super().close()

    def __repr__(self):
        args = ", ".join(f"{k}={_fmt(val)}" for k, val in self.params().items())
        return f"{type(self).__name__}({args})"


def _fmt(x):
    if isinstance(x, float):
        return f"{x:.3g}"
    return repr(x) if isinstance(x, str) else str(x)


def _slider(kind, value, description, **kw):
    # a Layout of its own: the schedules explorer hides and shows sliders through it
    return kind(value=value, description=description, layout=widgets.Layout(width="320px"), **_SLIDER, **kw)


# ============================================================================ 1. learning rate
class LearningRateExplorer(Explorer):
    FIGSIZE = (8.4, 3.4)
    MAIN = "lr"
    INTERVAL = 500
    LIM = 3.0

    def __init__(self, lr, kappa, x0, steps):
        c = {
            "lr": _slider(widgets.FloatSlider, lr, "learning rate η", min=0.05, max=2.5, step=0.05),
            "kappa": _slider(widgets.FloatLogSlider, kappa, "condition number κ", base=10, min=0,
                             max=2, step=0.05),
            "x0": _slider(widgets.FloatSlider, x0[0], "start θ₁", min=-2.8, max=2.8, step=0.1),
            "y0": _slider(widgets.FloatSlider, x0[1], "start θ₂", min=-2.8, max=2.8, step=0.1),
            "steps": _slider(widgets.IntSlider, steps, "steps", min=5, max=100, step=5),
        }
        super().__init__(c, [[c["lr"], c["kappa"], c["steps"]], [c["x0"], c["y0"]]])

    def _frames(self):
        return np.round(np.linspace(0.1, 2.2, 22), 2)

    @staticmethod
    @functools.lru_cache(maxsize=256)
    def _path(lr, kappa, x0, y0):
        return core.quadratic_path(lr, kappa, (x0, y0), 100)

    def _compute(self, p):
        path, loss = self._path(float(p["lr"]), float(p["kappa"]), float(p["x0"]), float(p["y0"]))
        q = core.bowl(p["kappa"])
        label, rho = core.regime(p["lr"], q.eigenvalues)
        k = p["steps"]
        return {"path": path[:k + 1], "loss": loss[:k + 1], "label": label, "rho": rho,
                "kappa": float(p["kappa"])}

    def _view(self, fig):
        return _LRView(fig, self.LIM)


@functools.lru_cache(maxsize=64)
def _bowl_grid(kappa, lim, n=80):
    q = core.bowl(kappa)
    g = np.linspace(-lim, lim, n)
    return g, q.f(np.stack(np.meshgrid(g, g), axis=-1))


class _View:
    """Common part of the views: ``dynamic`` artists; ``animated`` is set when blitting live."""

    animated = False

    def _dyn(self, artist):
        artist.set_animated(self.animated)
        return artist


class _LRView(_View):
    def __init__(self, fig, lim):
        self.ax, self.ax2 = fig.subplots(1, 2, width_ratios=[1, 1.25])
        self.lim, self.kappa, self.cs = lim, None, None
        ax = self.ax
        (self.line,) = ax.plot([], [], "o-", color=PALETTE[0], ms=3, lw=1.2, label="GD path")
        (self.start,) = ax.plot([], [], "s", color=PALETTE[1], ms=6, label="start")
        ax.plot(0, 0, "*", color="k", ms=10, label="minimum")
        ax.set_xlim(-lim, lim), ax.set_ylim(-lim, lim), ax.set_aspect("equal")
        style(ax, "path on the bowl", r"$\theta_1$", r"$\theta_2$")
        ax.legend(loc="lower left", fontsize="x-small", frameon=False)
        (self.loss,) = self.ax2.plot([], [], "o-", color=PALETTE[3], ms=2.5, lw=1.4)
        self.ax2.set_yscale("log")
        self.ax2.set_xlim(0, 100)
        self.ax2.set_ylim(1e-10, 1e10)        # fixed axes: a slider move redraws only the data
        style(self.ax2, "loss (log scale)", "step", r"$f(\theta_k)$")
        self.title = fig.suptitle("", fontsize="medium")
        self.dynamic = [self.line, self.start, self.loss, self.title]

    def update(self, r, p):
        full = False
        if r["kappa"] != self.kappa:
            if self.cs is not None:
                self.cs.remove()
            g, Z = _bowl_grid(r["kappa"], self.lim)
            self.cs = self.ax.contour(g, g, Z, levels=np.geomspace(1e-3, Z.max(), 12), colors="0.7",
                                      linewidths=0.7)
            self.kappa, full = r["kappa"], True
        path = np.clip(r["path"], -1e6, 1e6)
        self.line.set_data(path[:, 0], path[:, 1])
        self.start.set_data(path[:1, 0], path[:1, 1])
        loss = r["loss"]
        shown = np.clip(loss, 1e-30, 1e30)
        self.loss.set_data(np.arange(len(loss)), shown)
        verdict = {"converges": "converges", "oscillates": "oscillates but converges",
                   "diverges": "diverges"}[r["label"]]
        if r["rho"] == 2.0:
            verdict = "bounces forever (ηλ_max = 2)"
        rel = "<" if r["rho"] < 2 else ("=" if r["rho"] == 2 else ">")
        self.title.set_text(f"η = {p['lr']:.2f}, κ = {r['kappa']:.3g}:  η·λ_max = {r['rho']:.2f} {rel} 2"
                            f"  →  {verdict}")
        return full


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
    ipywidgets.VBox (a :class:`LearningRateExplorer`)
    """
    return LearningRateExplorer(lr, kappa, tuple(float(a) for a in x0), steps)


# ============================================================================ 2. batch size
BS_N, BS_EPOCHS = 128, 8


@functools.lru_cache(maxsize=1)
def _bs_data():
    X, y, _ = make_linear(BS_N, 2, noise=0.5, rng=0)
    return X, y, core.lstsq_loss(X, y)


@functools.lru_cache(maxsize=512)
def _bs_run(lr, B):
    X, y, floor = _bs_data()
    W, b, ex = core.linear_sgd(X, y, lr, None if B == BS_N else B, BS_EPOCHS, rng=0)
    return ex, np.maximum(core.linear_loss(X, y, W, b) - floor, 1e-12)


class BatchSizeExplorer(Explorer):
    FIGSIZE = (7.6, 3.4)
    MAIN = "batch_size"
    INTERVAL = 600

    def __init__(self, batch_size, lr):
        c = {
            "batch_size": _slider(widgets.IntSlider, batch_size, "mini-batch size B", min=1, max=BS_N),
            "lr": _slider(widgets.FloatLogSlider, lr, "learning rate η", base=10, min=-2.5, max=-0.3,
                          step=0.05),
        }
        super().__init__(c, [[c["batch_size"], c["lr"]]])

    def _frames(self):
        return [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128]

    def _compute(self, p):
        lr, B = float(p["lr"]), int(p["batch_size"])
        return {"full": _bs_run(lr, BS_N), "mini": _bs_run(lr, B), "sgd": _bs_run(lr, 1)}

    def _view(self, fig):
        return _BSView(fig)


class _BSView(_View):
    def __init__(self, fig):
        self.ax = fig.subplots()
        names = ("full batch", "mini-batch (B from the slider)", "per-sample SGD (B = 1)")
        self.lines = [self.ax.plot([], [], color=c, lw=w, alpha=a, label=n)[0]
                      for n, c, w, a in zip(names, (PALETTE[0], PALETTE[1], PALETTE[3]), (2.4, 1.4, 0.9),
                                            (1.0, 0.95, 0.8))]
        self.ax.set_yscale("log")
        self.ax.set_xlim(0, BS_N * BS_EPOCHS)
        self.ax.set_ylim(1e-6, 10)
        style(self.ax, None, "gradient evaluations (examples seen)", "excess loss  J(θ) − J(θ*)")
        self.ax.legend(loc="lower left", fontsize="small", frameon=False)
        self.title = self.ax.set_title("", fontsize="medium")
        self.dynamic = [*self.lines, self.title]

    def update(self, r, p):
        parts = []
        for line, (ex, excess) in zip(self.lines, r.values()):
            line.set_data(ex, excess)
            # mean over the last epoch: a fair "final" value whatever the number of steps per epoch
            parts.append(f"{excess[np.asarray(ex) > (BS_EPOCHS - 1) * BS_N].mean():.1e}")
        self.title.set_text(f"B = {p['batch_size']}, η = {p['lr']:.3g}, "
                            f"equal compute: {BS_EPOCHS} epochs each\n"
                            "last-epoch mean excess loss (full / mini / per-sample): " + " / ".join(parts))
        return False


@v.validate_params({"batch_size": v.Interval(int, 1, BS_N), "lr": v.Interval(float, 10 ** -2.5, 10 ** -0.3)})
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
    ipywidgets.VBox (a :class:`BatchSizeExplorer`)
    """
    return BatchSizeExplorer(batch_size, lr)


# ============================================================================ 3. schedules
SCH_N, SCH_EPOCHS = 128, 8
SCH_T = SCH_N * SCH_EPOCHS


@functools.lru_cache(maxsize=1)
def _sch_data():
    X, y, _ = make_linear(SCH_N, 2, noise=0.5, rng=1)
    return X, y


@functools.lru_cache(maxsize=256)
def _sch_run(sched):
    X, y = _sch_data()
    return core.schedule_run(X, y, sched, SCH_EPOCHS, rng=0)


class SchedulesExplorer(Explorer):
    FIGSIZE = (8.4, 3.4)
    MAIN = "name"
    INTERVAL = 1500

    def __init__(self, name, lr0, params):
        c = {
            "name": widgets.Dropdown(options=list(_sched.NAMES), value=name, description="schedule",
                                     layout=widgets.Layout(width="240px")),
            "lr0": _slider(widgets.FloatSlider, lr0, "η₀", min=0.01, max=0.3, step=0.01),
            "factor": _slider(widgets.FloatSlider, params["factor"], "factor", min=0.1, max=0.9, step=0.05),
            "every": _slider(widgets.IntSlider, params["every"], "every (steps)", min=32, max=512, step=32),
            "gamma": _slider(widgets.FloatSlider, params["gamma"], "γ", min=0.9, max=0.9999, step=0.0001,
                             readout_format=".4f"),
            "decay": _slider(widgets.FloatLogSlider, params["decay"], "decay λ", base=10, min=-4, max=-0.5,
                             step=0.1),
            "lr_min": _slider(widgets.FloatSlider, params["lr_min"], "η_min", min=0.0, max=0.05,
                              step=0.005, readout_format=".3f"),
            "warmup_steps": _slider(widgets.IntSlider, params["warmup_steps"], "warm-up steps", min=1,
                                    max=400, step=1),
        }
        super().__init__(c, [[c["name"], c["lr0"]],
                             [c[k] for k in ("factor", "every", "gamma", "decay", "lr_min", "warmup_steps")]])
        c["name"].observe(lambda ch: self._show_params(), names="value")
        self._show_params()

    def _show_params(self):
        wanted = core.SCHEDULE_PARAMS[self.controls["name"].value]
        for k in ("factor", "every", "gamma", "decay", "lr_min", "warmup_steps"):
            self.controls[k].layout.display = None if k in wanted else "none"

    def _frames(self):
        return list(_sched.NAMES)

    def _compute(self, p):
        kw = {k: p[k] for k in core.SCHEDULE_PARAMS[p["name"]]}
        sched = core.make_schedule(p["name"], float(p["lr0"]), SCH_T, func="schedules", **kw)
        return {"sched": sched, "run": _sch_run(sched),
                "const": _sch_run(_sched.constant(float(p["lr0"])))}

    def _view(self, fig):
        return _SchView(fig)


class _SchView(_View):
    def __init__(self, fig):
        self.ax, self.ax2 = fig.subplots(1, 2, width_ratios=[1, 1.4])
        (self.lr_c,) = self.ax.plot([], [], color=PALETTE[1], lw=1.5, ls="--", label="constant η₀")
        (self.lr_s,) = self.ax.plot([], [], color=PALETTE[0], lw=2, label="schedule")
        self.ax.set_xlim(0, SCH_T)
        self.ax.set_ylim(0, 0.33)
        style(self.ax, "learning rate", "step", r"$\eta_t$")
        self.ax.legend(fontsize="x-small", frameon=False, loc="upper right")
        (self.err_c,) = self.ax2.plot([], [], color=PALETTE[1], lw=0.8, alpha=0.8, label="constant η₀")
        (self.err_s,) = self.ax2.plot([], [], color=PALETTE[0], lw=0.9, label="schedule")
        self.ax2.set_yscale("log")
        self.ax2.set_xlim(0, SCH_T)
        self.ax2.set_ylim(1e-7, 10)
        style(self.ax2, "per-sample SGD: excess loss", "step", r"$J(\theta_t) - J(\theta^*)$")
        self.ax2.legend(fontsize="x-small", frameon=False, loc="upper right")
        self.title = fig.suptitle("", fontsize="medium")
        self.dynamic = [self.lr_c, self.lr_s, self.err_c, self.err_s, self.title]

    def update(self, r, p):
        t = np.arange(SCH_T)
        lrs, excess, final, noise = r["run"]
        lrc, excess_c, final_c, noise_c = r["const"]
        self.lr_c.set_data(t, lrc)
        self.lr_s.set_data(t, lrs)
        e, ec = np.maximum(excess, 1e-9), np.maximum(excess_c, 1e-9)
        self.err_s.set_data(np.arange(len(e)), e)
        self.err_c.set_data(np.arange(len(ec)), ec)
        self.title.set_text(f"{r['sched']!r}\nlast 20% of steps: error {final:.1e} ± {noise:.1e}  "
                            f"vs constant η₀: {final_c:.1e} ± {noise_c:.1e}")
        return False


@v.validate_params({"name": v.Options(_sched.NAMES), "lr0": v.Interval(float, 0.01, 0.3),
                    "factor": v.Interval(float, 0.1, 0.9), "every": v.Interval(int, 32, 512),
                    "gamma": v.Interval(float, 0.9, 0.9999), "decay": v.Interval(float, 1e-4, 10 ** -0.5),
                    "lr_min": v.Interval(float, 0, 0.05), "warmup_steps": v.Interval(int, 1, 400)})
def schedules(name="step_decay", lr0=0.1, factor=0.5, every=256, gamma=0.998, decay=0.01,
                       lr_min=0.0, warmup_steps=100):
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
    ipywidgets.VBox (a :class:`SchedulesExplorer`)
    """
    params = {"factor": factor, "every": every, "gamma": gamma, "decay": decay, "lr_min": lr_min,
              "warmup_steps": warmup_steps}
    return SchedulesExplorer(name, lr0, params)


# ============================================================================ 4. momentum
MOM_BOWL_L, MOM_BOWL_KAPPA = 1000.0, 50.0
MOM_STEPS = 300
MOM_LOSS_LIM = {"bowl": (1e-12, 1e10), "rosenbrock": (1e-8, 1e10)}
MOM_STARTS = {"bowl": (-2.5, 1.5), "rosenbrock": (-1.5, 2.0)}


@functools.lru_cache(maxsize=1)
def _mom_problems():
    q = quadratic(kappa=MOM_BOWL_KAPPA, L=MOM_BOWL_L, angle=np.pi / 6)
    r = rosenbrock()
    return {"bowl": (q, core.bowl_fun(q), (-3, 3), (-3, 3)),
            "rosenbrock": (r, core.rosenbrock_fun(), (-2, 2), (-1, 3))}


@functools.lru_cache(maxsize=1024)
def _mom_run(problem, method, lr, beta):
    _, fun, _, _ = _mom_problems()[problem]
    return core.run_2d(fun, MOM_STARTS[problem], method, lr, beta, MOM_STEPS)


class MomentumExplorer(Explorer):
    FIGSIZE = (8.4, 6.0)
    MAIN = "beta"
    INTERVAL = 500

    def __init__(self, lr, beta, adam_lr):
        c = {
            "lr": _slider(widgets.FloatLogSlider, lr, "η (GD, momentum, Nesterov)", base=10, min=-4,
                          max=-2.5, step=0.05, readout_format=".2e"),
            "beta": _slider(widgets.FloatSlider, beta, "β (momentum; Adam's β₁)", min=0.0, max=0.99,
                            step=0.01),
            "adam_lr": _slider(widgets.FloatLogSlider, adam_lr, "η (Adam)", base=10, min=-2.5, max=-0.3,
                               step=0.05, readout_format=".3f"),
        }
        super().__init__(c, [[c["lr"], c["beta"], c["adam_lr"]]])

    def _frames(self):
        return np.round(np.linspace(0.0, 0.95, 16), 2)

    def _compute(self, p):
        out = {}
        for prob in ("bowl", "rosenbrock"):
            out[prob] = {m: _mom_run(prob, m, float(p["adam_lr"] if m == "Adam" else p["lr"]),
                                     float(p["beta"])) for m in core.OPTIMIZERS}
        return out

    def _view(self, fig):
        return _MomView(fig)


class _MomView(_View):
    def __init__(self, fig):
        axes = fig.subplots(2, 2, height_ratios=[1.4, 1])
        probs = _mom_problems()
        self.lines, self.losses, self.axes = {}, {}, axes
        for j, prob in enumerate(("bowl", "rosenbrock")):
            obj, _, xl, yl = probs[prob]
            ax = axes[0, j]
            gx, gy = np.linspace(*xl, 90), np.linspace(*yl, 90)
            Z = obj.f(np.stack(np.meshgrid(gx, gy), axis=-1))
            ax.contour(gx, gy, Z, levels=np.geomspace(max(Z.min(), 1e-2), Z.max(), 14), colors="0.75",
                       linewidths=0.6)
            ax.plot(*obj.x_star, "*", color="k", ms=9)
            ax.set_xlim(xl), ax.set_ylim(yl), ax.set_aspect("equal")
            name = (f"bowl: κ = {MOM_BOWL_KAPPA:g}, λ_max = {MOM_BOWL_L:g}" if prob == "bowl"
                    else "Rosenbrock")
            style(ax, name, r"$\theta_1$", r"$\theta_2$")
            self.lines[prob] = {m: ax.plot([], [], "-", color=PALETTE[i], lw=1.2, label=m)[0]
                                for i, m in enumerate(core.OPTIMIZERS)}
            la = axes[1, j]
            self.losses[prob] = {m: la.plot([], [], color=PALETTE[i], lw=1.3)[0]
                                 for i, m in enumerate(core.OPTIMIZERS)}
            la.set_yscale("log")
            la.set_xlim(0, MOM_STEPS)
            la.set_ylim(*MOM_LOSS_LIM[prob])
            style(la, None, "step", "f")
        axes[0, 0].legend(fontsize="x-small", frameon=False, loc="lower right", ncols=2)
        self.title = fig.suptitle("", fontsize="small")
        self.dynamic = [*(l for d in self.lines.values() for l in d.values()),
                        *(l for d in self.losses.values() for l in d.values()), self.title]

    def update(self, r, p):
        gone = []
        for prob, runs in r.items():
            for m, (path, loss, diverged) in runs.items():
                self.lines[prob][m].set_data(path[:, 0], path[:, 1])
                self.losses[prob][m].set_data(np.arange(len(loss)), np.maximum(loss, 1e-30))
                if diverged:
                    gone.append(f"{m} on the {prob}")
        b, rho = float(p["beta"]), float(p["lr"]) * MOM_BOWL_L
        self.title.set_text(
            f"η = {p['lr']:.2e}, β = {b:.2f}, Adam η = {p['adam_lr']:.3f};  bowl: η·λ_max = {rho:.2f}\n"
            f"stable on the bowl iff η·λ_max < 2 (GD), < 2+2β = {2 + 2 * b:.2f} (momentum), "
            f"< (2+2β)/(1+2β) = {(2 + 2 * b) / (1 + 2 * b):.2f} (Nesterov)\n"
            f"diverged (run stopped): {', '.join(gone) if gone else 'none'}")
        return False


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
    ipywidgets.VBox (a :class:`MomentumExplorer`)
    """
    return MomentumExplorer(lr, beta, adam_lr)


# ============================================================================ 5. XOR
XOR_GRID_N = 80
XOR_LIM = (-0.5, 1.5)


@functools.lru_cache(maxsize=1)
def _xor_grid():
    g = np.linspace(*XOR_LIM, XOR_GRID_N)
    return g, np.stack(np.meshgrid(g, g), axis=-1)


class _XorCache:
    """Runs keyed by (hidden, activation, lr, seed), extended on demand as epochs grow."""

    def __init__(self):
        self.runs = {}

    def get(self, hidden, activation, lr, seed, epochs):
        key = (hidden, activation, lr, seed)
        run = self.runs.get(key)
        if run is None:
            snaps, loss = core.xor_run(hidden, activation, lr, epochs, seed, func="xor")
            run = self.runs[key] = [snaps, list(loss)]
            if len(self.runs) > 64:
                self.runs.pop(next(iter(self.runs)))
        have = len(run[0]) - 1
        if have < epochs:
            snaps, loss = core.xor_continue(run[0][-1], activation, lr, epochs - have)
            run[0].extend(snaps[1:])
            run[1].extend(loss[1:])
        return run[0][epochs], np.array(run[1][:epochs + 1])


_XOR_CACHE = _XorCache()


class XorExplorer(Explorer):
    FIGSIZE = (7.6, 3.4)
    MAIN = "hidden"
    INTERVAL = 1200

    def __init__(self, hidden, activation, lr, epochs, seed):
        c = {
            "hidden": _slider(widgets.IntSlider, hidden, "hidden units H", min=1, max=8),
            "activation": widgets.Dropdown(options=list(mlp.ACTIVATIONS), value=activation,
                                           description="activation", layout=widgets.Layout(width="220px")),
            "lr": _slider(widgets.FloatLogSlider, lr, "learning rate η", base=10, min=-1, max=0.5,
                          step=0.05),
            "epochs": _slider(widgets.IntSlider, epochs, "epochs", min=50, max=1000, step=50),
            "seed": _slider(widgets.IntSlider, seed, "seed", min=0, max=9),
        }
        super().__init__(c, [[c["hidden"], c["activation"], c["lr"]], [c["epochs"], c["seed"]]])

    def _frames(self):
        return list(range(1, 9))

    def _compute(self, p):
        params, loss = _XOR_CACHE.get(int(p["hidden"]), p["activation"], float(p["lr"]), int(p["seed"]),
                                      int(p["epochs"]))
        _, grid = _xor_grid()
        return {"prob": core.xor_prob_grid(params, p["activation"], grid), "loss": loss,
                "acc": core.xor_accuracy(params, p["activation"])}

    def _view(self, fig):
        return _XorView(fig)


class _XorView(_View):
    def __init__(self, fig):
        self.ax, self.ax2 = fig.subplots(1, 2, width_ratios=[1, 1.2])
        ext = (*XOR_LIM, *XOR_LIM)
        self.im = self.ax.imshow(np.zeros((XOR_GRID_N, XOR_GRID_N)), origin="lower", extent=ext,
                                 cmap="cividis", vmin=0, vmax=1, interpolation="nearest")
        self.cs = None
        X, y = core.XOR_X, core.XOR_Y
        self.points = []
        for label, marker, color in ((0, "o", PALETTE[0]), (1, "s", PALETTE[1])):
            m = y == label
            self.points.append(self.ax.scatter(X[m, 0], X[m, 1], marker=marker, c=color, edgecolors="k",
                                               s=70, label=f"y = {label}", zorder=3))
        style(self.ax, "P(y = 1) and the 0.5 boundary", "$x_1$", "$x_2$")
        (self.loss,) = self.ax2.plot([], [], color=PALETTE[3], lw=1.5)
        self.ax2.set_yscale("log")
        self.ax2.set_xlim(0, 1000)
        self.ax2.set_ylim(1e-4, 1.5)
        style(self.ax2, "training loss (cross-entropy)", "epoch", "loss")
        # the legend sits on the (static) loss panel: text is slow to redraw on every move
        self.ax2.legend(handles=self.points, fontsize="small", loc="upper right", frameon=False)
        self.title = fig.suptitle("", fontsize="medium")
        self.dynamic = [self.im, *self.points, self.loss, self.title]

    def update(self, r, p):
        self.im.set_data(r["prob"])
        if self.cs is not None:
            self.dynamic.remove(self.cs)
            self.cs.remove()
            self.cs = None
        prob = r["prob"]
        if prob.min() < 0.5 < prob.max():
            g, _ = _xor_grid()
            self.cs = self._dyn(self.ax.contour(g, g, prob, levels=[0.5], colors="k", linewidths=1.5))
            self.dynamic.insert(1, self.cs)
        loss = r["loss"]
        self.loss.set_data(np.arange(len(loss)), np.maximum(loss, 1e-4))
        ok = "learns XOR" if r["acc"] == 1.0 else "fails"
        self.title.set_text(f"H = {p['hidden']}, {p['activation']}, η = {p['lr']:.2g}, seed {p['seed']}, "
                            f"{p['epochs']} epochs: {round(4 * r['acc'])}/4 correct, "
                            f"loss {loss[-1]:.3g}  →  {ok}")
        return False


@v.validate_params({"hidden": v.Interval(int, 1, 8), "activation": v.Options(mlp.ACTIVATIONS),
                    "lr": v.Interval(float, 0.1, 10 ** 0.5), "epochs": v.Interval(int, 50, 1000),
                    "seed": v.Interval(int, 0, 9)})
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
    ipywidgets.VBox (an :class:`XorExplorer`)
    """
    return XorExplorer(hidden, activation, lr, epochs, seed)


EXPLORERS = {"learning_rate": learning_rate, "batch_size": batch_size, "schedules": schedules,
             "momentum": momentum, "xor": xor}
