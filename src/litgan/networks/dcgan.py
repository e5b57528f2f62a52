"""DCGAN (Radford et al. 2015) as in the reference implementation (pytorch/examples/dcgan).

Transposed convolutions double the resolution from 4x4 up to the image size, BatchNorm and
ReLU in G, LeakyReLU(0.2) in D (no BatchNorm on its first layer), tanh output, no conv bias,
weights from N(0, 0.02) and BatchNorm scales from N(1, 0.02).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import Tensor, nn

from litgan.errors import ConfigError
from litgan.networks.packing import pack_samples
from litgan.networks.spectral import spectrally_normalize

SUPPORTED_SIZES = (16, 32, 64, 128, 256)


def _image_shape(data_shape: Sequence[int]) -> tuple[int, int]:
    """(channels, size) of square images, or a ConfigError naming what DCGAN can produce."""
    if len(data_shape) != 3:
        raise ConfigError(
            f"model=dcgan needs image data (channels, height, width), got samples of shape "
            f"{tuple(data_shape)}; use model=mlp for 2D data such as data=ring or data=grid"
        )
    channels, height, width = data_shape
    if height != width or height not in SUPPORTED_SIZES:
        raise ConfigError(
            f"model=dcgan produces square images of size {', '.join(map(str, SUPPORTED_SIZES))}; "
            f"the data is {height}x{width}. Set data.image_size to one of those sizes"
        )
    return channels, height


def init_dcgan_weights(module: nn.Module) -> None:
    """Initialise as in the DCGAN paper: conv weights N(0, 0.02), BN scale N(1, 0.02), BN bias 0."""
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class DCGANGenerator(nn.Module):
    """z (B, nz) -> images (B, C, S, S) in [-1, 1]."""

    def __init__(self, data_shape: Sequence[int], nz: int = 100, ngf: int = 64) -> None:
        super().__init__()
        self.nz = nz
        channels, size = _image_shape(data_shape)
        n_up = int(math.log2(size)) - 2  # 4x4 -> size, doubling each layer
        width = ngf * 2 ** (n_up - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(nz, width, 4, 1, 0, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(True),
        ]
        for _ in range(n_up - 1):
            layers += [
                nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(width // 2),
                nn.ReLU(True),
            ]
            width //= 2
        layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(init_dcgan_weights)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z.view(z.shape[0], self.nz, 1, 1))


class DCGANDiscriminator(nn.Module):
    """Images (B, C, S, S) -> one raw output per pack of `pack` images (stacked along the
    channels), shape (B / pack,).

    Args:
        batch_norm: BatchNorm after every convolution but the first and the last, as in the
            paper (it mixes the samples of a batch).
        spectral_norm: spectral normalisation of every convolution (`litgan.networks.spectral`).
    """

    def __init__(
        self,
        data_shape: Sequence[int],
        ndf: int = 64,
        pack: int = 1,
        batch_norm: bool = True,
        spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        self.pack = pack
        self.batch_norm = batch_norm
        channels, size = _image_shape(data_shape)
        channels *= pack
        n_down = int(math.log2(size)) - 2  # size -> 4x4, halving each layer
        layers: list[nn.Module] = [
            nn.Conv2d(channels, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        width = ndf
        for _ in range(n_down - 1):
            layers += [
                nn.Conv2d(width, width * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(width * 2) if batch_norm else nn.Identity(),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            width *= 2
        layers.append(nn.Conv2d(width, 1, 4, 1, 0, bias=False))
        self.net = nn.Sequential(*layers)
        self.apply(init_dcgan_weights)
        if spectral_norm:
            spectrally_normalize(self.net)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(pack_samples(x, self.pack)).view(-1)
