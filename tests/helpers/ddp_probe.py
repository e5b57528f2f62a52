"""Callbacks for the DDP tests: what each rank holds and where each stopped, saved to files."""

from __future__ import annotations

import json
from pathlib import Path

import pytorch_lightning as pl
import torch


class DDPProbe(pl.Callback):
    """Compares the ranks' training noise and evaluation noise, and their parameters at the end."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.z: torch.Tensor | None = None

    def on_train_start(self, trainer: pl.Trainer, gan: pl.LightningModule) -> None:
        self.z = gan.sample_z(8)  # the stream each rank's training step draws from

    def on_train_end(self, trainer: pl.Trainer, gan: pl.LightningModule) -> None:
        params = torch.cat([p.detach().flatten() for p in gan.parameters()])
        all_params = trainer.strategy.all_gather(params)
        all_z = trainer.strategy.all_gather(self.z)
        all_eval = trainer.strategy.all_gather(gan.fixed_noise(8))
        all_value = trainer.strategy.all_gather(trainer.callback_metrics["train/value"])
        if trainer.is_global_zero:
            report = {
                "world_size": trainer.world_size,
                "params_equal": all(torch.equal(all_params[0], p) for p in all_params[1:]),
                "z_equal": any(torch.equal(all_z[0], z) for z in all_z[1:]),
                "eval_noise_equal": all(torch.equal(all_eval[0], e) for e in all_eval[1:]),
                "logged_value_equal": all(torch.equal(all_value[0], v) for v in all_value[1:]),
            }
            self.path.write_text(json.dumps(report))


class StopProbe(pl.Callback):
    """Writes `<dirpath>/rank<N>.json` with the generator iteration each rank stopped at."""

    def __init__(self, dirpath: str) -> None:
        self.dirpath = Path(dirpath)

    def on_exception(
        self, trainer: pl.Trainer, gan: pl.LightningModule, exception: BaseException
    ) -> None:
        report = {"g_steps": gan.g_steps, "exception": type(exception).__name__}
        (self.dirpath / f"rank{trainer.global_rank}.json").write_text(json.dumps(report))
