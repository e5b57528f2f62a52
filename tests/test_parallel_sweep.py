"""`hydra/launcher=local`: a sweep's jobs as local processes, several at a time, with the
numbers of the same jobs run alone, nothing left from one job to the next in a reused process,
failures recorded, and SIGTERM/Ctrl-C stopping every job with a checkpoint to resume from."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from litgan.cli.report import main as report_main
from litgan.errors import LitganError
from litgan.run.parallel import jobs_at_a_time
from litgan.run.signals import stop_signals_recorded
from tests.helpers import warm_python
from tests.helpers.runs import REPO, TINY_MLP, run_main, run_train
from tests.helpers.sweep_probe import LEAK_VARIABLE
from tests.helpers.wandb_records import read_records, run_info

LOCAL = ["hydra/launcher=local", "hydra.launcher.n_jobs=2"]
GAMES = "minimax,hinge,least_squares,wasserstein"


def probe(out: Path, leave: bool = True) -> list[str]:
    return [
        "+hydra.callbacks.probe._target_=tests.helpers.sweep_probe.LeakProbe",
        f"+hydra.callbacks.probe.out={out}",
        f"+hydra.callbacks.probe.leave={str(leave).lower()}",
    ]


def job_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("[")]


@pytest.mark.parametrize(
    ("n_jobs", "cpu_threads", "cores", "accelerator", "expected"),
    [
        (None, 1, 2, False, (2, 1)),  # the default MLP on this 2-core machine
        (None, 1, 16, False, (16, 1)),
        (None, 2, 16, False, (8, 2)),
        (None, 4, 2, False, (1, 4)),  # more threads than cores: one job
        (None, None, 16, False, (1, 16)),  # torch's default threads use every core
        (None, 1, 16, True, (1, 1)),  # the jobs would share one GPU
        (4, None, 16, False, (4, 4)),
        (3, 1, 2, False, (3, 1)),  # asked for: more jobs than cores
    ],
)
def test_jobs_at_a_time_follow_the_cores_and_the_threads(
    n_jobs, cpu_threads, cores, accelerator, expected
):
    assert jobs_at_a_time(n_jobs, cpu_threads, cores, accelerator) == expected


@pytest.mark.parametrize("n_jobs", [0, -1, "two", 1.5, True])
def test_jobs_at_a_time_refuses_what_is_no_count(n_jobs):
    with pytest.raises(LitganError, match=r"hydra\.launcher\.n_jobs"):
        jobs_at_a_time(n_jobs, 1, 2, False)


def test_a_bad_n_jobs_is_refused_in_one_line(monkeypatch, capsys, tmp_path):
    status, stderr = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        "hydra/launcher=local",
        "hydra.launcher.n_jobs=0",
        "seed=0,1",
        f"hydra.sweep.dir={tmp_path / 'sweep'}",
        base=("-m", *TINY_MLP),
    )
    assert status == 2
    assert stderr == (
        "litgan: error: hydra.launcher.n_jobs=0: give a whole number >= 1, or null for the "
        "cores over model.cpu_threads\n"
    )
    assert not any((tmp_path / "sweep").glob("*/.hydra"))  # no job ran


def test_one_job_at_a_time_runs_in_the_sweep_process(monkeypatch, capsys, tmp_path):
    out = tmp_path / "probe"
    status, stderr = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        "hydra/launcher=local",
        "hydra.launcher.n_jobs=1",
        "trainer.max_steps=5",
        "seed=0,1",
        *probe(out, leave=False),  # in this process: nothing to leave to the tests after it
        f"hydra.sweep.dir={tmp_path / 'sweep'}",
        base=("-m", *TINY_MLP),
    )
    assert status == 0, stderr
    states = [json.loads((out / f"{job}.json").read_text()) for job in (0, 1)]
    assert {s["pid"] for s in states} == {os.getpid()}  # Hydra's own launcher: no new process
    assert all((tmp_path / "sweep" / job / "summary.json").is_file() for job in ("0", "1"))
    # Hydra's own launcher leaves each job's console on the terminal, not in console.log.
    assert not (tmp_path / "sweep" / "0" / "console.log").exists()


def test_a_signal_before_training_stops_the_run_after_its_first_batch(
    monkeypatch, capsys, tmp_path
):
    with stop_signals_recorded():
        os.kill(os.getpid(), signal.SIGTERM)  # a parallel job signalled while it set up
        status, stderr = run_main(
            monkeypatch, capsys, tmp_path, "trainer.max_steps=1000", base=tuple(TINY_MLP)
        )
    assert status == 143, stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["interrupted"] and 0 < summary["g_steps"] < 1000
    assert (tmp_path / "run" / "checkpoints" / "last.ckpt").is_file()
    assert "resume with:" in stderr


@pytest.mark.slow
def test_parallel_jobs_give_the_numbers_of_jobs_run_alone_and_leave_nothing_behind(
    monkeypatch, capsys, tmp_path
):
    sweep, out = tmp_path / "sweep", tmp_path / "probe"
    common = ["trainer.max_steps=50", "seed=3"]
    run = run_train(
        tmp_path, "-m", *LOCAL, *TINY_MLP, *common, f"loss={GAMES}", *probe(out), run_dir=sweep
    )
    assert run.returncode == 0, run.stderr[-3000:]
    # One line per finished job with the sweep's count, and no progress bar.
    lines = job_lines(run.stdout)
    assert [line[:7] for line in lines] == ["[1/4] o", "[2/4] o", "[3/4] o", "[4/4] o"]
    assert sorted(line.split()[2] for line in lines) == ["#0", "#1", "#2", "#3"]
    assert "it/s" not in run.stdout + run.stderr
    assert "litgan: 4 of 4 jobs ok" in run.stdout

    # Two processes ran the four jobs, so some process ran two: each job found its process as
    # the first job found it (threads pinned to the cores over the jobs, nothing changed).
    states = [json.loads((out / f"{job}.json").read_text()) for job in range(4)]
    assert len({s["pid"] for s in states}) == 2
    first = {k: v for k, v in states[0].items() if k != "pid"}
    assert first["torch_threads"] == 1 and first["omp_threads"] == "1"
    assert first["variable"] is None and first["sigusr1_default"]
    assert first["logger_handlers"] == 0 and not first["filtered"]
    assert first["argv0"] == str(REPO / "train.py")
    assert all({k: v for k, v in s.items() if k != "pid"} == first for s in states)

    for job, loss in enumerate(GAMES.split(",")):
        job_dir = sweep / str(job)
        assert (job_dir / ".hydra" / "config.yaml").is_file()
        assert "litgan: 50 generator steps" in (job_dir / "console.log").read_text()
        alone = tmp_path / f"alone_{loss}"
        status, stderr = run_main(
            monkeypatch,
            capsys,
            tmp_path,
            *common,
            f"loss={loss}",
            f"hydra.run.dir={alone}",
            base=tuple(TINY_MLP),
        )
        assert status == 0, stderr
        assert (job_dir / "metrics.csv").read_bytes() == (alone / "metrics.csv").read_bytes()
    assert LEAK_VARIABLE not in os.environ


@pytest.mark.slow
def test_a_failing_job_is_recorded_while_the_others_finish(tmp_path, capsys):
    sweep = tmp_path / "sweep"
    # Job 2's rate makes training diverge at its second iteration: it fails, the others run.
    run = run_train(
        tmp_path,
        "-m",
        *LOCAL,
        *TINY_MLP,
        "logger=wandb",
        "trainer.max_steps=10",
        "optim.generator.lr=1e-4,2e-4,1e30",
        run_dir=sweep,
        env={"WANDB_MODE": "offline", "WANDB_SILENT": "true"},
    )
    assert run.returncode != 0
    lines = job_lines(run.stdout)
    assert len(lines) == 3 and "litgan: 2 of 3 jobs ok" in run.stdout
    (failed,) = [line for line in lines if " failed " in line]
    assert "#2" in failed and "training diverged at generator iteration 2" in failed
    assert (sweep / "2" / "error.txt").read_text().startswith("training diverged")
    assert all((sweep / job / "summary.json").is_file() for job in ("0", "1"))
    # Each job is its own W&B run, the sweep's jobs one group.
    infos = [run_info(read_records(next((sweep / j).glob("wandb/*/run-*.wandb")))) for j in "012"]
    assert {info.run_group for info in infos} == {sweep.name}

    report_main([str(sweep)])
    table = (sweep / "report.md").read_text().split("## Over seeds")[0]
    rows = [r for r in table.splitlines() if r.startswith("| ") and "---" not in r][1:]
    statuses = [row.split("|")[3].strip() for row in rows]
    assert statuses[:2] == ["ok", "ok"] and statuses[2].startswith("failed: training diverged")


def start_sweep(tmp_path: Path, sweep: Path, *overrides: str) -> warm_python.WarmProcess:
    """`python train.py -m ...` in a session of its own, as a shell starts a foreground job."""
    command = [str(REPO / "train.py"), "-m", *LOCAL, *TINY_MLP, "metrics=none"]
    command.append("checkpoint_every=100")
    return warm_python.popen(
        [*command, *overrides, f"hydra.sweep.dir={sweep}"],
        cwd=tmp_path,
        env=warm_python.run_env(OMP_NUM_THREADS="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def wait_until_training(sweep: Path, jobs: list[str], proc: warm_python.WarmProcess) -> None:
    """Wait until each job has written its first checkpoint (checkpoint_every=100): it trains,
    with StopOnSignal's handlers in place."""
    deadline = time.monotonic() + 300
    while not all((sweep / j / "checkpoints" / "last.ckpt").is_file() for j in jobs):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)


