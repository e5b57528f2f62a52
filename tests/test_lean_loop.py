"""Several generator iterations per Lightning batch and optimizer steps without Lightning's hook
dispatch (`litgan.gan.lean_loop`): the same run, the same counters, as one iteration per batch
with every step through Lightning."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.loggers import CSVLogger

from litgan.config.checks import lightning_max_steps
from litgan.data import GaussianMixtureDataModule
from litgan.gan.lean_loop import LeanLoop
from litgan.run.callbacks import LastCheckpoint
from tests.test_image_train import run_main
from tests.test_training_step import make_gan
from tests.test_validation_rng import METRICS


class BatchProbe(pl.Callback):
    """Where each Lightning batch ends, and Lightning's counters there and at validations."""

    def __init__(self) -> None:
        self.batch_ends: list[tuple[int, int, int]] = []
        self.validations: list[tuple[int, int]] = []
        self.lean_steps: bool | None = None

    def on_train_batch_end(self, trainer, gan, outputs, batch, batch_idx) -> None:
        self.lean_steps = isinstance(gan.loop, LeanLoop) and not gan.loop.through_lightning
        loop = trainer.fit_loop.epoch_loop
        self.batch_ends.append((gan.g_steps, loop.total_batch_idx + 1, trainer.global_step))

    def on_validation_end(self, trainer, gan) -> None:
        self.validations.append((gan.g_steps, trainer.fit_loop.epoch_loop._batches_that_stepped))


def train(tmp_path: Path, steps_per_batch: int, on_device: bool = True) -> dict:
    """30 generator iterations on 2,000 ring points (7 batches of 256 an epoch), validating every
    10 and checkpointing every 15; returns what the run left."""
    pl.seed_everything(0)
    gan = make_gan(metrics=METRICS, steps_per_batch=steps_per_batch)
    probe = BatchProbe()
    trainer = pl.Trainer(
        accelerator="cpu",
        max_steps=lightning_max_steps(30, 1),
        val_check_interval=10,
        check_val_every_n_epoch=None,
        num_sanity_val_steps=0,
        log_every_n_steps=4,
        logger=CSVLogger(tmp_path, name="", version=""),
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[LastCheckpoint(str(tmp_path / "checkpoints"), every_n_g_steps=15), probe],
    )
    data = GaussianMixtureDataModule(num_samples=2000, batch_size=256, on_device=on_device)
    trainer.fit(gan, datamodule=data)
    return {
        "probe": probe,
        "metrics": (tmp_path / "metrics.csv").read_text(),
        "callback_metrics": {k: float(v) for k, v in trainer.callback_metrics.items()},
        "bar": dict(trainer.progress_bar_metrics),
        "weights": [p.detach().clone() for p in gan.parameters()],
        "checkpoint": torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=True),
    }


def test_several_iterations_per_batch_train_and_log_exactly_as_one_per_batch(tmp_path):
    one = train(tmp_path / "one", steps_per_batch=1)
    many = train(tmp_path / "many", steps_per_batch=8)
    # Batches end at multiples of 8, at epoch ends (every 7), at validations (every 10), at the
    # checkpoint (15) and at the last iteration; Lightning counts one batch per iteration and
    # two optimizer steps per iteration (global_step), as with one iteration per batch.
    ends = [7, 8, 10, 14, 15, 16, 20, 21, 24, 28, 30]
    assert many["probe"].batch_ends == [(g, g, 2 * g) for g in ends]
    assert one["probe"].batch_ends == [(g, g, 2 * g) for g in range(1, 31)]
    # Validations at the same iterations, with Lightning's step counter (from 0) alike.
    assert many["probe"].validations == one["probe"].validations == [(10, 9), (20, 19), (30, 29)]
    # steps_per_batch=1 is Lightning's own loop; 8, the lean one, with hook-free steps.
    assert many["probe"].lean_steps and one["probe"].lean_steps is False
    # The same numbers: every logged row, the last values, the weights, the checkpoint.
    assert many["metrics"] == one["metrics"]
    # Every row at its generator iteration (every 4, the validation at 10), not Lightning's step.
    assert [line.split(",")[1] for line in one["metrics"].splitlines()[1:4]] == ["4", "8", "10"]
    assert many["callback_metrics"] == one["callback_metrics"]
    assert "train/d_grad_norm" in many["callback_metrics"]
    assert (
        many["bar"]
        == one["bar"]
        == {k: many["callback_metrics"][k] for k in ("train/value", "val/fid")}
    )
    assert all(torch.equal(a, b) for a, b in zip(many["weights"], one["weights"], strict=True))
    ckpt_one, ckpt_many = one["checkpoint"], many["checkpoint"]
    assert ckpt_many["g_steps"] == ckpt_one["g_steps"] == 30
    assert ckpt_many["global_step"] == ckpt_one["global_step"] == 60
    # Where training is in the data and in Lightning's loops, for an exact resume.
    data_state = "GaussianMixtureDataModule"
    assert ckpt_many[data_state] == ckpt_one[data_state] == {**ckpt_one[data_state], "epoch": 4}
    assert ckpt_many["loops"] == ckpt_one["loops"]


def test_data_on_the_device_trains_as_the_loader_does(tmp_path):
    loader = train(tmp_path / "loader", steps_per_batch=8, on_device=False)
    device = train(tmp_path / "device", steps_per_batch=8, on_device=True)
    assert len(loader["probe"].batch_ends) == 30  # the loader serves one iteration a batch
    assert device["metrics"] == loader["metrics"]
    assert all(torch.equal(a, b) for a, b in zip(device["weights"], loader["weights"], strict=True))


def test_steps_per_batch_must_be_a_positive_integer(monkeypatch, capsys, tmp_path):
    status, stderr = run_main(monkeypatch, capsys, tmp_path, "steps_per_batch=0", base=())
    assert status == 2 and "steps_per_batch must be a positive integer, got 0" in stderr
    assert not (tmp_path / "run" / "summary.json").exists()
