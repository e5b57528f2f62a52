"""Shared helpers: run `train.py` the way a user does, in a scratch directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Small networks and short runs keep the end-to-end tests to a few seconds each.
TINY_MLP = [
    "model.generator.hidden=[32,32]",
    "model.discriminator.hidden=[32,32]",
]
TINY_DCGAN = ["model=dcgan", "model.generator.ngf=8", "model.discriminator.ndf=8"]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    run_dir: Path

    @property
    def summary(self) -> dict:
        return json.loads((self.run_dir / "summary.json").read_text())


def run_train(
    cwd: Path, *overrides: str, run_dir: Path | None = None, env: dict[str, str] | None = None
) -> Run:
    """`python train.py <overrides>` from `cwd`, with the run (or sweep) directory pinned.

    With `-m` among the overrides, `run_dir` is the sweep directory.
    """
    run_dir = run_dir or cwd / "run"
    dir_key = "hydra.sweep.dir" if "-m" in overrides else "hydra.run.dir"
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"} | (env or {})
    env.setdefault("OMP_NUM_THREADS", "1")
    proc = subprocess.run(
        [sys.executable, str(REPO / "train.py"), *overrides, f"{dir_key}={run_dir}"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr, run_dir)


@pytest.fixture
def train_in(tmp_path: Path):
    """`train_in(*overrides)` runs train.py inside the test's scratch directory."""

    def _run(*overrides: str, run_dir: Path | None = None, env: dict | None = None) -> Run:
        return run_train(tmp_path, *overrides, run_dir=run_dir, env=env)

    return _run
