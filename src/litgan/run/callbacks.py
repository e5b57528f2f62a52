"""Callbacks that count in generator iterations (Lightning's global_step counts both players)."""

from __future__ import annotations

import os
import shutil
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.utilities import rank_zero_only

from litgan.errors import ConfigError, LitganError
from litgan.gan import GAN
from litgan.pictures.manifold import why_no_manifold
from litgan.pictures.push import ArrowScale
from litgan.pictures.samples import Mixture, save_samples_picture
from litgan.pictures.surface import Frame
from litgan.run.loggers import log_images


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
    """Keep `<dirpath>/last.ckpt` current, and a copy `<dirpath>/step=<N>.ckpt` at each
    generator iteration N in `keep`.

    The checkpoint is written to a temporary file and renamed over the old one, so a crash
    during the write leaves the previous `last.ckpt` intact and loadable. `keep` gives
    checkpoints of one run at chosen iterations: stopping and resuming a shorter run would
    change it (the learning rates' schedule follows max_steps).
    """

    def __init__(self, dirpath: str, every_n_g_steps: int, keep: Sequence[int] = ()) -> None:
        super().__init__(every_n_g_steps)
        self.path = Path(dirpath) / "last.ckpt"
        self.keep = frozenset(keep)

    def act(self, trainer: pl.Trainer, pl_module: GAN) -> None:
        save_atomically(trainer, self.path)
        if pl_module.g_steps in self.keep and trainer.is_global_zero:
            shutil.copyfile(self.path, self.path.with_name(f"step={pl_module.g_steps}.ckpt"))


