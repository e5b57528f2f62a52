"""`metrics.csv`: every logged scalar against the generator iteration; a resumed run appends."""

from __future__ import annotations

import csv
import os
from argparse import Namespace
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytorch_lightning.utilities import rank_zero_only
from torch import Tensor

from litgan.lightning_internals import ContinuingExperimentWriter, CSVLoggerOwnWriter


class _AppendingWriter(ContinuingExperimentWriter):
    """Lightning's writer, except that an existing metrics.csv is continued, not deleted."""

    def __init__(self, log_dir: str, keep_until: int) -> None:
        self._keep_until = keep_until
        super().__init__(log_dir)

    def on_existing_metrics_file(self) -> None:
        """Keep the rows up to generator iteration `keep_until`, the checkpoint resumed from:
        the rows after it came from training that the resumed run repeats."""
        path = Path(self.metrics_file_path)
        if not path.is_file():
            return
        with path.open(newline="") as f:
            reader = csv.DictReader(f)
            keys = list(reader.fieldnames or [])
            rows = [row for row in reader if int(row["step"]) <= self._keep_until]
        if not rows:
            path.unlink()
            return
        self.metrics_keys = keys  # new columns join these; Lightning rewrites the header then
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=keys)
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, path)


class MetricsCSV(CSVLoggerOwnWriter):
    """`<run_dir>/metrics.csv`, one row per logging call, its `step` the generator iteration
    (1-based, as in summary.json and the sample files), which litgan's rows are logged at.

    Rows are on disk as soon as they are logged, so a killed run loses none of them; a run
    resumed from generator iteration `keep_until` keeps the rows up to it and appends, and
    keeps hparams.yaml as the first part wrote it.
    """

    def __init__(self, run_dir: Path, g_steps: Callable[[], int], keep_until: int = 0) -> None:
        super().__init__(run_dir, name="", version="")
        self._g_steps = g_steps
        self._keep_until = keep_until

    def make_writer(self) -> ContinuingExperimentWriter:
        return _AppendingWriter(self.log_dir, self._keep_until)

    @rank_zero_only
    def log_hyperparams(self, params: dict[str, Any] | Namespace | None = None) -> None:
        """hparams.yaml: the config of the run's first part (a resume's own config is in
        .hydra/resume-N/)."""
        if self._keep_until and (Path(self.log_dir) / "hparams.yaml").is_file():
            return
        super().log_hyperparams(params)

    @rank_zero_only
    def log_metrics(self, metrics: dict[str, Tensor | float], step: int | None = None) -> None:
        # Rows come with their generator iteration: the lean loop writes a batch's rows at its
        # end, when g_steps is already past all but the last.
        self.experiment.log_metrics(metrics, self._g_steps() if step is None else step)
        self.experiment.save()