@pytest.mark.slow
def test_ctrl_c_stops_every_running_job_once_with_a_checkpoint_and_each_resumes(
    monkeypatch, capsys, tmp_path
):
    sweep = tmp_path / "sweep"
    proc = start_sweep(tmp_path, sweep, "trainer.max_steps=20000", "seed=0,1,2")
    wait_until_training(sweep, ["0", "1"], proc)
    os.killpg(proc.pid, signal.SIGINT)  # what the terminal does: the whole foreground group
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130, stderr[-3000:]
    assert "SIGINT stopped the sweep: 2 jobs interrupted" in stderr
    assert "1 not started" in stderr
    assert not (sweep / "2").exists()  # no job starts after the signal
    # Each running job stopped at an iteration's end with its checkpoint, none at once.
    assert sum(" interrupted " in line for line in job_lines(stdout)) == 2, stdout
    for job in ("0", "1"):
        summary = json.loads((sweep / job / "summary.json").read_text())
        assert summary["interrupted"] and summary["g_steps"] < 20000
        assert (sweep / job / "checkpoints" / "last.ckpt").is_file()

    # Job by job: an interrupted job's resume command, and the command of the one that did not
    # start, run as printed (with fewer iterations, for the test's time).
    (resume,) = [
        line.split("resume with: ", 1)[1]
        for line in stdout.splitlines()
        if f"hydra.run.dir={sweep / '0'} " in line
    ]
    (fresh,) = [line.strip() for line in stderr.splitlines() if line.startswith("  python ")]
    steps = json.loads((sweep / "0" / "summary.json").read_text())["g_steps"]
    for command, max_steps in ((resume, steps + 20), (fresh, 20)):
        words = shlex.split(command)[2:]  # after `python .../train.py`
        words = [w for w in words if not w.startswith("trainer.max_steps=")]
        status, err = run_main(
            monkeypatch, capsys, tmp_path, *words, f"trainer.max_steps={max_steps}", base=()
        )
        assert status == 0, err
    resumed = json.loads((sweep / "0" / "summary.json").read_text())
    assert resumed["g_steps"] == steps + 20 and resumed["wall_time_parts"] == 2
    assert json.loads((sweep / "2" / "summary.json").read_text())["g_steps"] == 20


