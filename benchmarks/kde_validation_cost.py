"""What the kernel density estimate of data=points costs a run, beside the closed-form mixture
of the ring (docs/results.md, "Your own points"): per validation, the divergences (and W1) on
2,500 of G's points; per sample picture, the best-D panel; once per run, the estimate's fit.
Then the estimate's extra over a run of the default length (21 validations and pictures, as
`python train.py` makes), to set beside that run's wall time.

    OMP_NUM_THREADS=1 python benchmarks/kde_validation_cost.py
"""

from __future__ import annotations

import time

import torch

from litgan.data import GaussianMixtureDataModule, ShapeDataModule
from litgan.game.games import NonSaturating
from litgan.metrics.divergences import estimate_divergences
from litgan.metrics.kde import data_kde, estimate_kde_divergences
from litgan.pictures.samples import Mixture, best_d

REPEATS = 5
PER_RUN = 21  # validations and sample pictures of the default run (10,000 iterations, every 500)
PANEL = 80  # the best-D panel's grid: half the picture's 160


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
    panel_ring = best_of(panel(Mixture.of(ring), g_ring))
    panel_moons = best_of(panel(Mixture.of(moons), g_moons))
    print(
        f"ring, closed-form mixture: {mixture * 1000:.0f} ms per validation, "
        f"{panel_ring * 1000:.0f} ms per best-D panel"
    )
    print(
        f"moons, estimate of {len(kde.centres)} kernels (h={kde.bandwidth:.3g}): "
        f"{estimated * 1000:.0f} ms per validation, {panel_moons * 1000:.0f} ms per best-D "
        f"panel, {fit * 1000:.0f} ms to fit once"
    )
    extra = fit + PER_RUN * (estimated - mixture + panel_moons - panel_ring)
    print(f"the estimate's extra over {PER_RUN} validations and pictures: {extra:.2f} s")


def panel(mixture: Mixture, fake: torch.Tensor):
    """The best-D panel's evaluation on its grid, around the points as the picture frames them."""
    lo, hi = fake.min(0).values - 0.3, fake.max(0).values + 0.3
    xs = torch.linspace(float(lo[0]), float(hi[0]), PANEL)
    ys = torch.linspace(float(lo[1]), float(hi[1]), PANEL)
    on_grid = best_d(NonSaturating(), mixture, fake[:1000], float((hi - lo).max()))
    return lambda: on_grid(xs, ys)


if __name__ == "__main__":
    main()
