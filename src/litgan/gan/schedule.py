"""The run's clock: where training ends, the players' optimizers and their learning-rate
schedule, the batch size of the early iterations and which iterations log.

`Schedule` is a mixin of the GAN (`litgan.gan`), which provides `g_steps`, `generator`,
`discriminator` and the hparams `d_steps`, `g_optimizer`, `d_optimizer`, `lr_decay` and
`early_batch_size`.
"""

from __future__ import annotations

import math
from typing import Any

import pytorch_lightning as pl
from hydra.utils import instantiate
from torch.optim.lr_scheduler import LambdaLR

from litgan.config.checks import optimizer_steps
from litgan.errors import ConfigError
from litgan.gan.players import lr_factor


class Schedule(pl.LightningModule):
    """Everything that depends on the generator iteration, `g_steps`, and not on the game."""

    g_steps: int

    def last_g_step(self) -> int:
        """The generator iteration that ends training: from max_steps, else from max_epochs."""
        trainer = self.trainer
        if trainer.max_steps > 0:
            update = self.hparams.get("update", "alternating")
            return trainer.max_steps // optimizer_steps(self.hparams.d_steps, update)
        batches, epochs = trainer.num_training_batches, trainer.max_epochs
        return int(batches * epochs) if epochs and math.isfinite(batches) else -1

    def configure_optimizers(self) -> Any:
        make_g = instantiate(self.hparams.g_optimizer, _convert_="all")
        make_d = instantiate(self.hparams.d_optimizer, _convert_="all")
        optimizers = [make_g(self.generator.parameters()), make_d(self.discriminator.parameters())]
        if not self.hparams.lr_decay:
            return optimizers
        if self.last_g_step() < 1:
            raise ConfigError(
                "optim.lr_decay needs to know where training ends: set trainer.max_steps, or "
                "model.lr_decay=0"
            )
        # Returned to Lightning so that checkpoints keep their state; stepped once per
        # generator iteration by the GAN (manual optimization steps nothing itself).
        return optimizers, [LambdaLR(opt, self.lr_factor) for opt in optimizers]

    def lr_factor(self, g_step: int) -> float:
        """Both learning rates' multiplier at generator iteration `g_step` (optim.lr_decay)."""
        return lr_factor(g_step, self.last_g_step(), self.hparams.lr_decay)

    def batch_size_now(self) -> int | None:
        """The samples per update this iteration: `early_batch_size` while the learning rates
        are still at their starting value, else None (the whole batch).

        Small batches are noisy, which helps G spread over the modes early on; large ones let
        its paths between modes keep narrowing while the rates fall (docs/results.md).
        """
        early = self.hparams.early_batch_size
        return early if early and self.lr_factor(self.g_steps) == 1.0 else None

    def logging_step(self) -> bool:
        """Whether loggers write this iteration (every trainer.log_every_n_steps, and the last).

        D's outputs on the game's scale are computed only for these iterations.
        """
        return (
            self.g_steps % self.trainer.log_every_n_steps == 0 or self.g_steps == self.last_g_step()
        )
