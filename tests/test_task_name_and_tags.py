"""task_name names the folder under outputs/; tags reach summary.json, W&B, TensorBoard's
hparams and litgan-report's groups; the composed config is printed at start as a tree."""

from __future__ import annotations

import json
import time

import pytest
import yaml

from litgan.cli.report import group_rows
from tests.helpers.runs import TINY_MLP, check_clean_failure, compose_train, run_main
from tests.helpers.wandb_records import read_records, run_info

OFFLINE = {"WANDB_MODE": "offline", "WANDB_SILENT": "true"}


def test_task_name_names_the_folder_of_runs_and_sweeps():
    default = compose_train().hydra
    assert default.run.dir.startswith("outputs/runs/")
    study = compose_train("task_name=study1").hydra
    assert study.run.dir.startswith("outputs/study1/")
    assert study.sweep.dir.startswith("outputs/study1/")
    assert compose_train("debug=default").hydra.run.dir.startswith("outputs/debug/")


@pytest.mark.parametrize("name", ["a/b", "..", ""])
def test_a_task_name_that_is_no_folder_name_is_refused(monkeypatch, capsys, tmp_path, name):
    status, err = run_main(monkeypatch, capsys, tmp_path, f"task_name='{name}'", base=TINY_MLP)
    check_clean_failure(status, err, tmp_path, "task_name must be a folder name")


# A blank tag, a comma (litgan-report joins a run's tags with commas), more than W&B's 64
# characters, a string for a list.
@pytest.mark.parametrize(
    "tags", ["tags=[a,'']", "tags=[' ']", "tags=['a,b']", f"tags=[{'x' * 65}]", "tags=abc"]
)
def test_a_tag_that_is_no_label_is_refused_before_the_run(monkeypatch, capsys, tmp_path, tags):
    status, err = run_main(monkeypatch, capsys, tmp_path, tags, base=TINY_MLP)
    check_clean_failure(status, err, tmp_path, "tags must be a list of")


def test_labels_at_the_limits_run(monkeypatch, capsys, tmp_path):
    # No tags (every other test's runs and sweeps) is fine too: tags label a study, not required.
    tags = ["study-1", "x" * 64, "with space"]
    status, err = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        f"tags=[{','.join(tags)}]",
        "trainer.max_steps=1",
        base=TINY_MLP,
    )
    assert status == 0, err
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["tags"] == tags


@pytest.mark.slow
def test_tags_reach_summary_wandb_and_tensorboard(monkeypatch, capsys, tmp_path):
    for name, value in OFFLINE.items():
        monkeypatch.setenv(name, value)
    status, err = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        "tags=[study1,baseline]",
        "task_name=study1",
        "logger=[wandb,tensorboard]",
        "trainer.max_steps=2",
        base=tuple(TINY_MLP),
    )
    assert status == 0, err
    run = tmp_path / "run"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["tags"] == ["study1", "baseline"] and summary["task_name"] == "study1"
    [records_file] = sorted(run.glob("wandb/offline-run-*/run-*.wandb"))
    assert list(wandb_run(records_file).tags) == ["study1", "baseline"]
    # TensorBoardLogger keeps a run's hyperparameters in hparams.yaml beside its events.
    hparams = yaml.safe_load((run / "tensorboard" / "hparams.yaml").read_text())
    assert hparams["tags"] == ["study1", "baseline"] and hparams["task_name"] == "study1"


class Kept:
    """capsys for run_main, which reads stderr only: keeps what went to stdout too."""

    def __init__(self, capsys):
        self.capsys, self.out = capsys, ""

    def readouterr(self):
        captured = self.capsys.readouterr()
        self.out += captured.out
        return captured


def wandb_run(records_file, wait_s: float = 30.0):
    """The run record of an offline W&B file. W&B's service process may still be writing it
    after the run finished (run_main has no process exit to wait for): read until it is there."""
    deadline = time.monotonic() + wait_s
    while True:
        records = read_records(records_file)
        if (
            any(r.WhichOneof("record_type") == "run" for r in records)
            or time.monotonic() > deadline
        ):
            return run_info(records)
        time.sleep(0.5)


def test_the_composed_config_is_printed_as_a_tree_unless_switched_off(
    monkeypatch, capsys, tmp_path
):
    base = (*TINY_MLP, "trainer.max_steps=1", "tags=[t1]")
    printed = Kept(capsys)
    assert run_main(monkeypatch, printed, tmp_path, base=base)[0] == 0
    assert printed.out.startswith("config\n├── task_name: runs\n├── tags: [t1]\n")
    assert "├── model (mlp)\n│   ├── lr: " in printed.out
    assert "│   │   ├── hidden: [32, 32]\n" in printed.out
    quiet = Kept(capsys)
    run_dir = f"hydra.run.dir={tmp_path / 'quiet'}"
    status, _ = run_main(
        monkeypatch, quiet, tmp_path, "extras.print_config=false", run_dir, base=base
    )
    assert status == 0 and "├── " not in quiet.out
    saved = yaml.safe_load((tmp_path / "quiet" / ".hydra" / "config.yaml").read_text())
    assert saved["extras"]["print_config"] is False and saved["tags"] == ["t1"]


def write_job(job, tags, overrides, fid):
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    (job / ".hydra" / "config.yaml").write_text(yaml.safe_dump({"tags": tags}))
    (job / "metrics.csv").write_text("epoch,step,train/g_grad_norm\n")
    summary = {"final": {"val/fid": fid}, "wall_time_s": 1.0, "g_steps": 10}
    (job / "summary.json").write_text(json.dumps(summary))


def test_litgan_report_groups_runs_by_their_tags(tmp_path):
    # Tags set in an experiment file are not overrides: the report reads them from the config.
    write_job(tmp_path / "0", ["baseline"], ["seed=0"], 1.0)
    write_job(tmp_path / "1", ["baseline"], ["seed=1"], 3.0)
    write_job(tmp_path / "2", ["wide"], ["seed=0", "tags=[wide]"], 5.0)
    rows = {row["group"]: row for row in group_rows(sorted(tmp_path.iterdir()))}
    assert set(rows) == {"[baseline]", "[wide]"}
    assert rows["[baseline]"]["seeds ok"] == "2/2" and rows["[wide]"]["seeds ok"] == "1/1"
