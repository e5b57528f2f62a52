"""The run's clock: where training ends, the learning-rate multiplier, the batch size of the
early iterations and which iterations log; all functions of the generator iteration."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytorch_lightning as pl

from litgan.config.checks import optimizer_steps
from litgan.gan.players import lr_factor


@dataclass(frozen=True)
class Schedule:
    """What depends on the generator iteration and the trainer's limits, not on the game.

    Args:
        d_steps: discriminator updates per generator update (Lightning's max_steps counts both).
        lr_decay: both learning rates fall linearly to 0 over this last fraction of training.
        early_batch_size: samples per update while the rates have not started to fall (None:
            the whole batch).
        update: the update scheme (`litgan.gan.updates`): extragradient steps each player twice.
    """

    d_steps: int
    lr_decay: float
    early_batch_size: int | None
    update: str = "alternating"

    def last_g_step(self, trainer: pl.Trainer) -> int:
        """The generator iteration that ends training: from max_steps, else from max_epochs
        (-1: no end known yet)."""
        if trainer.max_steps > 0:
            return trainer.max_steps // optimizer_steps(self.d_steps, self.update)
        batches, epochs = trainer.num_training_batches, trainer.max_epochs
        return int(batches * epochs) if epochs and math.isfinite(batches) else -1

    def lr_factor(self, g_step: int, trainer: pl.Trainer) -> float:
        """Both learning rates' multiplier at generator iteration `g_step`."""
        return lr_factor(g_step, self.last_g_step(trainer), self.lr_decay)

    def batch_size(self, g_step: int, trainer: pl.Trainer) -> int | None:
        """The samples per update at `g_step`: `early_batch_size` while the learning rates are
        still at their starting value, else None (the whole batch).

        Small batches are noisy, which helps G spread over the modes early on; large ones let
        its paths between modes keep narrowing while the rates fall (docs/results.md).
        """
        early = self.early_batch_size
        return early if early and self.lr_factor(g_step, trainer) == 1.0 else None

    def logs(self, g_step: int, trainer: pl.Trainer) -> bool:
        """Whether loggers write generator iteration `g_step` (every log_every_n_steps, and the
        last)."""
        return g_step % trainer.log_every_n_steps == 0 or g_step == self.last_g_step(trainer)
