"""2D point sets for the tests of data=points, the density estimate and the point scores."""

from __future__ import annotations

import numpy as np
import torch

from litgan.data.toy import mixture_modes


def moons(n: int = 400, seed: int = 0) -> np.ndarray:
    """Two interleaved half circles with a little noise, (n, 2) float64."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    upper = rng.random(n) < 0.5
    x = np.where(upper, np.cos(t), 1 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    return np.stack([x, y], 1) + 0.05 * rng.standard_normal((n, 2))


RING_STD = 0.01  # data=ring's modes


def ring(n: int, seed: int, std: float = RING_STD, modes: int = 8) -> torch.Tensor:
    """n points of data=ring's mixture, on its first `modes` modes only, with modes of `std`."""
    gen = torch.Generator().manual_seed(seed)
    centres = mixture_modes("ring", 8, 1.0)
    return centres[torch.randint(modes, (n,), generator=gen)] + std * torch.randn(
        n, 2, generator=gen
    )
