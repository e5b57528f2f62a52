"""What litgan-fid compares: the sources of samples (image folders, data sets, checkpoints,
points files) and their comparison, FID with the Inception Score or the 2D scores; a data
set's own floor."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf
from PIL import Image
from torch import Tensor
from torch.utils.data import DataLoader

from litgan.cli.fid_options import MAX_SCORED_POINTS, check_floor_data
from litgan.config.compose import compose, data_names
from litgan.data import points as data_points
from litgan.data.datasets import ImageFiles
from litgan.errors import LitganError
from litgan.metrics.divergences import NUM_EVAL, estimate_divergences
from litgan.metrics.evaluator import (
    dataset_batches,
    extract,
    extract_with_logits,
    feature_space,
    fid_floor,
    real_reference,
    subset_indices,
)
from litgan.metrics.features import FeatureSpace, InceptionFeatures
from litgan.metrics.fid import FeatureStats, feature_statistics, stats_distance
from litgan.metrics.isc import NoClassifierError, inception_score
from litgan.metrics.kde import score_point_sets
from litgan.metrics.modes import mode_coverage
from litgan.metrics.prdc import density_coverage
from litgan.run.checkpoints import load_gan

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
MIN_POINTS = 2  # FID needs a covariance


def folder_images(files: Sequence[Path]) -> ImageFiles:
    """Image files as uint8 RGB tensors, decoded as torch-fidelity decodes them; a file that
    cannot be decoded is skipped and named, as training skips it."""
    return ImageFiles(files, 3, _uint8_chw)


def _uint8_chw(image: Image.Image) -> Tensor:
    return torch.from_numpy(np.array(image)).permute(2, 0, 1)


class Source(ABC):
    """One side of the comparison: knows its sample shape before any features are computed."""

    shape: tuple[int, ...]
    label: str

    @abstractmethod
    def batches(
        self, num_samples: int, batch_size: int, metrics: dict[str, Any]
    ) -> tuple[Iterable[Tensor], int]:
        """Up to `num_samples` samples in batches, and how many batches."""

    def statistics(
        self, space: FeatureSpace, num_samples: int, batch_size: int, metrics: dict[str, Any]
    ) -> FeatureStats:
        """Feature statistics of up to `num_samples` samples."""
        batches, total = self.batches(num_samples, batch_size, metrics)
        return feature_statistics(extract(space, batches, self.label, total))

    def scored(
        self, space: InceptionFeatures, num_samples: int, batch_size: int, metrics: dict[str, Any]
    ) -> tuple[FeatureStats, Tensor]:
        """Feature statistics and the Inception logits of the same forward passes."""
        batches, total = self.batches(num_samples, batch_size, metrics)
        features, logits = extract_with_logits(space, batches, self.label, total)
        return feature_statistics(features), logits


class FolderSource(Source):
    """Every image under a folder, recursively; a fixed random subset when there are more."""

    def __init__(self, path: Path) -> None:
        self.files = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise LitganError(f"{path} holds no images ({', '.join(IMAGE_SUFFIXES)})")
        # The first readable file's shape: a damaged one is skipped here too.
        self.shape = tuple(folder_images(self.files)[0].shape)
        self.label = path.name

    def batches(
        self, num_samples: int, batch_size: int, metrics: dict[str, Any]
    ) -> tuple[Iterable[Tensor], int]:
        files = [self.files[i] for i in subset_indices(len(self.files), num_samples)]
        loader = DataLoader(folder_images(files), batch_size=batch_size)
        return self._stacked(loader), len(loader)

    def _stacked(self, loader: DataLoader) -> Iterator[Tensor]:
        try:
            yield from loader
        except RuntimeError as err:  # default_collate cannot stack images of different sizes
            raise LitganError(f"the images under {self.label} must all have one size") from err


class CheckpointSource(Source):
    """Samples of a checkpoint's generator from the fixed noise that validation uses."""

    def __init__(self, path: Path) -> None:
        self.gan = load_gan(path)
        self.shape = tuple(self.gan.hparams.data_shape)
        self.label = path.name

    def batches(
        self, num_samples: int, batch_size: int, metrics: dict[str, Any]
    ) -> tuple[Iterable[Tensor], int]:
        latents = self.gan.fixed_noise(num_samples).split(batch_size)
        return map(self.gan.generate, latents), len(latents)