@pytest.mark.slow
def test_sigterm_to_the_sweep_stops_its_jobs_with_status_143(tmp_path):
    sweep = tmp_path / "sweep"
    proc = start_sweep(tmp_path, sweep, "trainer.max_steps=20000", "seed=0,1")
    wait_until_training(sweep, ["0", "1"], proc)
    proc.send_signal(signal.SIGTERM)  # the sweep's process alone, as `kill` or a scheduler does
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 143, stderr[-3000:]
    assert "SIGTERM stopped the sweep: 2 jobs interrupted" in stderr
    for job in ("0", "1"):
        assert json.loads((sweep / job / "summary.json").read_text())["interrupted"]
        assert (sweep / job / "checkpoints" / "last.ckpt").is_file()


@pytest.mark.slow
def test_optuna_runs_its_trials_two_at_a_time(tmp_path):
    sweep = tmp_path / "sweep"
    run = run_train(
        tmp_path,
        "hparams_search=optuna",
        "hydra/launcher=local",
        "hydra.launcher.n_jobs=2",
        "hydra.sweeper.n_jobs=2",  # Optuna hands the launcher two trials at a time
        "hydra.sweeper.n_trials=2",
        "metrics=default",  # validation gives the best metric that Optuna minimises
        "metrics.points.num_samples=500",
        "metrics.points.divergences=false",
        *TINY_MLP,
        "trainer.max_steps=10",
        f"hydra.sweep.dir={sweep}",
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "litgan: 2 jobs, 2 at a time" in run.stdout
    results = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    bests = [json.loads((sweep / job / "summary.json").read_text())["best"] for job in ("0", "1")]
    assert results["best_value"] == min(b["value"] for b in bests)
