"""The density of 2D data known only by its points, estimated, and the scores it gives.

For the ring and the grid p_data is a mixture known in closed form (`litgan.metrics.divergences`).
For a learner's own points (data=points) it is unknown, and validation stands a kernel density
estimate in for it: p̂(x) = (1/K) Σ_k N(x; c_k, h² I) over K training points c_k (at most
MAX_CENTRES, a fixed random subset).

Bandwidth rule: the h of BANDWIDTHS (a log grid, in units of the data's spread) under which the
held-out validation points are most likely (likelihood cross-validation). Scott's rule,
h = n^(-1/6) σ, assumes one Gaussian and oversmooths clustered data: on 20,000 ring points it
gives 0.17 where the modes' std is 0.01; the held-out rule gives 0.004.

Divergences: G's density is its points' kernel estimate with the same kernel (times
metrics.points.bandwidth), so both sides are estimated alike, and where G samples p_data their
expectations are the same, p_data * K_h. JSD, TV and triangular discrimination are then
integrated as for the mixtures (`divergences.f_divergences`), and the game's value at the best
D follows from them: every one of them is an estimate, and summary.json and the pictures say so.
The estimate's kernel bounds what it sees: on ring points, at the mixture's own kernel (0.01) it
agrees with the closed-form one within a few percent; at the held-out rule's (0.004) it reads
the spread of G's modes more sharply (std 0.02 around the ring's modes: JSD 0.17 against 0.09).

W1 needs no density: an exact optimal transport (POT's network simplex, Euclidean cost) between
W1_POINTS of G's points and as many data points, each of equal mass. Its floor is what two
samples of that size of one distribution are apart.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import ot
import torch
from torch import Tensor

from litgan.metrics.divergences import NUM_EVAL, draws_from_m, f_divergences, smoothed_densities

MAX_CENTRES = 5000  # kernels of the estimate: its cost grows with them (0.4 s a validation on CPU)
MAX_HELD_OUT = 500  # validation points whose likelihood picks the bandwidth
BANDWIDTHS = torch.logspace(-3, 0, 16).tolist()  # the candidates, in units of the data's spread
W1_POINTS = 1000  # points per side of the exact transport (2,500: 3 s on CPU, 1,000: 0.4 s)
RULE = "held-out likelihood"
SEED = 0  # the centres' subset

_FITTED: weakref.WeakKeyDictionary[Any, KDE] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class KDE:
    """p̂ = (1/K) Σ_k N(c_k, bandwidth² I): the estimate of an unknown 2D density."""

    centres: Tensor  # (K, 2)
    bandwidth: float

    @property
    def weights(self) -> Tensor:
        return torch.full((len(self.centres),), 1 / len(self.centres))

    def log_density(self, at: Tensor) -> Tensor:
        """log p̂ at the (M, 2) points `at`, float64."""
        at, centres = at.double(), self.centres.double()
        sq_dist = torch.cdist(at, centres).square()
        h2 = self.bandwidth**2
        return torch.logsumexp(-sq_dist / (2 * h2), 1) - math.log(len(centres) * 2 * math.pi * h2)

    @property
    def settings(self) -> dict[str, Any]:
        """What the estimate's numbers depend on, for summary.json."""
        return {
            "kind": "kernel density estimate of the data's points",
            "bandwidth": self.bandwidth,
            "bandwidth_rule": RULE,
            "num_centres": len(self.centres),
        }


def spread(points: Tensor) -> float:
    """The data's scale: the root mean variance of its coordinates."""
    return float(points.double().var(0).mean().sqrt())


def heldout_bandwidth(centres: Tensor, held_out: Tensor) -> float:
    """The h under which `held_out` is most likely: the best of BANDWIDTHS × spread(centres),
    then of a finer grid between its neighbours."""
    scale = spread(centres)
    sq_dist = torch.cdist(held_out.float(), centres.float()).square_()

    def likelihood(h: float) -> float:
        log_p = torch.logsumexp(sq_dist * (-0.5 / h**2), 1) - math.log(2 * math.pi * h**2)
        return float(log_p.mean())

    coarse = [factor * scale for factor in BANDWIDTHS]
    best = max(range(len(coarse)), key=lambda i: likelihood(coarse[i]))
    low, high = coarse[max(best - 1, 0)], coarse[min(best + 1, len(coarse) - 1)]
    fine = torch.logspace(math.log10(low), math.log10(high), 9).tolist()
    return max(fine, key=likelihood)


