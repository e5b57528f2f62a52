"""Precision and speed switches: each is correct on CPU."""

from __future__ import annotations

import math

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.plugins import MixedPrecision

from litgan.config.checks import lightning_max_steps
from litgan.data import GaussianMixtureDataModule
from tests.helpers.gans import make_gan
from tests.helpers.runs import PICTURES, TINY_DCGAN, TINY_MLP


def finite_summary(run) -> dict:
    assert run.returncode == 0, run.stderr[-3000:]
    final = run.summary["final"]
    assert all(math.isfinite(v) for v in final.values())
    return final


def test_bf16_mixed_trains(train_in):
    run = train_in(*TINY_MLP, "trainer.precision=bf16-mixed", "trainer.max_steps=10")
    assert "bfloat16" in run.stdout + run.stderr
    finite_summary(run)


def test_bf16_true_trains_validates_and_draws_its_pictures(train_in):
    # bf16 weights: the pictures and the validation feed G and D float32 inputs of their own.
    run = train_in(*TINY_MLP, PICTURES, "trainer.precision=bf16-true", "trainer.max_steps=10")
    finite_summary(run)
    assert (run.run_dir / "samples" / "g_step_000010.png").stat().st_size > 0
    assert (run.run_dir / "plots" / "training.gif").stat().st_size > 0


@pytest.mark.slow
def test_compile_trains_and_checkpoints_keep_plain_parameter_names(train_in):
    run = train_in(*TINY_MLP, "compile=true", "trainer.max_steps=5", "metrics=none")
    finite_summary(run)
    state = torch.load(run.run_dir / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
    assert "generator.net.0.weight" in state and not any("_orig_mod" in k for k in state)


def test_channels_last_trains_dcgan(train_in):
    run = train_in(
        *TINY_DCGAN,
        "data=digits",
        "data.image_size=16",
        "channels_last=true",
        "trainer.max_steps=5",
        "metrics=none",
    )
    finite_summary(run)


def one_step_grad_norms(precision_plugin=None) -> dict[str, float]:
    torch.manual_seed(0)
    gan = make_gan()
    trainer = pl.Trainer(
        accelerator="cpu",
        max_steps=lightning_max_steps(1, 1),
        plugins=[precision_plugin] if precision_plugin else None,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    torch.manual_seed(0)
    trainer.fit(gan, datamodule=GaussianMixtureDataModule(num_samples=256, batch_size=64))
    return {k: float(trainer.callback_metrics[f"train/{k}_grad_norm"]) for k in "gd"}


def test_grad_norms_are_unscaled_under_16_bit_mixed_precision():
    # A GradScaler multiplies the loss by 2**10 before backward; the logged norms must be
    # those of the real gradients, as with full precision.
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    fp16 = one_step_grad_norms(MixedPrecision("16-mixed", "cpu", scaler=scaler))
    fp32 = one_step_grad_norms()
    for player in "gd":
        assert fp16[player] == pytest.approx(fp32[player], rel=0.05)
