"""A sweep one job at a time (Hydra's basic launcher) against the same sweep with
`hydra/launcher=local`, in one sitting: wall times, their ratio, and whether every job's
metrics.csv came out identical in both.

    python benchmarks/parallel_sweep.py [--json PATH] [-- OVERRIDES ...]

Without overrides it runs `python train.py -m experiment=game_study` (30 ring jobs; issue #32's
target: the parallel sweep at most 0.55 of the time on the 2-core machine). Overrides after
`--` go to both sweeps, e.g. `-- seed=0 penalty=none loss=minimax,hinge` for a shorter check.
Run it on an otherwise idle machine: the load averages before and after are printed with the
times, and a busy machine makes the ratio meaningless.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Named on both sides: the preset runs on hydra/launcher=local by itself.
LAUNCHERS = {
    "one at a time": ["hydra/launcher=basic"],
    "hydra/launcher=local": ["hydra/launcher=local"],
}


def sweep(sweep_dir: Path, launcher: list[str], overrides: list[str]) -> float:
    """Wall seconds of one sweep; stops the benchmark if the sweep fails."""
    command = [sys.executable, str(REPO / "train.py"), "-m", "experiment=game_study", *launcher]
    command += ["trainer.enable_progress_bar=false", *overrides, f"hydra.sweep.dir={sweep_dir}"]
    print("$", " ".join(command[1:]), flush=True)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    sweep_dir.with_suffix(".stdout").write_text(done.stdout)  # what the terminal would show
    if done.returncode != 0:
        sys.exit(f"the sweep failed (status {done.returncode}):\n{done.stderr[-3000:]}")
    return seconds


def cpu_name() -> str:
    """The CPU's model name, as /proc/cpuinfo gives it (the machine's type elsewhere)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.machine()


def same_numbers(a: Path, b: Path) -> tuple[int, list[str]]:
    """How many jobs the sweeps share, and those whose metrics.csv differ."""
    jobs = sorted(p.parent.name for p in a.glob("*/metrics.csv"))
    csv = "metrics.csv"
    return len(jobs), [j for j in jobs if (a / j / csv).read_bytes() != (b / j / csv).read_bytes()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    parser.add_argument("--keep", type=Path, help="keep the two sweeps here (default: deleted)")
    parser.add_argument("overrides", nargs="*", help="after --: overrides for both sweeps")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch)
        load_before = os.getloadavg()
        seconds = {
            name: sweep(root / f"sweep_{i}", launcher, args.overrides)
            for i, (name, launcher) in enumerate(LAUNCHERS.items())
        }
        load_after = os.getloadavg()
        jobs, differ = same_numbers(root / "sweep_0", root / "sweep_1")

    basic, local = seconds.values()
    result = {
        "command": "python train.py -m experiment=game_study " + " ".join(args.overrides),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{cpu_name()}, {len(os.sched_getaffinity(0))} usable cores",
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
        "jobs": jobs,
        "one_at_a_time_s": round(basic, 1),
        "local_s": round(local, 1),
        "ratio": round(local / basic, 3),
        "jobs_with_different_metrics": differ,
    }
    print(json.dumps(result, indent=2))
    print(
        f"{jobs} jobs: one at a time {basic:.1f} s, hydra/launcher=local {local:.1f} s, "
        f"ratio {local / basic:.3f}; metrics.csv identical in "
        f"{jobs - len(differ)} of {jobs} jobs"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
