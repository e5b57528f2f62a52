"""Exact resume after SIGKILL, `ckpt_path=last`, atomic checkpoint writes, the NaN stop and a
sweep that survives a failing job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from litgan.callbacks import save_atomically
from tests.conftest import REPO, TINY_MLP

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


def final_weights(run_dir: Path) -> dict[str, torch.Tensor]:
    """The G and D weights of a run's last checkpoint, loaded as litgan loads checkpoints."""
    ckpt = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    return ckpt["state_dict"]


def max_abs_diff(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    assert a.keys() == b.keys()
    return max(float((a[k].double() - b[k].double()).abs().max()) for k in a)


def kill_after_checkpoint(cwd: Path, run_dir: Path, *overrides: str) -> int:
    """Start train.py, SIGKILL it once a mid-run last.ckpt exists; the checkpoint's g_steps."""
    ckpt = run_dir / "checkpoints" / "last.ckpt"
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "train.py"), *overrides, f"hydra.run.dir={run_dir}"],
        cwd=cwd,
        env=env | {"OMP_NUM_THREADS": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not ckpt.exists():
            assert proc.poll() is None, "training ended before its first checkpoint"
            assert time.monotonic() < deadline, "no checkpoint within 120 s"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (run_dir / "summary.json").exists(), "the kill came after the run had finished"
    return torch.load(ckpt, weights_only=True)["g_steps"]


def test_resume_after_sigkill_reproduces_the_uninterrupted_run(train_in, tmp_path):
    overrides = [*EXACT, "trainer.max_steps=300"]
    reference = train_in(*overrides, run_dir=tmp_path / "reference")
    assert reference.returncode == 0, reference.stderr[-3000:]

    killed_dir = tmp_path / "killed"
    resumed_from = kill_after_checkpoint(tmp_path, killed_dir, *overrides)
    assert 0 < resumed_from < 300
    # ckpt_path=last: the same hydra.run.dir, its checkpoints/last.ckpt
    resumed = train_in(*overrides, "ckpt_path=last", run_dir=killed_dir)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert resumed.summary["g_steps"] == 300

    diff = max_abs_diff(final_weights(reference.run_dir), final_weights(killed_dir))
    print(f"resumed from generator iteration {resumed_from}: max abs diff {diff:.3g}")
    assert diff <= 1e-6
