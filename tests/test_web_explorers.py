"""The explorers' web twins in the built book: live, offline, accessible, fast, and numerically gdcore's.

Every page that shows an explorer is opened in headless Chromium with every non-loopback request blocked.
* Every slider and menu of every explorer, moved from the keyboard, changes the plot and its text alternative.
* Parity: each web twin runs over a grid of slider settings; its numbers must equal gdcore's (computed by
  ``explorers.reference`` with ``gdcore.explore_core``) to 1e-9 relative, and its headline must equal Python's
  character for character. "Relative" is taken per quantity: a loss or a learning rate elementwise; a 2-D
  point against its own length (a coordinate crossing zero has no relative error of its own); an excess loss
  J - J* against J (it is a difference of two nearly equal numbers); a probability against 1.
* Latency: every control moved through its range, one update per frame; median <= 16 ms and 95th percentile
  <= 50 ms over all updates (recompute + redraw + style and layout). The figures are printed and written to
  ``_build/benchmarks/web_explorers.txt`` (see benchmarks/README.md).
"""
from __future__ import annotations

import json
import math
import re
import statistics
import sys
from pathlib import Path
from urllib.parse import urljoin

import _book
import numpy as np
import pytest

from explorers import reference as ref

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

RTOL = 1e-9
MEDIAN_MS, P95_MS = 16.0, 50.0
PAGE_WEIGHT_BEFORE = 1.19 * 1024 * 1024      # book/explorers.html with its frame players (scripts/page_weight.py)
GRID_EXPLORERS = ("learning_rate", "batch_size", "schedules", "momentum", "xor", "preconditioning")


def _explorer_pages(html: Path) -> list[str]:
    return [d for d in _book.toc_docnames() if 'class="gd-explorer"' in (html / f"{d}.html").read_text(encoding="utf-8")]


def _open(browser, base, docname, viewport=(1280, 900)):
    external, errors = [], []
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    _book.block_external(context, external)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(urljoin(base, f"{docname}.html"), wait_until="load")
    page.wait_for_function("() => window.GDExplorers && [...document.querySelectorAll('.gd-explorer')]"
                           ".every(e => e.gdExplorer)", timeout=20_000)
    return context, page, external, errors


@pytest.fixture(scope="module")
def explorers_page(site, browser):
    _, base = site
    context, page, external, errors = _open(browser, base, "book/explorers")
    yield page
    assert not external, f"requests leaving the machine: {external}"
    assert not errors, f"page errors: {errors}"
    context.close()


# ------------------------------------------------------------------------------------------ live and offline
SNAPSHOT_JS = """el => ({figure: el.querySelector('.gd-figure').innerHTML,
                       alt: [...el.querySelectorAll('svg[role=img]')].map(s => s.getAttribute('aria-label')).join('|'),
                       headline: el.querySelector('.gd-headline').textContent})"""


def test_every_page_with_an_explorer_is_found(site):
    html, _ = site
    pages = _explorer_pages(html)
    assert "book/explorers" in pages and len(pages) >= 7, pages
    # the pages without an explorer load none of its scripts
    other = next(d for d in _book.toc_docnames() if d not in pages)
    assert "gd-explorers.js" not in (html / f"{other}.html").read_text(encoding="utf-8")
    # the published vendor folder holds the pinned d3, and gd-explorers.js sits beside it
    assert (html / "_static" / "d3" / "d3.min.js").read_text(encoding="utf-8").startswith("// https://d3js.org v7.9.2")
    assert (html / "_static" / "gd-explorers.js").is_file()


@pytest.mark.parametrize("docname", ["book/02_batch_gd", "book/03_sgd", "book/04_minibatch", "book/05_learning_rate",
                                     "book/06_linear_regression", "book/07_xor_mlp", "book/11_conditioning",
                                     "book/explorers"])
