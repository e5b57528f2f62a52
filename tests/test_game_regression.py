"""The two games litgan shipped first give the same numbers as before the game redesign.

The values were recorded by this test's runs on main at d24eb46 (before games were
classes), on the CI machine's CPU with one thread: a change of any random stream, of the
order of the updates or of the loss arithmetic shows here.
"""

from __future__ import annotations

import json

import pytest

from tests.helpers.runs import TINY_DCGAN, TINY_MLP, run_main

RECORDED = {
    "ring minimax": {
        "train/d_fake": 0.4841868281364441,
        "train/d_grad_norm": 0.11681976914405823,
        "train/d_loss": 1.3749066591262817,
        "train/d_real": 0.4903983771800995,
        "train/g_grad_norm": 0.07800234109163284,
        "train/g_loss": -0.6621775031089783,
        "train/value": -1.3749066591262817,
        "train/value_fake": -0.6622361540794373,
        "train/value_real": -0.7126705050468445,
    },
    "ring non_saturating": {
        "train/d_fake": 0.48415300250053406,
        "train/d_grad_norm": 0.11623825877904892,
        "train/d_loss": 1.374769687652588,
        "train/d_real": 0.4904356300830841,
        "train/g_grad_norm": 0.08237501233816147,
        "train/g_loss": 0.7256579399108887,
        "train/value": -1.374769687652588,
        "train/value_fake": -0.6621698141098022,
        "train/value_real": -0.7125998139381409,
    },
    "digits non_saturating": {
        "train/d_fake": 0.5230189561843872,
        "train/d_grad_norm": 9.154086112976074,
        "train/d_loss": 1.2463295459747314,
        "train/d_real": 0.6106609106063843,
        "train/g_grad_norm": 7.0956621170043945,
        "train/g_loss": 0.6795364022254944,
        "train/value": -1.2463295459747314,
        "train/value_fake": -0.7504435181617737,
        "train/value_real": -0.49588602781295776,
    },
}
RUNS = {
    "ring minimax": ("loss=minimax", "trainer.max_steps=20", *TINY_MLP),
    "ring non_saturating": ("loss=non_saturating", "trainer.max_steps=20", *TINY_MLP),
    "digits non_saturating": (
        *TINY_DCGAN,
        "data=digits",
        "data.batch_size=16",
        "trainer.max_steps=3",
    ),
}


@pytest.mark.parametrize("name", list(RUNS))
def test_first_games_reproduce_their_recorded_numbers(name, monkeypatch, capsys, tmp_path):
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *RUNS[name], base=())
    assert status == 0, stderr
    final = json.loads((tmp_path / "run" / "summary.json").read_text())["final"]
    # Games may log more than these keys now; the ones recorded must not have moved.
    assert {k: final[k] for k in RECORDED[name]} == pytest.approx(RECORDED[name], rel=1e-4)
