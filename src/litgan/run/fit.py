"""Training itself: data, GAN and Trainer built from a config, fitted, results written.

`litgan.cli.train` imports this module only once Hydra has composed and litgan has checked the
config, so that `--help` and config errors never wait for torch and Lightning to load.
"""

from __future__ import annotations

import inspect
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from hydra.utils import instantiate
from omegaconf import DictConfig, ListConfig, OmegaConf, read_write
from pytorch_lightning.loggers import Logger

from litgan.config.checks import lightning_max_steps
from litgan.dynamics.dirac import dirac_dynamics, is_dirac
from litgan.errors import Interrupted
from litgan.gan import GAN
from litgan.pictures.animation import save_run_animation
from litgan.pictures.dynamics import save_dirac_pictures
from litgan.pictures.plots import save_run_plots
from litgan.records.history import read_series
from litgan.records.metrics_csv import MetricsCSV
from litgan.run.checkpoints import (
    check_architecture,
    check_unfinished,
    read_checkpoint,
    resolve_ckpt_path,
)
from litgan.run.claim import guard_run_dir, release_run_dir
from litgan.run.loggers import (
    finish_trackers,
    hyperparameters,
    log_animation,
    log_hparams,
    log_images,
)
from litgan.run.run_dir import (
    discard_unstarted_run,
    file_logs_held,
    rank,
    requeued_ckpt_path,
    write_record,
)
from litgan.run.signals import StopOnSignal, WallClock
from litgan.run.summary import build_summary, format_summary, write_summary
from litgan.run.torch_setup import set_up_host
from litgan.run.validation_cost import validation_cost_notice


@contextmanager
def _ddp_children_run_this_job() -> Iterator[None]:
    """Make DDP's extra processes run exactly this job of a multirun, in its directory.

    Lightning starts ranks > 0 by re-running `sys.argv` with `hydra.run.dir` set to Hydra's
    run.dir. Under `-m` that would start a whole nested sweep in other directories (Lightning
    issue #11300), so for the job's duration argv holds this job's overrides and run.dir its
    output directory; afterwards the process is left as the next job needs it.
    """
    if not HydraConfig.initialized() or HydraConfig.get().mode != RunMode.MULTIRUN:
        yield
        return
    hydra_cfg = HydraConfig.get()
    argv, run_dir, environ = sys.argv, hydra_cfg.run.dir, dict(os.environ)
    sys.argv = [argv[0], *hydra_cfg.overrides.task]
    with read_write(hydra_cfg):
        hydra_cfg.run.dir = hydra_cfg.runtime.output_dir
    try:
        yield
    finally:
        sys.argv = argv
        with read_write(hydra_cfg):
            hydra_cfg.run.dir = run_dir
        # The next job starts its own DDP processes. It must not join this job's process group,
        # and must not see the LOCAL_RANK this job's launcher exported, which tells Lightning
        # that processes were already started for it.
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()
        os.environ.clear()
        os.environ.update(environ)