def read_points(path: Path) -> Tensor:
    """The (N, 2) points of a `.npy` or `.csv` file, float64; a LitganError that says what is
    wrong with any other content."""
    array = data_points.read_points(path)
    if len(array) < MIN_POINTS:
        raise LitganError(f"{path} holds {len(array)} points; scoring needs at least {MIN_POINTS}")
    return torch.from_numpy(array)


class PointsSource(Source):
    """2D points from a `.npy` or `.csv` file: any sampler's output."""

    def __init__(self, path: Path) -> None:
        self.points = read_points(path)
        self.shape = (2,)
        self.label = path.name

    def batches(
        self, num_samples: int, batch_size: int, metrics: dict[str, Any]
    ) -> tuple[Iterable[Tensor], int]:
        chosen = self.points[subset_indices(len(self.points), num_samples)].split(batch_size)
        return chosen, len(chosen)


class DatasetSource(Source):
    """Real samples of a data set from conf/data, with the cached statistics validation uses."""

    def __init__(self, name: str, data_cfg: Any) -> None:
        self.datamodule = instantiate(data_cfg)
        self.datamodule.prepare_data()
        self.datamodule.setup("fit")
        self.shape = tuple(self.datamodule.shape)
        self.label = name

    def batches(
        self, num_samples: int, batch_size: int, metrics: dict[str, Any]
    ) -> tuple[Iterable[Tensor], int]:
        """The samples `statistics` takes: the same fixed subset as validation's reference."""
        dataset = self.datamodule.real_dataset(metrics["split"])
        loader = dataset_batches(dataset, subset_indices(len(dataset), num_samples), batch_size)
        return loader, len(loader)

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
    return compose(
        [
            f"paths.root_dir={os.getcwd()}",
            "paths.output_dir=.",  # nothing is written but the cache; resolves hydra:
            *([f"data={data}"] if data else []),
            *overrides,
        ]
    )


def open_source(spec: str, overrides: Sequence[str]) -> Source:
    """A folder, a points file, a checkpoint file or a conf/data name, in that order."""
    path = Path(spec)
    if path.is_dir():
        return FolderSource(path)
    if path.suffix.lower() in data_points.POINT_SUFFIXES:
        return PointsSource(path)
    if path.is_file():
        return CheckpointSource(path)
    if spec in data_names():
        return DatasetSource(spec, compose_config(overrides, data=spec).data)
    if not path.exists():
        raise LitganError(
            f"{spec} does not exist: give an image folder, a checkpoint, a points file or a "
            f"data set (one of: {', '.join(data_names())})"
        )
    raise LitganError(
        f"{spec!r} is neither an image folder, a checkpoint, nor a data set "
        f"(one of: {', '.join(data_names())})"
    )


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


@dataclass(frozen=True)
class Comparison:
    """The FID between two sources; with Inception Scores, each source's (label, mean, std),
    or why there are none."""

    fid: float
    isc: list[tuple[str, float, float]] = field(default_factory=list)
    isc_missing: str | None = None
    # Points against a 2D mixture: modes, high quality, reverse KL and the four divergences.
    points: dict[str, Any] | None = None
    # Points files with more points than were scored: {label: points in the file}.
    subsampled: dict[str, int] = field(default_factory=dict)
    scored: int = 0


