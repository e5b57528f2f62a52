"""A run in parts: SIGTERM and Ctrl-C stop it with a checkpoint to resume from, and its wall
time is summed over the parts."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

import pytorch_lightning as pl
import torch

from litgan.errors import Interrupted
from litgan.run.callbacks import LastCheckpoint, save_atomically
from litgan.run.stop_record import (
    STOP_SIGNALS,
    StoppedAtOnce,
    early_signal,
    record_signal,
    second_ctrl_c,
    stop_signals_recorded,
)

__all__ = ["StopOnSignal", "WallClock", "early_signal", "stop_signals_recorded"]


class StopOnSignal(pl.Callback):
    """On SIGTERM or SIGINT, finish the current generator iteration, write the last checkpoint
    and raise Interrupted (a second Ctrl-C stops at once).

    Under DDP the ranks agree after every iteration on whether any of them got a signal, so all
    stop after the same one; Lightning's own SIGTERM handling (stop with status 0 and no
    checkpoint) never sees the signal.
    """

    def __init__(self, path: Path) -> None:
        self.path = path  # used when callbacks.last_checkpoint is not configured
        self.signum: int | None = None
        self._first = 0.0  # when the first signal came (time.monotonic)
        self._previous: dict[int, Any] = {}

    def _receive(self, signum: int, frame: FrameType | None) -> None:
        if second_ctrl_c(signum, self.signum, self._first):
            raise StoppedAtOnce
        if self.signum is None:
            self.signum, self._first = signum, time.monotonic()

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # After Lightning has installed its handlers, so that these replace them; Lightning
        # restores the ones from before fit when it tears down.
        if threading.current_thread() is threading.main_thread():
            self._previous = {s: signal.signal(s, self._receive) for s in STOP_SIGNALS}
        self.signum = self.signum or early_signal()

    def _restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._restore()
        if self.signum:
            # It came after the last batch's check: the run finishes, and `train` reports it.
            record_signal(self.signum)

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        self._restore()

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        signum = self.signum or 0
        if trainer.world_size > 1:
            received = torch.tensor(signum, device=pl_module.device)
            signum = int(trainer.strategy.reduce(received, reduce_op="max"))
        if not signum:
            return
        max_steps = trainer.max_steps // (pl_module.hparams.d_steps + 1)
        if 0 < max_steps <= pl_module.g_steps:
            # The last iteration is done: the run finishes (final validation and plots) with
            # the signal still recorded, and `train` reports it then.
            record_signal(signum)
            return
        last = next((c for c in trainer.callbacks if isinstance(c, LastCheckpoint)), None)
        path = last.path if last is not None else self.path
        save_atomically(trainer, path)
        raise Interrupted(signum, pl_module.g_steps, path)


class WallClock(pl.Callback):
    """The run's training time, summed over its parts: a resumed run starts from the time its
    checkpoint holds (a killed part counts up to its last checkpoint)."""

    def __init__(self) -> None:
        self.earlier_s = 0.0  # the parts before this one
        self.parts = 1
        self._start = time.perf_counter()

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self._start = time.perf_counter()

    def elapsed_s(self) -> float:
        return self.earlier_s + time.perf_counter() - self._start

    def state_dict(self) -> dict[str, Any]:
        return {"elapsed_s": self.elapsed_s(), "parts": self.parts}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.earlier_s = state_dict["elapsed_s"]
        self.parts = state_dict["parts"] + 1
