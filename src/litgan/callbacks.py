"""Callbacks that count in generator iterations (Lightning's global_step counts both players)."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import TQDMProgressBar
from pytorch_lightning.utilities import rank_zero_only

from litgan.gan import GAN
from litgan.plotting import save_decision_surface, save_image_grid
from litgan.tracking import log_images


class _EveryGSteps(pl.Callback, ABC):
    """Run `act` every `every_n_g_steps` generator iterations and once more at the end of fit."""

    def __init__(self, every_n_g_steps: int) -> None:
        self.every_n_g_steps = every_n_g_steps
        self._last_g_step = -1

    @abstractmethod
    def act(self, trainer: pl.Trainer, pl_module: GAN) -> None:
        """The periodic work."""

    def _maybe_act(self, trainer: pl.Trainer, pl_module: GAN) -> None:
        if pl_module.g_steps != self._last_g_step:
            self._last_g_step = pl_module.g_steps
            self.act(trainer, pl_module)

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: GAN, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        if pl_module.g_steps % self.every_n_g_steps == 0:
            self._maybe_act(trainer, pl_module)

    def on_train_end(self, trainer: pl.Trainer, pl_module: GAN) -> None:
        self._maybe_act(trainer, pl_module)


class LastCheckpoint(_EveryGSteps):
    """Keep `<dirpath>/last.ckpt` current.

    The checkpoint is written to a temporary file and renamed over the old one, so a crash
    during the write leaves the previous `last.ckpt` intact and loadable.
    """

    def __init__(self, dirpath: str, every_n_g_steps: int) -> None:
        super().__init__(every_n_g_steps)
        self.path = Path(dirpath) / "last.ckpt"

    def act(self, trainer: pl.Trainer, pl_module: GAN) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        trainer.save_checkpoint(tmp, weights_only=False)  # every rank calls it; only rank 0 writes
        if trainer.is_global_zero:
            os.replace(tmp, self.path)


class SampleWriter(_EveryGSteps):
    """Save G's output on the fixed noise to `<dirpath>/g_step_<N>.png`.

    Images become a grid; 2D points are drawn over D's decision surface, with the real data.
    Loggers that show images (W&B, TensorBoard) get each picture too.
    """

    def __init__(
        self, dirpath: str, every_n_g_steps: int, num_images: int = 64, num_points: int = 1000
    ) -> None:
        super().__init__(every_n_g_steps)
        self.dirpath = Path(dirpath)
        self.num_images = num_images
        self.num_points = num_points

    @rank_zero_only
    def act(self, trainer: pl.Trainer, pl_module: GAN) -> None:
        self.dirpath.mkdir(parents=True, exist_ok=True)
        path = self.dirpath / f"g_step_{pl_module.g_steps:06d}.png"
        datamodule = trainer.datamodule
        if len(datamodule.shape) == 1:
            fake = pl_module.generate(pl_module.fixed_noise(self.num_points))
            save_decision_surface(
                datamodule.real_batch(self.num_points),
                fake,
                pl_module.d_prob,
                path,
                title=f"generator iteration {pl_module.g_steps}",
                modes=getattr(datamodule, "modes", None),
            )
        else:
            save_image_grid(pl_module.generate(pl_module.fixed_noise(self.num_images)), path)
        log_images(trainer.loggers, "samples", [path], step=pl_module.g_steps)


class GStepProgressBar(TQDMProgressBar):
    """tqdm bar that counts generator iterations, not Lightning's optimizer steps."""

    @property
    def total_train_batches(self) -> int | float:
        trainer = self.trainer
        if trainer.max_epochs == -1 and trainer.max_steps > 0:
            steps_per_iteration = trainer.lightning_module.hparams.d_steps + 1
            remaining = (trainer.max_steps - trainer.global_step) // steps_per_iteration
            return min(trainer.num_training_batches, remaining)
        return trainer.num_training_batches
