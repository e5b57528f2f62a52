"""Start-up costs a user feels: `python train.py --help`, a config error, and the time from
typing the command to the first training iteration.

    python benchmarks/startup.py [--repeats 3] [--train PATH/train.py]

The training case runs the default ring/MLP config for one generator step without validation;
a callback added on the command line writes the wall clock when the first training batch
starts, so the time to it covers imports, config composition, data and model set-up.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TRAIN = str(Path(__file__).resolve().parents[1] / "train.py")


def first_iteration_clock(path: str) -> Any:
    """A Lightning callback writing time.time() to `path` when the first training batch starts.

    Built here rather than at import: this module is loaded by the timed process, and importing
    Lightning at its top would move that cost out of the configuration phase.
    """
    import pytorch_lightning as pl

    class FirstIteration(pl.Callback):
        def on_train_batch_start(self, *args: Any) -> None:
            if not Path(path).exists():
                Path(path).write_text(repr(time.time()))

    return FirstIteration()


def run(train: str, args: list[str], expect: int = 0) -> tuple[float, float | None]:
    """Wall seconds of `python train <args>`, and seconds to the first training batch if any."""
    with tempfile.TemporaryDirectory() as cwd:
        stamp = Path(cwd, "first_iteration")
        clock = [
            "+callbacks.clock._target_=startup.first_iteration_clock",
            f"+callbacks.clock.path={stamp}",
        ]
        argv = [*args, *clock] if "--help" not in args else args
        # This folder first, for the clock; then any PYTHONPATH given, e.g. another checkout's src.
        path = [str(Path(__file__).parent), *filter(None, [os.environ.get("PYTHONPATH")])]
        env = os.environ | {"PYTHONPATH": os.pathsep.join(path)}
        start = time.time()
        proc = subprocess.run(
            [sys.executable, train, *argv, f"hydra.run.dir={cwd}/run"],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
        )
        wall = time.time() - start
        if proc.returncode != expect:
            raise SystemExit(f"{args} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
        first = float(stamp.read_text()) - start if stamp.exists() else None
        return wall, first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--train", default=TRAIN, help="the train.py to time")
    args = parser.parse_args()
    cases = {
        "python train.py --help": (["--help"], 0),
        "python train.py trainer.max_steps=0 (config error)": (["trainer.max_steps=0"], 2),
        "python train.py trainer.max_steps=1 metrics=none": (
            ["trainer.max_steps=1", "metrics=none"],
            0,
        ),
    }
    for label, (argv, expect) in cases.items():
        times = [run(args.train, argv, expect) for _ in range(args.repeats)]
        walls = [wall for wall, _ in times]
        line = f"{label:<52} median {statistics.median(walls):6.2f} s  (min {min(walls):.2f})"
        firsts = [first for _, first in times if first is not None]
        if firsts:
            line += f"; to the first iteration: median {statistics.median(firsts):.2f} s"
        print(line, flush=True)


if __name__ == "__main__":
    main()
