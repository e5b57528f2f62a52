"""`metrics.csv`: every logged scalar against the generator iteration; a resumed run appends."""

from __future__ import annotations

import csv
import os
from argparse import Namespace
from pathlib import Path
from typing import Any

from pytorch_lightning.core.saving import save_hparams_to_yaml
from pytorch_lightning.loggers import Logger
from pytorch_lightning.utilities import rank_zero_only
from torch import Tensor


class MetricsCSV(Logger):
    """`<run_dir>/metrics.csv`, one row per logging call at its `step`, the generator iteration
    (1-based, as in summary.json and the sample files); columns sorted by name, as Lightning's
    CSVLogger writes them, and a row's missing scalars left empty. With the run's config in
    `<run_dir>/hparams.yaml`.

    Rows are on disk as soon as they are logged, so a killed run loses none of them; a run
    resumed from generator iteration `keep_until` keeps the rows up to it and appends (the rows
    after it came from training that the resumed run repeats), and keeps hparams.yaml as the
    first part wrote it.
    """

    def __init__(self, run_dir: Path, keep_until: int = 0) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / "metrics.csv"
        self._keep_until = keep_until
        self._keys: list[str] | None = None  # the header on disk; None until the first row
        self._hparams: dict[str, Any] = {}

    @property
    def name(self) -> str:
        return ""

    @property
    def version(self) -> str:
        return ""

    @property
    def save_dir(self) -> str:
        return str(self.run_dir)

    @property
    def log_dir(self) -> str:
        return str(self.run_dir)

    @rank_zero_only
    def log_hyperparams(self, params: dict[str, Any] | Namespace | None = None) -> None:
        """hparams.yaml: the config of the run's first part (a resume's own config is in
        .hydra/resume-N/)."""
        self._start()
        hparams_file = self.run_dir / "hparams.yaml"
        if self._keep_until and hparams_file.is_file():
            return
        self._hparams.update(vars(params) if isinstance(params, Namespace) else params or {})
        self.run_dir.mkdir(parents=True, exist_ok=True)
        save_hparams_to_yaml(hparams_file, self._hparams)

    @rank_zero_only
    def log_metrics(self, metrics: dict[str, Tensor | float], step: int) -> None:
        row = {k: v.item() if isinstance(v, Tensor) else v for k, v in metrics.items()}
        row["step"] = step
        self._start()
        keys = sorted({*self._keys, *row})
        exists = self.path.is_file()
        if keys != self._keys and exists:
            self._rewrite(keys, self._read()[1])  # a new column: the header changes
        self._keys = keys
        with self.path.open("a" if exists else "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=keys)
            if not exists:
                writer.writeheader()
            writer.writerow(row)

    def _start(self) -> None:
        """Once, when the run first logs: cut the metrics.csv this run continues to the rows up
        to `keep_until` (none: the file is removed), and take its header."""
        if self._keys is not None:
            return
        self._keys = []
        if not self.path.is_file():
            return
        keys, rows = self._read()
        rows = [row for row in rows if int(row["step"]) <= self._keep_until]
        if not rows:
            self.path.unlink()
            return
        self._rewrite(keys, rows)
        self._keys = keys

    def _read(self) -> tuple[list[str], list[dict[str, str]]]:
        with self.path.open(newline="") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            return list(reader.fieldnames or []), rows

    def _rewrite(self, keys: list[str], rows: list[dict[str, str]]) -> None:
        """Write `rows` under the header `keys`, replacing the file in one step."""
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=keys)
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, self.path)
