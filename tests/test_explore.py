"""Explorers: the pure computations against gdcore twins, the theory they illustrate, the widget
contract (live view + web twin for the book in one mime bundle), and the error template."""
import re
import warnings

import numpy as np
import pytest

import explorers
import gdcore as gd
from gdcore import explore_core as core

ipywidgets = pytest.importorskip("ipywidgets")


# ---------------------------------------------------------------- learning rate: regime and path
@pytest.mark.parametrize("kappa", [1.0, 10.0, 100.0])
@pytest.mark.parametrize("lr", [0.1, 0.9, 1.0, 1.1, 1.9, 2.0, 2.1, 2.5])
def test_regime_matches_eta_lambda_max_against_2(lr, kappa):
    q = core.bowl(kappa)
    label, rho = core.regime(lr, q.eigenvalues)
    assert rho == pytest.approx(lr * q.L)
    want = "converges" if lr * q.L <= 1 else ("oscillates" if lr * q.L < 2 else "diverges")
    assert label == want


@pytest.mark.parametrize("lr", [0.5, 1.5, 1.99, 2.01, 2.5])
def test_regime_predicts_what_the_path_does(lr):
    path, loss = core.quadratic_path(lr, 10.0, (-2.5, 1.5), 2000)
    label, _ = core.regime(lr, core.bowl(10.0).eigenvalues)
    if label == "diverges":
        assert loss[-1] > 1e6 * loss[0]
    else:
        assert loss[-1] < 1e-6 * loss[0]
    if label == "oscillates":   # the steep eigen-component flips sign every step
        lam, Q = np.linalg.eigh(core.bowl(10.0).A)
        steep = path[:10] @ Q[:, np.argmax(lam)]
        assert np.all(np.sign(steep[1:]) == -np.sign(steep[:-1]))


