"""Issue #41's probes: each row a command that once lost data, went silently wrong or printed a
traceback, now refused (or finished) with one line, its exit status, and the files of a prepared
run directory byte for byte as they were."""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
import yaml

from litgan.cli.fid import main as fid_main
from litgan.cli.report import main as report_main
from litgan.cli.sample import main as sample_main
from tests.helpers import warm_python
from tests.helpers.locks import held_by_another_process
from tests.helpers.runs import PICTURES, REPO, TINY_MLP, run_main

RING = ("trainer.max_steps=4",)
TINY = (*TINY_MLP, "trainer.max_steps=4", "checkpoint_every=2", "trainer.log_every_n_steps=1")


def checksums(root: Path) -> dict[str, str]:
    """Every file and directory under `root`, with a file's SHA-256."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else ""
        for p in sorted(root.rglob("*"))
    }


def check_refused(status: int, stderr: str, *words: str, lines: int = 1) -> None:
    assert status == 2, stderr
    assert stderr.startswith("litgan: error: ") and stderr.count("\n") <= lines, stderr
    assert "Traceback" not in stderr
    for word in words:
        assert word in stderr, stderr


def foreign_dir(tmp_path: Path) -> Path:
    """A folder of the user's that is not a litgan run (the issue's first probe)."""
    mine = tmp_path / "s"
    (mine / "plots").mkdir(parents=True)
    for name in ("metrics.csv", "hparams.yaml", "plots/value.png"):
        (mine / name).write_text("mine\n")
    return mine


def test_a_folder_that_is_not_a_litgan_run_is_refused_untouched(monkeypatch, capsys, tmp_path):
    mine = foreign_dir(tmp_path)
    before = checksums(tmp_path)
    status, stderr = run_main(
        monkeypatch, capsys, tmp_path, *TINY_MLP, f"hydra.run.dir={mine}", base=RING
    )
    check_refused(status, stderr, f"{mine} holds files that are not a litgan run", "metrics.csv")
    assert checksums(tmp_path) == before


def test_resuming_into_a_folder_that_is_not_a_litgan_run_is_refused(monkeypatch, capsys, tmp_path):
    mine = foreign_dir(tmp_path)
    (mine / "checkpoints").mkdir()
    (mine / "checkpoints" / "last.ckpt").write_text("mine\n")
    before = checksums(tmp_path)
    status, stderr = run_main(
        monkeypatch, capsys, tmp_path, f"hydra.run.dir={mine}", "ckpt_path=last", base=RING
    )
    check_refused(status, stderr, "not a litgan run")
    assert checksums(tmp_path) == before


def test_an_empty_run_dir_is_refused_and_nothing_lands_in_the_launch_folder(
    monkeypatch, capsys, tmp_path
):
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *TINY_MLP, "hydra.run.dir=", base=RING)
    check_refused(status, stderr, "hydra.run.dir is empty")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_empty_folder_is_used(monkeypatch, capsys, tmp_path):
    (tmp_path / "run").mkdir()
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *TINY_MLP, base=RING)
    assert status == 0, stderr
    assert (tmp_path / "run" / "summary.json").is_file()


HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from litgan.run.claim import claim_run_dir
    claim_run_dir(Path(sys.argv[1]))
    print("claimed", flush=True)
    time.sleep(120)
    """
)


def test_a_claimed_directory_is_refused_and_a_killed_claim_blocks_nothing(
    monkeypatch, capsys, tmp_path
):
    """A run's lock lives as long as its process: SIGKILL leaves no stale lock to clear."""
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *TINY, base=RING)
    assert status == 0, stderr
    run = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(run)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONPATH": str(REPO / "src")},
    )
    try:
        assert holder.stdout.readline().strip() == "claimed"
        before = checksums(tmp_path)
        more = ("trainer.max_steps=6", "ckpt_path=last")
        status, stderr = run_main(monkeypatch, capsys, tmp_path, *TINY, *more, base=RING)
        check_refused(status, stderr, f"{run} is in use by another run")
        assert checksums(tmp_path) == before
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *TINY, *more, base=RING)
    assert status == 0, stderr


