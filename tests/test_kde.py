"""The estimate of an unknown 2D density (litgan.metrics.kde) against the closed forms it stands
in for, and W1 by exact transport."""

from __future__ import annotations

import json
import math

import pytest
import torch

from litgan.data.toy import mixture_modes
from litgan.metrics.divergences import estimate_divergences
from litgan.metrics.kde import KDE, estimate_kde_divergences, fit_kde, wasserstein_between
from tests.helpers.points import RING_STD, moons, point_file_run, ring

# G's points as a ring run passes through them: one blob, half the modes, wide modes, narrower
# ones, the modes shifted off the data's.
STAGES = {
    "blob": lambda: 0.5 * torch.randn(2500, 2, generator=torch.Generator().manual_seed(3)),
    "four modes": lambda: ring(2500, seed=4, modes=4),
    "modes of std 0.05": lambda: ring(2500, seed=5, std=0.05),
    "modes of std 0.02": lambda: ring(2500, seed=6, std=0.02),
    "modes shifted by 0.02": lambda: ring(2500, seed=7) + 0.02,
}


@pytest.mark.parametrize("stage", STAGES)
def test_on_ring_points_the_estimate_gives_the_closed_form_divergences_within_10_percent(stage):
    points = STAGES[stage]()
    centres = mixture_modes("ring", 8, 1.0)
    known = estimate_divergences(centres, RING_STD, torch.ones(8), points, h=RING_STD)
    # The estimate from 5,000 ring points at the mixture's own kernel width: what
    # metrics.points.bandwidth sets it to.
    kde = KDE(ring(5000, seed=1), RING_STD)
    estimated = estimate_kde_divergences(kde, points, ring(2500, seed=2))
    for key in ("jsd", "tv", "triangular"):
        assert estimated[key] == pytest.approx(known[key], rel=0.1), key


def test_the_held_out_bandwidth_sees_the_ring_modes_that_scotts_rule_smooths_away():
    train = ring(20000, seed=1)
    kde = fit_kde(train, ring(2000, seed=2))
    scott = float(train.std(0).mean()) * len(kde.centres) ** (-1 / 6)
    assert kde.bandwidth < RING_STD < scott / 10
    # A held-out ring point is far more likely under the estimate than under Scott's.
    held_out = ring(500, seed=3)
    assert kde.log_density(held_out).mean() > KDE(kde.centres, scott).log_density(held_out).mean()


def test_the_estimate_is_a_density():
    kde = fit_kde(torch.from_numpy(moons(500)), torch.from_numpy(moons(200, seed=1)))
    xs = torch.linspace(-2, 3, 251)
    grid = torch.cartesian_prod(xs, torch.linspace(-1.5, 2, 176))
    cell = float((xs[1] - xs[0]) * 3.5 / 175)
    assert float(kde.log_density(grid).exp().sum()) * cell == pytest.approx(1, abs=0.01)


@pytest.mark.parametrize("shift", [(0.3, 0.0), (-1.0, 2.0), (0.01, 0.01)])
def test_w1_between_points_and_their_translate_is_the_translation(shift):
    points = torch.from_numpy(moons(800))
    moved = points + torch.tensor(shift, dtype=torch.float64)
    assert wasserstein_between(points, moved) == pytest.approx(math.hypot(*shift), rel=1e-9)
    assert wasserstein_between(points, points) == pytest.approx(0, abs=1e-6)


@pytest.mark.slow
def test_a_point_file_run_logs_the_estimated_scores_and_says_they_are_estimated(
    monkeypatch, capsys, tmp_path
):
    status, stderr = point_file_run(
        monkeypatch,
        capsys,
        tmp_path,
        1000,
        "trainer.max_steps=2",
        "metrics=default",
        "metrics.points.num_samples=500",
    )
    assert status == 0, stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    evaluation, final = summary["evaluation"], summary["final"]
    assert evaluation["estimated"] == ["val/jsd", "val/tv", "val/triangular", "val/value_best_d"]
    assert evaluation["density"]["bandwidth_rule"] == "held-out likelihood"
    assert 0 < evaluation["density"]["bandwidth"] < 0.5
    assert 0 <= final["val/jsd"] <= math.log(2) and 0 <= final["val/tv"] <= 1
    assert final["val/w1"] > 0 and "val/value_best_d" in final
    assert summary["best"]["metric"] == "val/jsd"
