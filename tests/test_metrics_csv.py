"""metrics.csv, written by litgan's own writer: the bytes Lightning's CSVLogger writes for the
same rows, rows on disk as they come, and a resume that keeps the rows up to its checkpoint."""

from __future__ import annotations

import torch
from pytorch_lightning.loggers import CSVLogger

from litgan.records.metrics_csv import MetricsCSV

# A validation row among training rows, with a column the first row lacks (the header grows).
ROWS = [
    (4, {"epoch": 0, "train/value": -1.25, "train/d_loss": torch.tensor(0.5)}),
    (8, {"epoch": 0, "train/value": -1.0, "train/d_loss": 0.75}),
    (10, {"epoch": 1, "val/fid": 0.125, "val/jsd": 1e-07}),
    (12, {"epoch": 1, "train/value": -0.5, "train/d_loss": 0.25, "train/penalty": 3.0}),
]


def test_the_same_bytes_as_lightnings_csv_logger(tmp_path):
    ours, lightning = MetricsCSV(tmp_path / "ours"), CSVLogger(tmp_path / "pl", name="", version="")
    ours.log_hyperparams({"seed": 3, "game": {"name": "minimax"}})
    lightning.log_hyperparams({"seed": 3, "game": {"name": "minimax"}})
    for step, row in ROWS:
        ours.log_metrics(row, step=step)
        lightning.log_metrics(row, step=step)
        lightning.save()
        # On disk at once, as Lightning's after its save.
        assert (tmp_path / "ours" / "metrics.csv").read_bytes() == (
            tmp_path / "pl" / "metrics.csv"
        ).read_bytes()
    assert (tmp_path / "ours" / "hparams.yaml").read_bytes() == (
        tmp_path / "pl" / "hparams.yaml"
    ).read_bytes()


def test_a_resume_keeps_the_rows_up_to_its_checkpoint_and_the_first_hparams(tmp_path):
    first = MetricsCSV(tmp_path)
    first.log_hyperparams({"seed": 3})
    for step, row in ROWS:
        first.log_metrics(row, step=step)
    resumed = MetricsCSV(tmp_path, keep_until=8)
    resumed.log_hyperparams({"seed": 4})
    resumed.log_metrics({"epoch": 0, "train/value": -0.75, "train/d_loss": 0.5}, step=12)
    lines = (tmp_path / "metrics.csv").read_text().splitlines()
    assert lines == [
        "epoch,step,train/d_loss,train/penalty,train/value,val/fid,val/jsd",
        "0,4,0.5,,-1.25,,",
        "0,8,0.75,,-1.0,,",
        "0,12,0.5,,-0.75,,",
    ]
    assert (tmp_path / "hparams.yaml").read_text() == "seed: 3\n"


def test_a_resume_from_before_every_row_starts_the_file_afresh(tmp_path):
    first = MetricsCSV(tmp_path)
    first.log_metrics({"epoch": 0, "train/value": -1.0}, step=4)
    resumed = MetricsCSV(tmp_path, keep_until=2)
    resumed.log_metrics({"epoch": 0, "val/fid": 0.5}, step=3)
    assert (tmp_path / "metrics.csv").read_text().splitlines() == ["epoch,step,val/fid", "0,3,0.5"]