def fit_kde(train: Tensor, held_out: Tensor, seed: int = SEED) -> KDE:
    """The estimate from up to MAX_CENTRES of `train`, its bandwidth by the held-out rule."""
    generator = torch.Generator().manual_seed(seed)
    centres = train[torch.randperm(len(train), generator=generator)[:MAX_CENTRES]].float()
    held_out = held_out[torch.randperm(len(held_out), generator=generator)[:MAX_HELD_OUT]]
    return KDE(centres, heldout_bandwidth(centres, held_out))


def data_kde(datamodule: Any) -> KDE | None:
    """The estimate of a set-up 2D data module's density, fitted once per module; None where
    the density is known (the mixtures' `modes`) or the data has no validation split."""
    if tuple(datamodule.shape) != (2,) or getattr(datamodule, "modes", None) is not None:
        return None
    if datamodule not in _FITTED:
        valid = getattr(datamodule, "valid", None)
        if valid is None or not len(valid):
            return None
        _FITTED[datamodule] = fit_kde(datamodule.samples, valid)
    return _FITTED[datamodule]


def wasserstein_between(a: Tensor, b: Tensor, max_points: int = W1_POINTS) -> float:
    """W1 (Euclidean cost) between the first `max_points` of `a` and of `b`, each point of equal
    mass: an exact transport."""
    x = a[:max_points].detach().cpu().double().numpy()
    y = b[:max_points].detach().cpu().double().numpy()
    cost = ot.dist(x, y, metric="euclidean")
    # POT's default of 100,000 iterations stops short of the optimum at 1,000 points a side.
    return float(
        ot.emd2(np.full(len(x), 1 / len(x)), np.full(len(y), 1 / len(y)), cost, numItermax=10**7)
    )


def estimate_kde_divergences(
    kde: KDE,
    points: Tensor,
    data_sample: Tensor,
    bandwidth: float = 1.0,
    num_eval: int = NUM_EVAL,
    seed: int = 0,
) -> dict[str, float]:
    """JSD, TV, triangular discrimination between the data's estimate and G's points' (the
    kernel `bandwidth` times the estimate's), and W1 between G's points and `data_sample`.

    Args:
        points: (N, 2) points of G, on the device the work runs on.
        data_sample: data points for W1, independent of G's.
    """
    points = points.detach().float()
    h = bandwidth * kde.bandwidth
    centres, weights = kde.centres.to(points), kde.weights.to(points)
    # std 0: the data's kernel estimate is its centres smoothed by K_h, as G's points are.
    at = draws_from_m(centres, 0.0, weights, points, h, num_eval, seed)
    results = f_divergences(*smoothed_densities(centres, 0.0, weights, points, at, h))
    results["w1"] = wasserstein_between(points, data_sample)
    return results


def kde_of_points(points: Tensor, held_out_fraction: float = 0.1, seed: int = SEED) -> KDE:
    """The estimate from up to MAX_CENTRES of `points` themselves, its bandwidth by the
    likelihood of a held-out `held_out_fraction` of them under the rest's estimate."""
    order = torch.randperm(len(points), generator=torch.Generator().manual_seed(seed))
    shuffled = points[order].float()
    num_held_out = max(1, round(held_out_fraction * len(points)))
    held_out = shuffled[:num_held_out][:MAX_HELD_OUT]
    bandwidth = heldout_bandwidth(shuffled[num_held_out:][:MAX_CENTRES], held_out)
    return KDE(shuffled[:MAX_CENTRES], bandwidth)


def score_point_sets(points: Tensor, reference: Tensor, bandwidth: float = 1.0) -> dict[str, Any]:
    """Every 2D score of `points` against `reference`, whose density is estimated: JSD, TV,
    triangular discrimination against its estimate, W1 to its points, with their settings."""
    kde = kde_of_points(reference)
    scores = estimate_kde_divergences(kde, points.float(), reference.float(), bandwidth)
    return {
        **scores,
        "settings": {
            "num_points": len(points),
            "num_reference": len(reference),
            "bandwidth_kde": bandwidth,
            "bandwidth": bandwidth * kde.bandwidth,
            "num_eval": NUM_EVAL,
            "w1_points": min(W1_POINTS, len(points), len(reference)),
            "density": kde.settings,
            "estimated": ["jsd", "tv", "triangular"],
        },
    }