def test_every_slider_changes_the_plot_offline(site, browser, docname):
    """Moved from the keyboard, each control changes the figure and its text alternative."""
    _, base = site
    context, page, external, errors = _open(browser, base, docname)
    problems, moved = [], 0
    try:
        boxes = page.locator(".gd-explorer")
        assert boxes.count() >= 1, f"{docname} shows no explorer"
        for k in range(boxes.count()):
            box = boxes.nth(k)
            name = box.get_attribute("data-explorer")
            names = box.evaluate("el => el.gdExplorer.cfg.controls.map(c => c.name)")
            for cname in names:
                ctrl = box.locator(f".gd-control[data-control='{cname}']")
                owners = box.evaluate("(el, n) => el.gdExplorer.cfg.controls.find(c => c.name === n).only || null", cname)
                if owners:           # a schedule's own parameter: show it by choosing its schedule from the menu
                    box.locator(".gd-control[data-control='name'] select").select_option(owners[0])
                assert ctrl.is_visible(), f"{name}.{cname} is hidden"
                widget = ctrl.locator("input, select").first
                label = ctrl.locator("label").inner_text()
                assert widget.get_attribute("id") and label.strip(), f"{name}.{cname} has no label"
                before = box.evaluate(SNAPSHOT_JS)
                widget.focus()
                if widget.evaluate("e => e.tagName") == "SELECT":
                    page.keyboard.press("ArrowDown" if widget.evaluate("e => e.selectedIndex") == 0 else "ArrowUp")
                else:
                    at_end = widget.evaluate("e => +e.value === +e.max")
                    page.keyboard.press("Home" if at_end else "End")
                after = box.evaluate(SNAPSHOT_JS)
                moved += 1
                for part in ("figure", "alt"):         # (the headline names the regime: not every slider moves it)
                    if after[part] == before[part]:
                        problems.append(f"{name}.{cname}: the {part} did not change")
        print(f"{docname}: {boxes.count()} explorer(s), {moved} controls moved from the keyboard")
        assert not problems, "\n".join(problems)
        assert not external, f"requests leaving the machine: {external}"
        assert not errors, f"page errors: {errors}"
    finally:
        context.close()


def test_accessible_structure(explorers_page):
    """Labelled, keyboard-operable controls; the headline in an aria-live region; each plot a named image."""
    report = explorers_page.evaluate("""() => [...document.querySelectorAll('.gd-explorer')].map(el => ({
        name: el.dataset.explorer,
        unlabelled: [...el.querySelectorAll('input, select')].filter(i => !i.labels || !i.labels.length).length,
        ranges: el.querySelectorAll('input[type=range]').length,
        valuetext: [...el.querySelectorAll('input[type=range]')].every(i => (i.getAttribute('aria-valuetext') || '').length > 0),
        live: el.querySelector('.gd-headline').getAttribute('aria-live'),
        plots: [...el.querySelectorAll('svg')].map(s => [s.getAttribute('role'), s.getAttribute('aria-label')]),
    }))""")
    assert [r["name"] for r in report] == list(GRID_EXPLORERS)
    for r in report:
        assert r["unlabelled"] == 0 and r["ranges"] >= 2 and r["valuetext"], r
        assert r["live"] == "polite", r
        assert r["plots"] and all(role == "img" and label and len(label) > 30 for role, label in r["plots"]), r


def test_the_text_alternative_states_the_outcome(explorers_page):
    box = explorers_page.locator(".gd-explorer[data-explorer='learning_rate']")
    box.evaluate("el => el.gdExplorer.set({lr: 2.5})")
    alt = box.evaluate("el => el.querySelector('svg').getAttribute('aria-label')")
    assert "flies off" in alt and box.locator(".gd-headline").inner_text().endswith("diverges")
    box.evaluate("el => el.gdExplorer.set({lr: 0.5})")
    assert "creeps" in box.evaluate("el => el.querySelector('svg').getAttribute('aria-label')")


# ------------------------------------------------------------------------------------------ parity
def _config(page, name):
    return page.evaluate("n => JSON.parse(document.querySelector(`.gd-explorer[data-explorer=${n}] "
                         "script.gd-explorer-config`).textContent).config", name)


def _values(page, spec, indices):
    return page.evaluate("([s, ix]) => ix.map(i => GDExplorers.sliderValue(s, i))", [spec, list(indices)])


