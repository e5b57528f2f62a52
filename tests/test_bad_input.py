"""Every row of the README's troubleshooting table: a bad input exits non-zero within seconds
with a short message naming the key or file and the fix, no traceback, nothing created or
changed."""

from __future__ import annotations

import errno
import hashlib
import sys
from pathlib import Path

import numpy as np
import pytest
import pytorch_lightning as pl
import torch

from litgan.cli.train import main
from litgan.records.history import read_overrides, read_series
from tests.helpers.runs import TINY_MLP, check_clean_failure, run_main

RING = ("trainer.max_steps=4",)


def write_checkpoint(path, state_dict: dict) -> str:
    torch.save({"state_dict": state_dict}, path)
    return str(path)


def truncated_checkpoint(tmp_path) -> str:
    """A real checkpoint of another architecture, cut in half."""
    full = write_checkpoint(tmp_path / "full.ckpt", {"w": torch.zeros(1000)})
    data = (tmp_path / "full.ckpt").read_bytes()
    (tmp_path / "half.ckpt").write_bytes(data[: len(data) // 2])
    return full.replace("full", "half")


def earlier_run(tmp_path) -> None:
    """What a finished run leaves that a refused start could overwrite."""
    (tmp_path / "run" / ".hydra").mkdir(parents=True)
    (tmp_path / "run" / ".hydra" / "overrides.yaml").write_text("- seed=7\n")
    (tmp_path / "run" / "summary.json").write_text("{}\n")


def run_without_checkpoint(tmp_path) -> None:
    """What a run killed before its first checkpoint leaves: its record, no checkpoint."""
    (tmp_path / "run" / ".hydra").mkdir(parents=True)
    (tmp_path / "run" / ".hydra" / "config.yaml").write_text("seed: 0\n")


# name: (prepare(tmp_path) -> value for {}, overrides, words the message must hold)
BAD_INPUT = {
    "unknown group option": (
        None,
        ["data=rings"],
        ["Could not find 'data/rings'; available options in 'data': celeba,", "ring"],
    ),
    "misspelt key": (None, ["d_step=2"], ["d_step is not a key of the config"]),
    "a group's key without its group": (
        None,
        ["max_steps=1000"],
        ["max_steps is not a key of the config: did you mean trainer.max_steps?"],
    ),
    "the rate without its group": (
        None,
        ["lr=0.001"],
        ["lr is not a key of the config: did you mean model.lr?"],
    ),
    "zero learning rate": (None, ["model.lr=0"], ["model.lr must be a positive number, got 0.0"]),
    "negative learning rate": (
        None,
        ["optim.discriminator.lr=-1e-4"],
        ["optim.discriminator.lr", "positive number, got -0.0001"],
    ),
    "learning rate not a number": (None, ["model.lr=fast"], ["got 'fast'"]),
    "lr decay past the whole run": (
        None,
        ["model.lr_decay=1.5"],
        ["model.lr_decay must be a number in [0, 1], got 1.5"],
    ),
    "weight average decay 1": (None, ["model.ema_decay=1"], ["model.ema_decay", "got 1"]),
    "early batch larger than the batch": (
        None,
        ["early_batch_size=512"],
        ["early_batch_size must be null or a positive integer no larger than data.batch_size=256"],
    ),
    "early batch with constant rates": (
        None,
        ["early_batch_size=64", "model.lr_decay=0"],
        ["model.lr_decay=0 keeps them constant"],
    ),
    "early batch not in whole packs": (
        None,
        ["early_batch_size=66", "model.discriminator.pack=4"],
        ["early_batch_size=66 does not split into packs of model.discriminator.pack=4"],
    ),
    "unknown augmentation": (
        None,
        ["model.augment=[flip]"],
        ["model.augment must be a list of values from translation, cutout, got ['flip']"],
    ),
    "augmenting 2D points": (
        None,
        ["model.augment=[cutout]"],
        ["model.augment transforms images", "shape (2,)", "set model.augment=[]"],
    ),
    "batch size 0": (None, ["data.batch_size=0"], ["data.batch_size must be a positive"]),
    "d_steps 0": (None, ["d_steps=0"], ["d_steps must be a positive integer, got 0"]),
    "d_steps not a number": (None, ["d_steps=two"], ["d_steps must be an integer, got 'two'"]),
    "max_steps negative": (None, ["trainer.max_steps=-5"], ["trainer.max_steps", "-5"]),
    "architecture/data mismatch": (None, ["model=dcgan"], ["model=dcgan needs image data"]),
    "pack 0": (None, ["model.discriminator.pack=0"], ["model.discriminator.pack", "got 0"]),
    "batch not a multiple of pack": (
        None,
        ["model.discriminator.pack=3"],
        ["data.batch_size=256 does not split into packs of model.discriminator.pack=3"],
    ),
    "ckpt_path missing": (None, ["ckpt_path=nowhere.ckpt"], ["nowhere.ckpt does not exist"]),
    "ckpt_path=last without one": (None, ["ckpt_path=last"], ["ckpt_path=last needs"]),
    "ckpt_path=last before the first checkpoint": (
        run_without_checkpoint,
        ["ckpt_path=last"],
        [
            "the run in",
            "stopped before its first checkpoint",
            "start it again in a new hydra.run.dir",
        ],
    ),
    "ckpt_path truncated": (
        truncated_checkpoint,
        ["ckpt_path={}"],
        ["half.ckpt is truncated or not a litgan checkpoint"],
    ),
    "ckpt_path not a checkpoint": (
        lambda tmp: (tmp / "notes.txt").write_text("hello") and str(tmp / "notes.txt"),
        ["ckpt_path={}"],
        ["notes.txt is truncated or not a litgan checkpoint"],
    ),
    "ckpt_path a numpy archive": (
        lambda tmp: np.savez(tmp / "points.npz", x=np.zeros((3, 2))) or str(tmp / "points.npz"),
        ["ckpt_path={}"],
        ["points.npz is a numpy archive (.npz), not a litgan checkpoint"],
    ),
    "ckpt_path of another architecture": (
        lambda tmp: write_checkpoint(tmp / "other.ckpt", {"generator.net.0.weight": torch.ones(3)}),
        ["ckpt_path={}"],
        ["other.ckpt holds a different architecture", "model and data overrides"],
    ),
    "output directory holds an earlier run": (
        earlier_run,
        [],
        ["already holds a run (summary.json)", "ckpt_path=<run_dir>/checkpoints/last.ckpt"],
    ),
    "output directory not writable": (
        lambda tmp: (tmp / "afile").write_text("") or str(tmp / "afile" / "run"),
        ["hydra.run.dir={}"],
        ["cannot write the output directory", "afile/run", "hydra.run.dir=<dir>"],
    ),
    "a run directory name longer than the file system allows": (
        lambda tmp: "x" * 300,
        ["hydra.run.dir={}"],
        ["hydra.run.dir has a folder name of 300 characters", "at most 255"],
    ),
    "a run directory name longer than allowed, deeper": (
        lambda tmp: str(tmp / "out" / ("x" * 300)),
        ["hydra.run.dir={}"],
        ["hydra.run.dir has a folder name of 300 characters"],
    ),
    "an unquoted non-ASCII run directory": (
        None,
        ["hydra.run.dir=outputs/é"],
        ["hydra.run.dir=outputs/é holds 'é'", "'hydra.run.dir=\"outputs/é\"'"],
    ),
    "seed not a number": (None, ["seed=abc"], ["seed must be an integer, got 'abc'"]),
    "eval seed not a whole number": (None, ["eval_seed=1.5"], ["eval_seed must be an integer"]),
    "switch not a boolean": (
        None,
        ["stop_on_nonfinite=maybe"],
        ["stop_on_nonfinite must be true or false, got 'maybe'"],
    ),
    "compile not a boolean": (None, ["compile=fast"], ["compile must be true or false"]),
    "early batch not a number": (
        None,
        ["early_batch_size=half"],
        ["early_batch_size must be an integer or null, got 'half'"],
    ),
    "ckpt_path a list": (None, ["ckpt_path=[a,b]"], ["ckpt_path must be a string or null"]),
    "sample_every 0": (None, ["sample_every=0"], ["sample_every must be a positive integer"]),
    "checkpoint_every negative": (
        None,
        ["checkpoint_every=-10"],
        ["checkpoint_every must be a positive integer, got -10"],
    ),
    "val_every fractional": (None, ["val_every=2.5"], ["val_every must be an integer"]),
    "a G without noise": (
        None,
        ["model.generator.nz=0"],
        ["model.generator.nz must be a positive integer up to 16,384, got 0"],
    ),
    "unknown key added": (None, ["+d_setps=2"], ["d_setps is not a key of the config"]),
    "unknown model": (None, ["model=gpt"], ["Could not find 'model/gpt'", "dcgan, dirac, mlp"]),
    "a sweep without -m": (None, ["seed=0,1"], ["Ambiguous value", "add -m to sweep"]),
    "an override that does not parse": (None, ["data.batch_size=[1"], ["cannot read the overrid"]),
    "metrics=none under a preset that tunes validation": (
        None,
        ["experiment=digits_dcgan", "metrics=none"],
        ["metrics=none turns validation off", "add ~metrics.fid"],
    ),
    "unknown game": (None, ["loss=wgan"], ["Could not find 'loss/wgan'", "hinge", "wasserstein"]),
    "negative penalty weight": (None, ["penalty=r1", "penalty.weight=-1"], ["penalty.weight"]),
    "lazy penalty every 0": (None, ["penalty=gp", "penalty.every=0"], ["penalty.every"]),
    "penalty with a BatchNorm D": (
        None,
        ["penalty=r1", "model.discriminator.batch_norm=true"],
        ["set model.discriminator.batch_norm=false"],
    ),
    "too few FID samples": (
        None,
        ["metrics=default", "metrics.points.num_samples=1"],
        ["metrics.points.num_samples must be an integer in [2, 100,000,000], got 1"],
    ),
    "unknown extra metric": (
        None,
        ["metrics=default", "metrics.extra=[is]"],
        ["metrics.extra must be a list of values from kid, prc, isc, dc, got ['is']"],
    ),
    "nearest_k not below the sample count": (
        None,
        ["metrics=default", "metrics.points.num_samples=5"],
        [
            "metrics.nearest_k=5 needs more samples than that for density and coverage, and "
            "metrics.points.num_samples=5: lower metrics.nearest_k or raise "
            "metrics.points.num_samples"
        ],
    ),
    # Inside the groups: each option's keys are typed (litgan/config/schema.py).
    "widths not a list": (
        None,
        ["model.generator.hidden=abc"],
        ["model.generator.hidden must be a list of integers, got 'abc'"],
    ),
    "a width not an integer": (
        None,
        ["model.discriminator.hidden=[64,wide]"],
        ["model.discriminator.hidden must be a list of integers, got '[64,wide]'"],
    ),
    "spectral norm not a boolean": (
        None,
        ["model.discriminator.spectral_norm=maybe"],
        ["model.discriminator.spectral_norm must be true or false, got 'maybe'"],
    ),
    "tanh output neither boolean nor null": (
        None,
        ["model.generator.tanh_output=auto"],
        ["model.generator.tanh_output must be true, false or null, got 'auto'"],
    ),
    "optimizer rate not a number": (
        None,
        ["optim.generator.lr=fast"],
        ["optim.generator.lr must be a number, got 'fast'"],
    ),
    "betas not numbers": (
        None,
        ["optim.discriminator.betas=[half,0.9]"],
        ["optim.discriminator.betas must be a list of numbers"],
    ),
    "penalty weight not a number": (
        None,
        ["penalty=r1", "penalty.weight=x"],
        ["penalty.weight must be a number, got 'x'"],
    ),
    "weight average decay not a number": (
        None,
        ["model.ema_decay=abc"],
        ["model.ema_decay must be a number, got 'abc'"],
    ),
    "batch size not a number": (
        None,
        ["data.batch_size=abc"],
        ["data.batch_size must be an integer, got 'abc'"],
    ),
    "loader workers not a number": (
        None,
        ["data=mnist", "data.num_workers=all"],
        ["data.num_workers must be an integer or null, got 'all'"],
    ),
    "FID sample count not a number": (
        None,
        ["metrics=default", "metrics.fid.num_samples=abc"],
        ["metrics.fid.num_samples must be an integer, got 'abc'"],
    ),
    "misspelt key in a group": (
        None,
        ["model.generator.hiden=[3]"],
        ["model.generator.hiden is not a key of model.generator", "its keys are", "hidden"],
    ),
    "misspelt key added to a group": (
        None,
        ["+model.generator.hiden=[3]"],
        ["model.generator.hiden is not a key of model.generator", "hidden"],
    ),
    "misspelt penalty key added": (
        None,
        ["penalty=r1", "+penalty.wieght=1"],
        ["penalty.wieght is not a key of penalty", "its keys are _target_, weight, every"],
    ),
    "argument added to a game": (
        None,
        ["+loss.temperature=2"],
        ["loss.temperature is not a key of loss", "its keys are _target_"],
    ),
    "misspelt key added to the data": (
        None,
        ["+data.batchsize=64"],
        ["data.batchsize is not a key of data", "batch_size"],
    ),
    "misspelt key added to the metrics": (
        None,
        ["metrics=default", "+metrics.fid.samples=10"],
        ["metrics.fid.samples is not a key of metrics.fid", "num_samples"],
    ),
    "an interpolation of the wrong type": (
        None,
        ["data.batch_size=${{data.layout}}"],  # braces doubled for str.format
        ["data.batch_size must be an integer, and ${data.layout} is not", "'ring'"],
    ),
    "an option written as a flag": (
        None,
        ["--loss", "minimax"],
        ["options are written key=value: loss=minimax, not --loss minimax"],
    ),
    "an option written as a flag with its value": (
        None,
        ["--trainer.max_steps=10"],
        ["options are written key=value: trainer.max_steps=10, not --trainer.max_steps=10"],
    ),
    "a flag without a value": (None, ["--fast"], ["key=value: fast=VALUE, not --fast"]),
    "misspelt group inside a group": (
        None,
        ["model.gen.nz=3"],
        ["model.gen is not a key of model", "generator"],
    ),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_fails_cleanly(case, monkeypatch, capsys, tmp_path):
    """Through train.py's main, in this process: exit status 2, one line, nothing written."""
    prepare, overrides, messages = BAD_INPUT[case]
    value = prepare(tmp_path) if prepare else None
    paths_before = set(tmp_path.rglob("*"))
    files_before = {p: p.read_bytes() for p in paths_before if p.is_file()}
    overrides = [o.format(value) for o in overrides]
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *overrides, base=RING)
    assert status == 2, stderr
    assert stderr.startswith("litgan: error: ") and stderr.count("\n") == 1, stderr
    assert "Traceback" not in stderr
    for message in messages:
        assert message in stderr
    # Nothing created, not even the run directory; nothing changed.
    assert set(tmp_path.rglob("*")) == paths_before
    assert all(p.read_bytes() == data for p, data in files_before.items())


@pytest.mark.parametrize(
    ("flags", "shown"),
    [
        (["--cfg", "job"], "d_steps: 1"),
        (["--config-dir", "{}", "--cfg", "job", "--package", "data"], "batch_size:"),
        (["--info", "defaults"], "Defaults List"),
        (["--help"], "== Config groups"),
    ],
)
def test_hydras_own_flags_still_pass(flags, shown, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["train.py", *[f.format(tmp_path) for f in flags]])
    try:
        main()
    except SystemExit as exit_:
        assert exit_.code in (0, None)
    out, err = capsys.readouterr()
    assert shown in out and "litgan: error" not in err
    assert list(tmp_path.iterdir()) == []


def test_the_table_has_twenty_bad_values_or_more():
    assert len(BAD_INPUT) >= 20


def test_a_failing_checkpoint_write_stops_cleanly_and_keeps_the_previous_one(
    monkeypatch, capsys, tmp_path
):
    """A full disk, simulated by a write that fails after the first checkpoint."""
    import lightning_fabric.plugins.io.torch_io as torch_io

    real_save, calls = torch_io._atomic_save, []

    def fills_the_disk(checkpoint, path):
        calls.append(path)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_save(checkpoint, path)

    monkeypatch.setattr(torch_io, "_atomic_save", fills_the_disk)
    status, stderr = run_main(
        monkeypatch, capsys, tmp_path, *TINY_MLP, "checkpoint_every=1", base=RING
    )
    assert status == 2
    assert stderr.startswith("litgan: error: could not write ") and stderr.count("\n") == 1
    assert "last.ckpt (No space left on device)" in stderr and "free space" in stderr
    checkpoints = tmp_path / "run" / "checkpoints"
    assert sorted(p.name for p in checkpoints.iterdir()) == ["last.ckpt"]  # no .tmp left
    assert torch.load(checkpoints / "last.ckpt", weights_only=True)["g_steps"] == 1
    assert not (tmp_path / "run" / "summary.json").exists()


def checksums(root: Path) -> dict[str, str]:
    """Every file and directory under `root`, with a file's SHA-256."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else ""
        for p in sorted(root.rglob("*"))
    }


@pytest.mark.slow
def test_refused_commands_leave_a_finished_run_byte_identical(train_in, tmp_path):
    """With Hydra's own logging to train.log, as users run it."""
    tiny = ("model.generator.hidden=[8]", "model.discriminator.hidden=[8]", "trainer.max_steps=10")
    finished = train_in(*tiny, "checkpoint_every=5")
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert (finished.run_dir / "train.log").is_file()
    before = checksums(tmp_path)
    refusals = {
        "a bad value": ("d_steps=1.5", ["d_steps must be an integer, got '1.5'"]),
        "another architecture": (
            "model.generator.hidden=[16]",
            ["another experiment", "model.generator.hidden: [8] there, [16] here"],
        ),
        "nothing left to train": ("seed=0", ["at generator iteration 10 and trainer.max_steps=10"]),
    }
    for override, messages in refusals.values():
        refused = train_in(*tiny, "ckpt_path=last", override)
        assert refused.returncode == 2, refused.stderr[-3000:]
        assert refused.stderr.startswith("litgan: error: ") and refused.stderr.count("\n") == 1
        assert all(m in refused.stderr for m in messages), refused.stderr
        assert checksums(tmp_path) == before, override


def test_a_refused_run_creates_no_directory(train_in, tmp_path):
    run = train_in("d_steps=0", run_dir=tmp_path / "outputs" / "runs" / "new")
    assert run.returncode == 2 and "d_steps must be a positive integer" in run.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_refused_sweep_job_leaves_its_record_and_error_for_the_report(
    monkeypatch, capsys, tmp_path
):
    sweep = tmp_path / "sweep"
    status, stderr = run_main(
        monkeypatch, capsys, tmp_path, "d_steps=0", f"hydra.sweep.dir={sweep}", base=("-m", *RING)
    )
    assert status == 2 and "d_steps must be a positive integer, got 0" in stderr, stderr
    job = sweep / "0"
    assert sorted(p.name for p in job.iterdir()) == [".hydra", "error.txt"]
    assert "d_steps=0" in read_overrides(job)
    assert (job / "error.txt").read_text() == "d_steps must be a positive integer, got 0\n"


# Issue #29's three: a value of the right type outside its range, which used to fail in training
# (a traceback, exit 1, the run directory left behind) or inside Hydra's instantiate.
OUT_OF_RANGE = {
    "a zero-width layer": (
        "model.generator.hidden=[0]",
        "model.generator.hidden must be a list of positive integers up to 16,384, got [0]",
    ),
    "no modes": (
        "data.num_modes=0",
        "data.num_modes must be a positive integer up to 10,000, got 0",
    ),
    "a metrics.csv row every 0 iterations": (
        "trainer.log_every_n_steps=0",
        "trainer.log_every_n_steps must be a positive integer, got 0",
    ),
}


@pytest.mark.parametrize("case", OUT_OF_RANGE)
def test_a_value_out_of_its_range_is_refused_before_anything_is_written(
    case, monkeypatch, capsys, tmp_path
):
    override, message = OUT_OF_RANGE[case]
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *TINY_MLP, override, base=RING)
    check_clean_failure(status, stderr, tmp_path, message)


class Broken:
    """A callback whose construction fails, as a part built from a bad config does."""

    def __init__(self) -> None:
        raise ZeroDivisionError("float division by zero")


class FailsAtStart(pl.Callback):
    def on_train_start(self, trainer, pl_module) -> None:
        raise RuntimeError("failed before the first iteration")


NOT_BUILT = {
    "a part that raises": (
        ["+callbacks.broken._target_=tests.test_bad_input.Broken"],
        "could not build callbacks.broken (tests.test_bad_input.Broken): ZeroDivisionError: "
        "float division by zero; check the callbacks settings",
    ),
    "a target that does not exist": (
        ["data._target_=litgan.data.Rings"],
        "could not build data (litgan.data.Rings): ImportError: ",
    ),
    "a network built inside the GAN": (
        ["model.generator._target_=litgan.networks.MLPGenerators"],
        "could not build model.generator (litgan.networks.MLPGenerators)",
    ),
}


@pytest.mark.parametrize("case", NOT_BUILT)
def test_an_error_while_building_a_part_is_one_line_naming_its_config_group(
    case, monkeypatch, capsys, tmp_path
):
    overrides, message = NOT_BUILT[case]
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *TINY_MLP, *overrides, base=RING)
    check_clean_failure(status, stderr, tmp_path, message)


def test_a_run_that_fails_before_its_first_iteration_leaves_no_directory(
    monkeypatch, capsys, tmp_path
):
    """Whatever the cause: here not a user error (a traceback, exit 1), after the run's record,
    metrics.csv and the loggers were written."""
    fails = "+callbacks.fails._target_=tests.test_bad_input.FailsAtStart"
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *TINY_MLP, fails, base=RING)
    assert status == 1 and "failed before the first iteration" in stderr
    assert list(tmp_path.iterdir()) == []


def test_a_run_that_trained_keeps_what_it_wrote_when_it_fails(monkeypatch, capsys, tmp_path):
    crash = ["+callbacks.crash._target_=tests.test_on_device.CrashAt", "+callbacks.crash.g_step=2"]
    overrides = [*TINY_MLP, *crash, "trainer.log_every_n_steps=1", "checkpoint_every=1"]
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *overrides, base=RING)
    assert status == 1 and "simulated crash after generator iteration 2" in stderr
    run = tmp_path / "run"
    assert (run / ".hydra" / "config.yaml").is_file()
    assert (run / "checkpoints" / "last.ckpt").is_file()
    assert read_series(run / "metrics.csv")  # the rows of the two iterations it trained
