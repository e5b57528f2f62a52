"""Density and coverage (litgan.metrics.prdc) on their closed forms."""

from __future__ import annotations

import pytest
import torch

from litgan.metrics.prdc import density_coverage, nearest_radii


def gaussian(n: int, seed: int, dim: int = 8) -> torch.Tensor:
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.mark.parametrize("k", [3, 5])
def test_two_samples_of_one_gaussian_give_density_one_and_coverage_one_minus_two_to_the_minus_k(k):
    # Real sample i's ball holds its k nearest real neighbours; among the 2n - 1 other points of
    # both samples, its nearest generated point is nearer than its k-th real one with probability
    # 1 - C(n, k) / C(2n - 1, k), about 1 - 2^-k; and a generated point falls in as many balls as
    # a real one would, k on average: density 1.
    n = 4000
    scores = density_coverage(gaussian(n, seed=1), gaussian(n, seed=2), k=k)
    assert scores["density"] == pytest.approx(1.0, abs=0.05)
    assert scores["coverage"] == pytest.approx(1 - 2**-k, abs=0.02)


def test_a_set_against_itself_has_coverage_one_even_with_duplicates():
    real = gaussian(500, seed=3)
    real[100:110] = real[99]  # radii of 0: a strict < would leave these balls empty
    assert density_coverage(real, real)["coverage"] == 1.0


def test_a_collapsed_set_has_low_coverage_and_outliers_do_not_raise_density():
    real = gaussian(2000, seed=4)
    collapsed = real[0] + 0.01 * gaussian(2000, seed=5)
    assert density_coverage(collapsed, real)["coverage"] < 0.01
    # Far outliers lie in no real ball: density falls by their share, coverage does not rise.
    fake = gaussian(2000, seed=6)
    with_outliers = torch.cat([fake[:1800], 100 + gaussian(200, seed=7)])
    clean, noisy = density_coverage(fake, real), density_coverage(with_outliers, real)
    assert noisy["density"] == pytest.approx(0.9 * clean["density"], rel=0.05)
    assert noisy["coverage"] <= clean["coverage"]


def test_chunks_give_the_numbers_of_one_distance_matrix(monkeypatch):
    import litgan.metrics.prdc as prdc

    fake, real = gaussian(300, seed=8), gaussian(250, seed=9)
    whole = density_coverage(fake, real)
    monkeypatch.setattr(prdc, "CHUNK_ENTRIES", 5000)  # 20 rows of 250 distances at once
    assert density_coverage(fake, real) == whole


def test_k_must_leave_neighbours():
    with pytest.raises(ValueError, match="k must be in"):
        density_coverage(gaussian(10, seed=0), gaussian(5, seed=0), k=5)


def test_radii_computed_once_give_the_same_scores():
    real, fake = gaussian(500, seed=0), gaussian(400, seed=1)
    assert density_coverage(fake, real, 3, nearest_radii(real.double(), 3)) == density_coverage(
        fake, real, 3
    )
