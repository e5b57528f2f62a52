"""Divergences between a Gaussian mixture known in closed form and a generator's 2D points.

Each game's best discriminator turns its value into a divergence between p_data and p_G
(`litgan.game.games`): Jensen–Shannon, total variation, triangular discrimination and
Wasserstein-1. Here they are estimated for the ring and the grid, whose density is an
isotropic Gaussian mixture (centres c_k, weights w_k, std σ), against N points of G.

Definition. p_G is known only through its points, and a kernel estimate of it set against the
sharp analytic p_data reads a large divergence even when G samples the data exactly (a KDE is
wider than the σ = 0.01 of the ring's modes). So both sides are smoothed with the same
Gaussian kernel K_h: p_h = p_data * K_h is again a mixture (std √(σ² + h²)) and q_h is the
kernel estimate of G's points with bandwidth h. The f-divergences reported are those of the
pair (p_h, q_h). Smoothing both sides never raises a divergence (data processing: convolution
is a Markov kernel; Sinn & Rawat 2017), so with h ≤ σ they are lower bounds of the true
ones that lose little on these data.

What h hides: structure of G finer than h. A mode of G shifted by δ ≪ √(σ² + h²) from the
data's reads close to 0; a G that collapses a mode to a point mass reads as N(c, h²) against
N(c, σ² + h²) (JSD about 0.05 at h = σ, where the true divergence is log 2).

Integration: importance sampling from m = (p_h + q_h) / 2, half of the draws from the
smoothed mixture, half from G's points plus N(0, h²) noise, so the draws come from m exactly.
With r = p_h / (p_h + q_h) at a draw, each divergence is the mean of a bounded function of r:

    JSD = E_m[r log 2r + (1 - r) log 2(1 - r)]   in [0, log 2]
    TV  = ½∫|p_h - q_h| = E_m[|2r - 1|]          in [0, 1]
    Δ   = ∫(p_h - q_h)² / (p_h + q_h) = E_m[2 (2r - 1)²]   in [0, 2]

Bounded integrands keep the Monte Carlo error below about 1/√num_eval (0.02 at the default
2,048 draws, a size chosen for a validation's cost), and far below it near p_G = p_data,
where they are nearly constant; the draws use their own seeded generator, so the same points
give the same numbers.

Floors (p_G = p_data): the kernel estimate from N points is noisy, which reads as a small
positive divergence. The largest of six seeds at h = σ with N = 2,500 points (a validation's
count), on the ring: JSD 0.002, TV 0.04, Δ 0.007, W1 0.04; on the grid: JSD 0.005, TV 0.08,
Δ 0.02, W1 0.19. They fall with N; tests/test_divergences.py holds them to these, about
doubled.

W1: an exact optimal transport (POT's network simplex, Euclidean cost) of G's points, each of
mass 1/N, to the mixture's centres with their weights: an N × K problem, milliseconds where a
transport to a sample of the mixture (N × N) takes seconds. It differs from W1 between G's
points and the mixture by at most the mean distance of a mixture sample to its centre,
σ √(π/2) (0.0125 on the ring, 0.063 on the grid). Its floor at p_G = p_data is that plus
what N points' chance imbalance over the modes costs to move (about 0.1 on the grid, whose
neighbouring modes are 2 apart, at N = 2,500).
"""

from __future__ import annotations

import math

import ot
import torch
from torch import Tensor

KEYS = ("jsd", "tv", "triangular", "w1")
NUM_EVAL = 2048  # draws from m per estimate
EVAL_SEED = 0  # the draws' own generator: estimates do not touch the global random state
LOG_CUT = -80.0  # kernels below e^-80 of their peak count as 0
CHUNK = 512  # draws per batched kernel evaluation (CHUNK × N distances in memory at once)


def _kernel_mean(at: Tensor, centres: Tensor, var: float, weights: Tensor) -> Tensor:
    """Σ_k w_k N(at; centres_k, var I) for 2D points, batched in chunks of `at`, in place."""
    out = []
    for chunk in at.split(CHUNK):
        # Coordinate differences, not |x|² + |y|² - 2x·y: that cancels in float32 at the ring's
        # scale (distances of 0.01 between points of norm 1).
        sq_dist = (chunk[:, :1] - centres[:, 0]).square_()
        sq_dist += (chunk[:, 1:] - centres[:, 1]).square_()
        log_kernel = sq_dist.mul_(-0.5 / var)
        # exp of less than -87 is a float32 subnormal or 0, some 50 times slower to compute: cut
        # there, and shift by e^-80 so that far kernels give exactly 0.
        kernel = log_kernel.clamp_(min=LOG_CUT).exp_().sub_(math.exp(LOG_CUT))
        out.append(kernel @ weights)
    return torch.cat(out) / (2 * math.pi * var)


def smoothed_densities(
    centres: Tensor, std: float, weights: Tensor, points: Tensor, at: Tensor, h: float
) -> tuple[Tensor, Tensor]:
    """The data density and G's density, both smoothed with the same Gaussian kernel of width
    h, at the (M, 2) points `at`.

    Args:
        centres, std, weights: the data's mixture: (K, 2) centres, the modes' std, (K,) weights.
        points: (N, 2) points of G; their density is their kernel estimate with bandwidth h.
    """
    at = at.to(points.dtype)
    p_h = _kernel_mean(at, centres.to(at), std**2 + h**2, weights.to(at) / weights.sum())
    uniform = torch.full((len(points),), 1 / len(points), dtype=at.dtype, device=at.device)
    return p_h, _kernel_mean(at, points, h**2, uniform)


