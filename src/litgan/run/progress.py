"""One progress bar for the whole run, counted in generator iterations.

Lightning's bar counts the batches of each epoch and starts again at every epoch; an epoch
means nothing to a GAN run, which is set in generator iterations (trainer.max_steps).
"""

from __future__ import annotations

import sys
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import TQDMProgressBar

from litgan.lightning_internals import Tqdm


class RunProgressBar(TQDMProgressBar):
    """A tqdm bar over the run's generator iterations: `N/max_steps`, it/s, time left and the
    logged `train/value` (and `val/fid` after a validation).

    A resumed run's bar starts at the checkpoint's generator iteration. Validation draws a
    second bar below it, which disappears when validation ends.
    """

    def __init__(self, refresh_rate: int = 10) -> None:
        super().__init__(refresh_rate=refresh_rate)
        self._bars: list[Tqdm] = []  # closed on an exception, or tqdm redraws them when collected

    @property
    def train_description(self) -> str:
        return "Training"

    def total_g_steps(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> int | None:
        """Generator iterations the run ends at (the GAN's own count), or None when it has no
        end."""
        last = pl_module.last_g_step()
        return last if last > 0 else None

    def init_train_tqdm(self) -> Tqdm:
        """The run's bar, from the generator iteration the run starts at to the one it ends at."""
        trainer, pl_module = self.trainer, self.trainer.lightning_module
        # A resumed run has restored its generator iterations before on_train_start.
        bar = Tqdm(
            desc=self.train_description,
            total=self.total_g_steps(trainer, pl_module),
            initial=pl_module.g_steps,
            position=2 * self.process_position,
            disable=self.is_disabled,
            leave=True,
            dynamic_ncols=True,
            file=sys.stdout,
            smoothing=0,  # the rate and time left over the whole run, validations included
            bar_format=self.BAR_FORMAT,
        )
        self._bars.append(bar)
        return bar

    def init_validation_tqdm(self) -> Tqdm:
        bar = super().init_validation_tqdm()
        self._bars.append(bar)
        return bar

    def on_train_epoch_start(self, trainer: pl.Trainer, *_: Any) -> None:
        """Keep the bar going: Lightning's would start again from 0."""

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        bar = self.train_progress_bar
        n = pl_module.g_steps
        if not bar.disable and (n % self.refresh_rate == 0 or n == bar.total):
            bar.n = n
            bar.set_postfix(self.get_metrics(trainer, pl_module))  # refreshes the bar

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Nothing ends with an epoch."""

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        bar = self.train_progress_bar
        if not bar.disable:
            bar.n = pl_module.g_steps
            bar.set_postfix(self.get_metrics(trainer, pl_module))
        bar.close()

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        """Close the bars a failed run leaves open: a failed sweep job's bar would otherwise be
        redrawn into whatever the process prints later."""
        for bar in self._bars:
            bar.close()
        self._bars.clear()

    def get_metrics(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule
    ) -> dict[str, int | str | float | dict[str, float]]:
        """The values logged with prog_bar=True; not the logger's version number (v_num)."""
        return dict(trainer.progress_bar_metrics)


def progress_bar(enabled: bool, refresh_rate: int = 10) -> pl.Callback:
    """The config's progress bar: a RunProgressBar, or with `enabled` false a callback that does
    nothing.

    Lightning refuses a progress bar callback when trainer.enable_progress_bar is false, and
    adds its own per-epoch bar when none is passed; so callbacks.progress_bar always builds a
    callback, and trainer.enable_progress_bar decides which.
    """
    return RunProgressBar(refresh_rate) if enabled else pl.Callback()
