"""`litgan.experiment.run`: training from Python, as train.py trains, with the metrics as a
table."""

from __future__ import annotations

import json

import pytest
import torch

from litgan.errors import ConfigError
from litgan.experiment import build, run
from litgan.records.history import read_series
from tests.helpers.runs import TINY_MLP

QUICK = [*TINY_MLP, "trainer.max_steps=100", "metrics=none", "trainer.enable_progress_bar=false"]


@pytest.fixture(autouse=True)
def one_thread(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("PL_GLOBAL_SEED", "PL_SEED_WORKERS"):  # seed_everything sets them
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_run_trains_as_train_py_and_returns_summary_directory_and_metrics(tmp_path):
    result = run(*QUICK, "loss=minimax", run_dir=tmp_path / "minimax")
    assert result.run_dir == tmp_path / "minimax"
    assert result.summary == json.loads((result.run_dir / "summary.json").read_text())
    assert result.summary["game"]["name"] == "minimax" and result.summary["g_steps"] == 100
    steps, values = read_series(result.run_dir / "metrics.csv")["train/value"]
    assert result.metrics.index.name == "step"
    assert result.metrics["train/value"].dropna().tolist() == values
    assert (
        result.metrics["train/value"].dropna().index.tolist() == steps == list(range(10, 101, 10))
    )
    assert (result.run_dir / "plots" / "training.gif").is_file()
    assert (result.run_dir / ".hydra" / "overrides.yaml").is_file()
    # A second run in the same process composes afresh.
    again = run(*QUICK, "loss=hinge", "trainer.max_steps=20", run_dir=tmp_path / "hinge")
    assert again.summary["game"]["name"] == "hinge" and again.summary["g_steps"] == 20


def test_run_refuses_what_train_py_refuses_and_writes_nothing(tmp_path):
    with pytest.raises(ConfigError, match="d_steps"):
        run(*QUICK, "d_steps=0", run_dir=tmp_path / "refused")
    assert not (tmp_path / "refused").exists()


def test_build_gives_the_untrained_pieces_of_a_run_and_writes_nothing(tmp_path):
    data, gan = build(*TINY_MLP, "loss=minimax")
    assert gan.game.name == "minimax" and gan.generator.training
    assert data.real_batch(5).shape == (5, 2)
    again = build(*TINY_MLP, "loss=minimax")[1]  # seeded as a run seeds: the same weights
    for mine, theirs in zip(gan.parameters(), again.parameters(), strict=True):
        assert torch.equal(mine, theirs)
    assert list(tmp_path.iterdir()) == []