@pytest.mark.slow
def test_two_runs_started_at_once_into_one_directory_leave_one_run_and_one_refusal(tmp_path):
    run = tmp_path / "run"
    procs = [
        warm_python.popen(
            [
                str(REPO / "train.py"),
                *TINY_MLP,
                "trainer.max_steps=60",
                "metrics=none",
                f"seed={seed}",
                f"hydra.run.dir={run}",
            ],
            cwd=tmp_path,
            env=warm_python.run_env(OMP_NUM_THREADS="1"),
            stderr=subprocess.PIPE,
        )
        for seed in (1, 2)
    ]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    statuses = sorted(status for status, _ in results)
    assert statuses == [0, 2], results
    winner = next(seed for seed, (status, _) in zip((1, 2), results, strict=True) if status == 0)
    refusal = next(err for status, err in results if status == 2)
    check_refused(2, refusal, str(run))
    assert yaml.safe_load((run / ".hydra" / "config.yaml").read_text())["seed"] == winner
    assert not (run / ".hydra" / "resume-1").exists()
    assert json.loads((run / "summary.json").read_text())["g_steps"] == 60
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["hyper_parameters"]["seed"] == winner
    with (run / "metrics.csv").open(newline="") as f:
        steps = [int(row["step"]) for row in csv.DictReader(f)]
    assert steps == sorted(steps) and steps[-1] == 60, "rows of two runs interleaved"


class _NoCapture:
    """run_main's capsys, for a module fixture: stderr stays on the console."""

    def readouterr(self):
        return type("Captured", (), {"err": ""})()


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """A finished ring run (4 iterations, checkpoints at 2 and 4, a metrics.csv row each)."""
    tmp = tmp_path_factory.mktemp("finished")
    with pytest.MonkeyPatch.context() as monkeypatch:
        status, _ = run_main(monkeypatch, _NoCapture(), tmp, *TINY, PICTURES, base=RING)
    assert status == 0
    return tmp / "run"


@pytest.fixture(scope="module")
def finished_run_images(tmp_path_factory) -> Path:
    """A finished tiny DCGAN run on digits: a G of images for litgan-sample."""
    tmp = tmp_path_factory.mktemp("images")
    with pytest.MonkeyPatch.context() as monkeypatch:
        status, _ = run_main(
            monkeypatch,
            _NoCapture(),
            tmp,
            "data=digits",
            "trainer.max_steps=2",
            "checkpoint_every=2",
        )
    assert status == 0
    return tmp / "run"


@pytest.fixture
def earlier(finished_run, tmp_path) -> Path:
    """A copy of the finished run at `<tmp_path>/run`, where run_main writes."""
    shutil.copytree(finished_run, tmp_path / "run")
    return tmp_path / "run"


RESUME = (*TINY, "trainer.max_steps=6", "ckpt_path=last")

# name: (what the resume changes, words its refusal holds)
ANOTHER_EXPERIMENT = {
    "another data set": (["data=grid"], ["data.layout: 'ring' there, 'grid' here"]),
    "another game": (["loss=minimax"], ["loss._target_", "NonSaturating", "Minimax"]),
    "a penalty": (["penalty=r1"], ["penalty: null there, R1 here"]),
    "another seed": (["seed=7"], ["seed: 0 there, 7 here"]),
    "another precision": (["trainer.precision=64-true"], ["trainer.precision"]),
    "another rate": (["model.lr=0.01"], ["model.lr: 0.001 there, 0.01 here"]),
}


@pytest.mark.parametrize("case", ANOTHER_EXPERIMENT)
def test_resuming_another_experiment_is_refused_naming_the_keys(
    case, earlier, monkeypatch, capsys, tmp_path
):
    overrides, words = ANOTHER_EXPERIMENT[case]
    before = checksums(tmp_path)
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *RESUME, *overrides, base=RING)
    check_refused(status, stderr, "is another experiment", *words)
    assert checksums(tmp_path) == before


def test_a_resume_may_change_how_long_what_and_how_often_it_logs(
    earlier, monkeypatch, capsys, tmp_path
):
    more = ("sample_every=3", "val_every=3", "checkpoint_every=3", "trainer.log_every_n_steps=2")
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *RESUME, *more, base=RING)
    assert status == 0, stderr
    assert json.loads((earlier / "summary.json").read_text())["g_steps"] == 6


def cut_to_header_and_first_row(path: Path) -> None:
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:2]))


