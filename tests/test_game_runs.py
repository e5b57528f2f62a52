"""Every game and penalty trains through train.py on the ring and on DCGAN digits, logs its own
value, and draws it against its own optimum."""

from __future__ import annotations

import json
import math

import pytest
import torch

from litgan.game.games import Hinge, LeastSquares, NonSaturating, Wasserstein
from litgan.pictures.plots import value_figure
from litgan.run.summary import format_summary
from tests.helpers.runs import PICTURES, TINY_DCGAN, TINY_MLP, run_main

CASES = {
    "hinge": (["loss=hinge"], Hinge, False),
    "wgan_gp": (["loss=wasserstein", "penalty=gp", "d_steps=5"], Wasserstein, True),
    "least_squares": (["loss=least_squares"], LeastSquares, False),
    "r1": (["penalty=r1", "penalty.weight=10"], NonSaturating, True),
    "spectral_norm": (["model.discriminator.spectral_norm=true"], NonSaturating, False),
}
DATA = {
    "ring": (*TINY_MLP, PICTURES, "trainer.max_steps=6"),
    "digits": (*TINY_DCGAN, PICTURES, "data=digits", "data.batch_size=8", "trainer.max_steps=2"),
}


@pytest.mark.parametrize("data", list(DATA))
@pytest.mark.parametrize("case", list(CASES))
def test_each_game_trains_and_logs_its_value(case, data, monkeypatch, capsys, tmp_path):
    overrides, game, penalised = CASES[case]
    status, stderr = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        *DATA[data],
        *overrides,
        "trainer.log_every_n_steps=1",
        base=(),
    )
    assert status == 0, stderr
    run = tmp_path / "run"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["game"]["name"] == game.name
    assert summary["game"]["optimum"]["value"] == game.optimum.value
    final = summary["final"]
    assert math.isfinite(final["train/value"])
    assert final["train/value"] == pytest.approx(
        final["train/value_real"] + final["train/value_fake"]
    )
    assert ("train/penalty" in final) == penalised
    if penalised:
        assert final["train/penalty"] >= 0
    assert (run / "plots" / "value.png").is_file()
    # The summary line train.py prints reads the game's value against the game's optimum.
    assert f"(optimum {game.optimum.value_label} = " in format_summary(summary, run)


def test_spectral_norm_reaches_d_in_the_run(monkeypatch, capsys, tmp_path):
    status, stderr = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        *DATA["ring"],
        "model.discriminator.spectral_norm=true",
        base=(),
    )
    assert status == 0, stderr
    state = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=True)
    assert any("parametrizations.weight.original" in k for k in state["state_dict"])


@pytest.mark.parametrize(
    "game", [NonSaturating(), Hinge(), Wasserstein(), LeastSquares()], ids=lambda g: g.name
)
def test_the_value_plot_draws_the_game_s_own_optimum(game):
    steps = list(range(10, 110, 10))
    series = {
        key: (steps, [0.1 * i for i in range(10)])
        for key in (
            "train/value",
            "train/value_real",
            "train/value_fake",
            "train/d_real",
            "train/d_fake",
        )
    }
    fig = value_figure(series, game.describe())
    top, middle = fig.axes[:2]

    def flat_lines(ax):
        return {
            round(float(line.get_ydata()[0]), 6): line.get_label()
            for line in ax.get_lines()
            if len(set(map(float, line.get_ydata()))) == 1
        }

    assert round(game.optimum.value, 6) in flat_lines(top)
    if game.optimum.term is not None:
        assert round(game.optimum.term, 6) in flat_lines(top)
    if game.optimum.d_output is not None:
        assert round(game.optimum.d_output, 6) in flat_lines(middle)
    assert game.value_label in top.get_legend().get_texts()[0].get_text()
