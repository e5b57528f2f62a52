"""Readers of the native on-disk formats of MNIST, CIFAR-10 and CelebA's partition list.

They read the images only: labels and annotations play no part in GAN training.
"""

from __future__ import annotations

import pickle
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from litgan.errors import DataError

IDX_IMAGES_MAGIC = b"\x00\x00\x08\x03"  # unsigned bytes, three dimensions
CELEBA_PARTITIONS = {"train": 0, "valid": 1, "test": 2}


def read_idx_images(path: Path) -> np.ndarray:
    """The images of an IDX file (MNIST's format), uint8 of shape (N, rows, cols)."""
    data = path.read_bytes()
    if data[:4] != IDX_IMAGES_MAGIC or len(data) < 16:
        raise DataError(
            f"{path} is not an IDX image file (it should start with bytes 00 00 08 03); "
            "delete it and get it again (data.download=true)"
        )
    n, rows, cols = struct.unpack(">III", data[4:16])
    expected = 16 + n * rows * cols
    if len(data) != expected:
        raise DataError(
            f"{path} is truncated or damaged: {len(data)} bytes where its header promises "
            f"{expected}; delete it and get it again (data.download=true)"
        )
    return np.frombuffer(data, np.uint8, offset=16).reshape(n, rows, cols)


def read_cifar_batches(paths: Sequence[Path]) -> np.ndarray:
    """The images of CIFAR-10 python pickle batches, uint8 of shape (N, 32, 32, 3)."""
    arrays = []
    for path in paths:
        try:
            with path.open("rb") as f:
                # The batches were pickled by Python 2: latin1 maps its byte strings one to one.
                batch = pickle.load(f, encoding="latin1")
            arrays.append(np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as err:
            raise DataError(
                f"{path} is not a readable CIFAR-10 batch ({type(err).__name__}: {err}); "
                "delete its folder and get it again (data.download=true)"
            ) from err
    # Channels last, contiguous: what PIL's fromarray reads without a copy per image.
    return np.ascontiguousarray(np.concatenate(arrays).transpose(0, 2, 3, 1))


def read_celeba_partition(path: Path) -> dict[str, int]:
    """CelebA's list_eval_partition.txt: image file name -> 0 (train), 1 (valid) or 2 (test)."""
    partition = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or fields[1] not in ("0", "1", "2"):
            raise DataError(
                f"{path}, line {number}: expected '<image>.jpg <0|1|2>', got {line.strip()!r}; "
                "fix or delete the file (it is optional)"
            )
        partition[fields[0]] = int(fields[1])
    return partition
