"""Torch threads and lazy R1 for experiment=sharp_grid's networks: generator iterations/s.

    python benchmarks/grid_threads.py [--iterations 150] [--warmup 20]

The grid preset's loop in plain code: G, D, their optimizers, the game and R1 built from the
composed `experiment=sharp_grid` config (G 3x256, D 3x128, R1 on every D update), and again
with D 3x256 and with lazy R1 on every 4th D update (tried in docs/results.md); one D update
with the penalty when it is due and one G update through a frozen D per iteration. Batch 256
is the preset's first quarter of the iterations, batch 1024 the rest, where the rates fall.
Each setting runs twice, interleaved with the other thread count, so that a change of load
shows as a spread. `model.cpu_threads` is 1 for the MLP because at the default widths and
batch 256 a second thread costs more than it gains; this measures whether that holds here.
"""

from __future__ import annotations

import argparse
import time

import torch
from hydra.utils import instantiate
from train_throughput import players

from litgan.config.compose import compose
from litgan.gan.players import frozen

DATA_SHAPE = [2]
# (D's width, R1 every, batch): the preset's two phases, then the variants tried.
SETTINGS = [(128, 1, 256), (128, 1, 1024), (256, 1, 1024), (256, 4, 256), (256, 4, 1024)]


def iterations_per_second(
    threads: int, d_width: int, every: int, batch: int, iterations: int, warmup: int
) -> float:
    """Rate of the plain loop with `threads` torch threads, D 3 x `d_width`, R1 every `every`."""
    hidden = ",".join([str(d_width)] * 3)
    cfg = compose(
        [
            "experiment=sharp_grid",
            f"model.discriminator.hidden=[{hidden}]",
            f"penalty.every={every}",
        ]
    )
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    g, d, opt_g, opt_d = players(cfg, DATA_SHAPE)
    game, penalty = instantiate(cfg.loss), instantiate(cfg.penalty)
    real = torch.randn(batch, *DATA_SHAPE)
    for i in range(warmup + iterations):
        if i == warmup:
            start = time.perf_counter()
        with torch.no_grad():
            fake = g(torch.randn(batch, g.nz))
        d_loss = game.discriminator_loss(game.value_terms(d(real), d(fake)))
        if penalty.due(i):
            d_loss = d_loss + penalty.every * penalty(d, real, fake)
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        with frozen(d):
            g_loss = game.generator_loss(d(g(torch.randn(batch, g.nz))))
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
        opt_g.step()
    float(g_loss.detach())  # wait for the last step
    return iterations / (time.perf_counter() - start)


def main() -> None:
    """Print the rate of every setting and thread count, each measured twice."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=150)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    print("D hidden, R1 every, batch, threads: iterations/s")
    for width, every, batch in SETTINGS:
        for threads in (1, 2, 1, 2):
            rate = iterations_per_second(threads, width, every, batch, args.iterations, args.warmup)
            print(f"3x{width}, {every}, {batch}, {threads}: {rate:.1f}", flush=True)


if __name__ == "__main__":
    main()
