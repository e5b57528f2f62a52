"""`litgan-fid A B`: the FID between two sets of samples, on the code path validation uses.

A and B are each an image folder, a data set from conf/data (e.g. `digits`), or a checkpoint
(N samples from its generator's fixed noise, as in validation). Trailing `key=value` arguments
override the train config as on the train.py command line (`data.image_size=64`,
`metrics.fid.weights_path=...`).
"""

from __future__ import annotations

import argparse
import os
import sys
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import OmegaConf
from PIL import Image
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from litgan.config import CONFIG_DIR
from litgan.errors import LitganError
from litgan.gan import GAN
from litgan.metrics.evaluator import (
    extract,
    feature_space,
    fid_floor,
    real_reference,
    subset_indices,
)
from litgan.metrics.features import FeatureSpace
from litgan.metrics.fid import FeatureStats, feature_statistics, stats_distance

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


class FolderImages(Dataset):
    """Image files as uint8 RGB tensors, decoded as torch-fidelity decodes them."""

    def __init__(self, files: Sequence[Path]) -> None:
        self.files = list(files)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> Tensor:
        with Image.open(self.files[index]) as image:
            return torch.from_numpy(np.array(image.convert("RGB"))).permute(2, 0, 1)


class Source(ABC):
    """One side of the comparison: knows its sample shape before any features are computed."""

    shape: tuple[int, ...]
    label: str

    @abstractmethod
    def statistics(
        self, space: FeatureSpace, num_samples: int, batch_size: int, metrics: dict[str, Any]
    ) -> FeatureStats:
        """Feature statistics of up to `num_samples` samples."""


class FolderSource(Source):
    """Every image under a folder, recursively; a fixed random subset when there are more."""

    def __init__(self, path: Path) -> None:
        self.files = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise LitganError(f"{path} holds no images ({', '.join(IMAGE_SUFFIXES)})")
        self.shape = tuple(FolderImages(self.files[:1])[0].shape)
        self.label = path.name

    def statistics(
        self, space: FeatureSpace, num_samples: int, batch_size: int, metrics: dict[str, Any]
    ) -> FeatureStats:
        files = [self.files[i] for i in subset_indices(len(self.files), num_samples)]
        batches = DataLoader(FolderImages(files), batch_size=batch_size)
        try:
            return feature_statistics(extract(space, batches, desc=self.label))
        except RuntimeError as err:  # default_collate cannot stack images of different sizes
            raise LitganError(f"the images under {self.label} must all have one size") from err


class CheckpointSource(Source):
    """Samples of a checkpoint's generator from the fixed noise that validation uses."""

    def __init__(self, path: Path) -> None:
        try:
            self.gan = GAN.load_from_checkpoint(path, map_location="cpu", weights_only=True)
        except Exception as err:  # any file can be given: pickle, zip, EOF, key errors, ...
            raise LitganError(f"{path} is not a litgan checkpoint ({err})") from err
        self.shape = tuple(self.gan.hparams.data_shape)
        self.label = path.name

    def statistics(
        self, space: FeatureSpace, num_samples: int, batch_size: int, metrics: dict[str, Any]
    ) -> FeatureStats:
        latents = self.gan.fixed_noise(num_samples).split(batch_size)
        batches = map(self.gan.generate, latents)
        return feature_statistics(extract(space, batches, self.label, total=len(latents)))


class DatasetSource(Source):
    """Real samples of a data set from conf/data, with the cached statistics validation uses."""

    def __init__(self, name: str, data_cfg: Any) -> None:
        self.datamodule = instantiate(data_cfg)
        self.datamodule.prepare_data()
        self.datamodule.setup("fit")
        self.shape = tuple(self.datamodule.shape)
        self.label = name

    def statistics(
        self, space: FeatureSpace, num_samples: int, batch_size: int, metrics: dict[str, Any]
    ) -> FeatureStats:
        split = metrics["split"]
        images = len(self.shape) > 1
        return real_reference(
            self.datamodule.real_dataset(split),
            self.datamodule.name,
            split,
            space,
            num_samples,
            batch_size,
            cache_dir=Path(metrics["cache_dir"]) if images else None,
            progress=True,
        ).stats


def compose_config(overrides: Sequence[str], data: str | None = None) -> Any:
    """The train config with `overrides`, for the data set `data` if given."""
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose(
            "train",
            overrides=[
                f"paths.root_dir={os.getcwd()}",
                "paths.output_dir=.",  # nothing is written but the cache; resolves hydra:
                *([f"data={data}"] if data else []),
                *overrides,
            ],
        )


