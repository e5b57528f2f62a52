"""Datasets of single images: arrays held in memory, and image files decoded on access."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset, get_worker_info
from torchvision.datasets.folder import IMG_EXTENSIONS

from litgan.errors import DataError

log = logging.getLogger(__name__)

# PIL reports a damaged file with any of these, depending on the format and where it breaks.
UNREADABLE = (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)

Transform = Callable[[Image.Image], Tensor]


def pil_mode(channels: int) -> str:
    """The PIL mode of images with `channels` channels: grey or RGB."""
    return "L" if channels == 1 else "RGB"


def find_images(root: Path) -> list[Path]:
    """Image files under `root`, recursively and sorted, with the extensions torchvision's
    ImageFolder reads.

    Hidden files and folders are left out: macOS's `._name.jpg` and `.ipynb_checkpoints` are
    not images. Symbolic links to folders are followed, as data sets are often linked in.
    """
    found = []
    for folder, subfolders, files in os.walk(root, followlinks=True):
        subfolders[:] = [d for d in subfolders if not d.startswith(".")]
        found += [
            Path(folder, f)
            for f in files
            if not f.startswith(".") and f.lower().endswith(IMG_EXTENSIONS)
        ]
    return sorted(found)


def load_image(path: Path, mode: str) -> Image.Image:
    """The fully decoded image at `path` in PIL `mode`."""
    with Image.open(path) as image:
        return image.convert(mode)  # convert decodes the whole file: damage shows up here


class ArrayImages(Dataset):
    """uint8 images held in memory, (N, H, W) or (N, H, W, 3), through `transform`."""

    def __init__(self, images: np.ndarray, channels: int, transform: Transform) -> None:
        self.images = images
        self.mode = pil_mode(channels)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> Tensor:
        return self.transform(Image.fromarray(self.images[index]).convert(self.mode))


class ImageFiles(Dataset):
    """Image files decoded on access, through `transform`.

    A file that cannot be decoded is skipped: a warning names it and counts the files this
    process has skipped, and the next readable file in the list takes its place, so batches
    stay full and a run of hours does not die on one damaged file.
    """

    def __init__(self, paths: Sequence[Path], channels: int, transform: Transform) -> None:
        self.paths = list(paths)
        self.mode = pil_mode(channels)
        self.transform = transform
        self.skipped: set[Path] = set()

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> Tensor:
        for offset in range(len(self.paths)):
            path = self.paths[(index + offset) % len(self.paths)]
            if path in self.skipped:
                continue
            try:
                image = load_image(path, self.mode)
            except UNREADABLE as err:
                self._skip(path, err)
                continue
            return self.transform(image)
        raise DataError(
            f"none of the {len(self.paths)} image files could be read (the first is "
            f"{self.paths[0]}); replace them with readable images"
        )

    def _skip(self, path: Path, err: BaseException) -> None:
        self.skipped.add(path)
        worker = get_worker_info()
        where = f"loader worker {worker.id}" if worker else "this process"
        # A folder with many damaged files would flood the console: the first skip, then one
        # line at 10, 100, 1000, ... skipped files; the others at debug level.
        count = len(self.skipped)
        level = logging.WARNING if count == 1 or math.log10(count).is_integer() else logging.DEBUG
        log.log(
            level,
            "skipped unreadable image %s (%s: %s); %s has skipped %d file(s)",
            path,
            type(err).__name__,
            err,
            where,
            len(self.skipped),
        )
