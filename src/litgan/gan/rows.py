"""Logged rows: a generator iteration's scalars, handed to the loggers at that iteration.

`self.log` costs about half a millisecond per scalar and logs at Lightning's step, which counts
from 0; litgan's rows go to every logger directly, at the generator iteration (the step of
metrics.csv, summary.json, the sample files and the pictures).
"""

from __future__ import annotations

from collections.abc import Sequence

import pytorch_lightning as pl
import torch
from pytorch_lightning.loggers import Logger
from torch import Tensor

from litgan.lightning_internals import set_logged


def log_rows(loggers: Sequence[Logger], rows: Sequence[tuple[int, dict[str, float]]]) -> None:
    """Hand each (generator iteration, scalars) row to every logger at that iteration."""
    for logger in loggers:
        for g_step, scalars in rows:
            logger.log_metrics(scalars, step=g_step)
        logger.save()


class TrainingRows:
    """The training rows of one Lightning batch, kept as tensors until the batch ends: then
    averaged over ranks in one reduction and written in one pass."""

    def __init__(self) -> None:
        self._rows: list[tuple[int, dict[str, Tensor]]] = []

    def add(self, g_step: int, metrics: dict[str, Tensor]) -> None:
        """Keep generator iteration `g_step`'s scalars until `write`."""
        self._rows.append((g_step, metrics))

    def write(self, trainer: pl.Trainer) -> None:
        """Hand the rows kept to the trainer's loggers, averaged over ranks, and the last one to
        `trainer.callback_metrics` and the progress bar, where `self.log` would leave it."""
        rows, self._rows = self._rows, []
        if not rows:
            return
        values = torch.stack([v.float() for _, row in rows for v in row.values()])
        # Each rank's batch and noise are its own: the mean over ranks, in one reduction.
        values = trainer.strategy.reduce(values, reduce_op="mean")
        floats, epoch, steps, start = values.tolist(), trainer.current_epoch, [], 0
        for g_step, row in rows:
            scalars = dict(zip(row, floats[start : start + len(row)], strict=True))
            steps.append((g_step, {"epoch": epoch, **scalars}))  # the epoch beside, as Lightning
            start += len(row)
        log_rows(trainer.loggers, steps)
        # For callbacks (and summary.json's `final`) and the progress bar.
        last = rows[-1][1]
        set_logged(
            trainer,
            dict(zip(last, values[len(values) - len(last) :], strict=True)),
            {"train/value": steps[-1][1]["train/value"]},
        )
