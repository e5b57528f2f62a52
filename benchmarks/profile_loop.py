"""Where the time of a generator iteration goes: cProfile of the plain loop and of litgan.

    python benchmarks/profile_loop.py [--config mlp_ring] [--iterations 300] [--warmup 50]
        [--top 25] [litgan overrides, e.g. ++data.on_device=true]

Both sides of benchmarks/train_throughput.py run under cProfile over the same measured
iterations (litgan's, from its first Lightning batch end at or after --warmup), on one thread
pinned to one core, as its --paired measurement. Printed per generator iteration: Python
function calls (a count that does not depend on how loaded the machine is), profiled time by
package, and the Lightning and litgan functions with the most cumulative time. cProfile adds a
cost to every Python call, so profiled times overstate Python-heavy code against the tensor
math: read them as shares.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
from collections import Counter

from train_throughput import CONFIGS, litgan_clock, pin_one_core, plain_loop

# Path fragments, first match wins; built-in functions ("~") are torch's C ops or Python's.
PACKAGES = (
    "pytorch_lightning",
    "lightning_fabric",
    "lightning_utilities",
    "tqdm",
    "litgan",
    "torch",
    "train_throughput",
)


def package(path: str, name: str) -> str:
    """The group a profiled function is counted in."""
    if path == "~":
        return "torch ops (C)" if "torch" in name else "Python built-ins"
    return next((p for p in PACKAGES if p in path), "other Python")


def report(label: str, profile: cProfile.Profile, iterations: int, top: int) -> None:
    """Calls and profiled milliseconds per iteration, by package, then the top functions."""
    stats = pstats.Stats(profile).stats
    calls = sum(row[1] for row in stats.values())
    total = sum(row[2] for row in stats.values())
    print(f"\n{label}: {calls / iterations:.0f} Python calls and {total / iterations * 1e3:.2f} ms")
    print("profiled per iteration")
    groups: Counter[str] = Counter()
    for (path, _, name), row in stats.items():
        groups[package(path, name)] += row[2]
    for group, seconds in groups.most_common():
        print(f"  {group:<22} {seconds / iterations * 1e3:7.3f} ms  {seconds / total:6.1%}")
    ours = [
        (row[3], row[1], f"{path.split('site-packages/')[-1]}:{line}({name})")
        for (path, line, name), row in stats.items()
        if "lightning" in path or "litgan" in path
    ]
    print(f"  top {top} Lightning and litgan functions, cumulative ms and calls per iteration:")
    for seconds, count, where in sorted(ours, reverse=True)[:top]:
        print(f"  {seconds / iterations * 1e3:8.3f} ms {count / iterations:6.1f}  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="mlp_ring", choices=sorted(CONFIGS))
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("overrides", nargs="*", help="for the litgan run")
    args = parser.parse_args()
    pin_one_core()  # one thread: attribution without the thread pool's waits
    litgan = cProfile.Profile()
    # From the first Lightning batch that ends after the warm-up: with several generator
    # iterations per batch, that can be later than --warmup; the plain loop starts there too.
    clock = litgan_clock(args.config, args.iterations, args.warmup, args.overrides, litgan)
    plain = cProfile.Profile()
    plain_loop(args.config, args.iterations, clock.window[0][0], plain)
    report("plain loop", plain, clock.measured, args.top)
    report("litgan", litgan, clock.measured, args.top)


if __name__ == "__main__":
    main()
