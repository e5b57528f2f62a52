"""Start-up costs a user feels: `python train.py --help`, and a whole 1-step training run.

    python benchmarks/startup.py [--repeats 3]

The 1-step run (default ring/MLP config, no validation) bounds the time from typing the
command to the first training iteration: imports, config composition, data and model set-up.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TRAIN = str(Path(__file__).resolve().parents[1] / "train.py")


def wall_time(args: list[str]) -> float:
    with tempfile.TemporaryDirectory() as cwd:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, TRAIN, *args, f"hydra.run.dir={cwd}/run"],
            cwd=cwd,
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cases = {
        "python train.py --help": ["--help"],
        "python train.py trainer.max_steps=1 metrics=none": ["trainer.max_steps=1", "metrics=none"],
    }
    for label, argv in cases.items():
        times = [wall_time(argv) for _ in range(args.repeats)]
        print(f"{label:<52} median {statistics.median(times):6.2f} s  (min {min(times):.2f})")


if __name__ == "__main__":
    main()
