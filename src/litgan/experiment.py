"""Training from Python: `run(*overrides)` trains as `python train.py <overrides>` does and hands
back what a notebook or a script reads.

    from litgan.experiment import build, load, run
    result = run("loss=minimax", "trainer.max_steps=500", run_dir="outputs/minimax")
    result.metrics["train/value"]      # a pandas DataFrame indexed by generator iteration
    result.summary["final"]            # summary.json
    result.run_dir / "samples"         # the pictures
    data, gan = build("loss=minimax")  # the untrained pieces, for steps taken by hand
    gan = load("outputs/minimax")      # the trained GAN: gan.generate(z), gan.d_output(x)

The config is composed, checked, built and trained by the same code as the command line
(`litgan.config.compose`, `litgan.config.checks`, `litgan.run.fit`); a run that `train.py`
refuses raises a LitganError here with the same one-line message.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from omegaconf import DictConfig

from litgan.config.checks import user_error, validate_config
from litgan.config.compose import compose
from litgan.gan import GAN
from litgan.records.history import read_series
from litgan.run.checkpoints import load_gan, resolve_checkpoint
from litgan.run.fit import build as build_parts
from litgan.run.fit import fit


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


@contextmanager
def _refusals(cfg: DictConfig) -> Iterator[None]:
    """Raise an error in building a part of `cfg`, which Hydra's instantiate wraps, as the
    LitganError the command line prints for it."""
    try:
        yield
    except Exception as err:
        refusal = user_error(err, cfg)
        if refusal is None or refusal is err:
            raise
        raise refusal from err


def build(*overrides: str) -> tuple[Any, GAN]:
    """The data module (set up) and the untrained GAN that `run(*overrides)` would train, with
    the same initial weights and batches: the pieces to take single steps of the game by hand.
    Nothing is written."""
    cfg = compose(overrides, run_dir=tempfile.gettempdir())
    validate_config(cfg)
    with _refusals(cfg):
        data, gan = build_parts(cfg)
        data.setup("fit")
    return data, gan


def run(*overrides: str, run_dir: str | Path | None = None) -> Result:
    """Train as `python train.py <overrides>` does, in this process; return the result.

    Args:
        overrides: train.py's overrides, e.g. "loss=minimax", "trainer.max_steps=500".
        run_dir: the run directory (default: outputs/runs/<now>, as train.py's); it must not
            hold an earlier run, unless the overrides resume it (ckpt_path=last).
    """
    run_dir = run_dir or f"outputs/runs/{datetime.now():%Y-%m-%d_%H-%M-%S}"
    cfg = compose(overrides, run_dir=run_dir)
    validate_config(cfg)
    with _refusals(cfg):
        summary = fit(cfg)
    directory = Path(cfg.paths.output_dir)
    return Result(summary=summary, run_dir=directory, metrics=metrics_frame(directory))


def load(checkpoint: str | Path, device: torch.device | str = "cpu") -> GAN:
    """The trained GAN of a run, in eval mode on `device`: `checkpoint` is a run directory (its
    checkpoints/last.ckpt), a .ckpt file, or `last` / `best` of the current directory's run."""
    return load_gan(resolve_checkpoint(str(checkpoint)), device)
