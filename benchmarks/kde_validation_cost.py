"""Per-validation cost of the 2D scores: the ring's closed-form mixture against data=moons'
kernel density estimate (docs/results.md, "Your own points"). Times what a validation adds for
each: the divergences (and W1) on 2,500 of G's points; and, once per run, the estimate's fit.

    OMP_NUM_THREADS=1 python benchmarks/kde_validation_cost.py
"""

from __future__ import annotations

import time

import torch

from litgan.data import GaussianMixtureDataModule, ShapeDataModule
from litgan.metrics.divergences import estimate_divergences
from litgan.metrics.kde import data_kde, estimate_kde_divergences

REPEATS = 5


def best_of(fn) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    ring = GaussianMixtureDataModule(batch_size=256)
    ring.setup("fit")
    g_ring = ring.real_batch(2500, seed=1) + 0.02 * torch.randn(2500, 2)
    weights = torch.ones(len(ring.modes))
    mixture = best_of(lambda: estimate_divergences(ring.modes, ring.std, weights, g_ring))
    moons = ShapeDataModule("moons", batch_size=256)
    moons.setup("fit")
    start = time.perf_counter()
    kde = data_kde(moons)
    fit = time.perf_counter() - start
    g_moons = moons.real_batch(2500, seed=1) + 0.02 * torch.randn(2500, 2)
    sample = moons.real_batch(2500, seed=2)
    estimated = best_of(lambda: estimate_kde_divergences(kde, g_moons, sample))
    print(f"ring, closed-form mixture: {mixture * 1000:.0f} ms per validation")
    print(
        f"moons, estimate of {len(kde.centres)} kernels (h={kde.bandwidth:.3g}): "
        f"{estimated * 1000:.0f} ms per validation, {fit * 1000:.0f} ms to fit once"
    )


if __name__ == "__main__":
    main()
