"""`litgan.experiment.run`: training from Python, as train.py trains, with the metrics as a
table."""

from __future__ import annotations

import json

import pytest
import torch

from litgan.config.compose import compose
from litgan.errors import ConfigError, LitganError
from litgan.experiment import build, load, run
from litgan.records.history import read_series
from tests.helpers.locks import held_by_another_process
from tests.helpers.runs import PICTURES, TINY_MLP, run_main

QUICK = [*TINY_MLP, "trainer.max_steps=100", "metrics=none", "trainer.enable_progress_bar=false"]


pytestmark = pytest.mark.usefixtures("run_in_process")


def test_run_trains_as_train_py_and_returns_summary_directory_and_metrics(tmp_path):
    result = run(*QUICK, PICTURES, "loss=minimax", run_dir=tmp_path / "minimax")
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
    again = run(*QUICK, PICTURES, "loss=hinge", "trainer.max_steps=20", run_dir=tmp_path / "hinge")
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


def test_build_batches_as_fit_does_one_real_batch_per_discriminator_update():
    data, gan = build(*TINY_MLP, "d_steps=2", "data.batch_size=64")
    assert data.batch_size == 128 and gan.hparams.d_steps == 2
    assert next(iter(data.train_dataloader())).shape[0] == 128


def test_load_returns_the_trained_gan_of_a_run(tmp_path):
    result = run(*QUICK, "trainer.max_steps=20", run_dir=tmp_path / "run")
    for spec in (result.run_dir, result.run_dir / "checkpoints" / "last.ckpt"):
        gan = load(spec)
        assert gan.g_steps == 20 and not gan.training
        z = torch.randn(7, gan.nz)
        points = gan.generate(z)
        assert points.shape == (7, 2) and torch.equal(points, gan.generate(z))
        d = gan.d_output(points)
        assert d.shape[0] == 7 and torch.all((d > 0) & (d < 1))
    with pytest.raises(LitganError, match="does not exist"):
        load(tmp_path / "nothing.ckpt")


@pytest.mark.parametrize(
    ("call", "override", "message"),
    [
        (run, "loss=minmax", "Could not find 'loss/minmax'"),
        (build, "data=nonexistent", "Could not find 'data/nonexistent'"),
        (run, "seed=abc", "seed must be an integer, got 'abc'"),
        (run, "d_step=2", "d_step is not a key of the config"),
        (build, "model=dcgan", "model=dcgan needs image data"),
    ],
)
def test_hydra_level_mistakes_raise_the_command_lines_one_line(
    call, override, message, monkeypatch, capsys, tmp_path
):
    with pytest.raises(LitganError) as raised:
        call(override)
    error = str(raised.value)
    assert message in error and "\n" not in error
    status, stderr = run_main(monkeypatch, capsys, tmp_path, override, base=())
    assert status == 2 and stderr == f"litgan: error: {error}\n"


def test_a_run_directory_may_hold_any_character(tmp_path):
    """`=`, quotes, spaces and non-ASCII letters, which Hydra's override grammar would refuse
    unquoted: litgan.config.compose quotes the directory it adds."""
    run_dir = tmp_path / "lr=1e-3 'ü' \\"
    assert compose([], run_dir=run_dir).paths.output_dir == str(run_dir)


SHORT = [*TINY_MLP, "trainer.max_steps=4", "checkpoint_every=2", "metrics=none"]


def test_run_refuses_a_directory_another_run_holds_as_train_py_does(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    with held_by_another_process(run_dir):
        with pytest.raises(LitganError, match="is in use by another run"):
            run(*SHORT, run_dir=run_dir)
        assert list(run_dir.iterdir()) == []


def test_run_refuses_a_folder_that_is_not_a_litgan_run(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "metrics.csv").write_text("mine\n")
    with pytest.raises(LitganError, match="holds files that are not a litgan run"):
        run(*SHORT, run_dir=mine)
    assert [p.name for p in mine.iterdir()] == ["metrics.csv"]
    assert (mine / "metrics.csv").read_text() == "mine\n"


def test_run_refuses_to_resume_another_experiment_and_changes_nothing(tmp_path):
    run_dir = tmp_path / "run"
    run(*SHORT, run_dir=run_dir)
    before = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    with pytest.raises(LitganError, match=r"is another experiment .*seed: 0 there, 7 here"):
        run(*SHORT, "trainer.max_steps=6", "ckpt_path=last", "seed=7", run_dir=run_dir)
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == before
    resumed = run(*SHORT, "trainer.max_steps=6", "ckpt_path=last", run_dir=run_dir)
    assert resumed.summary["g_steps"] == 6
