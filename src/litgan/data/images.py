"""The base of every image data module read from disk: transforms, splits and loaders."""

from __future__ import annotations

from abc import abstractmethod

import torch
from lightning_fabric.utilities.data import suggested_max_num_workers
from torch.utils.data import DataLoader, Dataset

from litgan.data.base import GANDataModule, check_batch_fits
from litgan.data.datasets import Transform
from litgan.data.transforms import image_transform
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
    are the same at every call.

    Args:
        image_size: side of the square images the model sees.
        channels: 1 (grey) or 3 (RGB); images are converted to it whatever their own mode.
        crop_size: center crop, in pixels of the original image, before resizing (None: none).
        num_workers: loader processes; None picks one per CPU core but one, at most 8.
        pin_memory: page-locked batches for faster copies to a GPU; None: when CUDA is there.
        persistent_workers: keep the workers alive between epochs (with num_workers > 0).
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
    ) -> None:
        super().__init__()
        _positive_int("data.image_size", image_size)
        _positive_int("data.crop_size", crop_size, allow_none=True)
        if channels not in (1, 3):
            raise ConfigError(f"data.channels must be 1 or 3, got {channels!r}")
        if num_workers is not None and (not isinstance(num_workers, int) or num_workers < 0):
            raise ConfigError(f"data.num_workers must be 0 or more (or null), got {num_workers!r}")
        self.image_size = image_size
        self.channels = channels
        self.batch_size = batch_size
        self.crop_size = crop_size
        self.flip = flip
        self.num_workers = default_num_workers() if num_workers is None else num_workers
        self.pin_memory = torch.cuda.is_available() if pin_memory is None else pin_memory
        self.persistent_workers = persistent_workers
        self.shape = (channels, image_size, image_size)
        self.train_images: Dataset | None = None
        self._real: dict[str, Dataset] = {}

    @abstractmethod
    def images(self, split: str, transform: Transform) -> Dataset:
        """The images of `split` through `transform`; DataError when absent or unreadable."""

    def transform(self, flip: bool) -> Transform:
        """This data set's crop and resize to `shape`, mirroring at random if `flip`."""
        return image_transform(self.image_size, self.crop_size, flip)

    def check_split(self, split: str) -> None:
        """ConfigError unless `split` is one of `splits`."""
        if split not in self.splits:
            raise ConfigError(
                f"{self.name} has the split(s) {', '.join(self.splits)}, not {split!r}"
            )

    def load(self, split: str, flip: bool) -> Dataset:
        """`images(split)`, with one image decoded now: where none is readable, the DataError
        comes here rather than from a loader worker during training."""
        dataset = self.images(split, self.transform(flip))
        if len(dataset):
            dataset[0]
        return dataset

    def setup(self, stage: str | None = None) -> None:
        if self.train_images is None:
            self.train_images = self.load("train", self.flip)
        check_batch_fits(self.batch_size, len(self.train_images), self.name, "images")

    def train_dataloader(self) -> DataLoader:
        assert self.train_images is not None, "call setup() first"
        # Full batches only: BatchNorm and the per-batch value estimates assume equal sizes.
        return DataLoader(
            self.train_images,
            batch_size=self.batch_size,
            shuffle=True,
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
