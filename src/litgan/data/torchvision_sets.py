"""MNIST, Fashion-MNIST and CIFAR-10 in torchvision's on-disk layout under the data directory.

The image files are read directly (labels are not needed); torchvision only downloads them,
in `prepare_data`. torchvision's own classes are not used for reading because they insist on
files a GAN does not need and, for CIFAR-10, on the MD5 of every batch at every start.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from torch.utils.data import Dataset
from torchvision import datasets

from litgan.data.datasets import ArrayImages, Transform
from litgan.data.download import OFFLINE, downloading
from litgan.data.formats import read_cifar_batches, read_idx_images
from litgan.data.images import ImageDataModule
from litgan.errors import DataError


class TorchvisionDataModule(ImageDataModule):
    """A torchvision data set whose images are read into memory once per split.

    Subclasses give the `folder` under `root`, the `files` of each split, the torchvision
    class that downloads them, `by_hand` (how to get them without it) and `read`.

    Args:
        root: the data directory (`paths.data_dir`): torchvision's `root`.
        download: fetch the files with torchvision in `prepare_data` (rank 0) when absent.
        channels: None keeps the data set's own (`native_channels`).
        loader: the other `ImageDataModule` settings (flip, crop_size, num_workers, ...).
    """

    splits = ("train", "test")
    native_channels: int
    title: str
    folder: str
    files: ClassVar[dict[str, tuple[str, ...]]]
    torchvision_class: type[datasets.VisionDataset]
    by_hand: str

    def __init__(
        self,
        root: str,
        download: bool = True,
        image_size: int = 32,
        channels: int | None = None,
        batch_size: int = 128,
        **loader: Any,
    ) -> None:
        channels = self.native_channels if channels is None else channels
        super().__init__(image_size, channels, batch_size, **loader)
        self.root = Path(root).expanduser()
        self.download = download
        self._arrays: dict[str, np.ndarray] = {}

    @property
    def directory(self) -> Path:
        """The folder that holds the files."""
        return self.root / self.folder

    @abstractmethod
    def read(self, paths: Sequence[Path]) -> np.ndarray:
        """All images in `paths`, uint8 of shape (N, H, W) or (N, H, W, 3)."""

    def split_paths(self, split: str) -> list[Path]:
        """The files that hold `split`."""
        return [self.directory / name for name in self.files[split]]

    def prepare_data(self) -> None:
        if not self.download or all(p.is_file() for p in self.split_paths("train")):
            return
        with downloading(f"{self.title} into {self.root}", self._by_hand(), self.root):
            self.torchvision_class(str(self.root), train=True, download=True)

    def images(self, split: str, transform: Transform) -> Dataset:
        if split not in self._arrays:
            paths = self.split_paths(split)
            missing = [p for p in paths if not p.is_file()]
            if missing:
                hint = "" if self.download else "run with data.download=true, or "
                raise DataError(
                    f"{self.title} is not in {self.root}: {missing[0]} is missing; {hint}"
                    f"{self._by_hand()}"
                )
            self._arrays[split] = self.read(paths)
        return ArrayImages(self._arrays[split], self.channels, transform)

    def _by_hand(self) -> str:
        every_file = ", ".join(name for names in self.files.values() for name in names)
        return (
            f"{self.by_hand}; the layout is {self.directory}/ with {every_file} "
            "(set paths.data_dir or LITGAN_DATA_DIR where the data lives elsewhere); "
            f"{OFFLINE}"
        )


class MNISTDataModule(TorchvisionDataModule):
    """MNIST: 60,000 training and 10,000 test handwritten digits, 28x28 grey."""

    name = "mnist"
    native_channels = 1
    title = "MNIST"
    folder = "MNIST/raw"
    files: ClassVar[dict[str, tuple[str, ...]]] = {
        "train": ("train-images-idx3-ubyte",),
        "test": ("t10k-images-idx3-ubyte",),
    }
    torchvision_class = datasets.MNIST
    by_hand = (
        "get train-images-idx3-ubyte.gz and t10k-images-idx3-ubyte.gz from "
        "https://ossci-datasets.s3.amazonaws.com/mnist/ and gunzip them"
    )

    def read(self, paths: Sequence[Path]) -> np.ndarray:
        return np.concatenate([read_idx_images(p) for p in paths])


class FashionMNISTDataModule(MNISTDataModule):
    """Fashion-MNIST: 60,000 training and 10,000 test clothing images, 28x28 grey."""

    name = "fashion_mnist"
    title = "Fashion-MNIST"
    folder = "FashionMNIST/raw"
    torchvision_class = datasets.FashionMNIST
    by_hand = (
        "get train-images-idx3-ubyte.gz and t10k-images-idx3-ubyte.gz from "
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/ and gunzip them"
    )


class CIFAR10DataModule(TorchvisionDataModule):
    """CIFAR-10: 50,000 training and 10,000 test colour images, 32x32."""

    name = "cifar10"
    native_channels = 3
    title = "CIFAR-10"
    folder = "cifar-10-batches-py"
    files: ClassVar[dict[str, tuple[str, ...]]] = {
        "train": tuple(f"data_batch_{i}" for i in range(1, 6)),
        "test": ("test_batch",),
    }
    torchvision_class = datasets.CIFAR10
    by_hand = (
        "get https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz and unpack it in the "
        "data directory"
    )

    def read(self, paths: Sequence[Path]) -> np.ndarray:
        return read_cifar_batches(paths)
