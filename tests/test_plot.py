"""gdcore.plot: what each function draws, checked on the matplotlib artists (headless: Agg)."""
import re

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_hex

import gdcore as gd

# the Okabe-Ito palette, written out from Okabe & Ito (2008)
OKABE_ITO = ["#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442", "#000000"]


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


@pytest.fixture(scope="module")
def runs():
    X, y, _ = gd.data.make_linear(40, 2, rng=0)
    p0 = gd.models.linear.init(2)
    _, full = gd.fit(gd.models.linear, p0, X, y, gd.optim.sgd(lr=0.1), epochs=6)
    _, mini = gd.fit(gd.models.linear, p0, X, y, gd.optim.sgd(lr=0.1), batch_size=10, epochs=3)
    return full, mini


def test_palette_is_okabe_ito():
    assert [c.lower() for c in gd.plot.PALETTE] == OKABE_ITO


def test_style_hides_top_and_right_spines_and_sets_labels(ax):
    out = gd.plot.style(ax, "T", "x label", "y label")
    assert out is ax
    assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
    assert ax.spines["left"].get_visible() and ax.spines["bottom"].get_visible()
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("T", "x label", "y label")
    assert ax.xaxis.get_gridlines()[0].get_visible()


# ---------------------------------------------------------------- loss_curve

def test_loss_curve_plots_each_history_per_step(ax, runs):
    full, mini = runs
    out = gd.plot.loss_curve({"full batch": full, "B=10": mini}, ax=ax)
    assert out is ax
    lines = ax.get_lines()
    assert len(lines) == 2
    # full batch: 6 steps; mini-batch: 3 epochs of 4 steps
    np.testing.assert_array_equal(lines[0].get_xdata(), np.arange(6))
    np.testing.assert_array_equal(lines[0].get_ydata(), full.loss)
    np.testing.assert_array_equal(lines[1].get_xdata(), np.arange(12))
    np.testing.assert_array_equal(lines[1].get_ydata(), mini.loss)
    assert [to_hex(line.get_color()) for line in lines] == OKABE_ITO[:2]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "step" and ax.get_ylabel() == "loss"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["full batch", "B=10"]


def test_loss_curve_against_examples_and_epochs(runs):
    full, mini = runs
    ax = gd.plot.loss_curve([full, mini], x="examples", logy=False, labels=["a", "b"])
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), 40 * np.arange(1, 7))
    np.testing.assert_array_equal(ax.get_lines()[1].get_xdata(), 10 * np.arange(1, 13))
    assert ax.get_yscale() == "linear" and "examples" in ax.get_xlabel()
    plt.close(ax.figure)
    ax = gd.plot.loss_curve(mini, x="epoch")
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), np.arange(4))
    np.testing.assert_array_equal(line.get_ydata(), mini.epoch_loss)
    assert ax.get_legend() is None
    plt.close(ax.figure)


def test_loss_curve_takes_plain_arrays_with_gaps(ax):
    gd.plot.loss_curve([[1.0, 0.5, np.inf, 0.1]], ax=ax)
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [0, 1, 2, 3])
    np.testing.assert_array_equal(line.get_ydata(), [1.0, 0.5, np.inf, 0.1])


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"x": "time"}, ValueError, (r"The 'x' parameter of loss_curve must be one of 'step', 'epoch', 'examples'; "
                                 r"got 'time' instead\.")),
    ({"logy": "yes"}, TypeError, r"The 'logy' parameter of loss_curve must be a bool; got 'yes' instead\."),
    ({"curves": np.ones((2, 2))}, ValueError, (r"The 'curves' parameter of loss_curve must be a History, .*; "
                                               r"got an array of shape \(2, 2\) instead\.")),
    ({"curves": ["abc"]}, TypeError, r"The 'curves' parameter of loss_curve must be a History, .*; got 'abc'"),
])
def test_loss_curve_bad_input(kwargs, exc, match):
    args = {"curves": [1.0, 0.5]}
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        gd.plot.loss_curve(**args)
    plt.close("all")


# ---------------------------------------------------------------- contour_path

def test_contour_path_draws_contours_paths_and_the_minimum(ax):
    bowl = gd.data.quadratic(kappa=4.0, L=1.0)
    _, h1 = gd.minimize(bowl, np.array([2.0, 1.0]), gd.optim.sgd(lr=1.0), steps=10)
    _, h2 = gd.minimize(bowl, np.array([-2.0, 1.0]), gd.optim.sgd(lr=0.5, momentum=0.5), steps=10)
    out = gd.plot.contour_path(bowl.f, [h1.path, h2.path], ax=ax, xlim=(-2.5, 2.5), ylim=(-2, 2),
                               labels=["GD", "momentum"], x_star=(0.0, 0.0), levels=8, n_grid=50)
    assert out is ax
    lines = ax.get_lines()
    assert len(lines) == 3  # two paths and the star
    for line, path in zip(lines, (h1.path, h2.path)):
        np.testing.assert_array_equal(line.get_xdata(), path[:, 0])
        np.testing.assert_array_equal(line.get_ydata(), path[:, 1])
    assert [to_hex(line.get_color()) for line in lines[:2]] == OKABE_ITO[:2]
    assert lines[2].get_marker() == "*" and list(lines[2].get_xydata()[0]) == [0.0, 0.0]
    assert ax.get_xlim() == (-2.5, 2.5) and ax.get_ylim() == (-2.0, 2.0)
    # a non-negative function gets 8 geometrically spaced levels from its grid's range
    levels = next(c for c in ax.get_children() if isinstance(c, matplotlib.contour.ContourSet)).levels
    assert len(levels) == 8
    np.testing.assert_allclose(levels[1:] / levels[:-1], levels[1] / levels[0], rtol=1e-9)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["GD", "momentum", "minimum"]