# name: (what happens to metrics.csv, words of the refusal)
LOST_HISTORY = {
    "deleted": (Path.unlink, ["metrics.csv is missing", "up to iteration 4"]),
    "truncated": (cut_to_header_and_first_row, ["ends at iteration 1", "checkpoint is at 4"]),
    "binary": (lambda p: p.write_bytes(bytes(range(256)) * 8), ["is damaged (not text)"]),
    "cut mid-row": (
        lambda p: p.write_text(p.read_text()[:-9]),
        ["is damaged (line 6 has 4 fields"],
    ),
}


@pytest.mark.parametrize("case", LOST_HISTORY)
def test_a_resume_whose_history_is_lost_is_refused_with_the_way_out(
    case, earlier, monkeypatch, capsys, tmp_path
):
    damage, words = LOST_HISTORY[case]
    damage(earlier / "metrics.csv")
    before = checksums(tmp_path)
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *RESUME, base=RING)
    check_refused(status, stderr, *words, "create it empty")
    assert checksums(tmp_path) == before


def test_an_emptied_history_is_the_users_choice_and_resumes(earlier, monkeypatch, capsys, tmp_path):
    (earlier / "metrics.csv").write_text("")
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *RESUME, base=RING)
    assert status == 0, stderr


# Integers on boolean keys once became true before any check (compile=-1 compiled), and a list
# of a group's options trained on the last.
WRONG_TYPE = {
    "compile=-1": ["compile must be true or false, got -1"],
    "channels_last=2": ["channels_last must be true or false, got 2"],
    "stop_on_nonfinite=-1": ["stop_on_nonfinite must be true or false, got -1"],
    "data.on_device=5": ["data.on_device must be true or false, got 5"],
    "model.discriminator.spectral_norm=2": ["model.discriminator.spectral_norm must be true or"],
    "model.generator.tanh_output=0": ["model.generator.tanh_output must be true, false or null"],
    "data=[ring,grid]": ["data takes one option, got [ring, grid]", "-m data=ring,grid"],
    "loss=[minimax]": ["loss takes one option, got [minimax]"],
}


@pytest.mark.parametrize("override", WRONG_TYPE)
def test_a_value_of_another_type_is_refused(override, monkeypatch, capsys, tmp_path):
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *TINY_MLP, override, base=RING)
    check_refused(status, stderr, *WRONG_TYPE[override])
    assert list(tmp_path.iterdir()) == []


def test_a_sweep_job_with_an_integer_boolean_is_refused(monkeypatch, capsys, tmp_path):
    sweep = tmp_path / "sweep"
    _, stderr = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        "compile=-1,false",
        f"hydra.sweep.dir={sweep}",
        base=("-m", *RING),
    )
    assert "compile must be true or false, got -1" in stderr, stderr
    assert (sweep / "0" / "error.txt").is_file()


def check_failed_sweep(status: int, stderr: str, sweep: Path) -> None:
    """Job #0 (seed=-1) refused, job #1 finished: one summary line naming #0 and its log."""
    assert status == 2, stderr
    assert "Traceback" not in stderr and "Error executing job" not in stderr, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("litgan: error: 1 of 2 jobs failed: #0 ("), stderr
    assert str(sweep / "0" / "error.txt") in last, last
    assert "seed must be an integer" in (sweep / "0" / "error.txt").read_text()
    assert (sweep / "1" / "summary.json").is_file()


def test_a_failed_sweep_job_ends_the_sweep_in_one_line_with_status_2(monkeypatch, capsys, tmp_path):
    sweep = tmp_path / "sweep"
    overrides = (*TINY, "seed=-1,1", f"hydra.sweep.dir={sweep}")
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *overrides, base=("-m", *RING))
    check_failed_sweep(status, stderr, sweep)


def test_a_failed_job_of_parallel_jobs_ends_the_sweep_in_one_line_with_status_2(
    monkeypatch, capsys, tmp_path
):
    sweep = tmp_path / "sweep"
    local = ("hydra/launcher=local", "hydra.launcher.n_jobs=2")
    overrides = (*TINY, *local, "seed=-1,1", f"hydra.sweep.dir={sweep}")
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *overrides, base=("-m", *RING))
    check_failed_sweep(status, stderr, sweep)


def test_a_sweep_directory_another_sweep_holds_is_refused(monkeypatch, capsys, tmp_path):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    with held_by_another_process(sweep):
        overrides = (*TINY, "seed=1,2", f"hydra.sweep.dir={sweep}")
        status, stderr = run_main(monkeypatch, capsys, tmp_path, *overrides, base=("-m", *RING))
        check_refused(status, stderr, f"{sweep} is in use by another sweep")
        assert list(sweep.iterdir()) == []


