"""benchmarks/gpu_check.sh: runs end to end (--cpu) and reports every number; bad usage stops it."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.helpers.runs import REPO

SCRIPT = REPO / "benchmarks" / "gpu_check.sh"


def gpu_check(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = os.environ | {
        "PYTHON": sys.executable,
        "OMP_NUM_THREADS": "1",
        "TORCH_HOME": str(tmp_path / "torch"),  # the Inception weights are built in here
    }
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def positive_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < math.inf


@pytest.mark.slow
def test_the_cpu_check_runs_every_step_and_reports_numbers(tmp_path):
    out = tmp_path / "out"
    run = gpu_check(str(out), "--cpu", tmp_path=tmp_path)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    report = json.loads((out / "gpu_check.json").read_text())
    assert report["mode"] == "cpu"
    assert set(report["steps"]) == {"tests", "throughput", "fid"}
    for step in report["steps"].values():
        assert step["exit_status"] == 0 and positive_number(step["seconds"])
    tests = report["tests"]
    assert (tests["passed"], tests["failed"], tests["errors"], tests["skipped"]) == (2, 0, 0, 0)
    runs = report["throughput"]["runs"]
    assert set(runs["dcgan64x3"]) == {"default", "channels_last", "compile", "bf16-mixed"}
    for row in [*runs["dcgan64x3"].values(), runs["mlp_ring"]["default"]]:
        assert all(positive_number(row[k]) for k in ("it_per_s", "samples_per_s", "run_s")), row
    dcgan = runs["dcgan64x3"]["default"]
    assert dcgan["samples_per_s"] == pytest.approx(64 * dcgan["it_per_s"])  # batch 64
    fid = report["fid"]
    assert fid["num_samples"] == 4
    for key in ("load_s", "real_stats_cached_s", "validation_s", "with_cache_s", "val_fid"):
        assert positive_number(fid[key]), key
    assert fid["with_cache_s"] < fid["without_cache_s"]
    assert positive_number(report["total_s"])

    table = (out / "gpu_check.md").read_text()
    assert run.stdout.endswith(table)  # the script prints the table last
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert rows[0] == "| check | result | vs default |"
    assert len(rows) == 1 + 1 + 4 + 1 + 2  # header, tests, 4 DCGAN rows, MLP, 2 FID rows
    assert "not measured" not in table and "failed:" not in table
    assert "2 passed, 0 failed" in table and "images/s" in table and "it/s" in table


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "usage: benchmarks/gpu_check.sh OUT_DIR [--cpu]"),
        (("out", "--gpu"), "unknown option --gpu"),
        (("a", "b"), "one OUT_DIR only"),
    ],
)
def test_bad_usage_is_one_line_and_exit_status_2(tmp_path, args, message):
    run = gpu_check(*args, tmp_path=tmp_path)
    assert run.returncode == 2
    assert run.stderr.startswith("gpu_check: ") and run.stderr.count("\n") == 1
    assert message in run.stderr
    assert not any(tmp_path.iterdir())


@pytest.mark.skipif(torch.cuda.is_available(), reason="with CUDA this would run the whole check")
def test_without_cuda_it_points_to_cpu(tmp_path):
    run = gpu_check(str(tmp_path / "out"), tmp_path=tmp_path)
    assert run.returncode == 2
    assert run.stderr == (
        "gpu_check: no CUDA device here; benchmarks/gpu_check.sh OUT_DIR --cpu checks the "
        "script on a CPU\n"
    )
    assert not any(tmp_path.iterdir())
