"""Training itself: data, GAN and Trainer built from a config, fitted, results written.

`litgan.train` imports this module only once Hydra has composed and litgan has checked the
config, so that `--help` and config errors never wait for torch and Lightning to load.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf, read_write
from pytorch_lightning.loggers import CSVLogger

from litgan.checkpoints import check_architecture, read_checkpoint, resolve_ckpt_path
from litgan.config import lightning_max_steps
from litgan.gan import GAN
from litgan.history import read_series
from litgan.plotting import save_run_plots
from litgan.summary import build_summary, format_summary, write_summary
from litgan.tracking import finish_trackers, log_images
from litgan.train import refuse_to_overwrite


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


def build_gan(cfg: DictConfig, data_shape: Sequence[int]) -> GAN:
    """The GAN `cfg.gan` describes, for samples of `data_shape`, its arguments plain data (the
    checkpoint keeps them, and loads with weights_only=True)."""
    return instantiate(cfg.gan, data_shape=list(data_shape), _convert_="all")


def fit(cfg: DictConfig) -> dict[str, Any]:
    """Build data, GAN and Trainer from a checked `cfg`, fit, write `summary.json` and return
    the summary."""
    run_dir = Path(cfg.paths.output_dir)
    ckpt_path = resolve_ckpt_path(cfg.ckpt_path, run_dir)
    refuse_to_overwrite(run_dir, ckpt_path is not None)
    checkpoint = read_checkpoint(ckpt_path) if ckpt_path else None
    pl.seed_everything(cfg.seed, workers=True)
    if cfg.model.get("cpu_threads"):
        torch.set_num_threads(cfg.model.cpu_threads)

    # Each generator iteration consumes one real batch per discriminator update.
    datamodule = instantiate(cfg.data, batch_size=cfg.data.batch_size * cfg.d_steps)
    plain = OmegaConf.to_container(cfg, resolve=True)
    model = build_gan(cfg, datamodule.shape)
    if checkpoint is not None:
        check_architecture(checkpoint, model, ckpt_path)
        del checkpoint  # Lightning loads it again, with the loops' and callbacks' state
    # metrics.csv at the top of the run directory is part of every run, whatever else logs.
    loggers = [CSVLogger(run_dir, name="", version="")]
    loggers += [instantiate(c) for c in (cfg.get("logger") or {}).values()]
    callbacks = [instantiate(c) for c in (cfg.get("callbacks") or {}).values()]
    trainer: pl.Trainer = instantiate(
        cfg.trainer,
        max_steps=lightning_max_steps(cfg.trainer.max_steps, cfg.d_steps),
        logger=loggers,
        callbacks=callbacks,
    )
    for logger in loggers:
        logger.log_hyperparams(plain)  # the whole resolved config, not only the GAN's arguments

    failed = True
    try:
        start = time.perf_counter()
        with _ddp_children_run_this_job():
            trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path, weights_only=True)
        summary = build_summary(trainer, model, time.perf_counter() - start)
        if trainer.is_global_zero:
            write_summary(summary, run_dir)
            plots = save_run_plots(
                read_series(run_dir / "metrics.csv"), run_dir / "plots", summary["game"]
            )
            log_images(loggers, "plots", plots, step=model.g_steps)
            print(format_summary(summary, run_dir))
        failed = False
    finally:
        finish_trackers(loggers, failed)
    return summary