def test_logger_takes_a_list_of_options(monkeypatch, capsys, tmp_path):
    status, stderr = run_main(
        monkeypatch, capsys, tmp_path, *TINY_MLP, "logger=[csv,tensorboard]", base=RING
    )
    assert status == 0, stderr


class SignalAt(pl.Callback):
    """Sends this process `signum` (`times` times) at a point of the run: `init` (while the run
    is built), `batch` (after generator iteration `g_step`) or `end` (as training ends, before
    the final plots)."""

    def __init__(self, when: str, signum: str = "SIGTERM", times: int = 1, g_step: int = 2):
        self.when, self.signum, self.times, self.g_step = (
            when,
            signal.Signals[signum],
            times,
            g_step,
        )
        if when == "init":
            self._send()

    def _send(self) -> None:
        for _ in range(self.times):
            os.kill(os.getpid(), self.signum)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self.when == "batch" and pl_module.g_steps == self.g_step:
            self._send()

    def on_train_end(self, trainer, pl_module) -> None:
        if self.when == "end":
            self._send()


def signal_at(when: str, signum: str = "SIGTERM", times: int = 1, g_step: int = 2) -> list[str]:
    target = "+callbacks.signal._target_=tests.test_fuzz_table.SignalAt"
    return [
        target,
        f"+callbacks.signal.when={when}",
        f"+callbacks.signal.signum={signum}",
        f"+callbacks.signal.times={times}",
        f"+callbacks.signal.g_step={g_step}",
    ]


def resume_words(stderr: str) -> list[str]:
    """The overrides of the printed resume command."""
    line = stderr.strip().splitlines()[-1]
    return shlex.split(line.split("resume with: ", 1)[1])[2:]


def test_a_signal_while_the_run_is_built_stops_it_after_one_iteration_and_it_resumes(
    monkeypatch, capsys, tmp_path
):
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *TINY, *signal_at("init"), base=RING)
    assert status == 143, stderr
    assert "Traceback" not in stderr
    assert "litgan: stopped by SIGTERM after generator iteration " in stderr
    words = [w for w in resume_words(stderr) if not w.startswith("+callbacks.signal")]
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *words, base=())
    assert status == 0, stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["g_steps"] == 4 and summary["interrupted"] is False