@pytest.mark.parametrize("lr,kappa", [(0.3, 1.0), (1.2, 10.0), (1.95, 100.0)])
def test_quadratic_path_equals_gd_minimize(lr, kappa):
    q = core.bowl(kappa)
    path, loss = core.quadratic_path(lr, kappa, (2.0, -1.0), 60)
    _, hist = gd.minimize(q, np.array([2.0, -1.0]), gd.optim.sgd(lr=lr), steps=60)
    np.testing.assert_allclose(path, hist.path, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(loss, hist.epoch_loss, rtol=1e-9, atol=1e-15)  # f at every iterate


def test_quadratic_path_equals_gd_minimize_until_it_stops_diverging():
    q = core.bowl(10.0)
    path, _ = core.quadratic_path(2.4, 10.0, (1.0, 1.0), 100)
    with pytest.warns(gd.DivergenceWarning):
        _, hist = gd.minimize(q, np.array([1.0, 1.0]), gd.optim.sgd(lr=2.4), steps=100)
    assert hist.diverged
    k = len(hist.path)
    np.testing.assert_allclose(path[:k], hist.path, rtol=1e-9)


# ---------------------------------------------------------------- linear-regression SGD
@pytest.mark.parametrize("B", [None, 1, 7, 32])
def test_linear_sgd_equals_gd_fit(B):
    X, y, _ = gd.data.make_linear(64, 3, noise=0.3, rng=2)
    W, b, ex = core.linear_sgd(X, y, 0.05, B, 3, rng=5)
    _params, hist = gd.fit(gd.models.linear, gd.models.linear.init(3), X, y, gd.optim.sgd(lr=0.05),
                          batch_size=B, epochs=3, rng=5, record_path=True)
    np.testing.assert_allclose(W, [p["w"] for p in hist.path], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(b, [p["b"] for p in hist.path], rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(ex[1:], hist.examples)
    np.testing.assert_allclose(core.linear_loss(X, y, W[-1:], b[-1:])[0], hist.epoch_loss[-1], rtol=1e-12)


def test_linear_sgd_with_a_schedule_equals_gd_fit():
    X, y, _ = gd.data.make_linear(40, 2, rng=0)
    sched = gd.schedules.step_decay(0.1, 0.5, 30)
    _, _, _final, _ = core.schedule_run(X, y, sched, 2, rng=3)
    W, _b, _ = core.linear_sgd(X, y, sched(np.arange(80)), 1, 2, rng=3)
    params, hist = gd.fit(gd.models.linear, gd.models.linear.init(2), X, y, gd.optim.sgd(lr=sched),
                          batch_size=1, epochs=2, rng=3)
    np.testing.assert_allclose(W[-1], params["w"], rtol=1e-12)
    np.testing.assert_allclose(hist.lr, sched(np.arange(80)))


def test_batch_size_runs_have_equal_compute_and_a_noise_ball():
    X, y, _ = gd.data.make_linear(128, 2, noise=0.5, rng=0)
    runs = core.batch_size_runs(X, y, 0.2, 32, 8)
    assert [ex[-1] for ex, _ in runs.values()] == [128 * 8] * 3
    (_, full), (_, mini), (_, sgd) = runs.values()
    assert np.all(full >= -1e-12) and np.all(sgd >= -1e-12)   # the least-squares loss is the floor
    # per-sample SGD stalls in a noise ball: its last-epoch excess loss is far above mini-batch's
    assert sgd[-128:].mean() > 5 * mini[-4:].mean()


def test_decaying_schedule_shrinks_the_noise_ball():
    X, y, _ = gd.data.make_linear(128, 2, noise=0.5, rng=1)
    sched = core.make_schedule("step_decay", 0.1, 1024, factor=0.5, every=256)
    lrs, _, final, noise = core.schedule_run(X, y, sched, 8)
    _, _, final_c, noise_c = core.schedule_run(X, y, gd.schedules.constant(0.1), 8)
    np.testing.assert_allclose(lrs, sched(np.arange(1024)))
    assert final < final_c / 3 and noise < noise_c / 3


@pytest.mark.parametrize("name", gd.schedules.NAMES)
def test_make_schedule_builds_every_named_schedule(name):
    params = {"factor": 0.5, "every": 64, "gamma": 0.99, "decay": 0.01, "lr_min": 0.001, "warmup_steps": 10}
    s = core.make_schedule(name, 0.1, 100, **params)
    rates = s(np.arange(100))
    assert rates.shape == (100,) and np.all(rates > 0) and rates.max() <= 0.1 + 1e-12
    assert (rates[0] < 0.1) == (name == "warmup")


# ---------------------------------------------------------------- momentum
TWINS = {"GD": lambda lr, b: gd.optim.sgd(lr=lr),
         "momentum": lambda lr, b: gd.optim.sgd(lr=lr, momentum=b),
         "Nesterov": lambda lr, b: gd.optim.sgd(lr=lr, momentum=b, nesterov=True),
         "Adam": lambda lr, b: gd.optim.adam(lr=lr, betas=(b, 0.999))}


@pytest.mark.parametrize("method", core.OPTIMIZERS)
@pytest.mark.parametrize("problem", ["bowl", "rosenbrock"])
def test_run_2d_equals_gd_minimize_with_gd_optim(method, problem):
    if problem == "bowl":
        obj = gd.data.quadratic(kappa=50, L=1000, angle=np.pi / 6)
        fun, x0, lr = core.bowl_fun(obj), (-2.5, 1.5), 1e-3
    else:
        obj = gd.data.rosenbrock()
        fun, x0, lr = core.rosenbrock_fun(), (-1.5, 2.0), 5e-4
    lr = 0.05 if method == "Adam" else lr
    path, loss, diverged = core.run_2d(fun, x0, method, lr, 0.8, 150)
    _, hist = gd.minimize(obj, np.array(x0), TWINS[method](lr, 0.8), steps=150)
    assert not diverged
    np.testing.assert_allclose(path, hist.path, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(loss, hist.epoch_loss, rtol=1e-9, atol=1e-12)  # f at every iterate


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_momentum_region_is_eta_lambda_below_2_plus_2beta(beta):
    fun = core.bowl_fun(gd.data.quadratic(kappa=1.0, L=1.0))
    edge = 2 + 2 * beta
    for h, converges in ((0.97 * edge, True), (1.03 * edge, False)):
        assert core.momentum_region(h, beta, 1.0) == converges
        _, loss, diverged = core.run_2d(fun, (1.0, 1.0), "momentum", h, beta, 3000)
        assert (loss[-1] < 1e-8 * loss[0]) == converges and diverged != converges


@pytest.mark.parametrize("beta", [0.3, 0.9])
def test_nesterov_region_is_narrower(beta):
    fun = core.bowl_fun(gd.data.quadratic(kappa=1.0, L=1.0))
    edge = (2 + 2 * beta) / (1 + 2 * beta)
    _, loss, _ = core.run_2d(fun, (1.0, 1.0), "Nesterov", 0.97 * edge, beta, 5000)
    assert loss[-1] < 1e-8 * loss[0]
    _, _, diverged = core.run_2d(fun, (1.0, 1.0), "Nesterov", 1.03 * edge, beta, 5000)
    assert diverged


# ---------------------------------------------------------------- XOR
def test_xor_run_equals_gd_fit():
    X, y = gd.data.make_xor()
    net = gd.models.mlp.model("relu")
    params, hist = gd.fit(net, net.init([2, 3, 1], rng=4), X, y, gd.optim.sgd(lr=0.7), epochs=200)
    snaps, loss = core.xor_run(3, "relu", 0.7, 200, 4)
    np.testing.assert_allclose(loss, hist.epoch_loss, rtol=1e-12)
    for k in params:
        np.testing.assert_allclose(snaps[-1][k], params[k], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("seed", range(5))
def test_one_hidden_unit_fails_and_four_succeed(seed):
    for act in ("tanh", "relu", "sigmoid"):
        snaps, _ = core.xor_run(1, act, 1.0, 500, seed)
        assert core.xor_accuracy(snaps[-1], act) <= 0.75        # a half-plane gets at most 3 of 4
    snaps, loss = core.xor_run(4, "tanh", 1.0, 500, seed)
    assert core.xor_accuracy(snaps[-1], "tanh") == 1.0 and loss[-1] < 0.05


# ---------------------------------------------------------------- bad input: the gdcore template
# ---------------------------------------------------------------- preconditioning
PRE_X0 = np.array(core.PRECOND_START)


@pytest.mark.parametrize("kappa,angle,lr", [(50.0, 30, 0.9), (300.0, 45, 1.5), (10.0, 0, 2.2)])
def test_precond_runs_are_gdcore_runs_on_gd_data_quadratic(kappa, angle, lr):
    """Each run against gdcore on the bowl itself: gd.minimize with gd.optim.sgd for GD, and the second_order
    functions on the gd.data.Quadratic object (its A @ r rounds differently from the plain-float objective)."""
    runs = core.precond_runs(kappa, angle, lr, 5000)
    q = gd.data.quadratic(kappa=kappa, L=1.0, angle=np.radians(angle))
    tol = 1e-6 * np.linalg.norm(q.grad(PRE_X0))
    so = gd.second_order
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gd.DivergenceWarning)
        _, ref = gd.minimize(q, PRE_X0, gd.optim.sgd(lr=lr), steps=5000, tol=tol)
    want = {"GD": ref, "GD + Armijo": so.gd_backtracking(q, PRE_X0, 5000, tol, lr0=1.0)[1],
            "Newton": so.newton(q, lambda x: q.A, PRE_X0, 5000, tol, line_search=True)[1]}
    for m, h in want.items():
        got = runs[m]
        assert (got.n_steps, got.converged, got.diverged) == (h.n_steps, h.converged, h.diverged), m
        np.testing.assert_allclose(got.path, h.path, rtol=1e-9, atol=1e-12 * np.linalg.norm(PRE_X0), err_msg=m)
    # Jacobi: the update written out, x <- x - lr g / diag(A)
    x, path = PRE_X0.copy(), [PRE_X0.copy()]
    for _ in range(runs["Jacobi"].n_steps):
        x = x - lr * q.grad(x) / np.diag(q.A)
        path.append(x)
    np.testing.assert_allclose(runs["Jacobi"].path, path, rtol=1e-9, atol=1e-12)


def test_precond_runs_teach_what_the_explorer_says():
    """Newton: one step at any kappa and angle. Jacobi: one step on an aligned bowl (0 or 90 degrees), and no
    better than GD at its best fixed step on a bowl at 45 degrees. GD and GD + Armijo: steps grow with kappa."""
    counts = {}
    for kappa in (10.0, 100.0, 1000.0):
        for angle in (0, 45, 90):
            r = core.precond_runs(kappa, angle, 1.0, 20000, lr0=10.0)
            assert all(h.converged for h in r.values())
            counts[kappa, angle] = {m: h.n_steps for m, h in r.items()}
            assert counts[kappa, angle]["Newton"] == 1
            assert (counts[kappa, angle]["Jacobi"] == 1) == (angle != 45)
    for m in ("GD", "GD + Armijo"):
        assert counts[10.0, 45][m] < counts[100.0, 45][m] < counts[1000.0, 45][m]
        assert counts[1000.0, 45][m] > 30 * counts[10.0, 45][m] > 0
    # at 45 degrees diag(A) = (1 + 1/kappa)/2 I: Jacobi is GD with the step 2/(L + mu), the best fixed one
    best = core.precond_runs(100.0, 45, 2 / (1 + 1 / 100.0), 20000)["GD"].n_steps
    assert abs(core.precond_runs(100.0, 45, 1.0, 20000)["Jacobi"].n_steps - best) <= 1


@pytest.mark.parametrize("make,kwargs,exc,match", [
    ("learning_rate", {"lr": -0.1}, ValueError,
     "The 'lr' parameter of learning_rate must be a float > 0; got -0.1 instead."),
    ("learning_rate", {"lr": 0}, ValueError,
     "The 'lr' parameter of learning_rate must be a float > 0; got 0 instead."),
    ("learning_rate", {"lr": "fast"}, TypeError, "The 'lr' parameter of learning_rate must be a float > 0"),
    ("learning_rate", {"kappa": 0.5}, ValueError, "The 'kappa' parameter of learning_rate must be"),
    ("batch_size", {"lr": -1.0}, ValueError,
     r"The 'lr' parameter of batch_size must be a float in the range \[10\*\*-2\.5, 10\*\*-0\.3\]; got -1\.0 instead\."),
    ("batch_size", {"lr": 0.6}, ValueError,
     r"The 'lr' parameter of batch_size must be a float in the range \[10\*\*-2\.5, 10\*\*-0\.3\]; got 0\.6 instead\."),
    ("batch_size", {"batch_size": 500}, ValueError,
     r"The 'batch_size' parameter of batch_size must be an int in the range \[1, 128\]; got 500 instead."),
    ("schedules", {"name": "linear"}, ValueError,
     "The 'name' parameter of schedules must be one of 'constant', .*; got 'linear' instead."),
    ("schedules", {"lr0": -0.1}, ValueError,
     r"The 'lr0' parameter of schedules must be a float in the range \[0\.01, 0\.3\]; got -0\.1 instead\."),
    ("schedules", {"decay": 1.0}, ValueError,
     r"The 'decay' parameter of schedules must be a float in the range \[0\.0001, 10\*\*-0\.5\]; got 1\.0 instead\."),
    ("momentum", {"lr": -0.001}, ValueError,
     r"The 'lr' parameter of momentum must be a float in the range \[0\.0001, 10\*\*-2\.5\]; got -0\.001 instead\."),
    ("momentum", {"adam_lr": -1}, ValueError,
     r"The 'adam_lr' parameter of momentum must be a float in the range \[10\*\*-2\.5, 10\*\*-0\.3\]; got -1 instead\."),
    ("momentum", {"adam_lr": "big"}, TypeError, "The 'adam_lr' parameter of momentum must be a float in the range"),
    ("momentum", {"beta": 1.5}, ValueError, "The 'beta' parameter of momentum must be a float in the range"),
    ("preconditioning", {"kappa": 0.5}, ValueError,
     r"The 'kappa' parameter of preconditioning must be a float in the range \[1, 1000\]; got 0\.5 instead\."),
    ("preconditioning", {"angle": 30.5}, TypeError,
     r"The 'angle' parameter of preconditioning must be an int in the range \[0, 90\]"),
    ("xor", {"activation": "softmax"}, ValueError, "The 'activation' parameter of xor must be one of"),
    ("xor", {"hidden": 0}, ValueError, r"The 'hidden' parameter of xor must be an int in the range \[1, 8\]; got 0"),
    ("xor", {"lr": -2}, ValueError,
     r"The 'lr' parameter of xor must be a float in the range \[0\.1, 10\*\*0\.5\]; got -2 instead\."),
])
def test_bad_input_gets_the_gdcore_template(make, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        getattr(explorers, make)(**kwargs)


def test_pure_functions_validate_too():
    with pytest.raises(ValueError,
                       match=r"The 'lr' parameter of regime must be a float > 0; got -0.1 instead\."):
        core.regime(-0.1, [1.0])
    with pytest.raises(ValueError, match="The 'name' parameter of make_schedule must be one of"):
        core.make_schedule("linear", 0.1, 10)
    with pytest.raises(ValueError, match=r"The 'lr0' parameter of schedules must be a float > 0; got 0 instead\."):
        core.make_schedule("constant", 0, 10, func="schedules")
    with pytest.raises(ValueError, match=r"The 'seed' parameter of xor_run must be an int >= 0; got -1 instead\."):
        core.xor_run(2, "tanh", 1.0, 10, -1)
    with pytest.raises(ValueError, match=r"The 'kappa' parameter of precond_runs must be a float >= 1; got 0\.5"):
        core.precond_runs(0.5, 0, 1.0, 10)


# ---------------------------------------------------------------- the explorers package
def test_gdcore_imports_no_widget_html_or_javascript_code():
    """gdcore is the numeric library: importing all of it loads no widget toolkit and no explorer code."""
    import subprocess
    import sys
    code = ("import sys, gdcore, gdcore.explore_core, gdcore.models.mlp; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('ipywidgets', 'anywidget', 'explorers', 'traitlets')]; "
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


def test_gdcore_holds_no_module_level_mutable_state():
    """No module of gdcore keeps a cache, counter or switch at module level (the explorers' ones live in explorers)."""
    import importlib
    import pkgutil
    import types
    for info in pkgutil.walk_packages(gd.__path__, "gdcore."):
        mod = importlib.import_module(info.name)
        for name, value in vars(mod).items():
            if name.startswith("__") or isinstance(value, (types.ModuleType, types.FunctionType, type)):
                continue
            assert not hasattr(value, "cache_info"), f"{info.name}.{name} is a cache"
            assert type(value).__name__ not in ("count", "_XorCache"), f"{info.name}.{name} is a counter or cache"
            assert not isinstance(value, bool), f"{info.name}.{name} is a module-level switch"
            # module-level names that are not constants (UPPER_CASE by convention) must not hold data
            assert name.isupper() or not isinstance(value, (list, dict, set, bytearray)), \
                f"{info.name}.{name} is module-level state ({type(value).__name__})"


@pytest.fixture(scope="module")
def made():
    made = {name: make() for name, make in explorers.EXPLORERS.items()}
    yield made
    for w in made.values():
        w.close()


def test_every_explorer_is_an_ipywidgets_widget_running_its_web_twin(made):
    assert set(made) == {"learning_rate", "batch_size", "schedules", "momentum", "xor", "preconditioning"}
    for name, w in made.items():
        assert isinstance(w, ipywidgets.DOMWidget) and w.name == name
        assert "export default { render }" in w._esm and "GDExplorers" in w._esm and "d3js.org" in w._esm
        assert ".gd-explorer" in w._css
        assert w.headline == explorers.reference.headline(name, w.params)
        assert w.config["controls"] == explorers.widget.CONTROLS[name]
        assert set(w.params) == {c["name"] for c in w.config["controls"]}


def test_every_default_is_a_value_its_slider_accepts(made):
    for name, w in made.items():
        for spec in w.config["controls"]:
            value = w.params[spec["name"]]
            if spec["kind"] == "select":
                assert value in spec["options"]
            else:
                lo, hi = (spec["base"] ** spec["min"], spec["base"] ** spec["max"]) if spec["kind"] == "log" \
                    else (spec["min"], spec["max"])
                assert lo * (1 - 1e-12) <= value <= hi * (1 + 1e-12), (name, spec["name"], value)


def test_every_slider_range_lies_inside_what_the_explorer_accepts():
    """Each slider's two ends pass the explorer's own validation (so the widget never shows a value the
    Python function would refuse)."""
    import inspect
    for name, make in explorers.EXPLORERS.items():
        table = make.parameter_constraints
        for spec in explorers.widget.CONTROLS[name]:
            key = spec["name"] if spec["name"] in table else "x0"
            if key == "x0" or spec["kind"] == "select":
                continue
            ends = (spec["min"], spec["max"])
            if spec["kind"] == "log":
                ends = tuple(10.0 ** e for e in ends)
            for end in ends:
                table[key].check(end if spec["kind"] != "int" else int(end), key, name)
        assert list(inspect.signature(make).parameters) == list(table)


def test_the_embedded_randomness_is_what_gdcore_draws():
    """The web twins replay Python's random numbers: SGD's shuffles and the networks' initial weights."""
    bs = explorers.reference.config("batch_size")
    perms = np.random.default_rng(0)
    assert bs["perms"] == [perms.permutation(128).tolist() for _ in range(8)]
    X, y, _ = gd.data.make_linear(128, 2, noise=0.5, rng=0)
    np.testing.assert_array_equal(bs["X"], X)
    np.testing.assert_array_equal(bs["y"], y)
    xor = explorers.reference.config("xor")
    for seed in (0, 7):
        for H in (1, 8):
            for act in ("tanh", "relu"):
                p = gd.models.mlp.init([2, H, 1], act, rng=seed)
                z = np.array(xor["normals"][seed])
                s1 = np.sqrt(2.0 / 2) if act == "relu" else np.sqrt(2.0 / (2 + H))
                np.testing.assert_array_equal(p["W1"], s1 * z[:2 * H].reshape(2, H))
                np.testing.assert_array_equal(p["W2"][:, 0], np.sqrt(2.0 / (H + 1)) * z[2 * H:3 * H])


def test_the_headline_prints_round_slider_values():
    """A slider value such as 0.1 prints as 0.1 (the old FloatSlider handed back 0.09999999999999999)."""
    w = explorers.schedules(lr0=0.1)
    assert w.headline.startswith("step_decay(lr0=0.1, factor=0.5, every=256)\n")
    w.close()


def test_moving_a_slider_from_python_changes_the_headline():
    w = explorers.learning_rate()
    assert w.headline.endswith("→  converges")
    w.params = {**w.params, "lr": 2.5}
    w.headline = explorers.reference.headline("learning_rate", w.params)
    assert w.headline.endswith("→  diverges") and w.result()["label"] == "diverges"
    w.close()


def test_mime_bundle_has_the_live_view_and_the_web_twin_for_the_book():
    w = explorers.xor()
    data, _ = w._repr_mimebundle_()
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == w.model_id
    html = data["text/html"]
    assert html.startswith('<div class="gd-explorer" data-explorer="xor">')
    blob = re.search(r'<script type="application/json" class="gd-explorer-config">(.*?)</script>', html).group(1)
    import json
    payload = json.loads(blob)
    assert payload["params"] == w.params and payload["config"]["name"] == "xor"
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "the twin must not load anything"
    assert len(html) < 20_000
    w.close()
