"""The theory measured in `python train.py`: every game on the ring and the grid logs the four
divergences, V with the trained D and V with the best D for its G; best.ckpt keeps the lowest
val/jsd of 2D data."""

from __future__ import annotations

import csv
import json
import math

import pytest
import torch

from litgan.game.games import Hinge, LeastSquares, Minimax, NonSaturating, Wasserstein
from litgan.run.summary import format_summary
from tests.helpers.runs import TINY_MLP, run_main

GAMES = {g.name: g for g in (Minimax(), NonSaturating(), Hinge(), LeastSquares(), Wasserstein())}
DIVERGENCES = ("val/jsd", "val/tv", "val/triangular", "val/w1")
VALIDATED = ("metrics=default", "metrics.points.num_samples=400", "trainer.log_every_n_steps=1")


def train(monkeypatch, capsys, tmp_path, *overrides: str) -> tuple[dict, list[dict[str, float]]]:
    """A tiny 2D run; its summary and its validation rows of metrics.csv."""
    status, stderr = run_main(
        monkeypatch, capsys, tmp_path, *TINY_MLP, *VALIDATED, *overrides, base=()
    )
    assert status == 0, stderr
    run = tmp_path / "run"
    with open(run / "metrics.csv") as f:
        rows = [
            {k: float(v) for k, v in row.items() if v != ""}
            for row in csv.DictReader(f)
            if row.get("val/fid")
        ]
    return json.loads((run / "summary.json").read_text()), rows


# Every game on the ring; on the grid a bounded game and the unbounded one (the estimator and
# the games' formulas are tested on both mixtures in test_divergences.py and test_games.py).
CASES = [*(("ring", name) for name in GAMES), ("grid", "hinge"), ("grid", "wasserstein")]


@pytest.mark.parametrize(("data", "name"), CASES, ids=[f"{d}-{n}" for d, n in CASES])
def test_every_game_logs_the_divergences_and_the_value_at_the_best_d(
    data, name, monkeypatch, capsys, tmp_path
):
    game = GAMES[name]
    summary, rows = train(
        monkeypatch,
        capsys,
        tmp_path,
        f"data={data}",
        f"loss={name}",
        "trainer.max_steps=6",
        "val_every=2",
    )
    assert [int(r["step"]) for r in rows] == [2, 4, 6]
    for row in rows:
        # Bounds up to the float32 rounding of logged numbers.
        assert 0 <= row["val/jsd"] <= math.log(2) + 1e-6 and 0 <= row["val/tv"] <= 1 + 1e-6
        assert 0 <= row["val/triangular"] <= 2 + 1e-6 and row["val/w1"] > 0
        assert math.isfinite(row["val/value"])
        divergences = {key.removeprefix("val/"): row[key] for key in DIVERGENCES}
        if name == "wasserstein":
            assert "val/value_best_d" not in row
            continue
        assert row["val/value_best_d"] == pytest.approx(game.value_at_best(divergences), abs=1e-6)
        # The theory: no D does better than the best D for this G.
        assert row["val/value"] <= row["val/value_best_d"]
    line = format_summary(summary, tmp_path / "run").splitlines()[3]
    assert line.startswith(
        f"  validation: {game.value_label} = {rows[-1]['val/value']:+.4f} with the trained"
    )
    if name == "wasserstein":
        assert "no best-D value: the best critic's value is unbounded" in line
        assert f"W1 {rows[-1]['val/w1']:.3g}" in line
    else:
        assert f"{rows[-1]['val/value_best_d']:+.4f} with the best D for this G" in line
        assert line.endswith(f"; optimum {game.optimum.value_label}")
    assert summary["game"]["divergence"] == game.divergence
    # checkpoints/best.ckpt keeps the lowest val/jsd of the validations.
    best = summary["best"]
    assert best["metric"] == "val/jsd" and best["mode"] == "min"
    lowest = min(rows, key=lambda r: r["val/jsd"])
    assert best["value"] == pytest.approx(lowest["val/jsd"], rel=1e-6)
    assert best["g_step"] == int(lowest["step"])
    ckpt = torch.load(tmp_path / "run" / "checkpoints" / "best.ckpt", weights_only=False)
    assert ckpt["g_steps"] == best["g_step"]
    assert summary["evaluation"]["divergence_bandwidth_stds"] == 1.0


def test_without_the_divergences_best_ckpt_keeps_the_lowest_fid(monkeypatch, capsys, tmp_path):
    summary, rows = train(
        monkeypatch,
        capsys,
        tmp_path,
        "metrics.points.divergences=false",
        "trainer.max_steps=4",
        "val_every=2",
    )
    assert not set(DIVERGENCES) & set(rows[-1]) and "val/value_best_d" not in rows[-1]
    assert "val/value" in rows[-1]  # D's value needs no divergence
    assert summary["best"]["metric"] == "val/fid"
    line = format_summary(summary, tmp_path / "run").splitlines()[3]
    assert line == f"  validation: V(D,G) = {rows[-1]['val/value']:+.4f} with the trained D"


def test_a_packing_d_logs_the_divergences_but_no_value_at_the_best_d(monkeypatch, capsys, tmp_path):
    summary, rows = train(
        monkeypatch,
        capsys,
        tmp_path,
        "model.discriminator.pack=4",
        "trainer.max_steps=4",
        "val_every=2",
    )
    assert set(DIVERGENCES) <= set(rows[-1]) and "val/value" in rows[-1]
    assert "val/value_best_d" not in rows[-1]
    assert "D judges packs of 4 samples" in summary["no_best_value"]
    line = format_summary(summary, tmp_path / "run").splitlines()[3]
    assert "no best-D value: D judges packs of 4" in line