def open_source(spec: str, overrides: Sequence[str]) -> Source:
    """A folder, a checkpoint file or a conf/data name, in that order."""
    path = Path(spec)
    if path.is_dir():
        return FolderSource(path)
    if path.is_file():
        return CheckpointSource(path)
    if spec in data_names():
        return DatasetSource(spec, compose_config(overrides, data=spec).data)
    raise LitganError(
        f"{spec!r} is neither an image folder, a checkpoint, nor a data set "
        f"(one of: {', '.join(data_names())})"
    )


def data_names() -> list[str]:
    """The data sets a source may name: the options of conf/data."""
    return sorted(p.stem for p in (Path(CONFIG_DIR) / "data").glob("*.yaml"))


def sample_counts(
    metrics: dict[str, Any],
    shape: Sequence[int],
    num_samples: int | None,
    batch_size: int | None,
) -> tuple[int, int]:
    """Samples per side and per forward pass: as given, else the metrics config's for the
    kind of sample (2D points: all in one batch)."""
    defaults = metrics["points"] if len(shape) == 1 else metrics["fid"]
    num_samples = num_samples or defaults["num_samples"]
    return num_samples, batch_size or defaults.get("batch_size", num_samples)


def fid_between(
    a: str,
    b: str,
    num_samples: int | None = None,
    batch_size: int | None = None,
    overrides: Sequence[str] = (),
) -> float:
    """FID between sources `a` and `b` (Inception for images, coordinates for 2D points)."""
    metrics = OmegaConf.to_container(compose_config(overrides).metrics, resolve=True)
    sources = [open_source(spec, overrides) for spec in (a, b)]
    points = [len(s.shape) == 1 for s in sources]
    if points[0] != points[1]:
        raise LitganError(
            f"cannot compare {a} (samples of shape {sources[0].shape}) with "
            f"{b} (samples of shape {sources[1].shape}): one is 2D points, the other images"
        )
    num_samples, batch_size = sample_counts(metrics, sources[0].shape, num_samples, batch_size)
    space = feature_space(sources[0].shape, metrics)
    stats = [s.statistics(space, num_samples, batch_size, metrics) for s in sources]
    return stats_distance(*stats)


def floor_of(
    data: str,
    num_samples: int | None = None,
    batch_size: int | None = None,
    overrides: Sequence[str] = (),
) -> tuple[float, int]:
    """FID between two disjoint halves of data set `data`, and the sample count of each half.

    What a generator indistinguishable from the data scores at that count: generated FIDs are
    read against it, since FID is biased upwards at small sample counts.
    """
    if data not in data_names():
        raise LitganError(
            f"--floor needs a data set from conf/data (one of: {', '.join(data_names())}), "
            f"not {data!r}"
        )
    cfg = compose_config(overrides, data=data)
    metrics = OmegaConf.to_container(cfg.metrics, resolve=True)
    source = DatasetSource(data, cfg.data)
    num_samples, batch_size = sample_counts(metrics, source.shape, num_samples, batch_size)
    space = feature_space(source.shape, metrics)
    dataset = source.datamodule.real_dataset(metrics["split"])
    return fid_floor(dataset, space, num_samples, batch_size)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry: prints `FID: <value>`; a LitganError is one line on stderr, exit 2."""
    parser = argparse.ArgumentParser(
        prog="litgan-fid",
        description="FID between two image folders, data sets (conf/data) or checkpoints.",
    )
    parser.add_argument(
        "a", nargs="?", help="image folder, data set name (e.g. digits) or checkpoint"
    )
    parser.add_argument("b", nargs="?", help="image folder, data set name or checkpoint")
    parser.add_argument(
        "--floor",
        metavar="DATA",
        help="instead of A B: the FID between two disjoint halves of data set DATA",
    )
    parser.add_argument(
        "overrides", nargs="*", help="train config overrides, e.g. metrics.fid.weights_path=..."
    )
    parser.add_argument(
        "--num-samples", type=int, help="samples per side (default: metrics.fid.num_samples)"
    )
    parser.add_argument(
        "--batch-size", type=int, help="samples per forward pass (default: metrics.fid.batch_size)"
    )
    args = parser.parse_intermixed_args(argv)
    if args.floor:
        # Positionals fill A and B first: with --floor, every one of them is an override.
        args.overrides = [x for x in (args.a, args.b) if x is not None] + args.overrides
        if any("=" not in x for x in args.overrides):
            parser.error("--floor DATA takes no sources A B, only key=value overrides")
    elif args.b is None:
        parser.error("give two sources A B, or one data set with --floor DATA")
    try:
        if args.floor:
            value, n = floor_of(args.floor, args.num_samples, args.batch_size, args.overrides)
            print(f"FID floor: {value:.6f} (two disjoint halves of {n} samples)")
            return
        value = fid_between(args.a, args.b, args.num_samples, args.batch_size, args.overrides)
    except LitganError as err:
        print(f"litgan-fid: error: {err}", file=sys.stderr)
        sys.exit(2)
    print(f"FID: {value:.6f}")


if __name__ == "__main__":
    main()
