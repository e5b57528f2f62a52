"""docs/theory_figures.py: docs/results.md's theory figures say that V with the trained D is
only a lower bound, and keep their titles and legends inside the figure, off the curves."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from matplotlib.text import Text

from litgan.game.games import Hinge, Minimax, Wasserstein

SCRIPT = Path(__file__).resolve().parents[1] / "docs" / "theory_figures.py"


@pytest.fixture(scope="module")
def figure():
    return runpy.run_path(str(SCRIPT))["figure"]


def seed_series(shift: float) -> dict:
    """One seed's validations, with V from the trained D below the optimum at step 500 (as
    non-saturating seed 2 of the ring at iteration 9,500), so that (V + log 4) / 2 is negative."""
    steps = [250, 500, 750]
    return {
        "val/value": (steps, [-1.2 + shift, -1.40 + shift, -1.3]),
        "val/value_best_d": (steps, [-0.9, -1.1, -1.2]),
        "val/jsd": (steps, [0.3, 0.15, 0.1]),
        "val/tv": (steps, [0.8, 0.5, 0.4]),
        "val/w1": (steps, [0.5, 0.1, 0.05]),
    }


@pytest.mark.parametrize("game", [Minimax(), Hinge(), Wasserstein()], ids=lambda g: g.name)
def test_the_theory_figure_says_v_with_the_trained_d_is_a_lower_bound(figure, game):
    runs = [seed_series(0.0), seed_series(-0.05)]
    fig = figure(runs, game.describe(), game.name)
    top, bottom = fig.axes
    title = top.get_title(loc="left")
    assert title.startswith(f"{game.name}:") and "2 seeds" in title
    if game.name == "wasserstein":  # no bounded best critic: no such claim
        assert "unbounded" in title and "lower bound" not in title
    else:
        bound = game.describe()["optimum"]["value_label"]
        assert "V with the trained D is a lower bound of V at the best D" in title
        assert f"only V at the best D is ≥ {bound}" in title
    read = [t.get_text() for t in bottom.get_legend().get_texts() if "read from" in t.get_text()]
    if game.name == "minimax":  # the D-based JSD reading, negative here, is said to be a bound
        assert read == ["JSD read from the trained D, (V + log 4) / 2 ≤ JSD"]
        assert "can fall below 0" in bottom.get_title(loc="left")
    else:
        assert read == []
    fig.draw_without_rendering()  # lays the figure out as saving it does
    for ax in fig.axes:  # legends beside the axes, not over the curves
        assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1
    for text in fig.findobj(lambda artist: isinstance(artist, Text) and artist.get_text()):
        box = text.get_window_extent()
        assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1, text
