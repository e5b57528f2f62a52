"""The Fréchet distance and feature statistics, against closed forms and NumPy/SciPy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch
from torch_fidelity.metric_fid import fid_statistics_to_metric

from litgan.metrics import feature_statistics, frechet_distance, stats_distance


def random_spd(dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(dim, 2 * dim))
    return a @ a.T / (2 * dim) + 0.1 * np.eye(dim)


def scipy_fid(mu1, sigma1, mu2, sigma2) -> float:
    """The textbook formula with SciPy's general matrix square root (as pytorch-fid computes it)."""
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(sigma1 + sigma2 - 2 * covmean))


@pytest.mark.parametrize("dim", [1, 7, 64])
def test_matches_an_independent_scipy_computation(dim):
    rng = np.random.default_rng(dim)
    mu1, mu2 = rng.normal(size=dim), rng.normal(size=dim)
    sigma1, sigma2 = random_spd(dim, 1), random_spd(dim, 2)
    ours = frechet_distance(*map(torch.from_numpy, (mu1, sigma1, mu2, sigma2)))
    assert ours == pytest.approx(scipy_fid(mu1, sigma1, mu2, sigma2), rel=1e-9, abs=1e-12)


def test_two_gaussians_with_a_closed_form():
    # Diagonal (commuting) covariances: d² = |μ₁ − μ₂|² + Σᵢ (√aᵢ − √bᵢ)².
    mu1, mu2 = torch.tensor([0.0, 1.0, -2.0]), torch.tensor([3.0, 1.0, 2.0])
    a, b = torch.tensor([1.0, 4.0, 9.0]), torch.tensor([4.0, 4.0, 0.25])
    expected = 25.0 + (1 - 2) ** 2 + 0.0 + (3 - 0.5) ** 2
    assert frechet_distance(mu1, torch.diag(a), mu2, torch.diag(b)) == pytest.approx(expected)


def test_isotropic_gaussians():
    # N(0, s₁² I) vs N(m, s₂² I) in d dimensions: |m|² + d (s₁ − s₂)².
    d = 256
    mu2 = torch.full((d,), 0.01)
    value = frechet_distance(torch.zeros(d), 4.0 * torch.eye(d), mu2, 2.25 * torch.eye(d))
    assert value == pytest.approx(d * 1e-4 + d * (2.0 - 1.5) ** 2, rel=1e-10)


def test_agrees_with_torch_fidelity_on_feature_statistics():
    gen = torch.Generator().manual_seed(0)
    a = feature_statistics(torch.randn(300, 32, generator=gen))
    b = feature_statistics(torch.randn(300, 32, generator=gen) * 1.3 + 0.2)
    theirs = fid_statistics_to_metric(
        {"mu": a.mu.numpy(), "sigma": a.sigma.numpy()},
        {"mu": b.mu.numpy(), "sigma": b.sigma.numpy()},
        verbose=False,
    )["frechet_inception_distance"]
    assert stats_distance(a, b) == pytest.approx(theirs, rel=1e-9)


@pytest.mark.parametrize("num_samples", [500, 10])  # 10 < 64: a singular covariance
def test_a_set_against_itself_is_zero(num_samples):
    features = torch.randn(num_samples, 64, generator=torch.Generator().manual_seed(1))
    stats = feature_statistics(features)
    # Zero eigenvalues come back as ±round-off, and the square root magnifies that: ~1e-7.
    assert abs(stats_distance(stats, stats)) < 1e-6 * float(stats.sigma.trace())


def test_statistics_are_float64_mean_and_unbiased_covariance():
    features = torch.randn(50, 5, generator=torch.Generator().manual_seed(2))
    stats = feature_statistics(features)
    assert stats.mu.dtype == stats.sigma.dtype == torch.float64 and stats.num_samples == 50
    x = features.double().numpy()
    np.testing.assert_allclose(stats.mu.numpy(), x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(stats.sigma.numpy(), np.cov(x, rowvar=False), rtol=1e-12)


def test_needs_at_least_two_samples():
    with pytest.raises(ValueError, match="N >= 2"):
        feature_statistics(torch.zeros(1, 4))


def test_the_distance_of_a_singular_set_to_itself_is_not_negative():
    """Round-off made these -3e-5 before the clamp: litgan-fid A A printed a negative FID."""
    for seed in range(3):
        features = 10 * torch.randn(50, 64, generator=torch.Generator().manual_seed(seed))
        stats = feature_statistics(features)
        assert stats_distance(stats, stats) == 0.0