def compare(
    a: str,
    b: str,
    num_samples: int | None = None,
    batch_size: int | None = None,
    overrides: Sequence[str] = (),
    isc: bool = False,
) -> Comparison:
    """FID between sources `a` and `b` (Inception for images, coordinates for 2D points), and
    with `isc` the Inception Score of each, from the logits of the same forward passes.

    Weights without Inception's classifier (the offline conversion) give the FID alone, with
    the reason in `isc_missing`.
    """
    metrics = OmegaConf.to_container(compose_config(overrides).metrics, resolve=True)
    sources = [open_source(spec, overrides) for spec in (a, b)]
    points = [len(s.shape) == 1 for s in sources]
    if points[0] != points[1]:
        raise LitganError(
            f"cannot compare {a} (samples of shape {sources[0].shape}) with "
            f"{b} (samples of shape {sources[1].shape}): one is 2D points, the other images"
        )
    if isc and points[0]:
        raise LitganError(f"--isc scores images, and {a} and {b} are 2D points: leave it out")
    scored_points = [s for s in sources if isinstance(s, PointsSource)]
    mixtures = [
        s for s in sources if getattr(getattr(s, "datamodule", None), "modes", None) is not None
    ]
    if scored_points:
        num_samples = points_to_score(scored_points, num_samples)
    num_samples, batch_size = sample_counts(metrics, sources[0].shape, num_samples, batch_size)
    subsampled = {s.label: len(s.points) for s in scored_points if len(s.points) > num_samples}
    missing = None
    if scored_points and mixtures:
        space = feature_space(sources[0].shape, metrics)
        stats = [s.statistics(space, num_samples, batch_size, metrics) for s in sources]
        points = score_points(scored_points[0], mixtures[0].datamodule, num_samples, metrics)
        return Comparison(
            stats_distance(*stats), points=points, subsampled=subsampled, scored=num_samples
        )
    if points[0] and not mixtures:
        # Two point sets, neither of known density: B's is estimated.
        space = feature_space(sources[0].shape, metrics)
        sets = [torch.cat(list(s.batches(num_samples, batch_size, metrics)[0])) for s in sources]
        stats = [feature_statistics(space(x)) for x in sets]
        bandwidth = metrics["points"]["bandwidth"]
        scores = score_point_sets(sets[0].detach(), sets[1].detach(), bandwidth)
        return Comparison(
            stats_distance(*stats), points=scores, subsampled=subsampled, scored=num_samples
        )
    if isc:
        try:
            space = feature_space(sources[0].shape, metrics, logits=True)
        except NoClassifierError as err:
            isc, missing = False, str(err)
    if not isc:
        space = feature_space(sources[0].shape, metrics)
        stats = [s.statistics(space, num_samples, batch_size, metrics) for s in sources]
        return Comparison(stats_distance(*stats), isc_missing=missing)
    scored = [s.scored(space, num_samples, batch_size, metrics) for s in sources]
    scores = [
        (source.label, *inception_score(logits))
        for source, (_, logits) in zip(sources, scored, strict=True)
    ]
    return Comparison(stats_distance(scored[0][0], scored[1][0]), scores)


def points_to_score(sources: Sequence[PointsSource], num_samples: int | None) -> int:
    """How many points of each file are scored: `num_samples`, else all a file holds, up to
    MAX_SCORED_POINTS (a fixed random subset of a bigger file)."""
    if num_samples is None:
        return min(len(sources[0].points), MAX_SCORED_POINTS)
    if num_samples > MAX_SCORED_POINTS:
        raise LitganError(
            f"2D points are scored {MAX_SCORED_POINTS:,} at most (the memory and time of "
            f"density, coverage and the kernel estimates grow with the count), and "
            f"--num-samples asks for {num_samples:,}: give up to {MAX_SCORED_POINTS:,}"
        )
    return num_samples


def score_points(
    source: PointsSource, datamodule: Any, num_samples: int, metrics: dict[str, Any]
) -> dict[str, Any]:
    """Validation's scores of a file's points (the `num_samples` that FID takes) against a
    2D mixture: modes, high quality, reverse KL, the four divergences, density and coverage
    (against as many of the mixture's points as validation takes), with their settings."""
    points = source.points[subset_indices(len(source.points), num_samples)]
    real = datamodule.real_dataset(metrics["split"])
    real = torch.stack([real[i] for i in subset_indices(len(real), num_samples).tolist()])
    std, stds = datamodule.std, metrics["points"]["high_quality_stds"]
    coverage = mode_coverage(points, datamodule.modes, std, stds)
    bandwidth = metrics["points"]["bandwidth"]
    divergences = estimate_divergences(
        datamodule.modes, std, torch.ones(len(datamodule.modes)), points.float(), h=bandwidth * std
    )
    return {
        "modes": coverage.modes,
        "high_quality": coverage.high_quality,
        "reverse_kl": coverage.reverse_kl,
        **divergences,
        **density_coverage(points, real, metrics["nearest_k"]),
        "settings": {
            "data": datamodule.name,
            "num_modes": len(datamodule.modes),
            "num_points": len(points),
            "high_quality_stds": stds,
            "bandwidth_stds": bandwidth,
            "bandwidth": bandwidth * std,
            "num_eval": NUM_EVAL,
            "nearest_k": metrics["nearest_k"],
        },
    }


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
    check_floor_data(data)
    cfg = compose_config(overrides, data=data)
    metrics = OmegaConf.to_container(cfg.metrics, resolve=True)
    source = DatasetSource(data, cfg.data)
    num_samples, batch_size = sample_counts(metrics, source.shape, num_samples, batch_size)
    space = feature_space(source.shape, metrics)
    dataset = source.datamodule.real_dataset(metrics["split"])
    return fid_floor(dataset, space, num_samples, batch_size)
