"""2D points of unknown density: a learner's own file (data=points), with a validation split."""

from __future__ import annotations

import hashlib
import warnings
from abc import abstractmethod
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from litgan.data.base import ON_DEVICE_MAX_MB, InMemoryDataModule, TensorSamples
from litgan.errors import ConfigError, DataError

POINT_SUFFIXES = (".npy", ".csv")


def read_points(path: Path, what: str = "") -> np.ndarray:
    """The (N, 2) points of a `.npy` file or a `.csv` of two numeric columns (a header row
    allowed), float64; a DataError that says what is wrong with any other content.

    Args:
        what: how messages name the file (e.g. "data.path=..."); default: its path.
    """
    what = what or str(path)
    if path.suffix.lower() not in POINT_SUFFIXES:
        raise DataError(f"{what} is neither .npy nor .csv; save the points with np.save")
    if not path.is_file():
        raise DataError(f"cannot read points from {what}: no such file; save the points there")
    try:
        if path.suffix.lower() == ".npy":
            array = np.load(path, allow_pickle=False)
        else:
            array = _read_csv(path, what)
    except (OSError, UnicodeDecodeError, EOFError, ValueError) as err:
        raise DataError(f"cannot read points from {what}: {str(err).splitlines()[0]}") from err
    if array.size == 0:
        raise DataError(f"{what} is empty (no points); 2D points need two numeric columns")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise DataError(
            f"{what} holds complex numbers ({array.dtype}); 2D points need a real array of "
            "shape (N, 2): save np.stack([z.real, z.imag], 1) for complex z"
        )
    if array.ndim != 2 or array.shape[1] != 2 or not np.issubdtype(array.dtype, np.number):
        raise DataError(
            f"{what} holds an array of shape {array.shape} ({array.dtype}); "
            f"2D points need a numeric array of shape (N, 2)"
        )
    bad = int((~np.isfinite(array)).any(axis=1).sum())
    if bad:
        raise DataError(f"{what} holds {bad} points with NaN or infinite coordinates; drop them")
    return array.astype(np.float64)


def _read_csv(path: Path, what: str) -> np.ndarray:
    """A .csv's numbers, a header row skipped; a DataError naming a value that is no number."""
    # An empty file is refused by read_points: numpy's warning about it would come first.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "loadtxt: input contained no data")
        try:
            return np.loadtxt(path, delimiter=",", ndmin=2)
        except ValueError:  # a header row, or a value that is no number
            pass
        return _read_csv_after_header(path, what)


def _read_csv_after_header(path: Path, what: str) -> np.ndarray:
    """A .csv's numbers below its first row."""
    try:
        return np.loadtxt(path, delimiter=",", ndmin=2, skiprows=1)
    except ValueError as err:
        raise DataError(
            f"cannot read points from {what}: a value is not a number "
            f"({str(err).splitlines()[0]}); 2D points need two numeric columns"
        ) from err


class PointSetDataModule(InMemoryDataModule):
    """2D points split once, by `seed`, into a training set and a validation set.

    The validation points are never trained on: the kernel density estimate that stands for
    the data's unknown density (`litgan.metrics.kde`) picks its bandwidth by their likelihood.
    The arguments of the split and of serving are declared here once; each kind of point set
    takes them as `**split` beside its own.
    """

    shape = (2,)

    def __init__(
        self,
        batch_size: int = 256,
        val_fraction: float = 0.1,
        seed: int = 0,
        on_device: bool = False,
        on_device_max_mb: float = ON_DEVICE_MAX_MB,
    ) -> None:
        super().__init__(batch_size, on_device, on_device_max_mb)
        self.val_fraction = val_fraction
        self.seed = seed
        self.valid: Tensor | None = None

    @abstractmethod
    def all_points(self) -> Tensor:
        """Every point, shape (N, 2), before the split."""

    def load(self) -> Tensor:
        points = self.all_points().float()
        order = torch.randperm(len(points), generator=torch.Generator().manual_seed(self.seed))
        num_valid = round(self.val_fraction * len(points))
        if num_valid == 0:
            raise ConfigError(
                f"data.val_fraction={self.val_fraction} of {len(points)} points holds out none, "
                f"and the density estimate needs held-out points: raise data.val_fraction"
            )
        self.valid = points[order[:num_valid]]
        train = points[order[num_valid:]]
        if len(train) < self.batch_size:
            raise DataError(
                f"{self.name} has {len(train)} training points ({len(points)} less "
                f"data.val_fraction={self.val_fraction} for validation) but a training batch "
                f"needs {self.batch_size} (data.batch_size × d_steps); give more points or "
                f"lower data.batch_size"
            )
        return train

    def real_dataset(self, split: str = "train") -> Dataset:
        if split == "valid":
            assert self.valid is not None, "call setup() first"
            if not len(self.valid):
                raise ConfigError(f"{self.name} has no validation points: raise data.val_fraction")
            return TensorSamples(self.valid)
        return super().real_dataset(split)


class PointFileDataModule(PointSetDataModule):
    """A learner's own 2D points: `.npy` of shape (N, 2), or `.csv` of two numeric columns.

    The file is read when the module is built, so a run refuses a bad file before it writes
    anything.

    Args:
        path: the file; relative paths start from the directory train.py runs in.
        split: PointSetDataModule's arguments (batch_size, val_fraction, seed, on_device, ...).
    """

    def __init__(self, path: str | None = None, **split: Any) -> None:
        super().__init__(**split)
        if not path:
            raise ConfigError("data=points needs data.path=<a .npy or .csv file of 2D points>")
        self.path = Path(path).expanduser().absolute()
        digest = hashlib.sha1(str(self.path).encode()).hexdigest()[:8]
        self.name = f"points-{self.path.stem}-{digest}"
        self.points = torch.from_numpy(read_points(self.path, f"data.path={self.path}"))
        self.samples = self.load()  # too few points are refused now, before anything is written

    def all_points(self) -> Tensor:
        return self.points
