"""litgan's training rate on one device: DCGAN-64 × 3 with each speed switch, and the ring MLP.

    python benchmarks/gpu_check_throughput.py --out FILE.json [--accelerator gpu]
        [--iterations 200] [--warmup 30] [--mlp-iterations 1000] [--mlp-warmup 100] [--tiny]

Runs benchmarks/train_throughput.py's litgan case (b), one run per row, without its plain
loop (a CPU-only loop: on a GPU machine it would take most of the time and say nothing about the
GPU). The configs and switches are that script's; `--tiny` shrinks DCGAN to ngf = ndf = 8 for
benchmarks/gpu_check.sh --cpu, which checks the plumbing, not the speed. A row that fails is
written with its error and the others still run; the file is rewritten after every row, so a
run stopped by a time limit keeps the rows it finished.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from train_throughput import CONFIGS, litgan_run, machine

# train_throughput.py's switches, by the names gpu_check reports them under.
DCGAN_ROWS = {
    "default": [],
    "channels_last": ["channels_last=true"],
    "bf16-mixed": ["trainer.precision=bf16-mixed"],
    "compile": ["compile=true"],  # last: its compilations are the slowest set-up
}
TINY_DCGAN = ["model.generator.ngf=8", "model.discriminator.ndf=8"]


def measure(name: str, iterations: int, warmup: int, overrides: list[str]) -> dict:
    """Generator iterations (and samples) per second of one litgan run, or its error."""
    start = time.perf_counter()
    try:
        rate = litgan_run(name, iterations, warmup, overrides)
    except Exception as err:  # one broken switch must not hide the other rows' numbers
        return {"error": f"{type(err).__name__}: {err}".splitlines()[0][:300]}
    return {
        "it_per_s": rate,
        "samples_per_s": rate * CONFIGS[name][1],
        "run_s": time.perf_counter() - start,  # with set-up and compilation
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--accelerator", default="gpu", help="trainer.accelerator: gpu or cpu")
    parser.add_argument("--iterations", type=int, default=200, help="DCGAN generator iterations")
    parser.add_argument("--warmup", type=int, default=30, help="DCGAN iterations not timed")
    parser.add_argument("--mlp-iterations", type=int, default=1000)
    parser.add_argument("--mlp-warmup", type=int, default=100)
    parser.add_argument("--tiny", action="store_true", help="DCGAN with ngf = ndf = 8")
    args = parser.parse_args()

    device = [f"trainer.accelerator={args.accelerator}"]
    tiny = TINY_DCGAN if args.tiny else []
    # gpu_check.sh --cpu sets it: compiling takes a minute on a CPU.
    compile_disabled = os.environ.get("TORCH_COMPILE_DISABLE") == "1"
    runs: dict[str, dict[str, dict]] = {"mlp_ring": {}, "dcgan64x3": {}}
    results = {
        "machine": machine(),
        "settings": vars(args) | {"out": str(args.out), "compile_disabled": compile_disabled},
        "runs": runs,
    }
    cases = [("mlp_ring", "default", args.mlp_iterations, args.mlp_warmup, device)] + [
        ("dcgan64x3", label, args.iterations, args.warmup, [*device, *tiny, *switch])
        for label, switch in DCGAN_ROWS.items()
    ]
    for name, label, iterations, warmup, overrides in cases:
        row = runs[name][label] = measure(name, iterations, warmup, overrides)
        args.out.write_text(json.dumps(results, indent=2) + "\n")
        print(f"{name} {label}: {row.get('it_per_s', row.get('error'))}", flush=True)


if __name__ == "__main__":
    main()