def _typed(cfg, params):
    """Slider values as Python gets them from the widget: ints for int sliders, floats otherwise."""
    kinds = {c["name"]: c["kind"] for c in cfg["controls"]}
    return {k: int(v) if kinds.get(k) == "int" else (v if kinds.get(k) == "select" else float(v))
            for k, v in params.items()}


def _run(page, cfg, params):
    return page.evaluate("([c, p]) => GDExplorers.compute(c, p)", [cfg, params])


def _rel(js, py, what, scale=None, rtol=RTOL):
    js, py = np.asarray(js, dtype=float), np.asarray(py, dtype=float)
    assert js.shape == py.shape, f"{what}: shape {js.shape} != {py.shape}"
    same_special = (np.isnan(js) & np.isnan(py)) | ((js == py) & ~np.isfinite(py))
    assert np.array_equal(np.isfinite(js), np.isfinite(py)) or same_special.all(), f"{what}: non-finite mismatch"
    fin = np.isfinite(py)
    ref_scale = np.abs(py) if scale is None else np.asarray(scale, dtype=float)
    err = np.abs(js - py)[fin] / np.maximum(np.broadcast_to(ref_scale, py.shape)[fin], 1e-300)
    worst = float(err.max()) if err.size else 0.0
    assert worst <= rtol, f"{what}: relative error {worst:.2e} > {rtol:g}"
    return worst


def _points(js_xy, py_xy, what):
    """2-D points: |js - py| against |py| per point (non-finite points must match as such)."""
    js, py = np.asarray(js_xy, dtype=float).reshape(-1, 2), np.asarray(py_xy, dtype=float).reshape(-1, 2)
    assert js.shape == py.shape, f"{what}: shape {js.shape} != {py.shape}"
    fin = np.isfinite(py).all(axis=1)
    assert np.array_equal(fin, np.isfinite(js).all(axis=1)), f"{what}: non-finite points differ"
    err = np.linalg.norm(js[fin] - py[fin], axis=1) / np.maximum(np.linalg.norm(py[fin], axis=1), 1e-300)
    worst = float(err.max()) if err.size else 0.0
    assert worst <= RTOL, f"{what}: relative error {worst:.2e} > {RTOL:g}"
    return worst


def _grid(page, cfg, choices):
    """The cross product of slider settings, each given as indices into the slider (or menu options)."""
    specs = {c["name"]: c for c in cfg["controls"]}
    axes = []
    for name, pick in choices.items():
        spec = specs[name]
        vals = pick if spec["kind"] == "select" else _values(page, spec, pick)
        axes.append([(name, v) for v in vals])
    import itertools
    return [dict(combo) for combo in itertools.product(*axes)]


def _check(page, name, settings, compare, base=None):
    cfg = _config(page, name)
    worst, n = 0.0, 0
    for setting in settings:
        params = _typed(cfg, {**(base or {}), **setting})
        out = _run(page, cfg, params)
        py = ref.compute(name, params)
        worst = max(worst, compare(out["result"], py, f"{name} {params}"))
        want = ref.headline(name, params, py)
        assert out["headline"] == want, f"{name} {params}: headline\n  web:    {out['headline']!r}\n  Python: {want!r}"
        n += 1
    print(f"{name}: {n} settings, worst relative error {worst:.1e}, headlines identical")
    return worst


def test_parity_learning_rate(explorers_page):
    page = explorers_page
    cfg = _config(page, "learning_rate")
    settings = _grid(page, cfg, {"lr": [0, 8, 9, 18, 19, 20, 28, 38, 39, 40, 48], "kappa": [0, 13, 20, 33, 40],
                                 "x0": [2, 28, 55], "y0": [0, 43]})

    def compare(js, py, what):
        assert js["label"] == py["label"], what
        return max(_points(js["path"], py["path"], what + " path"), _rel(js["loss"], py["loss"], what + " loss"),
                   _rel(js["rho"], py["rho"], what + " rho"))
    _check(page, "learning_rate", settings, compare, base={"steps": 100})


