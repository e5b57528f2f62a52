"""Exact resume after SIGKILL, SIGTERM and Ctrl-C, with the run's whole history; `ckpt_path=last`,
atomic checkpoint writes, the NaN stop."""

from __future__ import annotations

import csv
import json
import os
import shlex
import signal
import time
from pathlib import Path

import pytest
import torch

import litgan.gan.module as gan_module
from litgan.data.order import EpochShuffle
from litgan.game.games import Game
from litgan.run.callbacks import save_atomically
from tests.helpers import warm_python
from tests.helpers.checkpoints import final_weights, max_abs_diff
from tests.helpers.runs import REPO, TINY_MLP, run_main, train_here

# A few short epochs (2048 samples / batch 64 = 32 batches), checkpoints every 10 iterations:
# the kill lands mid-epoch, and the resumed run crosses epoch boundaries.
EXACT = [
    *TINY_MLP,
    "data.num_samples=2048",
    "data.batch_size=64",
    "trainer.deterministic=true",
    "checkpoint_every=10",
    "metrics=none",
]


OVERRIDES = [*EXACT, "trainer.max_steps=300"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The uninterrupted run that the interrupted and resumed ones must end like."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        run = train_here(monkeypatch, None, tmp_path_factory.mktemp("reference"), *OVERRIDES)
    assert run.returncode == 0
    return run.run_dir


def stop_after_checkpoint(
    cwd: Path, run_dir: Path, signum: signal.Signals, *overrides: str
) -> tuple[int, str]:
    """Start train.py and send it `signum` once a mid-run last.ckpt exists; its exit status and
    stderr."""
    ckpt = run_dir / "checkpoints" / "last.ckpt"
    stderr = cwd / f"{run_dir.name}.stderr"
    with stderr.open("w") as err:  # a file, not a pipe: a full pipe would block training
        proc = warm_python.popen(
            [str(REPO / "train.py"), *overrides, f"hydra.run.dir={run_dir}"],
            cwd=cwd,
            env=warm_python.run_env(OMP_NUM_THREADS="1"),
            stderr=err,
        )
        try:
            deadline = time.monotonic() + 120
            while not ckpt.exists():
                assert proc.poll() is None, "training ended before its first checkpoint"
                assert time.monotonic() < deadline, "no checkpoint within 120 s"
                time.sleep(0.02)
            proc.send_signal(signum)
        finally:
            proc.wait()
    return proc.returncode, stderr.read_text()


def checkpoint_state(run_dir: Path) -> tuple[int, float]:
    """The generator iteration and the training time that the last checkpoint holds."""
    ckpt = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    return ckpt["g_steps"], ckpt["callbacks"]["WallClock"]["elapsed_s"]


@pytest.mark.slow
def test_resume_after_sigkill_reproduces_the_uninterrupted_run(reference, train_in, tmp_path):
    killed_dir = tmp_path / "killed"
    status, _ = stop_after_checkpoint(tmp_path, killed_dir, signal.SIGKILL, *OVERRIDES)
    assert status == -signal.SIGKILL
    assert not (killed_dir / "summary.json").exists(), "the kill came after the run had finished"
    resumed_from, killed_s = checkpoint_state(killed_dir)
    assert 0 < resumed_from < 300
    # ckpt_path=last: the same hydra.run.dir, its checkpoints/last.ckpt
    resumed = train_in(*OVERRIDES, "ckpt_path=last", run_dir=killed_dir)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert resumed.summary["g_steps"] == 300

    diff = max_abs_diff(final_weights(reference), final_weights(killed_dir))
    print(f"resumed from generator iteration {resumed_from}: max abs diff {diff:.3g}")
    assert diff <= 1e-6
    check_whole_history(reference, killed_dir, killed_s)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.slow
def test_sigterm_and_ctrl_c_stop_with_a_checkpoint_and_the_printed_resume_ends_like_one_run(
    signum, reference, tmp_path, monkeypatch, capfd
):
    run_dir = tmp_path / "stopped"
    status, stderr = stop_after_checkpoint(tmp_path, run_dir, signum, *OVERRIDES)
    assert status == 128 + signum  # 143 for SIGTERM, 130 for SIGINT, as a shell reports them
    assert "Traceback" not in stderr, stderr[-3000:]
    stopped_at, stopped_s = checkpoint_state(run_dir)
    assert 0 < stopped_at < 300
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["interrupted"] is True and summary["g_steps"] == stopped_at
    line = stderr.splitlines()[-1]
    prefix = f"litgan: stopped by {signum.name} after generator iteration {stopped_at}; "
    assert line.startswith(f"{prefix}resume with: python {REPO / 'train.py'} "), line
    assert line.endswith(f" hydra.run.dir={run_dir} ckpt_path=last"), line

    # The printed command, as the user would paste it: train.py's main() with its words.
    script, *words = shlex.split(line.removeprefix(f"{prefix}resume with: python "))
    assert script == str(REPO / "train.py")
    resumed = train_here(monkeypatch, capfd, tmp_path, *words, run_dir=run_dir)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["interrupted"] is False and summary["g_steps"] == 300
    assert max_abs_diff(final_weights(reference), final_weights(run_dir)) <= 1e-6
    check_whole_history(reference, run_dir, stopped_s)


def check_whole_history(reference: Path, resumed: Path, first_part_s: float) -> None:
    """The resumed run's record is the uninterrupted run's: every metrics.csv row from
    iteration 10 on, wall time summed over both parts, the first .hydra/ record kept."""
    expected, got = read_rows(reference), read_rows(resumed)
    assert [r["step"] for r in got] == [r["step"] for r in expected]
    assert [int(r["step"]) for r in got][:2] == [10, 20]
    for want, row in zip(expected, got, strict=True):
        assert row.keys() == want.keys()
        for key, value in want.items():
            assert float(row[key] or "nan") == pytest.approx(float(value or "nan"), nan_ok=True)
    summary = json.loads((resumed / "summary.json").read_text())
    assert summary["wall_time_parts"] == 2 and summary["wall_time_s"] > first_part_s > 0
    assert "ckpt_path=last" not in (resumed / ".hydra" / "overrides.yaml").read_text()
    assert "ckpt_path=last" in (resumed / ".hydra" / "resume-1" / "overrides.yaml").read_text()
    assert "ckpt_path: null" in (resumed / "hparams.yaml").read_text()


def read_rows(run_dir: Path) -> list[dict[str, str]]:
    with (run_dir / "metrics.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def test_the_data_order_is_a_function_of_seed_and_epoch_and_resumes_mid_epoch():
    epoch = [0]
    order = EpochShuffle(100, seed=3, epoch=lambda: epoch[0])
    first, again = list(order), list(order)
    assert first == again and sorted(first) == list(range(100))
    epoch[0] = 1
    second = list(order)
    assert second != first
    order.resume_at(1, 40)
    assert list(order) == second[40:]
    assert list(order) == second  # the skip applies once
    order.resume_at(0, 40)
    assert list(order) == second  # and only in the epoch it was saved in


def test_a_nan_loss_stops_training_and_keeps_the_good_checkpoints(monkeypatch, capsys, tmp_path):
    real_loss, calls = Game.discriminator_loss, []

    def nan_from_the_sixth_step(game, terms):
        calls.append(1)
        loss = real_loss(game, terms)
        return loss * float("nan") if len(calls) >= 6 else loss

    monkeypatch.setattr(Game, "discriminator_loss", nan_from_the_sixth_step)
    status, stderr = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        "trainer.max_steps=20",
        "checkpoint_every=2",
        "val_every=2",
        "metrics=default",  # 2D coordinates: cheap, and best.ckpt is written at every improvement
        "metrics.points.num_samples=256",
        base=tuple(TINY_MLP),
    )
    assert status == 2
    assert stderr == (
        "litgan: error: training diverged at generator iteration 6: D's loss train/d_loss is "
        "nan; no checkpoint holds weights from after it. Lower the learning rates, or set "
        "stop_on_nonfinite=false to train on regardless\n"
    )
    checkpoints = tmp_path / "run" / "checkpoints"
    for name in ("last.ckpt", "best.ckpt"):
        ckpt = torch.load(checkpoints / name, weights_only=True)
        assert ckpt["g_steps"] <= 4
        assert all(torch.isfinite(w).all() for w in ckpt["state_dict"].values())
    assert not (tmp_path / "run" / "summary.json").exists()


def test_an_infinite_gradient_norm_stops_training_before_the_step(monkeypatch, capsys, tmp_path):
    real_norm, calls = gan_module.grad_norm, []

    def infinite_for_gs_third_step(parameters):
        calls.append(1)  # D and G take turns: G's third norm is the sixth
        norm = real_norm(parameters)
        return norm * float("inf") if len(calls) == 6 else norm

    monkeypatch.setattr(gan_module, "grad_norm", infinite_for_gs_third_step)
    status, stderr = run_main(
        monkeypatch, capsys, tmp_path, "trainer.max_steps=10", base=tuple(TINY_MLP)
    )
    assert status == 2
    assert stderr.startswith(
        "litgan: error: training diverged at generator iteration 3: G's gradient norm "
        "train/g_grad_norm is inf; no checkpoint holds weights from after it."
    )


class SlowWriter:
    """A trainer stand-in whose checkpoint write stops half-way, to be killed there."""

    is_global_zero = True

    def save_checkpoint(self, path: Path, weights_only: bool = False) -> None:
        with open(path, "wb") as half:
            half.write(b"PK\x03\x04 half a checkpoint")
            half.flush()
            time.sleep(600)


def test_a_kill_during_the_checkpoint_write_leaves_the_previous_one_loadable(tmp_path):
    last = tmp_path / "last.ckpt"
    torch.save({"state_dict": {"w": torch.arange(3.0)}, "g_steps": 10}, last)
    writer = os.fork()  # a process to kill, with torch and litgan already imported
    if writer == 0:
        try:
            save_atomically(SlowWriter(), last)
        finally:
            os._exit(1)
    tmp = tmp_path / "last.ckpt.tmp"
    deadline = time.monotonic() + 60
    while not (tmp.exists() and tmp.stat().st_size > 0) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(writer, signal.SIGKILL)  # half-way through the write
    _, status = os.waitpid(writer, 0)
    assert os.WIFSIGNALED(status), "the writer ended before it was killed"
    assert tmp.stat().st_size > 0  # killed during the write
    ckpt = torch.load(last, weights_only=True)
    assert ckpt["g_steps"] == 10 and torch.equal(ckpt["state_dict"]["w"], torch.arange(3.0))


def test_an_augmented_image_run_resumes_exactly(monkeypatch, capsys, tmp_path):
    """DiffAugment draws from torch's global random stream, which checkpoints save: 3 iterations,
    then a resume to 6, end with the weights of 6 iterations in one go."""
    common = (
        "data=digits",
        "data.batch_size=16",
        "model.augment=[translation,cutout]",
        "trainer.deterministic=true",
        "checkpoint_every=3",
    )
    reference, split = tmp_path / "reference", tmp_path / "split"
    for overrides in (
        ("trainer.max_steps=6", f"hydra.run.dir={reference}"),
        ("trainer.max_steps=3", f"hydra.run.dir={split}"),
        ("trainer.max_steps=6", f"hydra.run.dir={split}", "ckpt_path=last"),
    ):
        status, stderr = run_main(monkeypatch, capsys, tmp_path, *common, *overrides)
        assert status == 0, stderr[-3000:]
    assert torch.load(split / "checkpoints" / "last.ckpt", weights_only=True)["g_steps"] == 6
    assert max_abs_diff(final_weights(reference), final_weights(split)) <= 1e-6


def test_a_job_slurm_restarted_resumes_from_its_checkpoint(monkeypatch, capsys, tmp_path):
    """A requeued SLURM job runs its original overrides again, without ckpt_path: with
    SLURM_RESTART_COUNT set and a checkpoint in its directory, it continues that run."""
    run_dir = tmp_path / "job"
    common = (f"hydra.run.dir={run_dir}", "checkpoint_every=2")
    status, stderr = run_main(
        monkeypatch, capsys, tmp_path, *common, "trainer.max_steps=4", base=tuple(TINY_MLP)
    )
    assert status == 0, stderr[-3000:]

    status, stderr = run_main(
        monkeypatch, capsys, tmp_path, *common, "trainer.max_steps=8", base=tuple(TINY_MLP)
    )
    assert status == 2 and "already holds a run" in stderr  # not restarted: refused as before

    monkeypatch.setenv("SLURM_RESTART_COUNT", "1")
    status, stderr = run_main(
        monkeypatch, capsys, tmp_path, *common, "trainer.max_steps=8", base=tuple(TINY_MLP)
    )
    assert status == 0, stderr[-3000:]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["g_steps"] == 8 and summary["wall_time_parts"] == 2
    assert (run_dir / ".hydra" / "resume-1" / "config.yaml").is_file()

    fresh = tmp_path / "fresh"  # restarted before its first checkpoint: it starts again
    status, stderr = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        f"hydra.run.dir={fresh}",
        "trainer.max_steps=2",
        base=tuple(TINY_MLP),
    )
    assert status == 0, stderr[-3000:]
    assert json.loads((fresh / "summary.json").read_text())["wall_time_parts"] == 1
