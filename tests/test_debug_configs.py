"""debug=default|fdr|overfit|profiler (conf/debug/): each runs the MLP on ring and the DCGAN on
digits through train.py's main, in this process."""

from __future__ import annotations

import json
import logging

import pytest
import torch
from omegaconf import OmegaConf

from litgan.run.callbacks import RepeatFirstBatch
from tests.helpers.runs import PICTURES, TINY_DCGAN, TINY_MLP, run_main

MODELS = {"mlp-ring": tuple(TINY_MLP), "dcgan-digits": (*TINY_DCGAN, "data=digits")}


@pytest.fixture
def restore_litgan_log_level():
    logger = logging.getLogger("litgan")
    level = logger.level
    yield logger
    logger.setLevel(level)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_debug_default_detects_anomalies_in_one_process_with_debug_logs(
    monkeypatch, capsys, tmp_path, restore_litgan_log_level, model
):
    status, err = run_main(
        monkeypatch, capsys, tmp_path, "debug=default", "trainer.max_steps=3", base=MODELS[model]
    )
    assert status == 0, err
    cfg = OmegaConf.load(tmp_path / "run" / ".hydra" / "config.yaml")
    assert cfg.task_name == "debug"
    assert cfg.trainer.detect_anomaly is True and cfg.trainer.devices == 1
    # litgan's loggers at DEBUG for the run (run_main puts logging back afterwards).
    assert OmegaConf.load(tmp_path / "run" / ".hydra" / "hydra.yaml").hydra.verbose == ["litgan"]


@pytest.mark.parametrize("model", sorted(MODELS))
def test_debug_fdr_goes_the_whole_path_of_a_run(monkeypatch, capsys, tmp_path, model):
    # Validation of images needs Inception (minutes on CPU): the 2D run scores, the image one not.
    metrics = ["metrics=default"] if model == "mlp-ring" else []
    status, err = run_main(
        monkeypatch, capsys, tmp_path, "debug=fdr", PICTURES, *metrics, base=MODELS[model]
    )
    assert status == 0, err
    run = tmp_path / "run"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["g_steps"] == 4
    assert len(list((run / "samples").glob("*.png"))) == 1
    assert (run / "checkpoints" / "last.ckpt").is_file()
    if metrics:
        header = (run / "metrics.csv").read_text().splitlines()[0].split(",")
        assert "val/density" in header and "val/coverage" in header
        assert (run / "checkpoints" / "best.ckpt").is_file()


@pytest.mark.parametrize("model", sorted(MODELS))
def test_debug_overfit_trains_on_one_batch(monkeypatch, capsys, tmp_path, model):
    status, err = run_main(
        monkeypatch, capsys, tmp_path, "debug=overfit", "trainer.max_steps=6", base=MODELS[model]
    )
    assert status == 0, err
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["g_steps"] == 6


@pytest.mark.parametrize("model", sorted(MODELS))
def test_debug_profiler_writes_its_report_into_the_run(monkeypatch, capsys, tmp_path, model):
    status, err = run_main(
        monkeypatch, capsys, tmp_path, "debug=profiler", "trainer.max_steps=3", base=MODELS[model]
    )
    assert status == 0, err
    report = (tmp_path / "run" / "profiler" / "fit-profile.txt").read_text()
    assert "run_training_batch" in report


def test_every_batch_after_the_first_holds_the_first_batch():
    repeat, first = RepeatFirstBatch(), torch.arange(8.0).view(4, 2)
    batches = [first.clone(), torch.randn(4, 2), torch.randn(3, 2)]
    for i, batch in enumerate(batches):
        repeat.on_train_batch_start(None, None, batch, i)
    assert torch.equal(batches[1], first) and torch.equal(batches[2], first[:3])
