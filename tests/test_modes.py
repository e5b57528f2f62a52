"""Mode coverage on 2D sample sets built to have a known answer."""

from __future__ import annotations

import math

import pytest
import torch

from litgan.data import mixture_modes
from litgan.metrics import feature_statistics, mode_coverage, stats_distance

RING = mixture_modes("ring", 8, 1.0)
GRID = mixture_modes("grid", 25, 2.0)
STD = 0.01
# An isotropic 2D Gaussian puts 1 - exp(-k²/2) of its mass within k standard deviations.
WITHIN_3_STD = 1 - math.exp(-4.5)


def around(centres: torch.Tensor, n: int, std: float, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    which = torch.arange(n) % len(centres)
    return centres[which] + std * torch.randn(n, 2, generator=gen)


def test_samples_from_the_data_cover_every_mode():
    coverage = mode_coverage(around(RING, 2500, STD), RING, STD)
    assert coverage.modes == 8
    assert coverage.high_quality == pytest.approx(WITHIN_3_STD, abs=0.006)
    assert coverage.reverse_kl == pytest.approx(0.0, abs=1e-5)  # 313 or 312 samples a mode


def test_everything_collapsed_into_one_mode():
    coverage = mode_coverage(around(RING[3:4], 2500, STD), RING, STD)
    assert coverage.modes == 1
    assert coverage.high_quality == pytest.approx(WITHIN_3_STD, abs=0.006)


def test_grid_with_missing_modes():
    kept = GRID[:20]
    coverage = mode_coverage(around(kept, 2500, 0.05), GRID, 0.05)
    assert coverage.modes == 20


def test_samples_between_modes_are_neither_high_quality_nor_capture_anything():
    midpoints = (RING + RING.roll(1, 0)) / 2  # 0.38 from each neighbour: far beyond 3 std
    coverage = mode_coverage(around(midpoints, 800, STD), RING, STD)
    assert coverage.modes == 0 and coverage.high_quality == 0.0


def test_one_high_quality_sample_captures_a_mode_and_the_boundary_counts():
    on_boundary = RING[0] + torch.tensor([3 * STD, 0.0])
    just_outside = RING[1] + torch.tensor([3.01 * STD, 0.0])
    coverage = mode_coverage(torch.stack([on_boundary, just_outside]), RING.double(), STD)
    assert coverage.modes == 1 and coverage.high_quality == 0.5


def test_why_2d_fid_is_read_beside_modes():
    # Every other ring mode: the same mean and covariance as all eight, so the 2D Fréchet
    # distance is about 0 while half the modes are missing.
    real = feature_statistics(around(RING, 2500, STD, seed=1))
    half = around(RING[::2], 2500, STD, seed=2)
    assert stats_distance(feature_statistics(half), real) < 1e-3
    assert mode_coverage(half, RING, STD).modes == 4
    assert mode_coverage(half, RING, STD).reverse_kl == pytest.approx(math.log(2))


def test_reverse_kl_sees_a_mode_that_one_sample_still_captures():
    # 7 modes share 2,499 samples evenly; the eighth keeps a single one and still counts.
    almost = torch.cat([around(RING[:7], 2499, STD), RING[7:]])
    coverage = mode_coverage(almost, RING, STD)
    assert coverage.modes == 8
    shares = torch.tensor([357 / 2500] * 7 + [1 / 2500], dtype=torch.float64)
    expected = float((shares * torch.log(shares * 8)).sum())
    assert coverage.reverse_kl == pytest.approx(expected) and coverage.reverse_kl > 0.1
    assert mode_coverage(around(RING[3:4], 100, STD), RING, STD).reverse_kl == pytest.approx(
        math.log(8)
    )
