"""Bundled 2D shapes for learners: two moons, a spiral, a swiss roll, drawn with a seed.

Each is a curve blurred by Gaussian noise: no density in closed form, so validation estimates
it from the points as it does for a learner's own file (data=points, `litgan.metrics.kde`).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from litgan.data.points import PointSetDataModule
from litgan.errors import ConfigError


def moons(t: Tensor, upper: Tensor) -> Tensor:
    """scikit-learn's two moons: half circles of radius 1, the lower one shifted by (1, -0.5)."""
    x = torch.where(upper, t.cos(), 1 - t.cos())
    y = torch.where(upper, t.sin(), 0.5 - t.sin())
    return torch.stack([x, y], 1)


def spiral(u: Tensor) -> Tensor:
    """One arm of an Archimedean spiral, 1.5 turns out to radius 1, evenly along its length."""
    turn = 3 * math.pi * u.sqrt()  # sqrt: points evenly spread along the arm, not the angle
    return torch.stack([turn.cos(), turn.sin()], 1) * (turn / (3 * math.pi)).unsqueeze(1)


def swiss_roll(u: Tensor) -> Tensor:
    """scikit-learn's swiss roll seen end on, (t cos t, t sin t) for t in [1.5π, 4.5π], / 10."""
    t = 1.5 * math.pi * (1 + 2 * u)
    return torch.stack([t * t.cos(), t * t.sin()], 1) / 10


SHAPES = ("moons", "spiral", "swiss_roll")


class ShapeDataModule(PointSetDataModule):
    """`num_samples` points of one of SHAPES plus N(0, noise²) noise, from `seed`.

    Args:
        split: PointSetDataModule's arguments (batch_size, val_fraction, seed, on_device, ...).
    """

    def __init__(
        self,
        shape_name: str = "moons",
        num_samples: int = 10_000,
        noise: float = 0.05,
        **split: Any,
    ) -> None:
        super().__init__(**split)
        if shape_name not in SHAPES:
            raise ConfigError(f"unknown shape {shape_name!r}; choose one of: {', '.join(SHAPES)}")
        self.name = shape_name
        self.num_samples = num_samples
        self.noise = noise

    def all_points(self) -> Tensor:
        generator = torch.Generator().manual_seed(self.seed)
        u = torch.rand(self.num_samples, generator=generator, dtype=torch.float64)
        if self.name == "moons":
            upper = torch.rand(self.num_samples, generator=generator) < 0.5
            curve = moons(math.pi * u, upper)
        else:
            curve = spiral(u) if self.name == "spiral" else swiss_roll(u)
        noise = torch.randn(self.num_samples, 2, generator=generator, dtype=torch.float64)
        return curve + self.noise * noise