class _LightningNoise(logging.Filter):
    """Drops two of Lightning's lines from every run's console: its tips (adverts for its
    cloud products), and "`Trainer.fit` stopped: `max_steps=N` reached", whose N counts both
    players' steps; litgan's summary line gives the generator's."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not message.startswith(("💡 Tip:", "`Trainer.fit` stopped: `max_steps="))


def _quiet_known_noise() -> None:
    """Silence the console messages of every run that say nothing about this one."""
    lightning_log = logging.getLogger("pytorch_lightning.utilities.rank_zero")
    if not any(isinstance(f, _LightningNoise) for f in lightning_log.filters):
        lightning_log.addFilter(_LightningNoise())
    # Lightning's own use of a torch API that torch deprecated: nothing for a user to change.
    warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated")
    # metrics=none: the GAN has no validation loaders, which is meant.
    warnings.filterwarnings("ignore", message="Total length of `list` across ranks is zero")
    # litgan's data modules put their loaders back mid-epoch themselves (litgan.data.order).
    warnings.filterwarnings("ignore", message="You're resuming from a checkpoint that ended before")


def build(cfg: DictConfig) -> tuple[Any, GAN]:
    """The data module and the untrained GAN of a checked `cfg`, seeded and on the host set up
    as a run has them; the data module is not set up yet."""
    pl.seed_everything(cfg.seed, workers=True)
    set_up_host(cfg.model.get("cpu_threads"))
    # Each generator iteration consumes one real batch per discriminator update.
    datamodule = instantiate(cfg.data, batch_size=cfg.data.batch_size * cfg.d_steps)
    return datamodule, GAN(data_shape=list(datamodule.shape), **gan_arguments(cfg))


def gan_arguments(cfg: DictConfig) -> dict[str, Any]:
    """The GAN's arguments: the groups and top-level keys of `cfg` named as its parameters, as
    plain data (the checkpoint keeps them, and loads with weights_only=True)."""
    names = [n for n in inspect.signature(GAN).parameters if n != "data_shape" and n in cfg]
    return {n: _plain(cfg[n]) for n in names}


def _plain(value: Any) -> Any:
    """A config node as dicts and lists, resolved; any other value as it is."""
    if isinstance(value, DictConfig | ListConfig):
        return OmegaConf.to_container(value, resolve=True)
    return value


def fit(cfg: DictConfig, guarded: bool = False) -> dict[str, Any]:
    """Build data, GAN and Trainer from a checked `cfg`, fit, write `summary.json` and return
    the summary.

    Args:
        guarded: the run directory is checked and claimed already (`guard_run_dir`, by
            train.py's callback for a single run); else (a sweep's job, the Python API) it is
            checked and claimed here, once, and given up when the run ends.
    """
    if guarded:
        return _fit(cfg, guarded)
    try:
        return _fit(cfg, guarded)
    finally:
        release_run_dir(Path(cfg.paths.output_dir))  # a sweep's claim on its own stays


def _fit(cfg: DictConfig, guarded: bool) -> dict[str, Any]:
    run_dir = Path(cfg.paths.output_dir)
    _quiet_known_noise()
    # Everything that can refuse the run comes before anything is written into run_dir.
    with file_logs_held():
        requested = requeued_ckpt_path(cfg.ckpt_path, run_dir)
        ckpt_path = resolve_ckpt_path(requested, run_dir)
        if requested != cfg.ckpt_path and rank() == 0:
            print(f"litgan: SLURM restarted this job: resuming it from {ckpt_path}")
        if not guarded:
            guard_run_dir(cfg, run_dir, requested)
        checkpoint = read_checkpoint(ckpt_path) if ckpt_path else None
        resumed_from = checkpoint.get("g_steps", 0) if checkpoint is not None else 0
        datamodule, model = build(cfg)
        plain = OmegaConf.to_container(cfg, resolve=True)
        if checkpoint is not None:
            check_architecture(checkpoint, model, ckpt_path)
            check_unfinished(checkpoint, cfg.trainer.max_steps, ckpt_path)
            del checkpoint  # Lightning loads it again, with the loops' and callbacks' state
        if rank() == 0:
            # An absent, damaged or too small data set is a refusal too. Lightning's own calls
            # (on every rank) then find the data prepared and loaded.
            datamodule.prepare_data()
            datamodule.setup("fit")
    write_record(run_dir, cfg)
    notice = validation_cost_notice(cfg, datamodule.shape, resumed_from)
    if notice and rank() == 0:
        print(notice, file=sys.stderr, flush=True)
    loggers: list[Logger] = []
    failed = True
    try:
        # metrics.csv at the top of the run directory is part of every run, whatever else logs.
        loggers.append(MetricsCSV(run_dir, keep_until=resumed_from))
        loggers += [instantiate(c) for c in (cfg.get("logger") or {}).values()]
        clock = WallClock()
        callbacks = [
            clock,
            StopOnSignal(run_dir / "checkpoints" / "last.ckpt"),
            *(instantiate(c) for c in (cfg.get("callbacks") or {}).values() if c is not None),
        ]
        trainer: pl.Trainer = instantiate(
            cfg.trainer,
            max_steps=lightning_max_steps(cfg.trainer.max_steps, cfg.d_steps, cfg["update"]),
            logger=loggers,
            callbacks=callbacks,
        )
        for logger in loggers:
            logger.log_hyperparams(plain)  # the whole resolved config, not only the GAN's arguments
        try:
            with _ddp_children_run_this_job():
                trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path, weights_only=True)
        except Interrupted:
            if trainer.is_global_zero:
                write_summary(_summary(cfg, trainer, model, clock, interrupted=True), run_dir)
            raise
        summary = _summary(cfg, trainer, model, clock)
        if trainer.is_global_zero:
            if is_dirac(model):
                summary["dynamics"] = dirac_dynamics(model)
            write_summary(summary, run_dir)
            if cfg.pictures:
                _draw_run(run_dir, model, summary, loggers)
            validation = [key for key in summary["final"] if key.startswith("val/")]
            log_hparams(loggers, hyperparameters(plain), validation, step=model.g_steps)
            print(format_summary(summary, run_dir))
        failed = False
    finally:
        finish_trackers(loggers, failed)
        # A run that failed before its first iteration leaves nothing; a signal's stop keeps the
        # checkpoint it resumes from.
        if failed and model.g_steps == 0 and not isinstance(sys.exc_info()[1], Interrupted):
            discard_unstarted_run(run_dir)
    return summary


def _draw_run(run_dir: Path, model: GAN, summary: dict[str, Any], loggers: list[Logger]) -> None:
    """The run's plots/ (and the Dirac run's path), and the GIF of its samples/ pictures."""
    series = read_series(run_dir / "metrics.csv")
    if is_dirac(model):
        save_dirac_pictures(series, model, summary, run_dir)
    plots = save_run_plots(series, run_dir / "plots", summary["game"])
    log_images(loggers, "plots", plots, step=model.g_steps, after_fit=True)
    animation = save_run_animation(run_dir / "samples", run_dir / "plots")
    if animation is not None:
        log_animation(loggers, "plots/training", animation, step=model.g_steps)


def _summary(
    cfg: DictConfig, trainer: pl.Trainer, model: GAN, clock: WallClock, interrupted: bool = False
) -> dict[str, Any]:
    """summary.json's contents, with the run's task name and tags, its parts and whether a
    signal stopped this one."""
    summary = {"task_name": cfg.task_name, "tags": list(cfg.tags)}
    summary |= build_summary(trainer, model, clock.elapsed_s())
    summary["wall_time_parts"] = clock.parts  # resumes add parts; wall_time_s sums them
    summary["interrupted"] = interrupted
    return summary
