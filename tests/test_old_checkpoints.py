"""Checkpoints written by an earlier litgan still load: in `train.py ckpt_path=...`,
`litgan-sample` and `litgan-fid`.

The fixtures were trained by main at b2a2751, before the modules moved into packages; their
hparams name the `_target_` paths of that layout (`litgan.games.NonSaturating`,
`litgan.penalties.R1`). tests/fixtures/checkpoints/README.md gives the commands.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from PIL import Image

from litgan.cli import fid, sample
from litgan.run.checkpoints import load_gan
from tests.helpers.runs import run_main

FIXTURES = Path(__file__).parent / "fixtures" / "checkpoints"
RING = FIXTURES / "ring_r1_b2a2751.ckpt"
DIGITS = FIXTURES / "digits_dcgan_hinge_b2a2751.ckpt"


def _exit_status(main, *argv: str) -> int:
    try:
        main([str(a) for a in argv])
    except SystemExit as exit_:
        return exit_.code
    return 0


@pytest.mark.parametrize("ckpt", [RING, DIGITS], ids=["ring", "digits"])
def test_an_old_checkpoint_loads_and_samples(ckpt, tmp_path, capsys):
    gan = load_gan(ckpt)
    stored = torch.load(ckpt, weights_only=True)["state_dict"]
    assert all(torch.equal(gan.state_dict()[k], v) for k, v in stored.items())
    out = tmp_path / "samples.png"
    assert _exit_status(sample.main, ckpt, "--out", out, "--device", "cpu") == 0
    assert Image.open(out).size[0] > 100


def test_an_old_2d_checkpoint_is_scored_by_litgan_fid(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _exit_status(fid.main, RING, "ring", "--num-samples", "256") == 0
    assert float(capsys.readouterr().out.strip().splitlines()[-1].removeprefix("FID: ")) > 0


def test_an_old_image_checkpoint_is_scored_by_litgan_fid(
    tmp_path, capsys, monkeypatch, inception_weights
):
    monkeypatch.chdir(tmp_path)
    argv = [DIGITS, "digits", "--num-samples", "8", "--batch-size", "8"]
    # 64 features: pool3's 2048 cost about 5 s of CPU for the covariance square root alone.
    fid_settings = [f"metrics.fid.weights_path={inception_weights}", "metrics.fid.feature_layer=64"]
    status = _exit_status(fid.main, *argv, *fid_settings)
    assert status == 0
    assert float(capsys.readouterr().out.strip().splitlines()[-1].removeprefix("FID: ")) > 0


def test_an_old_checkpoint_resumes_in_train_py(tmp_path, capsys, monkeypatch):
    ckpt = tmp_path / "old.ckpt"
    shutil.copy(RING, ckpt)
    status, err = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        "penalty=r1",
        "trainer.max_steps=50",
        "trainer.enable_progress_bar=false",
        f"ckpt_path={ckpt}",
        base=(),
    )
    assert status == 0, err
    resumed = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=True)
    assert resumed["g_steps"] == 50
