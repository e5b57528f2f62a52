"""The train entry point: `python train.py [overrides]`, also installed as `litgan-train`."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import hydra
import pytorch_lightning as pl
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf, read_write
from pytorch_lightning.loggers import CSVLogger

from litgan.checkpoints import check_architecture, read_checkpoint, resolve_ckpt_path
from litgan.config import lightning_max_steps, validate_config
from litgan.errors import LitganError
from litgan.gan import GAN
from litgan.history import read_series
from litgan.plotting import save_run_plots
from litgan.summary import build_summary, format_summary, write_summary
from litgan.tracking import finish_trackers, log_images

CONFIG_DIR = str(Path(__file__).resolve().parents[2] / "conf")
log = logging.getLogger("litgan")


def _refuse_to_overwrite(run_dir: Path, resuming: bool) -> None:
    """A finished or checkpointed run in `run_dir` is only ever continued, never replaced."""
    previous = [p for p in ("summary.json", "checkpoints/last.ckpt") if (run_dir / p).exists()]
    if previous and not resuming:
        raise LitganError(
            f"{run_dir} already holds a run ({', '.join(previous)}); choose a new "
            "hydra.run.dir, or resume it with ckpt_path=<run_dir>/checkpoints/last.ckpt"
        )


class OutputDirCheck(Callback):
    """Check the run (or sweep) directory before Hydra writes its config into it.

    Hydra would fail on an unwritable directory with a traceback of its own, and would
    overwrite an earlier run's .hydra/ before `train` refused to replace that run.
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        run_dir = Path(config.hydra.run.dir)
        _stop_on_error(_refuse_to_overwrite, run_dir, config.get("ckpt_path") is not None)
        _stop_on_error(_check_writable, run_dir, "hydra.run.dir")

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        _stop_on_error(_check_writable, Path(config.hydra.sweep.dir), "hydra.sweep.dir")


def _stop_on_error(check: Callable[..., None], *args: Any) -> None:
    """Run `check`; a LitganError becomes one line on stderr and exit status 2, as in `main`."""
    try:
        check(*args)
    except LitganError as err:
        if os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        print(f"litgan: error: {err}", file=sys.stderr)
        sys.exit(2)


def _check_writable(path: Path, key: str) -> None:
    """Create `path` and a file in it, or raise a LitganError naming `key`."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        raise LitganError(
            f"cannot write the output directory {path} ({err.strerror or err}); "
            f"choose a writable one with {key}=<dir>"
        ) from err


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


def build_gan(cfg: dict[str, Any], data_shape: Sequence[int]) -> GAN:
    """The GAN a resolved config (a plain dict) describes, for samples of `data_shape`."""
    return GAN(
        generator=cfg["model"]["generator"],
        discriminator=cfg["model"]["discriminator"],
        g_optimizer=cfg["optim"]["generator"],
        d_optimizer=cfg["optim"]["discriminator"],
        data_shape=data_shape,
        loss=cfg["loss"]["name"],
        d_steps=cfg["d_steps"],
        seed=cfg["seed"],
        eval_seed=cfg["eval_seed"],
        metrics=cfg.get("metrics") or None,  # metrics=none: no validation
        compile=cfg["compile"],
        channels_last=cfg["channels_last"],
        stop_on_nonfinite=cfg["stop_on_nonfinite"],
    )


def train(cfg: DictConfig) -> dict[str, Any]:
    """Build data, GAN and Trainer from `cfg`, fit, write `summary.json` and return the summary."""
    validate_config(cfg)
    run_dir = Path(cfg.paths.output_dir)
    ckpt_path = resolve_ckpt_path(cfg.ckpt_path, run_dir)
    _refuse_to_overwrite(run_dir, ckpt_path is not None)
    checkpoint = read_checkpoint(ckpt_path) if ckpt_path else None
    pl.seed_everything(cfg.seed, workers=True)

    # Each generator iteration consumes one real batch per discriminator update.
    datamodule = instantiate(cfg.data, batch_size=cfg.data.batch_size * cfg.d_steps)
    plain = OmegaConf.to_container(cfg, resolve=True)
    model = build_gan(plain, datamodule.shape)
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
            plots = save_run_plots(read_series(run_dir / "metrics.csv"), run_dir / "plots")
            log_images(loggers, "plots", plots, step=model.g_steps)
            print(format_summary(summary, run_dir))
        failed = False
    finally:
        finish_trackers(loggers, failed)
    return summary


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="train")
def main(cfg: DictConfig) -> float | None:
    """Hydra entry; returns the best monitored metric for sweepers (Optuna minimises it).

    A LitganError becomes one line on stderr and exit status 2.
    """
    try:
        best = train(cfg)["best"]
    except Exception as err:
        user_error = _user_error(err)
        multirun = HydraConfig.get().mode == RunMode.MULTIRUN
        if multirun:
            _record_failure(Path(cfg.paths.output_dir), user_error or err)
        if user_error is None or os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        print(f"litgan: error: {user_error}", file=sys.stderr)
        if multirun:
            raise  # Hydra runs the sweep's other jobs, then fails the sweep
        sys.exit(2)
    return best["value"] if best else None


def _record_failure(run_dir: Path, err: BaseException) -> None:
    """Write the job's error to `<run_dir>/error.txt`, where litgan-report finds it."""
    text = str(err) if isinstance(err, LitganError) else "".join(traceback.format_exception(err))
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "error.txt").write_text(text.rstrip() + "\n")
    except OSError:
        pass  # the directory is what failed: stderr still has the error


def _user_error(err: BaseException | None) -> LitganError | None:
    """The LitganError behind `err`, also when Hydra's instantiate wrapped it."""
    while err is not None and not isinstance(err, LitganError):
        err = err.__cause__
    return err
