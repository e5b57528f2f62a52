"""Every use litgan makes of Lightning's private or undocumented API, in one place.

`pytorch-lightning` is bounded above at the newest minor release the suite passed on
(pyproject.toml); tests/test_lightning_internals.py has one test per reliance below, which
fails with a message naming it when a release changes it. What litgan relies on:

1. The fit loop's batch counters, `fit_loop.epoch_loop.batch_progress.{total,current}`
   (`ready`, `started`, `processed`, `completed`): the lean loop counts a batch of several
   generator iterations as that many batches, so val_check_interval, log_every_n_steps and the
   data's resume position mean what they do with one per batch (`count_batches`,
   `batches_started`).
2. `fit_loop.epoch_loop._batches_that_stepped`, the loggers' step and log_every_n_steps's
   count (`count_batches`).
3. `fit_loop.epoch_loop.manual_optimization.optim_step_progress`, which `trainer.global_step`
   reads in manual optimization: an optimizer step made without Lightning's hook dispatch is
   counted there (`optimizer_step_counted`).
4. `pytorch_lightning.utilities.model_helpers.is_overridden`, whether a callback or module
   overrides a hook (`is_overridden`).
5. `trainer.callback_metrics` and `trainer.progress_bar_metrics` return the trainer's own dicts:
   updating them is what `self.log` does (`set_logged`).
6. `trainer.precision_plugin.scaler`, the GradScaler of 16-bit mixed precision
   (`grad_scaler`).
7. `pytorch_lightning.callbacks.progress.tqdm_progress.Tqdm`, the bar class of
   `TQDMProgressBar`, and its `BAR_FORMAT` (`Tqdm`; `litgan.run.progress`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks.progress.tqdm_progress import Tqdm
from pytorch_lightning.utilities.model_helpers import is_overridden

__all__ = [
    "Tqdm",
    "batches_started",
    "count_batches",
    "grad_scaler",
    "is_overridden",
    "optimizer_step_counted",
    "set_logged",
]


def count_batches(trainer: pl.Trainer, n: int) -> None:
    """Count the batch the fit loop is in as `n` batches (reliances 1 and 2)."""
    loop = trainer.fit_loop.epoch_loop
    for tracker in (loop.batch_progress.total, loop.batch_progress.current):
        tracker.ready += n - 1
        tracker.started += n - 1
        tracker.processed += n - 1
        tracker.completed += n - 1
    loop._batches_that_stepped += n - 1


def batches_started(trainer: pl.Trainer) -> int:
    """Batches of this epoch the fit loop has started (reliance 1)."""
    return trainer.fit_loop.epoch_loop.batch_progress.current.ready


def optimizer_step_counted(trainer: pl.Trainer, step: Callable[[], Any]) -> None:
    """Run `step`, an optimizer step, counted as Lightning counts its own (reliance 3)."""
    progress = trainer.fit_loop.epoch_loop.manual_optimization.optim_step_progress
    progress.increment_ready()
    step()
    progress.increment_completed()


def set_logged(trainer: pl.Trainer, metrics: dict[str, Any], progress_bar: dict[str, Any]) -> None:
    """Leave `metrics` where `self.log` would for callbacks, and `progress_bar` for the
    progress bar (reliance 5)."""
    trainer.callback_metrics.update(metrics)
    trainer.progress_bar_metrics.update(progress_bar)


def grad_scaler(trainer: pl.Trainer) -> Any | None:
    """The GradScaler of a 16-bit mixed-precision run, None without one (reliance 6)."""
    return getattr(trainer.precision_plugin, "scaler", None)
