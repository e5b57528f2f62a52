"""The Dirac-GAN's data (Mescheder et al. 2018): every real sample is the number 0."""

from __future__ import annotations

import torch
from torch import Tensor

from litgan.data.base import ON_DEVICE_MAX_MB, InMemoryDataModule


class DiracDataModule(InMemoryDataModule):
    """`num_samples` copies of the one-dimensional point 0, shape (1,) each."""

    shape = (1,)
    name = "dirac"

    def __init__(
        self,
        num_samples: int = 1024,
        batch_size: int = 64,
        on_device: bool = True,
        on_device_max_mb: float = ON_DEVICE_MAX_MB,
    ) -> None:
        super().__init__(batch_size, on_device, on_device_max_mb)
        self.num_samples = num_samples

    def load(self) -> Tensor:
        return torch.zeros(self.num_samples, 1)
