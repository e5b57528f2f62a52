"""scikit-learn's bundled 8x8 handwritten digits: a real image set that needs no download."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch import Tensor

from litgan.data.base import ON_DEVICE_MAX_MB, InMemoryDataModule
from litgan.errors import ConfigError


class DigitsDataModule(InMemoryDataModule):
    """1,797 digits upsampled to `image_size`² and scaled to [-1, 1]."""

    name = "digits"

    def __init__(
        self,
        image_size: int = 32,
        channels: int = 1,
        batch_size: int = 64,
        on_device: bool = False,
        on_device_max_mb: float = ON_DEVICE_MAX_MB,
    ) -> None:
        super().__init__(batch_size, on_device, on_device_max_mb)
        if channels not in (1, 3):
            raise ConfigError(f"data.channels must be 1 or 3 for digits, got {channels}")
        self.image_size = image_size
        self.channels = channels
        self.shape = (channels, image_size, image_size)

    def load(self) -> Tensor:
        images = torch.from_numpy(load_digits().images).float().unsqueeze(1) / 16.0
        images = F.interpolate(
            images, size=self.image_size, mode="bilinear", align_corners=False, antialias=True
        )
        images = (images * 2 - 1).clamp(-1, 1)
        return images.expand(-1, self.channels, -1, -1).contiguous()