def test_parity_batch_size(explorers_page):
    page = explorers_page
    cfg = _config(page, "batch_size")
    settings = _grid(page, cfg, {"batch_size": [0, 1, 2, 6, 15, 31, 63, 99, 126, 127], "lr": [0, 11, 22, 34, 44]})

    def compare(js, py, what):
        worst = 0.0
        for k in ("full", "mini", "sgd"):
            a, b = js["runs"][k], py["runs"][k]
            assert np.array_equal(a["examples"], b["examples"]), what
            wb_js = np.column_stack([np.reshape(a["w"], (-1, 2)), a["b"]])
            wb_py = np.column_stack([b["w"], b["b"]])
            err = np.linalg.norm(wb_js - wb_py, axis=1) / np.linalg.norm(wb_py, axis=1).clip(1e-300)
            assert np.nanmax(err[1:]) <= RTOL, f"{what} {k} weights: {np.nanmax(err[1:]):.2e}"
            worst = max(worst, float(np.nanmax(err[1:])), _rel(a["loss"], b["loss"], f"{what} {k} loss"),
                        _rel(a["excess"], b["excess"], f"{what} {k} excess", scale=b["loss"]),
                        _rel(js["last"][k], py["last"][k], f"{what} {k} last", scale=np.max(b["loss"])))
        return worst
    _check(page, "batch_size", settings, compare)


def test_parity_schedules(explorers_page):
    page = explorers_page
    cfg = _config(page, "schedules")
    floor = cfg["floor"]
    base = {"lr0": 0.1, "factor": 0.5, "every": 256, "gamma": 0.998, "decay": 0.01, "lr_min": 0.0, "warmup_steps": 100}
    settings = []
    for name, choices in {"constant": {"lr0": [0, 9, 29]},
                          "step_decay": {"lr0": [4, 29], "factor": [0, 8, 16], "every": [0, 7, 15]},
                          "exponential": {"lr0": [9, 29], "gamma": [0, 980, 999]},
                          "inverse_time": {"lr0": [9, 29], "decay": [0, 20, 35]},
                          "cosine": {"lr0": [0, 9, 29], "lr_min": [0, 4, 10]},
                          "warmup": {"lr0": [9, 29], "warmup_steps": [0, 99, 399]}}.items():
        settings += [{"name": name, **s} for s in _grid(page, cfg, choices)]

    def compare(js, py, what):
        worst = 0.0
        for k in ("run", "const"):
            a, b = js[k], py[k]
            J = np.asarray(b["excess"]) + floor
            worst = max(worst, _rel(a["lrs"], b["lrs"], f"{what} {k} rates"),
                        _rel(a["excess"], b["excess"], f"{what} {k} excess", scale=J),
                        _rel(a["final"], b["final"], f"{what} {k} final", scale=b["final"] + floor),
                        # the spread of excess values that can be almost equal: measured against J, as they are
                        _rel(a["noise"], b["noise"], f"{what} {k} noise", scale=b["final"] + floor))
        assert js["schedule"] == py["schedule"], what
        return worst
    _check(page, "schedules", settings, compare, base=base)


def test_parity_momentum(explorers_page):
    page = explorers_page
    cfg = _config(page, "momentum")
    settings = _grid(page, cfg, {"lr": [0, 10, 20, 30], "beta": [0, 50, 90, 99], "adam_lr": [0, 22, 44]})

    def compare(js, py, what):
        worst = 0.0
        for prob in ("bowl", "rosenbrock"):
            for m, b in py[prob].items():
                a = js[prob][m]
                assert a["diverged"] == b["diverged"], f"{what} {prob} {m}: diverged"
                worst = max(worst, _points(np.column_stack([a["px"], a["py"]]), b["path"], f"{what} {prob} {m} path"),
                            _rel(a["loss"], b["loss"], f"{what} {prob} {m} loss"))
        return worst
    _check(page, "momentum", settings, compare)


XOR_TOP_RTOL = 1e-8


