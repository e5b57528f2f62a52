"""Experiment trackers beyond metrics.csv: W&B (online or offline), TensorBoard's images and
its HParams tab."""

from __future__ import annotations

import json
import netrc
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from PIL import Image
from pytorch_lightning.loggers import Logger, TensorBoardLogger, WandbLogger
from pytorch_lightning.utilities import rank_zero_only
from tensorboardX.proto.summary_pb2 import Summary
from tensorboardX.summary import hparams


def wandb_credentials_configured() -> bool:
    """Whether W&B has an API key to use: $WANDB_API_KEY or a netrc entry from `wandb login`."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        entry = netrc.netrc().authenticators("api.wandb.ai")
    except (FileNotFoundError, netrc.NetrcParseError):
        return False
    return entry is not None


def wandb_logger(
    save_dir: str,
    project: str = "litgan",
    entity: str | None = None,
    name: str | None = None,
    group: str | None = None,
    tags: Sequence[str] = (),
    offline: bool | None = None,
    log_model: bool = False,
) -> WandbLogger:
    """Lightning's WandbLogger with litgan's defaults.

    Args:
        name: defaults to the job's overrides (`loss=minimax,seed=1`), else the run directory.
        group: defaults to the sweep directory's name in a multirun, so a sweep's jobs group.
        offline: None means offline when WANDB_MODE=offline or no API key is configured, so a
            run never needs an account.
    """
    if offline is None:
        offline = os.environ.get("WANDB_MODE") == "offline" or not wandb_credentials_configured()
    if HydraConfig.initialized():
        hydra_cfg = HydraConfig.get()
        name = name or hydra_cfg.job.override_dirname or Path(hydra_cfg.runtime.output_dir).name
        if group is None and hydra_cfg.mode == RunMode.MULTIRUN:
            group = Path(hydra_cfg.sweep.dir).name
    return WandbLogger(
        save_dir=save_dir,
        project=project,
        entity=entity,
        name=name,
        group=group,
        tags=list(tags),
        offline=offline,
        log_model=log_model,
    )


@rank_zero_only
def log_images(
    loggers: Sequence[Logger], key: str, paths: Sequence[Path], step: int, after_fit: bool = False
) -> None:
    """Send PNG files to every logger that shows images (W&B, TensorBoard).

    TensorBoard gets one tag per picture, which its step slider then moves through: `key` for a
    single picture (samples), `key/<file stem>` for several (plots/value, plots/grad_norm).

    Args:
        after_fit: Lightning has closed the loggers. TensorBoard's pictures then go to an event
            file of their own: the closed writer would reopen under a name with the current
            second in it, which is the scalars' file's name when training ended within the
            same second, and overwrite that file.
    """
    for logger in loggers:
        if isinstance(logger, WandbLogger):
            logger.log_image(key=key, images=[str(p) for p in paths], step=step)
        elif isinstance(logger, TensorBoardLogger):
            writer = logger.experiment
            if after_fit:
                writer = type(writer)(logger.log_dir, filename_suffix=f".{key}")
            for path in paths:
                image = np.asarray(Image.open(path).convert("RGB"))
                tag = key if len(paths) == 1 else f"{key}/{path.stem}"
                writer.add_image(tag, image, step, dataformats="HWC")
            if after_fit:
                writer.close()


@rank_zero_only
def log_animation(loggers: Sequence[Logger], key: str, path: Path, step: int) -> None:
    """Send a GIF to W&B as a video and to TensorBoard as an animated image, after fit.

    TensorBoard's image panel plays a GIF stored as an image summary's encoded bytes (as
    tensorboardX's add_video stores one, without re-encoding the frames); like `log_images`
    after fit, it goes to an event file of its own.
    """
    for logger in loggers:
        if isinstance(logger, WandbLogger):
            import wandb

            logger.experiment.log({key: wandb.Video(str(path), format="gif")}, step=step)
        elif isinstance(logger, TensorBoardLogger):
            with Image.open(path) as gif:
                width, height = gif.size
            image = Summary.Image(
                height=height, width=width, colorspace=3, encoded_image_string=path.read_bytes()
            )
            suffix = "." + key.replace("/", "_")
            writer = type(logger.experiment)(logger.log_dir, filename_suffix=suffix)
            writer.file_writer.add_summary(
                Summary(value=[Summary.Value(tag=key, image=image)]), step
            )
            writer.close()


# Keys of the config that say where a run writes and how it shows, not what it computes: left
# out of TensorBoard's HParams tab (with everything under them).
NOT_HYPERPARAMETERS = (
    "extras",
    "paths",
    "logger",
    "callbacks",
    "ckpt_path",
    "trainer.default_root_dir",
    "trainer.enable_progress_bar",
    "metrics.cache_dir",
)


def hyperparameters(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """The resolved config's keys as TensorBoard's HParams tab takes them: one per leaf, named by
    its dotted path (model.generator.hidden), but NOT_HYPERPARAMETERS. Lists, null and an empty
    group are written as JSON (TensorBoard takes strings, numbers and booleans)."""
    found: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if any(name == k or name.startswith(f"{k}.") for k in NOT_HYPERPARAMETERS):
            continue
        if isinstance(value, Mapping) and value:
            found |= hyperparameters(value, f"{name}.")
        elif value is None or isinstance(value, list | Mapping):
            found[name] = json.dumps(value)
        else:
            found[name] = value
    return found


@rank_zero_only
def log_hparams(
    loggers: Sequence[Logger], params: dict[str, Any], metrics: Sequence[str], step: int
) -> None:
    """Fill TensorBoard's HParams tab after fit: the run's hyperparameters and, beside them, the
    metrics named (scalars the run logged, val/jsd ...), whose last values the tab shows.

    The metrics' values are not logged again: TensorBoard reads them from the run's own scalars.
    Like `log_images` after fit, the summaries go to an event file of their own.
    """
    for logger in loggers:
        if isinstance(logger, TensorBoardLogger):
            experiment, start, end = hparams(params, dict.fromkeys(metrics))
            writer = type(logger.experiment)(logger.log_dir, filename_suffix=".hparams")
            for summary in (experiment, start, end):
                writer.file_writer.add_summary(summary, step)
            writer.close()


@rank_zero_only
def finish_trackers(loggers: Sequence[Logger], failed: bool = False) -> None:
    """Close TensorBoard's files and end the W&B run (one per Hydra job, also in a multirun);
    say how to upload it if offline.

    A run that raised is marked failed in W&B (exit code 1).
    """
    for logger in loggers:
        if isinstance(logger, TensorBoardLogger):
            # close() drains the writer's queue (flush() writes only what its thread has taken
            # from it): on a run that raised, Lightning has not closed it.
            logger.experiment.close()

    if not any(isinstance(lg, WandbLogger) for lg in loggers):
        return
    # Imported here: wandb costs seconds of start-up that a run without it should not pay.
    import wandb

    if wandb.run is None:
        return
    run = wandb.run
    offline, run_files = run.offline, Path(run.dir).parent  # <save_dir>/wandb/offline-run-*/
    wandb.finish(exit_code=1 if failed else 0)
    if offline:
        print(f"W&B ran offline; upload the run with: wandb sync {run_files}")
