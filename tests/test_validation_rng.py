"""Evaluating a GAN must not change how it trains; without metrics it is not evaluated."""

from __future__ import annotations

import pytorch_lightning as pl
import torch

from litgan.config.checks import lightning_max_steps
from litgan.data import GaussianMixtureDataModule
from litgan.gan import GAN
from tests.helpers.gans import make_gan

METRICS = {
    "split": "train",
    "cache_dir": None,
    "points": {"num_samples": 100, "high_quality_stds": 3, "divergences": True, "bandwidth": 1.0},
    "extra": [],
}


def train(metrics: dict | None, g_steps: int = 12) -> tuple[GAN, pl.Trainer]:
    pl.seed_everything(0)
    gan = make_gan(metrics=metrics)
    trainer = pl.Trainer(
        accelerator="cpu",
        max_steps=lightning_max_steps(g_steps, 1),
        val_check_interval=4,
        check_val_every_n_epoch=None,
        num_sanity_val_steps=0,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(gan, datamodule=GaussianMixtureDataModule(num_samples=512, batch_size=32))
    return gan, trainer


def test_validation_leaves_the_training_trajectory_alone():
    (evaluated, with_metrics), (plain, without) = train(METRICS), train(None)
    assert "val/fid" in with_metrics.callback_metrics  # validated at 4, 8 and 12
    assert plain.evaluator is None and not any(
        k.startswith("val/") for k in without.callback_metrics
    )
    for a, b in zip(evaluated.parameters(), plain.parameters(), strict=True):
        assert torch.equal(a, b)