@pytest.mark.parametrize("lrs,rtol", [([0, 10, 20, 29], RTOL), ([30], XOR_TOP_RTOL)], ids=["lr<=10^0.45", "lr=10^0.5"])
def test_parity_xor(explorers_page, lrs, rtol):
    """Below the slider's top learning rate the twin agrees to 1e-9 (measured: 6e-10 at most). At its top,
    10**0.5, training sits at the edge of stability and amplifies any last-bit difference over 1000 epochs
    (measured 1.5e-9 here, 4.1e-9 at worst over H = 1..8, three activations and seeds 0..9), so 1e-8 there.
    Two sources of such differences were measured, and sharing elementary functions removes only one:
    * tanh/exp: NumPy's vectorised np.tanh, np.exp, np.expm1 and np.log1p differ from the browser's Math.* in
      the last bit for 25%, 11%, 7% and 7% of arguments (250,000 arguments over the XOR runs' range); and
      Math.exp also differs from glibc's exp for 10%, so no exp-based formula is shared either. Swapping only
      the tanh/exp of gdcore's XOR kernel for glibc's moves the top-rate losses by up to 8e-10.
    * sums: NumPy's matmuls (A1 @ W2 and A1.T @ dz) run in OpenBLAS with fused multiply-adds, the twin's loops
      without; summing the same products in the twin's order instead moves the top-rate losses by up to 2.0e-9
      (both measured by benchmarks/xor_top_rate_sensitivity.py).
    So 1e-9 at the top would take hand-written, FMA-free sums and a hand-written exp in gdcore's XOR kernel in
    place of NumPy's, and the reference would no longer compute what gdcore's mlp and gd.fit compute."""
    page = explorers_page
    cfg = _config(page, "xor")
    settings = _grid(page, cfg, {"hidden": list(range(8)), "activation": ["tanh", "sigmoid", "relu"],
                                 "lr": lrs, "seed": [0, 7]})

    def compare(js, py, what):
        assert js["acc"] == py["acc"], f"{what}: accuracy {js['acc']} != {py['acc']}"
        return max(_rel(js["loss"], py["loss"], what + " loss", rtol=rtol),
                   _rel(js["prob"], np.asarray(py["prob"]).ravel(), what + " P(y=1)", scale=1.0, rtol=rtol))
    _check(page, "xor", settings, compare, base={"epochs": 1000})


def test_parity_preconditioning(explorers_page):
    """Step counts and run outcomes exactly; the drawn paths and losses to 1e-9. Newton's one step lands on the
    minimum to rounding, where a point has no relative error of its own: a point is measured against the larger
    of its own length and the start's (the distance to the minimum it began at), and a loss against the larger
    of itself and 1e-9 f(x0) (the change in f that a 1e-9 |x0| error in the point makes at the minimum is
    below that, ~1e-18 f(x0))."""
    page = explorers_page
    cfg = _config(page, "preconditioning")
    settings = _grid(page, cfg, {"kappa": [0, 1, 20, 47, 60], "angle": [0, 1, 6, 9, 18],
                                 "lr": [0, 18, 19, 38, 48]})

    def compare(js, py, what):
        worst = 0.0
        for m, b in py["runs"].items():
            a = js["runs"][m]
            for k in ("n_steps", "converged", "diverged"):
                assert a[k] == b[k], f"{what} {m}: {k} {a[k]} != {b[k]}"
            P, Q = np.reshape(a["path"], (-1, 2)), np.asarray(b["path"])
            assert P.shape == Q.shape, f"{what} {m}: path shape {P.shape} != {Q.shape}"
            scale = np.maximum(np.linalg.norm(Q, axis=1), np.linalg.norm(Q[0]))
            err = float((np.linalg.norm(P - Q, axis=1) / scale).max())
            assert err <= RTOL, f"{what} {m} path: relative error {err:.2e}"
            f0 = b["loss"][0]
            worst = max(worst, err, _rel(a["loss"], b["loss"], f"{what} {m} loss",
                                         scale=np.maximum(np.abs(b["loss"]), RTOL * f0)),
                        _rel(a["last"], b["last"], f"{what} {m} last", scale=max(abs(b["last"]), RTOL * f0)))
        return max(worst, *(_rel(js[k], py[k], f"{what} {k}") for k in ("kappa_jacobi", "rho_gd", "rho_jacobi")))
    _check(page, "preconditioning", settings, compare, base={"steps": 1000})


