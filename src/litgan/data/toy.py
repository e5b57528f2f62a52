"""2D mixtures of Gaussians: the ring and grid benchmarks of the VEEGAN and PacGAN papers."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from litgan.data.base import ON_DEVICE_MAX_MB, InMemoryDataModule
from litgan.errors import ConfigError

LAYOUTS = ("ring", "grid")


def mixture_modes(layout: str, num_modes: int, scale: float) -> Tensor:
    """Centres of the mixture, shape (num_modes, 2).

    ring: evenly on a circle of radius `scale`. grid: a square lattice with spacing `scale`,
    centred on the origin (25 modes, scale 2 give {-4, -2, 0, 2, 4}²).
    """
    if layout == "ring":
        angles = torch.arange(num_modes, dtype=torch.float64) * (2 * math.pi / num_modes)
        return (scale * torch.stack([angles.cos(), angles.sin()], dim=1)).float()
    if layout == "grid":
        side = math.isqrt(num_modes)
        if side * side != num_modes:
            raise ConfigError(f"data.layout=grid needs a square num_modes, got {num_modes}")
        ticks = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * scale
        return torch.cartesian_prod(ticks, ticks)
    raise ConfigError(f"unknown data.layout {layout!r}; choose one of: {', '.join(LAYOUTS)}")


class GaussianMixtureDataModule(InMemoryDataModule):
    """Equal-weight isotropic Gaussians around `mixture_modes(layout, num_modes, scale)`."""

    shape = (2,)

    def __init__(
        self,
        layout: str = "ring",
        num_modes: int = 8,
        scale: float = 1.0,
        std: float = 0.01,
        num_samples: int = 100_000,
        batch_size: int = 256,
        seed: int = 0,
        on_device: bool = False,
        on_device_max_mb: float = ON_DEVICE_MAX_MB,
    ) -> None:
        super().__init__(batch_size, on_device, on_device_max_mb)
        self.name = layout
        self.modes = mixture_modes(layout, num_modes, scale)
        self.std = std
        self.num_samples = num_samples
        self.seed = seed

    def load(self) -> Tensor:
        generator = torch.Generator().manual_seed(self.seed)
        which = torch.randint(len(self.modes), (self.num_samples,), generator=generator)
        noise = torch.randn(self.num_samples, 2, generator=generator)
        return self.modes[which] + self.std * noise
