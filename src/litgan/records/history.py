"""Reading a finished (or failed) run back from its directory."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import yaml

Series = dict[str, tuple[list[int], list[float]]]


def read_series(metrics_csv: Path) -> Series:
    """Every column of a Lightning metrics.csv as (steps, values), skipping empty cells.

    Train and validation scalars land in separate rows of the same file, so each column is
    read on its own.
    """
    series: Series = {}
    if not metrics_csv.is_file():
        return series
    with metrics_csv.open(newline="") as f:
        for row in csv.DictReader(f):
            step = int(row["step"])
            for key, cell in row.items():
                if key in ("step", "epoch") or cell in ("", None):
                    continue
                steps, values = series.setdefault(key, ([], []))
                steps.append(step)
                values.append(float(cell))
    return series


def read_summary(run_dir: Path) -> dict[str, Any] | None:
    """summary.json of a run, or None when the run did not finish."""
    path = run_dir / "summary.json"
    return json.loads(path.read_text()) if path.is_file() else None


def read_tags(run_dir: Path) -> list[str]:
    """The run's tags (the config's `tags`, .hydra/config.yaml), [] for runs from before them."""
    path = run_dir / ".hydra" / "config.yaml"
    if not path.is_file():
        return []
    return list((yaml.safe_load(path.read_text()) or {}).get("tags") or [])


def read_overrides(run_dir: Path) -> list[str]:
    """The command-line overrides of a run (Hydra's .hydra/overrides.yaml), without hydra.*."""
    path = run_dir / ".hydra" / "overrides.yaml"
    if not path.is_file():
        return []
    return [o for o in yaml.safe_load(path.read_text()) or [] if not o.startswith("hydra.")]