def test_pyfmt_formats_numbers_as_python_does(explorers_page):
    """The headline's numbers go through a JavaScript twin of Python's format specs; it must agree everywhere,
    ties (0.125 -> '0.12') and exponent layout ('1e-05') included."""
    rng = np.random.default_rng(3)
    xs = list(rng.standard_normal(300) * 10.0 ** rng.integers(-9, 9, 300)) + [
        0.0, -0.0, 0.125, 0.375, 2.5, 0.25, 1e-5, 1.5e-5, 123456.789, 0.1 + 0.2, 1e16, 1e-7, 9.995, 0.0005, 5e-5,
        999.5, 0.9999999, 2.0, 1.0, math.inf, -math.inf]
    specs = [".1e", ".2e", ".2f", ".3f", ".4f", ".1f", ".2g", ".3g", ".1g", ".0f"]
    got = explorers_page.evaluate("([xs, specs]) => xs.map(x => [specs.map(s => GDExplorers.pyfmt(x, s)), "
                                  "GDExplorers.pyrepr(x)])", [[float(x) for x in xs], specs])
    for x, (formatted, rep) in zip(xs, got):
        assert formatted == [format(float(x), s) for s in specs], x
        assert rep == repr(float(x)), x


# ------------------------------------------------------------------------------------------ speed and weight
def test_slider_updates_are_fast(explorers_page):
    page = explorers_page
    lines, all_times = [], []
    for name in GRID_EXPLORERS:
        times = page.evaluate("n => GDExplorers.benchmark(document.querySelector(`.gd-explorer[data-explorer=${n}]`)"
                              ".gdExplorer, 12)", name)
        all_times += times
        q = statistics.quantiles(times, n=20)
        lines.append(f"{name:15s} {len(times):4d} updates  median {statistics.median(times):6.2f} ms  "
                     f"p95 {q[18]:6.2f} ms  worst {max(times):6.2f} ms")
    med, p95 = statistics.median(all_times), statistics.quantiles(all_times, n=20)[18]
    lines.append(f"{'all':15s} {len(all_times):4d} updates  median {med:6.2f} ms  p95 {p95:6.2f} ms  "
                 f"(targets: median <= {MEDIAN_MS:g} ms, p95 <= {P95_MS:g} ms)")
    report = "\n".join(lines)
    print(report)
    out = _book.ROOT / "_build" / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    (out / "web_explorers.txt").write_text(report + "\n")
    assert med <= MEDIAN_MS and p95 <= P95_MS, report


def test_explorers_page_is_lighter_than_before(site):
    """The page with all six explorers, counting its own HTML and the scripts it alone loads (d3 and
    gd-explorers.js), weighs less than the page of frame players it replaces (1.19 MB)."""
    html, _ = site
    sys.path.insert(0, str(_book.ROOT / "scripts"))
    import page_weight
    rows = {p.relative_to(html).as_posix(): total for total, _, p in page_weight.page_weights(html)}
    page = html / "book" / "explorers.html"
    text = page.read_text(encoding="utf-8")
    assets = sum((html / "_static" / f).stat().st_size for f in ("d3/d3.min.js", "gd-explorers.js", "gd-explorers.css"))
    assert all(f in text for f in ("d3/d3.min.js", "gd-explorers.js", "gd-explorers.css"))
    total = rows["book/explorers.html"] + assets
    print(f"book/explorers.html: {rows['book/explorers.html'] / 1e6:.3f} MB of page + {assets / 1e6:.3f} MB of "
          f"explorer scripts = {total / 1024 / 1024:.3f} MiB (before: 1.19 MiB)")
    assert total < PAGE_WEIGHT_BEFORE
    configs = re.findall(r'<script type="application/json" class="gd-explorer-config">(.*?)</script>', text, re.DOTALL)
    assert len(configs) == 6 and all(json.loads(c.replace("<\\/", "</"))["config"]["name"] for c in configs)
