"""Plots with one consistent, colour-blind-safe style (the Okabe–Ito palette).

Every function draws into ``ax`` (a new figure if None) and returns the axes,
so callers can add to them.
"""
from __future__ import annotations

import numpy as np

from . import _validate as v

# Okabe & Ito (2008), safe for the common forms of colour blindness
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt
        _, ax = plt.subplots(figsize=(5.5, 3.6), layout="constrained")
    return ax


def style(ax, title=None, xlabel=None, ylabel=None):
    """Apply the course style: light grid, no top/right spines, titles and labels."""
    ax.grid(True, color="0.9", lw=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    return ax


_CURVE = "a History, a 1-D array of losses, or a list or dict of them"


@v.validate_params({"x": v.Options(("step", "epoch", "examples")), "logy": v.Boolean()})
def loss_curve(curves, ax=None, x="step", logy=True, title="Training loss", labels=None):
    """Loss against steps (or examples seen) for one or more runs of ``gd.fit`` or ``gd.minimize``.

    Parameters
    ----------
    curves : History, 1-D array, or a list / dict of them
        A ``History`` plots its per-step ``loss`` (or ``epoch_loss`` when ``x="epoch"``); an array
        is plotted against its index (NaN and inf leave gaps).
    x : {"step", "epoch", "examples"}
        "examples" uses ``hist.examples`` (gradient evaluations), for equal-compute comparisons.
    logy : bool
    labels : list of str, optional (dict keys are used for a dict)

    Returns
    -------
    matplotlib.axes.Axes
    """
    if isinstance(curves, dict):
        labels, curves = list(curves), list(curves.values())
    elif not isinstance(curves, (list, tuple)):
        curves = [curves]
    ys = []
    for c in curves:
        if hasattr(c, "epoch_loss"):
            yv = c.epoch_loss if x == "epoch" else c.loss
            ys.append((c.examples if x == "examples" else np.arange(len(yv)), yv))
            continue
        try:
            yv = np.asarray(c, dtype=float)
        except (TypeError, ValueError):
            v.fail("curves", "loss_curve", _CURVE, c, TypeError)
        if yv.ndim != 1:
            v.fail("curves", "loss_curve", _CURVE, c, got=f"an array of shape {yv.shape}")
        ys.append((np.arange(len(yv)), yv))
    ax = _axes(ax)
    for i, (xv, yv) in enumerate(ys):
        label = labels[i] if labels is not None and i < len(labels) else None
        ax.plot(xv, yv, color=PALETTE[i % len(PALETTE)], lw=1.6, label=label)
    if logy:
        ax.set_yscale("log")
    style(ax, title, {"step": "step", "epoch": "epoch", "examples": "gradient evaluations (examples)"}[x],
          "loss")
    if labels is not None:
        ax.legend(frameon=False)
    return ax


_LIMITS = v.Pair(v.Interval(float), ("low", "high"))


@v.validate_params({"f": v.Function("a callable f(P) for points P of shape (..., 2)"), "xlim": _LIMITS,
                    "ylim": _LIMITS, "n_grid": v.Interval(int, 2, None)})
def contour_path(f, paths=(), ax=None, xlim=(-3, 3), ylim=(-3, 3), levels=20, labels=None,
                 title="Loss contours and iterates", n_grid=200, x_star=None):
    """Contours of a 2-D function and optimisation paths over them.

    Parameters
    ----------
    f : callable
        ``f(P)`` for points ``P`` of shape (..., 2) returns values of shape (...)
        (e.g. ``Quadratic.f`` or ``Rosenbrock.f``).
    paths : ndarray of shape (k, 2) or a list of them
    levels : int or sequence of floats
    x_star : sequence of 2 floats, optional, marked with a star.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    gx = np.linspace(*xlim, n_grid)
    gy = np.linspace(*ylim, n_grid)
    P = np.stack(np.meshgrid(gx, gy), axis=-1)
    Z = f(P)
    if isinstance(levels, int):
        lo, hi = float(np.min(Z)), float(np.max(Z))
        levels = np.geomspace(max(lo, hi * 1e-4) + 1e-12, hi, levels) if lo >= 0 else levels
    ax.contour(gx, gy, Z, levels=levels, colors="0.6", linewidths=0.7)
    if isinstance(paths, np.ndarray):
        paths = [paths]
    for i, p in enumerate(paths):
        p = np.asarray(p)
        label = labels[i] if labels is not None and i < len(labels) else None
        ax.plot(p[:, 0], p[:, 1], "o-", color=PALETTE[i % len(PALETTE)], ms=2.5, lw=1.2, label=label)
    if x_star is not None:
        ax.plot(*x_star, "*", color="k", ms=10, label="minimum")
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_aspect("equal", adjustable="box")
    style(ax, title, r"$\theta_1$", r"$\theta_2$")
    if labels is not None:
        ax.legend(frameon=False, fontsize="small")
    return ax


@v.validate_params({"predict": v.Function("a callable predict(P) giving probabilities for points P (m, 2)"),
                    "margin": v.Interval(float, 0, None), "n_grid": v.Interval(int, 2, None)})
def decision_boundary(predict, X, y, ax=None, title="Decision boundary", margin=0.5, n_grid=150):
    """Shade ``predict``'s probability of class 1 over the plane and draw the 0.5 contour.

    Parameters
    ----------
    predict : callable
        ``predict(P)`` for points of shape (m, 2) returns probabilities of shape (m,),
        e.g. ``lambda P: gd.models.mlp.predict(params, P)``.
    X : ndarray of shape (n, 2)
    y : ndarray of shape (n,) with values in {0, 1}

    Returns
    -------
    matplotlib.axes.Axes
    """
    X, y = v.data(X, y, "decision_boundary", n_features=2)
    ax = _axes(ax)
    (x0, y0), (x1, y1) = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.linspace(x0, x1, n_grid), np.linspace(y0, y1, n_grid)
    P = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
    prob = np.asarray(predict(P)).reshape(n_grid, n_grid)
    ax.contourf(gx, gy, prob, levels=np.linspace(0, 1, 11), cmap="cividis", alpha=0.8)
    ax.contour(gx, gy, prob, levels=[0.5], colors="k", linewidths=1.5)
    for label, marker, color in ((0, "o", PALETTE[0]), (1, "s", PALETTE[1])):
        m = y == label
        ax.scatter(X[m, 0], X[m, 1], marker=marker, c=color, edgecolors="k", s=60, label=f"y = {label}")
    ax.set_aspect("equal", adjustable="box")
    style(ax, title, "$x_1$", "$x_2$")
    ax.legend(frameon=False, loc="upper right", fontsize="small")
    return ax


# Inline SVG icons for matplotlib's jshtml player: no icon font, no CDN, no missing glyphs.
_SVG = {
    "fa fa-minus": "M2 7h12v2H2z",
    "fa fa-plus": "M2 7h12v2H2zM7 2h2v12H7z",
    "fa fa-fast-backward": "M15 2L9 8l6 6zM9 2L3 8l6 6zM1 2h2v12H1z",
    "fa fa-step-backward": "M14 2L6 8l8 6zM2 2h3v12H2z",
    "fa fa-play fa-flip-horizontal": "M12 2L2 8l10 6z",
    "fa fa-pause": "M3 2h4v12H3zM9 2h4v12H9z",
    "fa fa-play": "M4 2l10 6-10 6z",
    "fa fa-step-forward": "M2 2l8 6-8 6zM11 2h3v12h-3z",
    "fa fa-fast-forward": "M1 2l6 6-6 6zM7 2l6 6-6 6zM13 2h2v12h-2z",
}


def offline_player(html, uid=None, alt=None, label="Animation frame"):
    """Make the HTML of matplotlib's ``FuncAnimation.to_jshtml()`` player work offline, reproducibly and
    accessibly.

    * drops the font-awesome stylesheet it loads from a CDN, and draws the buttons as inline SVG;
    * replaces the random element id with ``uid`` (so the page is identical run to run);
    * gives the frame image ``alt`` text, and the frame slider an accessible name, ``label``.

    Parameters
    ----------
    html : str
        The string returned by ``to_jshtml()``.
    uid : str, optional
        A stable id made of letters, digits and underscores.
    alt : str, optional
        Alternative text for the frame image.
    label : str, optional
        The frame slider's accessible name (read out by screen readers); matplotlib gives it none.

    Returns
    -------
    str
    """
    import re

    if not isinstance(html, str) or "_anim_img" not in html:
        v.fail("html", "offline_player", "the HTML string returned by FuncAnimation.to_jshtml()", html, TypeError)
    html = re.sub(r'<link rel="stylesheet"[^>]*>', "", html)
    for cls, path in _SVG.items():
        svg = (f'<svg aria-hidden="true" width="14" height="14" viewBox="0 0 16 16" fill="currentColor">'
               f'<path d="{path}"/></svg>')
        html = html.replace(f'<i class="{cls}"></i>', svg)
    if uid is not None:
        if not isinstance(uid, str) or not re.fullmatch(r"\w+", uid):
            v.fail("uid", "offline_player", "a string of letters, digits and underscores", uid, TypeError)
        old = re.search(r'id="_anim_img(\w+?)"', html).group(1)
        html = html.replace(old, uid)
    if alt is not None:
        html = re.sub(r'(<img id="_anim_img\w+")', lambda m: m.group(1) + f' alt="{_escape(alt)}"', html, count=1)
    if not isinstance(label, str) or not label.strip():
        v.fail("label", "offline_player", "a non-empty string", label, TypeError)
    html = re.sub(r'(<input id="_anim_slider\w+")', lambda m: m.group(1) + f' aria-label="{_escape(label)}"', html,
                  count=1)
    return html


def _escape(text):
    return str(text).replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
