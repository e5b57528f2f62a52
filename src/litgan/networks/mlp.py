"""Fully connected G and D, for 2D points and for small images seen as flat vectors."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

import torch
from torch import Tensor, nn

from litgan.errors import ConfigError
from litgan.networks.packing import pack_samples
from litgan.networks.spectral import spectrally_normalize

# In place where autograd allows it (their backward needs only their output): no new tensor per
# layer, about 3% of a default ring iteration.
ACTIVATIONS = {
    "relu": lambda: nn.ReLU(inplace=True),
    "leaky_relu": lambda: nn.LeakyReLU(0.2, inplace=True),
    "elu": nn.ELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
}


def _activation(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ConfigError(f"unknown activation {name!r}; choose one of: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


def _mlp(sizes: Sequence[int], activation: str, batch_norm: bool = False) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(pairwise(sizes)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            if batch_norm:
                layers.append(nn.BatchNorm1d(n_out))
            layers.append(_activation(activation))
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """z (B, nz) -> sample of `data_shape`.

    Args:
        tanh_output: squash to [-1, 1]. None picks it from the data: images (C, H, W) live in
            [-1, 1], 2D points do not.
        batch_norm: BatchNorm after every hidden layer (running statistics in eval mode).
    """

    def __init__(
        self,
        data_shape: Sequence[int],
        nz: int = 16,
        hidden: Sequence[int] = (64, 64, 64),
        activation: str = "relu",
        tanh_output: bool | None = None,
        batch_norm: bool = False,
    ) -> None:
        super().__init__()
        self.nz = nz
        self.data_shape = tuple(data_shape)
        self.net = _mlp([nz, *hidden, math.prod(self.data_shape)], activation, batch_norm)
        use_tanh = len(self.data_shape) == 3 if tanh_output is None else tanh_output
        self.out = nn.Tanh() if use_tanh else nn.Identity()

    def forward(self, z: Tensor) -> Tensor:
        return self.out(self.net(z)).view(z.shape[0], *self.data_shape)


class MLPDiscriminator(nn.Module):
    """Samples of `data_shape` -> one raw output per pack of `pack` samples, shape (B / pack,).

    Args:
        batch_norm: BatchNorm after every hidden layer (it mixes the samples of a batch).
        spectral_norm: spectral normalisation of every layer (`litgan.networks.spectral`).
    """

    def __init__(
        self,
        data_shape: Sequence[int],
        hidden: Sequence[int] = (64, 64, 64),
        activation: str = "leaky_relu",
        pack: int = 1,
        batch_norm: bool = False,
        spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        self.pack = pack
        self.batch_norm = batch_norm
        self.net = _mlp([math.prod(data_shape) * pack, *hidden, 1], activation, batch_norm)
        if spectral_norm:
            spectrally_normalize(self.net)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(pack_samples(torch.flatten(x, 1), self.pack)).squeeze(1)