# train.py run as `python train.py` does, after a finder that sends Ctrl-C to this process as
# the import of litgan.cli.train begins: the signal lands inside the import, every time.
# Ctrl-C handled as in a terminal's foreground job: a suite started in the background by a
# non-interactive shell (`(make test &)`) hands its processes SIGINT ignored, and a Python that
# starts so keeps ignoring it.
CTRL_C_WHILE_IMPORTING = """
import os, runpy, signal, sys

signal.signal(signal.SIGINT, signal.default_int_handler)


class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == "litgan.cli.train":
            os.kill(os.getpid(), signal.SIGINT)
        return None


sys.meta_path.insert(0, CtrlC())
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_ctrl_c_while_train_py_imports_is_one_line_and_leaves_nothing(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", CTRL_C_WHILE_IMPORTING, str(REPO / "train.py"), "hydra.run.dir=run"],
        cwd=tmp_path,
        env=warm_python.run_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr == "litgan: stopped by SIGINT while starting, before anything was written\n"
    assert list(tmp_path.iterdir()) == []


def test_two_ctrl_c_at_once_stop_with_a_checkpoint_and_a_resume_command(
    monkeypatch, capsys, tmp_path
):
    # StopOnSignal acts at the next batch's end (iteration 4), before the last (6).
    overrides = [*TINY, "trainer.max_steps=6", *signal_at("batch", "SIGINT", times=2)]
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *overrides, base=RING)
    assert status == 130, stderr
    assert "Traceback" not in stderr and stderr.count("\n") == 1, stderr
    assert "stopped by SIGINT after generator iteration 4; resume with: " in stderr
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["interrupted"] is True


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
def test_a_signal_as_the_run_finishes_lets_it_finish_its_plots(
    signum, monkeypatch, capsys, tmp_path
):
    overrides = [*TINY, PICTURES, *signal_at("end", signum, times=2)]
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *overrides, base=RING)
    assert status == 128 + signal.Signals[signum], stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == (
        f"litgan: {signum} came as the run finished; it is complete"
    )
    run = tmp_path / "run"
    assert json.loads((run / "summary.json").read_text())["interrupted"] is False
    assert list((run / "plots").glob("*.png"))


# After iteration 2 the stop waits for the next batch's end, the last (4); at 4 the signal
# comes after that check, as the run ends.
@pytest.mark.parametrize("g_step", [2, 4], ids=["during_the_last_batch", "after_it"])
@pytest.mark.parametrize("sweep", [False, True], ids=["run", "sweep_job"])
def test_sigterm_at_the_last_iteration_leaves_the_run_finished(
    sweep, g_step, monkeypatch, capsys, tmp_path
):
    """The issue's "interrupted at 300 of 300", for a run and a sweep's job."""
    run = tmp_path / ("sweep" if sweep else "run")
    where = (f"hydra.sweep.dir={run}", "seed=1") if sweep else (f"hydra.run.dir={run}",)
    base = ("-m", *RING) if sweep else RING
    overrides = (*TINY, PICTURES, *signal_at("batch", g_step=g_step), *where)
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *overrides, base=base)
    assert status == 143, stderr
    assert "Traceback" not in stderr and "resume with" not in stderr, stderr
    assert stderr.strip().splitlines()[-1] == (
        "litgan: SIGTERM came as the run finished; it is complete"
    )
    run = run / "0" if sweep else run
    summary = json.loads((run / "summary.json").read_text())
    assert summary["g_steps"] == 4 and summary["interrupted"] is False
    assert list((run / "plots").glob("*.png"))


def test_two_close_ctrl_c_to_a_sweep_job_print_its_resume_command(monkeypatch, capsys, tmp_path):
    sweep = tmp_path / "sweep"
    overrides = [*TINY, "trainer.max_steps=6", *signal_at("batch", "SIGINT", times=2)]
    overrides += ["seed=1", f"hydra.sweep.dir={sweep}"]
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *overrides, base=("-m", *RING))
    assert status == 130, stderr
    assert "Traceback" not in stderr, stderr
    assert "stopped by SIGINT after generator iteration 4; resume with: " in stderr, stderr
    assert f"hydra.run.dir={sweep / '0'}" in stderr and "ckpt_path=last" in stderr, stderr
    assert json.loads((sweep / "0" / "summary.json").read_text())["interrupted"] is True


def points_file(tmp_path: Path, n: int = 200) -> Path:
    path = tmp_path / "points.npy"
    np.save(path, np.random.default_rng(0).normal(size=(n, 2)).astype(np.float32))
    return path


# litgan-fid's and litgan-sample's options out of range: one line, exit 2, before any work.
CLI_RANGES = {
    "fid --num-samples -5": (fid_main, ["{p}", "ring", "--num-samples", "-5"], "--num-samples"),
    "fid --num-samples 1": (fid_main, ["{p}", "ring", "--num-samples", "1"], "at least 2"),
    "fid --num-samples 0": (fid_main, ["{p}", "ring", "--num-samples", "0"], "at least 2"),
    "fid --batch-size -1": (fid_main, ["{p}", "ring", "--batch-size", "-1"], "--batch-size"),
    "sample --num-samples 1e8": (
        sample_main,
        ["{p}", "--out", "{t}/x.png", "--num-samples", "100000000"],
        "at most 100,000",
    ),
    "sample --out-dir 1e8": (
        sample_main,
        ["{p}", "--out-dir", "{t}/imgs", "--num-samples", "100000000"],
        "at most 1,000,000",
    ),
}


@pytest.mark.parametrize("case", CLI_RANGES)
def test_a_console_option_out_of_range_is_one_line(case, capsys, tmp_path):
    entry, argv, words = CLI_RANGES[case]
    path = points_file(tmp_path)
    before = checksums(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        entry([a.format(p=path, t=tmp_path) for a in argv])
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    assert err.count("\n") == 1 and ": error: " in err and words in err, err
    assert checksums(tmp_path) == before


@pytest.mark.parametrize("entry", [fid_main, sample_main], ids=["fid", "sample"])
def test_a_checkpoint_of_python_objects_is_refused_without_unsafe_advice(entry, capsys, tmp_path):
    # torch's own error advises weights_only=False, which would run the file's code.
    evil = tmp_path / "evil.ckpt"
    torch.save({"state_dict": argparse.Namespace(x=1)}, evil)
    argv = (
        [str(evil), "ring"] if entry is fid_main else [str(evil), "--out", str(tmp_path / "x.png")]
    )
    with pytest.raises(SystemExit) as exit_:
        entry(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1, err
    assert "holds Python objects" in err
    assert "weights_only" not in err and "best.ckpt" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.ckpt"]


def complex_points(tmp_path: Path) -> Path:
    path = tmp_path / "complex.npy"
    np.save(path, np.ones((50, 2)) + 1j)
    return path


def numpy_archive(tmp_path: Path) -> Path:
    path = tmp_path / "points.npz"
    np.savez(path, x=np.zeros((50, 2)))
    return path


def empty_csv(tmp_path: Path) -> Path:
    path = tmp_path / "points.csv"
    path.write_text("")
    return path


# litgan-fid's sources that were scored wrongly or named unclearly: (prepare, words).
FID_SOURCES = {
    "complex points": (complex_points, "complex.npy holds complex numbers"),
    "a numpy archive": (numpy_archive, "points.npz is a numpy archive (.npz), not a checkpoint"),
    "no such file": (lambda tmp: tmp / "nothing.ckpt", "nothing.ckpt does not exist"),
    "an empty csv": (empty_csv, "points.csv is empty"),
}


@pytest.mark.parametrize("case", FID_SOURCES)
def test_litgan_fid_refuses_a_source_in_one_line_saying_what_it_is(case, capsys, tmp_path):
    prepare, words = FID_SOURCES[case]
    path = prepare(tmp_path)
    before = checksums(tmp_path)
    with warnings.catch_warnings(record=True) as caught, pytest.raises(SystemExit) as exit_:
        warnings.simplefilter("always")
        fid_main([str(path), "ring"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    assert err.count("\n") == 1 and err.startswith("litgan-fid: error: ") and words in err, err
    assert [str(w.message) for w in caught] == []
    assert checksums(tmp_path) == before


def test_litgan_fid_scores_a_big_points_file_on_a_bounded_subset_and_says_so(
    monkeypatch, capsys, tmp_path
):
    """Memory and time grow with the points scored (density and coverage, the kernels): a
    file with more than MAX_SCORED_POINTS is scored on a fixed random subset of that many."""
    from litgan.cli import comparison, fid

    for module in (fid, comparison):  # the help and messages, the scoring
        monkeypatch.setattr(module, "MAX_SCORED_POINTS", 300)
    path = points_file(tmp_path, n=700)
    fid_main([str(path), "ring", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert result["settings"]["num_points"] == 300
    assert result["subsampled"] == {"scored": 300, "of": {"points.npy": 700}}
    fid_main([str(path), "ring"])
    out = capsys.readouterr().out
    assert "scored on a fixed random 300 of the 700 points in points.npy" in out, out
    with pytest.raises(SystemExit) as exit_:
        fid_main([str(path), "ring", "--num-samples", "301"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1, err
    assert "2D points are scored 300 at most" in err
    with pytest.raises(SystemExit):
        fid_main(["--help"])
    assert "scored on at most 300" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
def test_a_signal_to_litgan_sample_out_dir_leaves_no_partial_folder(
    signum, finished_run_images, tmp_path
):
    out = tmp_path / "imgs"
    proc = warm_python.popen(
        [
            "-m",
            "litgan.cli.sample",
            str(finished_run_images),
            "--out-dir",
            str(out),
            "--num-samples",
            "200000",
            "--batch-size",
            "16",
        ],
        cwd=tmp_path,
        env=warm_python.run_env(OMP_NUM_THREADS="1"),
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not any(
        p.name.startswith(".imgs.partial") and any(p.iterdir())
        for p in tmp_path.iterdir()
        if p.is_dir()
    ):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(getattr(signal, signum))
    stderr = proc.communicate(timeout=120)[1]
    assert proc.returncode == 128 + getattr(signal, signum), stderr
    assert "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines()[-1] == f"litgan-sample: stopped by {signum}; nothing written"
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_litgan_report_refuses_a_missing_folder_and_a_damaged_summary(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        report_main([str(tmp_path / "nowhere")])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1 and "does not exist" in err, err
    assert list(tmp_path.iterdir()) == []
    job = tmp_path / "sweep" / "0"
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text("- seed=1\n")
    (job / "summary.json").write_text('{"g_steps": 4, "fin')
    before = checksums(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        report_main([str(tmp_path / "sweep")])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1, err
    assert "summary.json is damaged" in err and "Traceback" not in err
    assert checksums(tmp_path) == before
