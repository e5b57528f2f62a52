"""Tiny copies of real data sets, written in each one's native on-disk format.

These machines cannot download data sets, so the tests write these and load them through the
same code that reads the real ones. Each image is filled with one grey level or colour, known
to the test, so a test can tell which image it got and check its values.
"""

from __future__ import annotations

import pickle
import struct
from pathlib import Path

import numpy as np
from PIL import Image

CELEBA_SIZE = (178, 218)  # width, height of img_align_celeba


def levels(n: int, offset: int = 0) -> np.ndarray:
    """`n` distinct grey levels in 0..255, one per image."""
    return (np.arange(n) * 37 + offset) % 256


def write_idx(path: Path, array: np.ndarray) -> None:
    """An IDX file of unsigned bytes: magic 00 00 08 <ndim>, big-endian sizes, then the data."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write_mnist(root: Path, folder: str = "MNIST", n_train: int = 24, n_test: int = 8) -> Path:
    """<root>/<folder>/raw/ as torchvision leaves it: images and labels of both splits."""
    raw = root / folder / "raw"
    for prefix, n, offset in (("train", n_train, 0), ("t10k", n_test, 100)):
        images = np.broadcast_to(levels(n, offset)[:, None, None], (n, 28, 28))
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", np.arange(n) % 10)
    return raw


def write_cifar10(root: Path, per_batch: int = 4, n_test: int = 4) -> Path:
    """<root>/cifar-10-batches-py/ with five training batches, the test batch and the meta file.

    Image i of the training set is the colour (level, 255 - level, 7) for levels(N)[i].
    """
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    n_train = 5 * per_batch
    train_levels = levels(n_train)
    batches = [
        (f"data_batch_{b + 1}", train_levels[b * per_batch : (b + 1) * per_batch]) for b in range(5)
    ]
    batches.append(("test_batch", levels(n_test, 100)))
    for name, batch_levels in batches:
        rgb = np.stack([batch_levels, 255 - batch_levels, np.full_like(batch_levels, 7)], axis=1)
        # One row per image: 1024 red values, then 1024 green, then 1024 blue.
        data = np.repeat(rgb, 1024, axis=1).astype(np.uint8)
        batch = {
            "batch_label": name,
            "labels": [i % 10 for i in range(len(data))],
            "data": data,
            "filenames": [f"image_{i}.png" for i in range(len(data))],
        }
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    meta = {"label_names": [f"class_{i}" for i in range(10)], "num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return folder


def write_celeba(root: Path, n: int = 12, partition: bool = False) -> Path:
    """<root>/celeba/img_align_celeba/000001.jpg ... of CelebA's size, and optionally
    list_eval_partition.txt putting the images in train (first half), valid and test.

    Image i is grey level levels(n)[i] inside the central 178x178 square and white outside it,
    so a correct center crop sees no white.
    """
    folder = root / "celeba"
    images = folder / "img_align_celeba"
    images.mkdir(parents=True)
    width, height = CELEBA_SIZE
    top = (height - width) // 2
    lines = []
    for i, level in enumerate(levels(n)):
        pixels = np.full((height, width, 3), 255, np.uint8)
        pixels[top : top + width] = level
        name = f"{i + 1:06d}.jpg"
        Image.fromarray(pixels).save(images / name, quality=95)
        lines.append(f"{name} {0 if i < n // 2 else 1 if i < 3 * n // 4 else 2}")
    if partition:
        (folder / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")
    return folder


def write_image_folder(root: Path) -> dict[str, int]:
    """Images in nested subfolders in several formats, modes and sizes, one damaged JPEG, a
    hidden AppleDouble file and a text file; returns the grey level of each readable image."""
    expected = {}
    specs = [
        ("a/light.png", "RGB", (40, 30), 200),
        ("a/b/grey.jpg", "L", (64, 64), 60),
        ("a/b/c/wide.bmp", "RGB", (90, 20), 120),
        ("d/palette.png", "P", (33, 33), 30),
        ("d/alpha.PNG", "RGBA", (16, 48), 250),
        ("top.jpeg", "RGB", (20, 20), 90),
    ]
    for name, mode, size, level in specs:
        Image.new("L", size, level).convert(mode).save(path_in(root, name))
        expected[name] = level
    good = path_in(root, "d/full.jpg")
    Image.new("RGB", (32, 32), (10, 10, 10)).save(good)
    # A download cut short: the first half of a valid JPEG.
    path_in(root, "d/e/truncated.jpg").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    good.unlink()
    path_in(root, "a/._light.png").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    path_in(root, "notes.txt").write_text("not an image")
    return expected


def path_in(root: Path, name: str) -> Path:
    """`root / name`, with its parent folders created."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