def test_contour_path_accepts_one_path_array(ax):
    path = np.array([[1.0, 1.0], [0.5, 0.25], [0.0, 0.0]])
    gd.plot.contour_path(lambda P: (P ** 2).sum(-1), path, ax=ax, n_grid=20)
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xydata(), path)


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"f": 3}, TypeError, r"The 'f' parameter of contour_path must be a callable f\(P\)"),
    ({"xlim": (0, 1, 2)}, TypeError, r"The 'xlim' parameter of contour_path must be a pair \(low, high\) of floats"),
    ({"ylim": (0, np.inf)}, ValueError, r"The 'ylim' parameter of contour_path must be a pair \(low, high\) of floats"),
    ({"n_grid": 1}, ValueError, r"The 'n_grid' parameter of contour_path must be an int >= 2; got 1 instead\."),
])
def test_contour_path_bad_input(kwargs, exc, match):
    args = {"f": lambda P: (P ** 2).sum(-1)}
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        gd.plot.contour_path(**args)
    plt.close("all")


# ---------------------------------------------------------------- decision_boundary

def test_decision_boundary_shades_probabilities_and_marks_both_classes(ax):
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 2.0]])
    y = np.array([0.0, 0.0, 1.0, 1.0, 1.0])
    seen = []

    def predict(P):  # class 1 above the line x2 = 0.5
        seen.append(P.shape)
        return (P[:, 1] > 0.5).astype(float)

    out = gd.plot.decision_boundary(predict, X, y, ax=ax, n_grid=30, margin=0.5)
    assert out is ax and seen == [(900, 2)]
    offsets = [c.get_offsets() for c in ax.collections if isinstance(c, matplotlib.collections.PathCollection)]
    np.testing.assert_array_equal(offsets[0], X[y == 0])
    np.testing.assert_array_equal(offsets[1], X[y == 1])
    # the grid spans the data plus the margin
    assert ax.get_xlim()[0] <= -0.5 and ax.get_xlim()[1] >= 2.5
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["y = 0", "y = 1"]


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"X": np.ones((3, 3))}, ValueError, r"The 'X' parameter of decision_boundary must be an array with 2 entries"),
    ({"y": np.ones(4)}, ValueError, r"The 'y' parameter of decision_boundary must be a 1-D array with one entry"),
    ({"predict": None}, TypeError, r"The 'predict' parameter of decision_boundary must be a callable"),
    ({"margin": -1}, ValueError, r"The 'margin' parameter of decision_boundary must be a float >= 0; got -1"),
])
def test_decision_boundary_bad_input(kwargs, exc, match):
    args = {"predict": lambda P: np.zeros(len(P)), "X": np.zeros((3, 2)), "y": np.zeros(3)}
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        gd.plot.decision_boundary(**args)
    plt.close("all")


# ---------------------------------------------------------------- offline_player

PLAYER = ('<link rel="stylesheet" href="https://cdnjs.example/font-awesome.min.css">'
          '<img id="_anim_imgabc123">'
          '<button><i class="fa fa-play"></i></button><button><i class="fa fa-pause"></i></button>'
          '<script>var img_id = "_anim_imgabc123"; anim_abc123 = 1;</script>')


def test_offline_player_drops_the_cdn_and_draws_svg_buttons():
    html = gd.plot.offline_player(PLAYER, uid="ch7", alt='a "quoted" <frame>')
    assert "<link" not in html and "cdnjs" not in html
    assert '<i class="fa' not in html and html.count("<svg") == 2
    assert "abc123" not in html and '_anim_imgch7' in html and "anim_ch7" in html
    assert 'alt="a &quot;quoted&quot; &lt;frame&gt;"' in html


def test_offline_player_on_a_real_animation_is_identical_run_to_run():
    from matplotlib.animation import FuncAnimation

    def make():
        fig, ax = plt.subplots(figsize=(2, 2))
        (line,) = ax.plot([0, 1], [0, 1])
        anim = FuncAnimation(fig, lambda i: line.set_ydata([0, i]), frames=2)
        html = gd.plot.offline_player(anim.to_jshtml(), uid="fixed", label="learning rate η")
        plt.close(fig)
        return html

    a, b = make(), make()
    assert a == b and "<link" not in a
    # the slider gets its accessible name; matplotlib's buttons keep theirs
    assert re.search(r'<input id="_anim_sliderfixed" aria-label="learning rate η" type="range"', a), a[:2000]
    assert 'aria-label="Play"' in a and 'aria-label="Next frame"' in a


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"html": "<p>not a player</p>"}, TypeError, r"The 'html' parameter of offline_player must be the HTML string"),
    ({"uid": "a b"}, TypeError, r"The 'uid' parameter of offline_player must be a string of letters"),
    ({"label": ""}, TypeError, r"The 'label' parameter of offline_player must be a non-empty string"),
    ({"label": 3}, TypeError, r"The 'label' parameter of offline_player must be a non-empty string"),
])
def test_offline_player_bad_input(kwargs, exc, match):
    args = {"html": PLAYER}
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        gd.plot.offline_player(**args)
