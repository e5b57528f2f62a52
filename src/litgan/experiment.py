"""Training from Python: `run(*overrides)` trains as `python train.py <overrides>` does and hands
back what a notebook or a script reads.

    from litgan.experiment import build, run
    result = run("loss=minimax", "trainer.max_steps=500", run_dir="outputs/minimax")
    result.metrics["train/value"]      # a pandas DataFrame indexed by generator iteration
    result.summary["final"]            # summary.json
    result.run_dir / "samples"         # the pictures
    data, gan = build("loss=minimax")  # the untrained pieces, for steps taken by hand

The config is composed with Hydra's compose API from the same conf/, checked and trained by the
same code as the command line (`litgan.config.checks`, `litgan.run.fit`); a run that
`train.py` refuses raises the same LitganError here.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytorch_lightning as pl
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig, open_dict

from litgan.config.checks import CONFIG_DIR, validate_config
from litgan.gan import GAN
from litgan.records.history import read_series
from litgan.run.fit import build_gan, fit


@dataclass(frozen=True)
class Result:
    """A finished run: its summary.json, its directory and its metrics.csv as a table."""

    summary: dict[str, Any]
    run_dir: Path
    metrics: pd.DataFrame  # one row per logged generator iteration, one column per scalar


def metrics_frame(run_dir: Path) -> pd.DataFrame:
    """A run's metrics.csv as a DataFrame indexed by generator iteration (`step`): train and
    validation scalars, logged in separate rows, share one row per iteration."""
    columns = {
        key: pd.Series(values, index=steps, name=key)
        for key, (steps, values) in read_series(run_dir / "metrics.csv").items()
    }
    frame = pd.DataFrame(columns)
    frame.index.name = "step"
    return frame.sort_index()


def compose_run(*overrides: str, run_dir: str | Path | None = None) -> DictConfig:
    """The config `python train.py <overrides>` runs with, its output directory `run_dir`
    (default: Hydra's, outputs/runs/<now>), and Hydra's runtime set as a run sets it."""
    run_dir = Path(run_dir or f"outputs/runs/{datetime.now():%Y-%m-%d_%H-%M-%S}").absolute()
    # A notebook may have initialised Hydra already (or a failed run left it so).
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose(
            "train", overrides=[*overrides, f"hydra.run.dir={run_dir}"], return_hydra_config=True
        )
    with open_dict(cfg):
        cfg.hydra.runtime.output_dir = str(run_dir)
        cfg.hydra.runtime.cwd = str(Path.cwd())
    HydraConfig.instance().set_config(cfg)
    with open_dict(cfg):
        del cfg["hydra"]
    return cfg


def build(*overrides: str) -> tuple[Any, GAN]:
    """The data module (set up) and the untrained GAN that `run(*overrides)` would train, with
    the same initial weights: the pieces to take single steps of the game by hand. Nothing is
    written."""
    cfg = compose_run(*overrides, run_dir=tempfile.gettempdir())
    validate_config(cfg)
    pl.seed_everything(cfg.seed, workers=True, verbose=False)  # as fit() seeds, before building
    data = instantiate(cfg.data)
    data.setup("fit")
    return data, build_gan(cfg, data.shape)


def run(*overrides: str, run_dir: str | Path | None = None) -> Result:
    """Train as `python train.py <overrides>` does, in this process; return the result.

    Args:
        overrides: train.py's overrides, e.g. "loss=minimax", "trainer.max_steps=500".
        run_dir: the run directory (default: outputs/runs/<now>, as train.py's); it must not
            hold an earlier run, unless the overrides resume it (ckpt_path=last).
    """
    cfg = compose_run(*overrides, run_dir=run_dir)
    validate_config(cfg)
    summary = fit(cfg)
    directory = Path(cfg.paths.output_dir)
    return Result(summary=summary, run_dir=directory, metrics=metrics_frame(directory))
