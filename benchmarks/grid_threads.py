"""Torch threads for experiment=sharp_grid's networks: generator iterations/s at batch 1024.

    python benchmarks/grid_threads.py [--iterations 150] [--warmup 20]

The falling-rate phase of the grid preset (three quarters of its iterations): G 3x256, D 3x128
(the preset) or 3x256 (the wider D tried in docs/results.md), the non-saturating game with R1
on D, Adam, one D and one G update per iteration, in a plain loop. Each setting runs twice,
interleaved with the other thread count, so that a change of load shows as a spread.
`model.cpu_threads` is 1 for the MLP because at the default batch 256 a second thread costs
more than it gains; this measures whether that still holds for the grid's wider, larger steps.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from litgan.networks import MLPDiscriminator, MLPGenerator

BATCH, NZ, R1_GAMMA = 1024, 16, 0.1


def iterations_per_second(threads: int, d_hidden: list[int], iterations: int, warmup: int) -> float:
    """Rate of the plain loop with `threads` torch threads and D of `d_hidden`."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    g = MLPGenerator(data_shape=[2], nz=NZ, hidden=[256, 256, 256], batch_norm=True)
    d = MLPDiscriminator(data_shape=[2], hidden=d_hidden, activation="leaky_relu")
    opt_g = torch.optim.Adam(g.parameters(), 1e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), 1e-3, betas=(0.5, 0.999))
    data = torch.randn(BATCH, 2)
    for i in range(warmup + iterations):
        if i == warmup:
            start = time.perf_counter()
        real = data.clone().requires_grad_(True)
        out_real = d(real)
        (grad,) = torch.autograd.grad(out_real.sum(), real, create_graph=True)
        fake = g(torch.randn(BATCH, NZ)).detach()
        r1 = R1_GAMMA / 2 * grad.pow(2).sum(1).mean()
        loss_d = F.softplus(-out_real).mean() + F.softplus(d(fake)).mean() + r1
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        d.requires_grad_(False)
        loss_g = F.softplus(-d(g(torch.randn(BATCH, NZ)))).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        d.requires_grad_(True)
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
            rate = iterations_per_second(threads, [width] * 3, args.iterations, args.warmup)
            print(f"3x{width}, {threads}: {rate:.1f}", flush=True)


if __name__ == "__main__":
    main()
