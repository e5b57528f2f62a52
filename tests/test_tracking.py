"""W&B offline runs, run plots, multirun sweeps and litgan-report, through the real entry points."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest
import yaml
from PIL import Image
from pytorch_lightning.loggers import TensorBoardLogger

from litgan.cli.report import main as report_main
from litgan.records.history import read_overrides
from litgan.run.loggers import log_hparams, log_images
from tests.helpers.runs import PICTURES, TINY_MLP, run_main
from tests.helpers.tensorboard_events import hparams_data, scalars, steps_by_tag, summaries
from tests.helpers.wandb_records import history_keys, history_steps, read_records, run_info

SECRET = "wandb-key-that-must-not-leak-0123456789"
OFFLINE = {"WANDB_MODE": "offline", "WANDB_API_KEY": SECRET, "WANDB_SILENT": "true"}


def assert_png(path: Path) -> None:
    with Image.open(path) as image:
        assert image.format == "PNG" and min(image.size) > 100


def offline_runs(run_dir: Path) -> list[Path]:
    return sorted(run_dir.glob("wandb/offline-run-*/run-*.wandb"))


def no_file_contains(root: Path, text: str) -> bool:
    return all(text.encode() not in p.read_bytes() for p in root.rglob("*") if p.is_file())


@pytest.mark.slow
def test_wandb_and_tensorboard_log_scalars_images_and_config_and_no_secret(train_in):
    run = train_in(
        *TINY_MLP,
        PICTURES,
        "logger=[csv,wandb,tensorboard]",
        "trainer.max_steps=20",
        "sample_every=10",
        "val_every=10",
        "metrics=default",  # 2D data: validation takes milliseconds
        env=OFFLINE,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    [records_file] = offline_runs(run.run_dir)
    records = read_records(records_file)
    keys = history_keys(records)
    for key in ("train/value", "train/value_real", "train/value_fake", "train/g_grad_norm"):
        assert key in keys
    assert "samples/_type" in keys and "plots/_type" in keys  # images, logged as wandb.Image
    # The run's animation, as a W&B video of the GIF itself.
    assert "plots/training/_type" in keys
    [video] = records_file.parent.glob("files/media/videos/plots/training_*.gif")
    assert video.read_bytes() == (run.run_dir / "plots" / "training.gif").read_bytes()
    assert list(records_file.parent.glob("files/media/images/samples_*.png"))
    config_keys = {
        item.key
        for r in records
        if r.WhichOneof("record_type") == "config"
        for item in r.config.update
    }
    assert {"model", "data", "loss", "trainer"} <= config_keys  # the resolved config
    # Named after the job's overrides, as Hydra's override_dirname writes them.
    overrides = read_overrides(run.run_dir)
    assert "logger=[csv,wandb,tensorboard]" in overrides
    assert run_info(records).display_name == ",".join(sorted(overrides))
    assert "wandb sync" in run.stdout
    events = b"".join(p.read_bytes() for p in (run.run_dir / "tensorboard").rglob("events.*"))
    assert b"train/value" in events and b"samples" in events
    for name in ("value.png", "grad_norm.png"):
        assert_png(run.run_dir / "plots" / name)
    assert no_file_contains(run.run_dir, SECRET)

    # One step axis: every scalar, picture and plot in every tracker at the generator iteration
    # it belongs to, the step of metrics.csv, summary.json and the sample files.
    with (run.run_dir / "metrics.csv").open(newline="") as f:
        assert sorted({int(row["step"]) for row in csv.DictReader(f)}) == [10, 20]
    assert run.summary["g_steps"] == 20
    assert sorted(p.name for p in (run.run_dir / "samples").glob("*.png")) == [
        "g_step_000010.png",
        "g_step_000020.png",
    ]
    tensorboard = run.run_dir / "tensorboard"
    for logged in (
        history_steps(records),
        steps_by_tag(tensorboard, "scalar") | steps_by_tag(tensorboard, "image"),
    ):
        for key in ("train/value", "train/g_grad_norm", "val/fid", "val/modes", "samples"):
            assert logged[key] == [10, 20], key
        plots = [key for key in logged if key.startswith("plots")]
        assert plots and all(logged[key] == [20] for key in plots)
        assert {step for steps in logged.values() for step in steps} == {10, 20}


@pytest.mark.slow
def test_sweep_groups_wandb_runs_and_reports_failed_jobs(train_in, tmp_path, capfd):
    sweep = tmp_path / "sweep"
    # Job 2's rate makes training diverge at its second iteration: it fails, the others run.
    run = train_in(
        "-m",
        *TINY_MLP,
        "logger=wandb",
        "trainer.max_steps=10",
        "data.num_samples=2000",
        "optim.generator.lr=1e-4,2e-4,1e30",
        run_dir=sweep,
        env=OFFLINE,
    )
    assert run.returncode != 0
    assert "training diverged at generator iteration 2" in run.stderr
    # Every job is its own W&B run, grouped by the sweep; the failed one is marked failed.
    runs = [read_records(offline_runs(sweep / job)[0]) for job in ("0", "1", "2")]
    infos = [run_info(r) for r in runs]
    assert {info.run_group for info in infos} == {sweep.name}
    assert len({info.display_name for info in infos}) == 3
    exit_codes = [
        next(r.exit.exit_code for r in records if r.WhichOneof("record_type") == "exit")
        for records in runs
    ]
    assert exit_codes[:2] == [0, 0] and exit_codes[2] != 0

    report_main([str(sweep)])  # litgan-report
    table = (sweep / "report.md").read_text()
    assert capfd.readouterr().out.startswith(table.split("\n\n")[1].splitlines()[0])
    jobs_table = table.split("## Over seeds")[0]
    rows = [line for line in jobs_table.splitlines() if line.startswith("| ") and "---" not in line]
    rows = rows[1:]
    assert len(rows) == 3
    statuses = [line.split("|")[3].strip() for line in rows]
    # The failed job keeps its error in its own directory; the others finished with results.
    assert statuses[:2] == ["ok", "ok"]
    assert statuses[2].startswith("failed: training diverged at generator iteration 2")
    assert (sweep / "2" / "error.txt").read_text().startswith("training diverged")
    assert all((sweep / job / "summary.json").is_file() for job in ("0", "1"))
    assert "optim.generator.lr=1e+30" in rows[2] and "optim.generator.lr=0.0001" in rows[0]
    # The over-seeds table: the jobs differ in G's rate, so each is a group of one seed.
    groups = [
        line for line in table.split("## Over seeds")[1].splitlines() if "generator.lr=" in line
    ]
    assert [line.split("|")[2].strip() for line in groups] == ["1/1", "1/1", "0/1"]
    assert_png(sweep / "report.png")


@pytest.mark.slow
def test_optuna_search_minimises_the_best_metric_that_train_returns(train_in, tmp_path):
    sweep = tmp_path / "sweep"
    # hparams_search=optuna turns on multirun itself: pin its sweep directory.
    run = train_in(
        "hparams_search=optuna",
        "metrics=default",  # validation gives the best val/jsd that Optuna minimises
        "hydra.sweeper.n_trials=2",
        *TINY_MLP,
        PICTURES,
        "trainer.max_steps=10",
        f"hydra.sweep.dir={sweep}",
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    bests = [json.loads((sweep / job / "summary.json").read_text())["best"] for job in ("0", "1")]
    assert {b["metric"] for b in bests} == {"val/jsd"}
    for name in ("value.png", "grad_norm.png", "fid.png", "modes.png"):  # 2D data, validated
        assert_png(sweep / "0" / "plots" / name)
    assert results["best_value"] == min(b["value"] for b in bests)
    assert set(results["best_params"]) == {
        "optim.generator.lr",
        "optim.discriminator.lr",
        "optim.generator.betas.0",
        "optim.discriminator.betas.0",
    }


def tensorboard_run(monkeypatch, capsys, tmp_path, *overrides: str) -> Path:
    """A tiny MLP run of 20 iterations with logger=tensorboard; its tensorboard/ folder."""
    status, stderr = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        *TINY_MLP,
        "logger=tensorboard",
        "trainer.max_steps=20",
        *overrides,
        base=(),
    )
    assert status == 0, stderr
    return tmp_path / "run" / "tensorboard"


def test_tensorboard_gets_one_tag_per_picture_with_a_step_slider(monkeypatch, capsys, tmp_path):
    logged = summaries(tensorboard_run(monkeypatch, capsys, tmp_path, "sample_every=10", PICTURES))
    images = sorted((tag, step) for tag, step, kind in logged if kind == "image")
    assert images == [
        ("plots/grad_norm", 20),
        ("plots/training", 20),
        ("plots/value", 20),
        ("samples", 10),
        ("samples", 20),
    ]
    scalars = {tag for tag, _, kind in logged if kind == "scalar"}
    assert "train/value" in scalars and "hp_metric" not in scalars  # no -1 placeholder


def test_plots_and_hparams_logged_after_fit_keep_tensorboards_scalars_file(monkeypatch, tmp_path):
    # Training that ends within the second the closed writer reopens in: tensorboardX names an
    # event file after the second it opens, so a reopened writer would overwrite the scalars.
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.0)
    logger = TensorBoardLogger(tmp_path, name="tensorboard", version="")
    logger.log_metrics({"train/value": -1.0}, step=20)
    logger.finalize("success")  # as Lightning does at the end of fit
    picture = tmp_path / "value.png"
    Image.new("RGB", (120, 120)).save(picture)
    log_images([logger], "plots", [picture], step=20, after_fit=True)
    log_hparams([logger], {"seed": 0}, ["train/value"], step=20)
    logged = summaries(tmp_path / "tensorboard")
    assert ("train/value", 20, "scalar") in logged and ("plots", 20, "image") in logged
    assert ("_hparams_/session_start_info", 20, "hparams") in logged


def test_tensorboard_hparams_tab_shows_the_config_and_the_final_validation(
    monkeypatch, capsys, tmp_path
):
    tensorboard = tensorboard_run(
        monkeypatch,
        capsys,
        tmp_path,
        "val_every=10",
        "metrics=default",  # 2D data: validation takes milliseconds
        "tags=[study1,baseline]",
    )
    data = hparams_data(tensorboard)
    assert set(data) == {
        f"_hparams_/{t}" for t in ("experiment", "session_start_info", "session_end_info")
    }
    start = data["_hparams_/session_start_info"].session_start_info.hparams
    assert start["tags"].string_value == '["study1", "baseline"]'
    assert start["task_name"].string_value == "runs" and start["seed"].number_value == 0
    assert start["model.generator.hidden"].string_value == "[32, 32]"
    assert start["optim.generator.lr"].number_value == pytest.approx(1e-3)  # ${model.lr}, resolved
    assert start["loss._target_"].string_value == "litgan.game.games.NonSaturating"
    assert start["penalty"].string_value == "null" and start["trainer.max_steps"].number_value == 20
    assert not any(n.startswith(("paths.", "logger", "callbacks.", "extras.")) for n in start)
    experiment = data["_hparams_/experiment"].experiment
    assert {info.name for info in experiment.hparam_infos} == set(start)
    # The metrics are the run's final validation, whose scalars the tab reads: each one's last
    # value is summary.json's, at the last iteration.
    summary = json.loads((tensorboard.parent / "summary.json").read_text())
    metrics = {info.name.tag for info in experiment.metric_infos}
    assert metrics == {key for key in summary["final"] if key.startswith("val/")}
    assert {"val/jsd", "val/fid", "val/modes"} <= metrics
    logged = scalars(tensorboard)
    for name in metrics:
        step, value = logged[name][-1]
        assert step == 20 and value == pytest.approx(summary["final"][name], rel=1e-6), name