def save_atomically(trainer: pl.Trainer, path: Path) -> None:
    """Write a checkpoint to a temporary file and rename it over `path`: a crash during the
    write leaves the previous file intact. Every rank calls it; only rank 0 writes."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        trainer.save_checkpoint(tmp, weights_only=False)
        if trainer.is_global_zero:
            os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise LitganError(
            f"could not write {path} ({err.strerror or err}); free space on that disk or "
            f"choose another hydra.run.dir, then resume with ckpt_path={path}"
        ) from err


class BestCheckpoint(pl.Callback):
    """Keep `<dirpath>/best.ckpt` at the best value of `monitor` seen in validation.

    Plain DCGAN often gets worse after its best point, so the last checkpoint is not the one to
    keep. The best value, its generator iteration and every validation metric of that moment
    are in `best` (and in `summary.json`); they travel with checkpoints, so a resumed run
    keeps comparing against them. `monitor` None: the run's evaluator names the metric
    (`litgan.metrics.Evaluator.best_metric`: val/jsd for the 2D mixtures, else val/fid).
    """

    def __init__(self, dirpath: str, monitor: str | None = None, mode: str = "min") -> None:
        self.path = Path(dirpath) / "best.ckpt"
        self.monitor = monitor
        self.mode = mode
        self.best: dict[str, Any] | None = None

    def _improves(self, metric: str, value: float) -> bool:
        if self.best is None or self.best["metric"] != metric:
            return True
        return value < self.best["value"] if self.mode == "min" else value > self.best["value"]

    def on_validation_end(self, trainer: pl.Trainer, pl_module: GAN) -> None:
        evaluator = pl_module.evaluator
        metric = self.monitor or (evaluator.best_metric if evaluator is not None else "val/fid")
        value = trainer.callback_metrics.get(metric)
        if trainer.sanity_checking or value is None or not self._improves(metric, float(value)):
            return
        self.best = {
            "metric": metric,
            "mode": self.mode,
            "value": float(value),
            "g_step": pl_module.g_steps,
            "path": str(self.path),
            "metrics": {
                k: float(v)
                for k, v in sorted(trainer.callback_metrics.items())
                if k.startswith("val/")
            },
        }
        save_atomically(trainer, self.path)

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.best = state_dict.get("best")


class SampleWriter(_EveryGSteps):
    """Save G's output on the fixed noise to `<dirpath>/g_step_<N>.png`.

    Images become a grid; 2D points are drawn over D's output, with the real data, the best D
    for this G beside it, and G's push as arrows. The first picture fixes the arrows' scale and
    the x and y ranges (around the training data) for the whole run (checkpoints keep both, so
    a resumed run draws on them too); the arrows' median
    length is logged as `samples/push_median`. Loggers that show images (W&B, TensorBoard)
    get each picture too.
    """

    def __init__(
        self,
        dirpath: str,
        every_n_g_steps: int,
        num_images: int = 64,
        num_points: int = 1000,
        manifold: bool | None = None,
        enabled: bool = True,
    ) -> None:
        super().__init__(every_n_g_steps)
        self.dirpath = Path(dirpath)
        # Off (pictures=false), it stays in the Trainer: a checkpoint keeps the frame and the
        # arrows' scale of earlier pictures for a resume that draws again.
        self.enabled = enabled
        self.num_images = num_images
        self.num_points = num_points
        self.manifold = manifold  # G's latent grid: None where it can be drawn
        self.arrow_scale: ArrowScale | None = None
        self.frame: Frame | None = None

    @rank_zero_only
    def act(self, trainer: pl.Trainer, pl_module: GAN) -> None:
        if not self.enabled:
            return
        if tuple(trainer.datamodule.shape) == (1,):
            return  # the Dirac-GAN: plots/dynamics.png and training.gif draw its path instead
        self.dirpath.mkdir(parents=True, exist_ok=True)
        g_steps = pl_module.g_steps
        path = self.dirpath / f"g_step_{g_steps:06d}.png"
        datamodule = trainer.datamodule
        if len(datamodule.shape) == 1:
            self.frame = self.frame or Frame.around(datamodule.samples)
            seen = save_samples_picture(
                pl_module,
                pl_module.fixed_noise(self.num_points),
                path,
                real=datamodule.real_batch(self.num_points),
                mixture=Mixture.of(datamodule),
                title=f"generator iteration {g_steps}",
                scale=self.arrow_scale,
                manifold=self._draws_manifold(pl_module),
                frame=self.frame,
            )
            self.arrow_scale = seen.scale
            for logger in trainer.loggers:
                # At the generator iteration, as every logged row (litgan.gan.rows).
                logger.log_metrics({"samples/push_median": seen.median}, step=g_steps)
                logger.save()
        else:
            save_samples_picture(pl_module, pl_module.fixed_noise(self.num_images), path)
        log_images(trainer.loggers, "samples", [path], step=g_steps)

    def _draws_manifold(self, pl_module: GAN) -> bool:
        """Whether the picture draws G's latent grid; forced where it cannot be, a ConfigError."""
        why_not = why_no_manifold(pl_module.nz, tuple(pl_module.hparams.data_shape))
        if self.manifold and why_not:
            raise ConfigError(f"callbacks.samples.manifold=true: {why_not}")
        return self.manifold is not False and why_not is None

    def state_dict(self) -> dict[str, Any]:
        return {
            "arrow_scale": None if self.arrow_scale is None else self.arrow_scale.to_dict(),
            "frame": None if self.frame is None else self.frame.to_dict(),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        scale, frame = state_dict.get("arrow_scale"), state_dict.get("frame")
        self.arrow_scale = None if scale is None else ArrowScale.from_dict(scale)
        self.frame = None if frame is None else Frame.from_dict(frame)


class RepeatFirstBatch(pl.Callback):
    """Every Lightning batch holds the first one's real samples (debug=overfit): whether G can
    fit one batch. Written into each batch in place, since Lightning's own overfit_batches
    rebuilds the loaders and litgan's on-device loaders do not survive that."""

    def __init__(self) -> None:
        self.first: Any = None

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: GAN, batch: Any, batch_idx: int
    ) -> None:
        if self.first is None:
            self.first = batch.clone()
        elif batch.shape == self.first.shape:
            batch.copy_(self.first)
        else:  # the last, smaller batch of an epoch
            batch.copy_(self.first[: len(batch)])
