"""Lightning's per-batch and per-step machinery, paid rarely: for a small model it costs as much
as the math (about 1.8 ms on top of a 5.8 ms ring-MLP iteration, benchmarks/RESULTS.md).

`LeanLoop` is a mixin of the GAN with three parts:

- Several generator iterations per Lightning batch, for data held on the device
  (`litgan.data.order.DeviceBatches` stacks their real batches): Lightning's batch counters
  are kept in generator iterations, so that val_check_interval, log_every_n_steps, the
  loggers' `step` and the data's resume position mean what they did with one per batch; each
  batch ends where a validation, a callback's `every_n_g_steps` or the run's end falls.
- Logged rows written to the loggers directly, averaged over ranks in one reduction per batch:
  `self.log` costs about half a millisecond per scalar. The last row goes to
  `trainer.callback_metrics` and the progress bar's `train/value`, where `self.log` would.
  Every row goes to every logger at its generator iteration (`log_rows`), the step of
  metrics.csv, summary.json, the sample files and the pictures, where Lightning's own step
  counts from 0.
- Backward passes and optimizer steps without Lightning's hook dispatch when nothing listens to
  those hooks (one device, 32-bit precision, no profiler, no callback that overrides them).

The loop's counters are Lightning's private state: `litgan.lightning_internals` holds every
access to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.loggers import Logger
from pytorch_lightning.plugins.precision import Precision
from pytorch_lightning.profilers import PassThroughProfiler
from pytorch_lightning.strategies import SingleDeviceStrategy
from torch import Tensor

from litgan.lightning_internals import (
    count_batches,
    is_overridden,
    optimizer_step_counted,
    set_logged,
)

STEP_HOOKS = ("on_before_backward", "on_after_backward", "on_before_optimizer_step")


def log_rows(loggers: Sequence[Logger], rows: Sequence[tuple[int, dict[str, float]]]) -> None:
    """Hand each (generator iteration, scalars) row to every logger at that iteration."""
    for logger in loggers:
        for g_step, scalars in rows:
            logger.log_metrics(scalars, step=g_step)
        logger.save()


class LeanLoop(pl.LightningModule):
    """The GAN provides `g_steps`, `hparams.steps_per_batch` and `last_g_step()`."""

    g_steps: int
    # Until on_train_start: outside a Trainer (litgan.dynamics) backward and steps are plain.
    _lightning_steps = False

    def chunk_end(self, g_step: int) -> int:
        """The generator iteration a Lightning batch that starts at `g_step` trains up to.

        The next multiple of `steps_per_batch`, or earlier: the next validation, the next act of
        a callback with `every_n_g_steps` (checkpoints, samples), the last iteration.
        """
        every = [self.hparams.steps_per_batch, *self._cadences()]
        end = min((g_step // n + 1) * n for n in every if n > 0)
        last = self.last_g_step()
        return min(end, last) if last > g_step else end

    def _cadences(self) -> list[int]:
        trainer = self.trainer
        val_every = trainer.val_check_interval
        cadences = [val_every] if isinstance(val_every, int) else []
        every = (getattr(c, "every_n_g_steps", None) for c in trainer.callbacks)
        return cadences + [n for n in every if isinstance(n, int)]

    def count_batches(self, n: int) -> None:
        """Tell Lightning's loop that the batch it is in was `n` batches (one per generator
        iteration): its counters then say what they would with one iteration per batch."""
        if n > 1:
            count_batches(self.trainer, n)

    def log_row(self, metrics: dict[str, Tensor]) -> None:
        """Keep this generator iteration's logged scalars until the batch ends (`write_rows`)."""
        self._rows.append((self.g_steps, metrics))

    def write_rows(self) -> None:
        """Hand this batch's rows to the loggers, averaged over ranks, and the last one to
        `trainer.callback_metrics` and the progress bar."""
        rows, self._rows = self._rows, []
        if not rows:
            return
        trainer = self.trainer
        values = torch.stack([v.float() for _, row in rows for v in row.values()])
        # Each rank's batch and noise are its own: the mean over ranks, in one reduction.
        values = trainer.strategy.reduce(values, reduce_op="mean")
        floats, epoch, steps, start = values.tolist(), trainer.current_epoch, [], 0
        for g_step, row in rows:
            scalars = dict(zip(row, floats[start : start + len(row)], strict=True))
            steps.append((g_step, {"epoch": epoch, **scalars}))  # the epoch beside, as Lightning
            start += len(row)
        log_rows(self.loggers, steps)
        # The last row where self.log would leave it, for callbacks (and summary.json's `final`)
        # and the progress bar.
        last = rows[-1][1]
        set_logged(
            trainer,
            dict(zip(last, values[len(values) - len(last) :], strict=True)),
            {"train/value": steps[-1][1]["train/value"]},
        )

    def on_train_start(self) -> None:
        self._rows: list[tuple[int, dict[str, Tensor]]] = []
        self._lightning_steps = self._step_hooks_needed()

    def _step_hooks_needed(self) -> bool:
        """Whether backward passes and optimizer steps must go through Lightning: another
        strategy or precision acts in them, or a profiler or callback listens."""
        trainer = self.trainer
        return (
            type(trainer.strategy) is not SingleDeviceStrategy
            or type(trainer.precision_plugin) is not Precision
            or not isinstance(trainer.profiler, PassThroughProfiler)
            or any(is_overridden(h, c, pl.Callback) for c in trainer.callbacks for h in STEP_HOOKS)
            or any(is_overridden(h, self, pl.LightningModule) for h in STEP_HOOKS[:2])
        )

    def player_backward(self, loss: Tensor) -> None:
        """`manual_backward`, or with nothing listening, `loss.backward()` (what it comes to)."""
        if self._lightning_steps:
            self.manual_backward(loss)
        else:
            loss.backward()

    def player_step(self, optimizer: Any) -> None:
        """A step of a LightningOptimizer, or with nothing listening, what it comes to: the
        step counted (trainer.global_step), `on_before_optimizer_step`, the optimizer's step."""
        if self._lightning_steps:
            optimizer.step()
            return

        def step() -> None:
            self.on_before_optimizer_step(optimizer.optimizer)
            optimizer.optimizer.step()

        optimizer_step_counted(self.trainer, step)
