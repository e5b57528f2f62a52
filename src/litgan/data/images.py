"""The base of every image data module read from disk: transforms, splits and loaders."""

from __future__ import annotations

import math
from abc import abstractmethod

import torch
from lightning_fabric.utilities.data import suggested_max_num_workers
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from litgan.data.base import ON_DEVICE_MAX_MB, GANDataModule, check_batch_fits
from litgan.data.datasets import Transform
from litgan.data.order import DeviceBatches
from litgan.data.transforms import image_transform, to_unit_range
from litgan.errors import ConfigError

MAX_DEFAULT_WORKERS = 8  # more rarely helps a GAN's small images and costs memory per worker


def default_num_workers() -> int:
    """Loader workers for one device: Lightning's suggestion (a core is left for training)."""
    return min(MAX_DEFAULT_WORKERS, suggested_max_num_workers(1))


def _positive_int(name: str, value: object, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")


class ImageDataModule(GANDataModule):
    """Images of `shape` (channels, image_size, image_size) in [-1, 1], served in full batches.

    Subclasses name their `splits` and implement `images`. The training loader mirrors images
    at random when `flip` is set; `real_dataset` never does, so statistics of the real data
    are the same at every call. With `on_device`, every training image is decoded once, in
    `setup`, and held as uint8 on the training device (see `GANDataModule`).

    Args:
        image_size: side of the square images the model sees.
        channels: 1 (grey) or 3 (RGB); images are converted to it whatever their own mode.
        crop_size: center crop, in pixels of the original image, before resizing (None: none).
        num_workers: loader processes; None picks one per CPU core but one, at most 8.
        pin_memory: page-locked batches for faster copies to a GPU; None: when CUDA is there.
        persistent_workers: keep the workers alive between epochs (with num_workers > 0).
        on_device, on_device_max_mb: hold the training set on the device, up to this size.
    """

    splits: tuple[str, ...] = ("train",)

    def __init__(
        self,
        image_size: int,
        channels: int,
        batch_size: int,
        crop_size: int | None = None,
        flip: bool = False,
        num_workers: int | None = None,
        pin_memory: bool | None = None,
        persistent_workers: bool = True,
        on_device: bool = False,
        on_device_max_mb: float = ON_DEVICE_MAX_MB,
    ) -> None:
        super().__init__(batch_size, on_device, on_device_max_mb)
        _positive_int("data.image_size", image_size)
        _positive_int("data.crop_size", crop_size, allow_none=True)
        if channels not in (1, 3):
            raise ConfigError(f"data.channels must be 1 or 3, got {channels!r}")
        if num_workers is not None and (not isinstance(num_workers, int) or num_workers < 0):
            raise ConfigError(f"data.num_workers must be 0 or more (or null), got {num_workers!r}")
        self.image_size = image_size
        self.channels = channels
        self.crop_size = crop_size
        self.flip = flip
        self.num_workers = default_num_workers() if num_workers is None else num_workers
        self.pin_memory = torch.cuda.is_available() if pin_memory is None else pin_memory
        self.persistent_workers = persistent_workers
        self.shape = (channels, image_size, image_size)
        self.train_images: Dataset | None = None
        self.device_images: Tensor | None = None  # uint8, (N, *shape), with on_device
        self._real: dict[str, Dataset] = {}

    @abstractmethod
    def images(self, split: str, transform: Transform) -> Dataset:
        """The images of `split` through `transform`; DataError when absent or unreadable."""

    def transform(self, flip: bool, to_float: bool = True) -> Transform:
        """This data set's crop and resize to `shape`, mirroring at random if `flip`; uint8
        images without `to_float`."""
        return image_transform(self.image_size, self.crop_size, flip, to_float)

    def check_split(self, split: str) -> None:
        """ConfigError unless `split` is one of `splits`."""
        if split not in self.splits:
            raise ConfigError(
                f"{self.name} has the split(s) {', '.join(self.splits)}, not {split!r}"
            )

    def load(self, split: str, flip: bool, to_float: bool = True) -> Dataset:
        """`images(split)`, with one image decoded now: where none is readable, the DataError
        comes here rather than from a loader worker during training."""
        dataset = self.images(split, self.transform(flip, to_float))
        if len(dataset):
            dataset[0]
        return dataset

    def setup(self, stage: str | None = None) -> None:
        if self.train_images is None:
            # On the device, images stay uint8 until their batch is drawn, and are mirrored there.
            on_device = self.on_device
            self.train_images = self.load("train", self.flip and not on_device, not on_device)
        count = len(self.train_images)
        check_batch_fits(self.batch_size, count, self.name, "images")
        if self.on_device and self.device_images is None:
            self.check_fits_on_device(count * math.prod(self.shape), count, "images")
            # Decoded once, in order, by the loader workers where there are any. A private
            # generator: the loader would otherwise draw its base seed from the global one.
            decode = DataLoader(
                self.train_images,
                batch_size=256,
                num_workers=self.num_workers,
                generator=torch.Generator(),
            )
            self.device_images = torch.cat(list(decode))

    def train_dataloader(self) -> DataLoader | DeviceBatches:
        assert self.train_images is not None, "call setup() first"
        if self.device_images is not None:
            return self.device_batches(self.device_images, self.flip, to_unit_range)
        # Full batches only: BatchNorm and the per-batch value estimates assume equal sizes.
        return DataLoader(
            self.train_images,
            batch_size=self.batch_size,
            sampler=self.epoch_sampler(len(self.train_images)),
            drop_last=True,
            num_workers=self.num_workers,
            pin_memory=self.pin_memory,
            persistent_workers=self.persistent_workers and self.num_workers > 0,
        )

    def real_dataset(self, split: str = "train") -> Dataset:
        self.check_split(split)
        if split not in self._real:
            self._real[split] = self.load(split, flip=False)
        return self._real[split]
