"""Real DDP on CPU: 2 processes over gloo, through `python train.py` as users run it (a process
of its own, not pytest's: DDP starts its second rank, and submitit its jobs, as processes)."""

from __future__ import annotations

import json
import signal
import time

import pytest
import torch

from tests.helpers import warm_python
from tests.helpers.runs import REPO, TINY_MLP, run_train

DDP = ["trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2"]
PROBE = "+callbacks.probe._target_=tests.helpers.ddp_probe.DDPProbe"


@pytest.mark.slow
def test_ddp_ranks_draw_different_noise_and_end_with_identical_weights(tmp_path):
    probe = tmp_path / "probe.json"
    run = run_train(
        tmp_path,
        *DDP,
        *TINY_MLP,
        "trainer.max_steps=10",
        PROBE,
        f"+callbacks.probe.path={probe}",
        env={"PYTHONPATH": str(REPO)},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.summary["world_size"] == 2 and run.summary["g_steps"] == 10
    seen = json.loads(probe.read_text())
    assert seen["world_size"] == 2
    assert seen["params_equal"]  # gradients were averaged: both ranks took the same steps
    assert not seen["z_equal"]  # each rank's fake half of the global batch is its own
    assert seen["eval_noise_equal"]  # samples and FID use the same fixed noise everywhere
    assert seen["logged_value_equal"]  # train/* scalars are averaged over the ranks
    # Rank 1 wrote no run files of its own: one metrics.csv, one summary, one checkpoint.
    assert sorted(p.name for p in run.run_dir.glob("**/last.ckpt")) == ["last.ckpt"]


@pytest.mark.slow
def test_multirun_with_ddp_makes_one_directory_per_job(tmp_path):
    sweep = tmp_path / "sweep"
    run = run_train(
        tmp_path,
        "-m",
        *DDP,
        *TINY_MLP,
        "trainer.max_steps=5",
        "loss=minimax,non_saturating",
        run_dir=sweep,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert sorted(p.name for p in sweep.iterdir()) == ["0", "1", "multirun.yaml"]
    for job in ("0", "1"):
        assert json.loads((sweep / job / "summary.json").read_text())["world_size"] == 2
    # Nothing outside the sweep: rank 1 ran this job, not a nested sweep elsewhere.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep"]
    assert run.stderr.count("Launching 2 jobs") + run.stdout.count("Launching 2 jobs") == 1


@pytest.mark.slow
def test_sweep_through_submitit_local_runs_each_job_as_its_own_process(tmp_path):
    sweep = tmp_path / "sweep"
    run = run_train(
        tmp_path,
        "-m",
        "hydra/launcher=submitit_local",
        *TINY_MLP,
        "trainer.max_steps=5",
        "loss=minimax,non_saturating",
        run_dir=sweep,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    for job in ("0", "1"):
        summary = json.loads((sweep / job / "summary.json").read_text())
        assert summary["g_steps"] == 5
    # submitit's own records of the two processes it ran.
    assert len(list((sweep / ".submitit").glob("*/*_result.pkl"))) == 2


@pytest.mark.slow
def test_sigterm_to_rank_0_stops_every_rank_after_the_same_iteration(tmp_path):
    """SLURM signals every task; `kill <pid>` only rank 0: the ranks agree all the same."""
    run_dir, probes = tmp_path / "run", tmp_path / "probes"
    probes.mkdir()
    argv = [
        *DDP,
        *TINY_MLP,
        "metrics=none",
        "trainer.max_steps=100000",
        "checkpoint_every=10",
        "+callbacks.stop_probe._target_=tests.helpers.ddp_probe.StopProbe",
        f"+callbacks.stop_probe.dirpath={probes}",
        f"hydra.run.dir={run_dir}",
    ]
    with (tmp_path / "stderr").open("w") as err:
        proc = warm_python.popen(
            [str(REPO / "train.py"), *argv],
            cwd=tmp_path,
            env=warm_python.run_env(OMP_NUM_THREADS="1", PYTHONPATH=str(REPO)),
            stderr=err,
        )
        try:
            deadline = time.monotonic() + 120
            while not (run_dir / "checkpoints" / "last.ckpt").exists():
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 143
        finally:
            proc.kill()
            proc.wait()
    stopped = [json.loads((probes / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert stopped[0] == stopped[1]
    assert stopped[0]["exception"] == "Interrupted"
    ckpt = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["g_steps"] == stopped[0]["g_steps"]
    # One resume line, from rank 0.
    assert (tmp_path / "stderr").read_text().count("resume with:") == 1
