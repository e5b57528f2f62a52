"""Any folder of images, searched recursively: how users bring their own data."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset
from torchvision.datasets.folder import IMG_EXTENSIONS

from litgan.data.datasets import ImageFiles, Transform, find_images
from litgan.data.images import ImageDataModule
from litgan.errors import ConfigError, DataError


class ImageFolderDataModule(ImageDataModule):
    """Every image file under `path`, at any depth: one "train" split, no labels.

    Images are converted to `channels`, center-cropped to `crop_size` if set, then resized
    (short side) and center-cropped to `image_size`².

    Args:
        path: the folder; relative paths start from the directory train.py runs in.
        loader: the other `ImageDataModule` settings (crop_size, flip, num_workers, ...).
    """

    def __init__(
        self,
        path: str | None = None,
        image_size: int = 64,
        channels: int = 3,
        batch_size: int = 64,
        **loader: Any,
    ) -> None:
        super().__init__(image_size, channels, batch_size, **loader)
        if not path:
            raise ConfigError("data=image_folder needs data.path=<a folder of images>")
        self.path = Path(path).expanduser().absolute()
        # Caches keyed by `name` (real-data statistics) must tell two folders apart.
        digest = hashlib.sha1(str(self.path).encode()).hexdigest()[:8]
        self.name = f"image_folder-{self.path.name}-{digest}"

    def images(self, split: str, transform: Transform) -> Dataset:
        if not self.path.exists():
            raise DataError(f"data.path={self.path} does not exist; point it at a folder of images")
        if not self.path.is_dir():
            raise DataError(f"data.path={self.path} is a file; point it at a folder of images")
        files = find_images(self.path)
        if not files:
            raise DataError(
                f"data.path={self.path} holds no image files (searched recursively for "
                f"{', '.join(IMG_EXTENSIONS)}); point it at a folder of images"
            )
        return ImageFiles(files, self.channels, transform)
