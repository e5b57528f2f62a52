"""The Dirac-GAN's players (Mescheder et al. 2018, sec. 2.2): one parameter each.

G = δ_θ puts every sample at θ whatever its noise; D(x) = ψ·x is linear without a bias. With the
data δ₀ (`litgan.data.DiracDataModule`) the game is a field over the plane (θ, ψ) whose only
equilibrium is (0, 0): the smallest GAN on which every game, penalty and update scheme can be
checked against closed forms (`litgan.dynamics`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from litgan.errors import ConfigError


def _one_value(data_shape: Sequence[int]) -> None:
    if tuple(data_shape) != (1,):
        raise ConfigError(
            f"model=dirac plays on one real number per sample, and this data's samples have "
            f"shape {tuple(data_shape)}: use data=dirac with it"
        )


class DiracGenerator(nn.Module):
    """G(z) = θ for every z, shape (B, 1)."""

    nz = 1  # the noise is drawn as for any G, and ignored

    def __init__(self, data_shape: Sequence[int], theta: float = 1.0) -> None:
        super().__init__()
        _one_value(data_shape)
        self.theta = nn.Parameter(torch.tensor([float(theta)]))

    def forward(self, z: Tensor) -> Tensor:
        return self.theta.repeat(len(z), 1)

    def logged(self) -> dict[str, Tensor]:
        """The player's position, in every logged row."""
        return {"dirac/theta": self.theta.detach()[0].clone()}


class DiracDiscriminator(nn.Module):
    """D(x) = ψ·x, one raw output per sample, shape (B,)."""

    pack = 1

    def __init__(
        self, data_shape: Sequence[int], psi: float = 1.0, batch_norm: bool = False
    ) -> None:
        super().__init__()
        self.batch_norm = batch_norm  # always False: accepted because the penalties set it
        _one_value(data_shape)
        self.psi = nn.Parameter(torch.tensor([float(psi)]))

    def forward(self, x: Tensor) -> Tensor:
        return self.psi * x[:, 0]

    def logged(self) -> dict[str, Tensor]:
        """The player's position, in every logged row."""
        return {"dirac/psi": self.psi.detach()[0].clone()}
