"""Torch threads for experiment=sharp_grid's networks: generator iterations/s at batch 1024.

    python benchmarks/grid_threads.py [--iterations 150] [--warmup 20]

The falling-rate phase of the grid preset (three quarters of its iterations) in a plain loop:
G, D, their optimizers, the game and R1 built from the composed `experiment=sharp_grid` config
(D 3x128), and again with D 3x256 (the wider D tried in docs/results.md); one D update with the
penalty and one G update through a frozen D per iteration. Each setting runs twice,
interleaved with the other thread count, so that a change of load shows as a spread.
`model.cpu_threads` is 1 for the MLP because at the default batch 256 a second thread costs
more than it gains; this measures whether that still holds for the grid's wider, larger steps.
"""

from __future__ import annotations

import argparse
import time

import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from litgan.config import CONFIG_DIR
from litgan.network_ops import frozen

DATA_SHAPE = [2]


def iterations_per_second(threads: int, d_width: int, iterations: int, warmup: int) -> float:
    """Rate of the plain loop with `threads` torch threads and D 3 x `d_width`."""
    hidden = ",".join([str(d_width)] * 3)
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose(
            "train", overrides=["experiment=sharp_grid", f"model.discriminator.hidden=[{hidden}]"]
        )
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    g = instantiate(cfg.model.generator, data_shape=DATA_SHAPE, _convert_="all")
    d = instantiate(cfg.model.discriminator, data_shape=DATA_SHAPE, _convert_="all")
    opt_g = instantiate(cfg.optim.generator, _convert_="all")(g.parameters())
    opt_d = instantiate(cfg.optim.discriminator, _convert_="all")(d.parameters())
    game, penalty = instantiate(cfg.loss), instantiate(cfg.penalty)
    batch = cfg.data.batch_size
    real = torch.randn(batch, *DATA_SHAPE)
    for i in range(warmup + iterations):
        if i == warmup:
            start = time.perf_counter()
        with torch.no_grad():
            fake = g(torch.randn(batch, g.nz))
        terms = game.value_terms(d(real), d(fake))
        d_loss = game.discriminator_loss(terms) + penalty(d, real, fake)
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
    """Print the rate of every D width and thread count, each measured twice."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=150)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    print("D hidden, threads: iterations/s")
    for width in (128, 256):
        for threads in (1, 2, 1, 2):
            rate = iterations_per_second(threads, width, args.iterations, args.warmup)
            print(f"3x{width}, {threads}: {rate:.1f}", flush=True)


if __name__ == "__main__":
    main()