def smoothed_densities_on_grid(
    centres: Tensor, std: float, weights: Tensor, points: Tensor, xs: Tensor, ys: Tensor, h: float
) -> tuple[Tensor, Tensor]:
    """`smoothed_densities` at every point (xs[i], ys[j]) of a grid, each of shape
    (len(ys), len(xs)).

    An isotropic Gaussian is the product of two 1D ones, so a sum of kernels over a grid is one
    matrix product of their 1D values: K × (len(xs) + len(ys)) exponentials where a list of the
    grid's points needs K × len(xs) × len(ys).
    """

    def kernel_sum(centres: Tensor, var: float, weights: Tensor) -> Tensor:
        centres = centres.to(xs)
        along_x = (xs[:, None] - centres[:, 0]).square_().mul_(-0.5 / var).exp_()
        along_y = (ys[:, None] - centres[:, 1]).square_().mul_(-0.5 / var).exp_()
        return (along_y * weights.to(xs)) @ along_x.T / (2 * math.pi * var)

    p_h = kernel_sum(centres, std**2 + h**2, weights / weights.sum())
    q_h = kernel_sum(points, h**2, torch.full((len(points),), 1 / len(points), dtype=xs.dtype))
    return p_h, q_h


def draws_from_m(
    centres: Tensor, std: float, weights: Tensor, points: Tensor, h: float, num: int, seed: int
) -> Tensor:
    """`num` points of m = (p_h + q_h) / 2: half from the smoothed mixture, half from G's
    points plus N(0, h²) noise.

    Stratified: the modes get their draws by systematic sampling (counts within one of their
    weight's share) and G's points are picked without replacement while there are enough, so
    the estimate does not carry the noise of random counts per mode.
    """
    gen = torch.Generator().manual_seed(seed)
    half = num // 2
    cumulative = weights.cpu().double().cumsum(0)
    grid = (torch.rand(1, generator=gen, dtype=torch.float64) + torch.arange(half)) / half
    which = torch.searchsorted(cumulative, grid * cumulative[-1]).clamp(max=len(weights) - 1)
    from_p = centres.cpu()[which] + math.sqrt(std**2 + h**2) * torch.randn(half, 2, generator=gen)
    if num - half <= len(points):
        pick = torch.randperm(len(points), generator=gen)[: num - half]
    else:
        pick = torch.randint(len(points), (num - half,), generator=gen)
    from_q = points.cpu()[pick] + h * torch.randn(num - half, 2, generator=gen)
    return torch.cat([from_p.to(points.dtype), from_q.to(points.dtype)]).to(points.device)


def f_divergences(p: Tensor, q: Tensor) -> dict[str, float]:
    """JSD, TV and triangular discrimination from the densities p and q at draws from
    (p + q) / 2. A draw where both underflow to 0 (some 13 kernel widths from every kernel,
    which a draw from m all but never is) counts as one where they are equal."""
    p, q = p.double(), q.double()  # float64, so that the bounds hold to the last digit
    total = p + q
    r = torch.where(total > 0, p / total, 0.5)  # p / (p + q)
    s = 1 - r
    jsd = torch.xlogy(r, 2 * r) + torch.xlogy(s, 2 * s)
    return {
        "jsd": float(jsd.mean()),
        "tv": float((r - s).abs().mean()),
        "triangular": float(2 * (r - s).square().mean()),
    }


def wasserstein_to_centres(points: Tensor, centres: Tensor, weights: Tensor) -> float:
    """W1 (Euclidean cost) between G's points, each of mass 1/N, and the weighted centres."""
    x = points.detach().cpu().double().numpy()
    cost = ot.dist(x, centres.cpu().double().numpy(), metric="euclidean")
    b = weights.cpu().double().numpy()
    a = torch.full((len(x),), 1 / len(x), dtype=torch.float64).numpy()
    return float(ot.emd2(a, b / b.sum(), cost))


def estimate_divergences(
    centres: Tensor,
    std: float,
    weights: Tensor,
    points: Tensor,
    h: float | None = None,
    num_eval: int = NUM_EVAL,
    seed: int = EVAL_SEED,
) -> dict[str, float]:
    """JSD, TV, triangular discrimination (of the pair smoothed by K_h) and W1 between the
    mixture and G's points; see the module's docstring for the definitions and their limits.

    Args:
        centres, std, weights: the data's mixture: (K, 2) centres, the modes' std, (K,) weights.
        points: (N, 2) points of G, on the device the work runs on.
        h: the kernel's width; None: the data's std (the widest the estimate is meant for).
        num_eval: draws from (p_h + q_h) / 2 that the f-divergences are averaged over.
        seed: seed of those draws.
    """
    h = std if h is None else h
    points = points.detach().float()
    weights = weights / weights.sum()
    at = draws_from_m(centres, std, weights, points, h, num_eval, seed)
    results = f_divergences(*smoothed_densities(centres, std, weights, points, at, h))
    results["w1"] = wasserstein_to_centres(points, centres, weights)
    return results
