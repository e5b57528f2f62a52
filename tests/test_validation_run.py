"""Validation inside `python train.py`: val/* metrics, best.ckpt, summary, the real-stats cache."""

from __future__ import annotations

import csv
import math

import pytest
import torch

from litgan.cli.comparison import compare, compose_config
from litgan.config.checks import validate_config
from litgan.errors import ConfigError
from tests.helpers.runs import TINY_DCGAN, TINY_MLP, run_train


def val_rows(run_dir):
    with open(run_dir / "metrics.csv") as f:
        return [r for r in csv.DictReader(f) if r.get("val/fid")]


@pytest.mark.slow
def test_ring_validates_every_val_every_and_at_the_end_over_ddp_ranks(tmp_path):
    # Two DDP processes on CPU share out the fixed noise; 999 vectors make 500 each, with one
    # vector of padding that the sampler adds and validation drops again. DDP starts its
    # second rank as `python train.py`: the first is one too, not pytest.
    ddp = ["trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2"]
    run = run_train(
        tmp_path,
        *ddp,
        *TINY_MLP,
        "metrics=default",
        "metrics.points.num_samples=999",
        "trainer.max_steps=25",
        "val_every=10",
    )
    assert run.returncode == 0, run.stderr[-3000:]
    rows = val_rows(run.run_dir)
    # metrics.csv's step is the generator iteration: 10, 20 and the last one, 25.
    assert [int(r["step"]) for r in rows] == [10, 20, 25]
    for row in rows:
        assert 0 <= int(float(row["val/modes"])) <= 8 and 0 <= float(row["val/high_quality"]) <= 1
        assert 0 <= float(row["val/reverse_kl"]) <= math.log(8) + 1e-9
    summary = run.summary
    best = summary["best"]
    # 2D data: the lowest val/jsd (litgan.metrics.Evaluator.best_metric).
    assert best["metric"] == "val/jsd" and best["mode"] == "min"
    assert best["value"] == pytest.approx(min(float(r["val/jsd"]) for r in rows), rel=1e-6)
    assert best["g_step"] in (10, 20, 25) and set(best["metrics"]) >= {"val/fid", "val/modes"}
    ckpt = torch.load(run.run_dir / "checkpoints" / "best.ckpt", weights_only=False)
    assert ckpt["g_steps"] == best["g_step"]
    assert summary["evaluation"]["num_samples"] == 999
    assert summary["evaluation"]["num_modes"] == 8
    assert "val/fid" in run.stdout and "modes" in run.stdout
    # One process scoring the best checkpoint's 999 samples gets the number the ranks logged.
    again = compare("ring", str(run.run_dir / "checkpoints" / "best.ckpt"), num_samples=999).fid
    assert again == pytest.approx(best["metrics"]["val/fid"], rel=1e-5)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "metrics.fid.num_samples=1",
            r"metrics.fid.num_samples must be an integer in \[2, 100,000,000\]",
        ),
        ("metrics.extra=[is]", "metrics.extra must be a list of values from kid, prc, isc"),
        ("metrics.fid.feature_layer=100", "metrics.fid.feature_layer must be one of"),
        ("metrics.fid.antialias=true", "metrics.fid.antialias must be false, got true"),
    ],
)
def test_bad_metrics_settings_are_config_errors(override, message):
    # train() validates before anything is built; ConfigError makes main() exit 2 with one line.
    with pytest.raises(ConfigError, match=message):
        validate_config(compose_config([override]))


@pytest.mark.slow
def test_digits_dcgan_logs_val_fid_and_keeps_the_best_checkpoint(
    train_in, tmp_path, inception_weights, monkeypatch
):
    cache = tmp_path / "cache"
    fid = [
        f"metrics.fid.weights_path={inception_weights}",
        "metrics.fid.num_samples=4",
        "metrics.fid.batch_size=4",
    ]
    run = train_in(
        *TINY_DCGAN,
        "data=digits",
        *fid,
        "trainer.max_steps=20",
        "val_every=10",
        "model.ema_decay=0.9",  # validation and litgan-fid must both sample the average
        env={"LITGAN_CACHE_DIR": str(cache)},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    rows = val_rows(run.run_dir)
    assert [int(r["step"]) for r in rows] == [10, 20]
    assert all(float(r["val/fid"]) > 0 for r in rows)
    best = run.summary["best"]
    assert best["value"] == pytest.approx(min(float(r["val/fid"]) for r in rows), rel=1e-6)
    assert (run.run_dir / "checkpoints" / "best.ckpt").is_file()
    evaluation = run.summary["evaluation"]
    assert evaluation["feature_layer"] == "2048" and evaluation["resize"] == "tf1_bilinear"
    assert evaluation["antialias"] is False and evaluation["num_samples"] == 4
    assert evaluation["real"] == "digits/train" and evaluation["num_real"] == 4
    assert len(list((cache / "fid").glob("digits-train-stats-*.pt"))) == 1

    # litgan-fid on the best checkpoint: the same samples, features and cached real statistics.
    monkeypatch.setenv("LITGAN_CACHE_DIR", str(cache))
    again = compare("digits", str(run.run_dir / "checkpoints" / "best.ckpt"), overrides=fid).fid
    assert again == pytest.approx(best["value"], rel=1e-4)
