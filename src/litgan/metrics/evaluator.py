"""Validation metrics: generated samples scored against fixed, cached statistics of real data."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, Subset
from torch_fidelity.metric_kid import kid_features_to_metric
from torch_fidelity.metric_prc import prc_features_to_metric
from tqdm import tqdm

from litgan.errors import ConfigError
from litgan.metrics.cache import load_or_compute
from litgan.metrics.divergences import estimate_divergences
from litgan.metrics.features import FeatureSpace, InceptionFeatures, PointFeatures
from litgan.metrics.fid import FeatureStats, feature_statistics, stats_distance
from litgan.metrics.inception import fid_helper_model_path, resolve_weights
from litgan.metrics.isc import NoClassifierError, inception_score
from litgan.metrics.kde import KDE, data_kde, estimate_kde_divergences
from litgan.metrics.modes import mode_coverage
from litgan.metrics.prdc import NEAREST_K, density_coverage, nearest_radii

log = logging.getLogger("litgan")

SUBSET_SEED = 0  # which real samples a reference uses; part of the cache key
KID_SUBSET_SIZE = 1000  # torch-fidelity's default, lowered to the sample count when that is less
# Extra metrics that compare with the real data's features.
REFERENCE_METRICS = ("kid", "prc", "dc")
ESTIMATED = ("jsd", "tv", "triangular", "value_best_d")  # from p_data's estimate, where it has one


@dataclass(frozen=True)
class Reference:
    """Statistics of the real samples; their features too when KID, PRC or DC need them."""

    stats: FeatureStats
    features: Tensor | None
    settings: dict[str, Any]


def subset_indices(total: int, n: int, seed: int = SUBSET_SEED) -> Tensor:
    """`min(n, total)` indices: a fixed random subset, since data sets are often sorted by class."""
    if n >= total:
        return torch.arange(total)
    generator = torch.Generator().manual_seed(seed)
    return torch.randperm(total, generator=generator)[:n].sort().values


def extract(
    space: FeatureSpace,
    batches: Iterable[Tensor],
    desc: str | None = None,
    total: int | None = None,
) -> Tensor:
    """Features of every batch, stacked; with a progress bar on stderr when `desc` is given."""
    if desc:
        batches = tqdm(batches, desc=desc, total=total, unit="batch", leave=False)
    return torch.cat([space(batch) for batch in batches])


def extract_with_logits(
    space: InceptionFeatures,
    batches: Iterable[Tensor],
    desc: str | None = None,
    total: int | None = None,
) -> tuple[Tensor, Tensor]:
    """`extract`, with the logits of the same forward passes (a space built with logits)."""
    if desc:
        batches = tqdm(batches, desc=desc, total=total, unit="batch", leave=False)
    features, logits = zip(*(space.features_and_logits(batch) for batch in batches), strict=True)
    return torch.cat(features), torch.cat(logits)


def fingerprint(dataset: Dataset, indices: Tensor, count: int = 4) -> str:
    """A hash of a few of the selected samples: changes with anything that changes the images
    (crop, resize, channels, files) even where the data set's name and size stay the same."""
    sha = hashlib.sha256()
    for i in indices[torch.linspace(0, len(indices) - 1, count).long().unique()].tolist():
        sample = dataset[i].detach().cpu().contiguous()
        sha.update(str(tuple(sample.shape)).encode())
        sha.update(sample.numpy().tobytes())
    return sha.hexdigest()[:16]


def dataset_batches(dataset: Dataset, indices: Tensor, batch_size: int) -> DataLoader:
    """The samples of `dataset` at `indices`, in batches.

    The loader gets a generator of its own: it would otherwise draw its seed from the global
    one and shift the training run that computes real statistics before its first step.
    """
    subset = Subset(dataset, indices.tolist())
    return DataLoader(subset, batch_size=batch_size, generator=torch.Generator())


def real_reference(
    dataset: Dataset,
    name: str,
    split: str,
    space: FeatureSpace,
    num_samples: int,
    batch_size: int,
    cache_dir: Path | None = None,
    keep_features: bool = False,
    progress: bool = False,
) -> Reference:
    """Statistics of up to `num_samples` real samples, loaded from `cache_dir` when computed before.

    The cache key holds everything that changes the numbers: data set, split, sample shape,
    sample count and selection, and the feature space (layer, resize, weights).
    """
    indices = subset_indices(len(dataset), num_samples)
    settings = {"real": f"{name}/{split}", "num_real": len(indices)}

    def features() -> Tensor:
        desc = f"real {name}" if progress else None
        return extract(space, dataset_batches(dataset, indices, batch_size), desc)

    if cache_dir is None:
        feats = features()
        return Reference(feature_statistics(feats), feats if keep_features else None, settings)
    key = {
        "dataset": name,
        "split": split,
        "dataset_size": len(dataset),
        "num_samples": len(indices),
        "subset_seed": SUBSET_SEED,
        "fingerprint": fingerprint(dataset, indices),
        **space.settings,
    }
    if keep_features:
        stored = load_or_compute(cache_dir, {**key, "kind": "features"}, lambda: {"f": features()})
        return Reference(feature_statistics(stored["f"]), stored["f"], settings)

    def stats() -> dict[str, Tensor]:
        s = feature_statistics(features())
        return {"mu": s.mu, "sigma": s.sigma, "num_samples": torch.tensor(s.num_samples)}

    stored = load_or_compute(cache_dir, {**key, "kind": "stats"}, stats)
    stats_ = FeatureStats(stored["mu"], stored["sigma"], int(stored["num_samples"]))
    return Reference(stats_, None, settings)


def fid_floor(
    dataset: Dataset, space: FeatureSpace, num_samples: int, batch_size: int
) -> tuple[float, int]:
    """FID between two disjoint random halves of real data and the count n of each half.

    n = min(num_samples, len(dataset) // 2): what a generator indistinguishable from the data
    would score against n real samples, the floor that generated FIDs are read against.
    """
    n = min(num_samples, len(dataset) // 2)
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(SUBSET_SEED))
    halves = [order[:n].sort().values, order[n : 2 * n].sort().values]
    stats = [
        feature_statistics(extract(space, dataset_batches(dataset, half, batch_size)))
        for half in halves
    ]
    return stats_distance(*stats), n


class Evaluator:
    """Collects features of generated samples during one validation; `compute` scores them and
    resets, so nothing carries over from one validation to the next.

    Args:
        space: the feature space (Inception for images, coordinates for 2D data).
        reference: the real data's statistics.
        num_samples, batch_size: how many samples to generate, and how many at a time.
        extra: any of `litgan.config.checks.EXTRA_METRICS`, from torch-fidelity on the same features
            (isc: on the logits of the same forward passes; `space` must give them); dc: density
            and coverage (`litgan.metrics.prdc`) with `nearest_k` neighbours.
        modes, mode_std, num_stds: 2D mixtures only: mode coverage (`val/modes`,
            `val/high_quality`, `val/reverse_kl`).
        real_points: 2D data only: real points that D's value is measured on in validation.
        bandwidth: 2D mixtures only: the divergences (`val/jsd`, `val/tv`, `val/triangular`,
            `val/w1`, `litgan.metrics.divergences`) with a kernel of this many data stds;
            None: none.
        kde: 2D data of unknown density: its estimate (`litgan.metrics.kde`), against which
            the divergences are estimated with `bandwidth` times its kernel; W1 to `real_points`.
        device: where the divergences are computed (the run's device).
    """

    def __init__(
        self,
        space: FeatureSpace,
        reference: Reference,
        num_samples: int,
        batch_size: int,
        extra: Sequence[str] = (),
        modes: Tensor | None = None,
        mode_std: float | None = None,
        num_stds: float = 3.0,
        real_points: Tensor | None = None,
        bandwidth: float | None = None,
        kde: KDE | None = None,
        device: torch.device | str = "cpu",
        nearest_k: int = NEAREST_K,
    ) -> None:
        if set(extra) & set(REFERENCE_METRICS) and reference.features is None:
            raise ValueError("kid, prc and dc need the reference's features (keep_features=True)")
        if "isc" in extra and not getattr(space, "logits", False):
            raise ValueError("isc needs a feature space that gives logits")
        self.space = space
        self.reference = reference
        self.num_samples = num_samples
        self.batch_size = batch_size
        self.extra = list(extra)
        self.modes = modes
        self.mode_std = mode_std
        self.num_stds = num_stds
        self.real_points = real_points
        known = modes is not None and mode_std is not None
        self.kde = kde if bandwidth is not None and real_points is not None else None
        self.bandwidth = bandwidth if known or self.kde is not None else None
        self.device = device
        self.nearest_k = nearest_k
        self._radii: Tensor | None = None  # dc's balls around the reference: computed once
        # The generated points of the last `compute` (2D data), which D's value is measured on.
        self.generated: Tensor | None = None
        self._features: list[Tensor] = []
        self._logits: list[Tensor] = []

    @property
    def settings(self) -> dict[str, Any]:
        """What changes the numbers, for the run's summary."""
        settings = {
            **self.space.settings,
            **self.reference.settings,
            "num_samples": self.num_samples,
            "extra": self.extra,
        }
        if "dc" in self.extra:
            settings["nearest_k"] = self.nearest_k
        if self.modes is not None:
            settings |= {"num_modes": len(self.modes), "high_quality_stds": self.num_stds}
        if self.kde is not None:
            settings["divergence_bandwidth_kde"] = self.bandwidth
            settings["density"] = self.kde.settings
            # Of an estimated p_data; W1 is a transport between samples, estimated by nothing.
            settings["estimated"] = [f"val/{key}" for key in ESTIMATED]
        elif self.bandwidth is not None:
            settings["divergence_bandwidth_stds"] = self.bandwidth
        return settings

    @property
    def best_metric(self) -> str:
        """What checkpoints/best.ckpt keeps the lowest of by default: val/jsd where the
        divergences are computed (val/fid on 2D points compares only means and covariances),
        else val/fid."""
        return "val/jsd" if self.bandwidth is not None else "val/fid"

    def reset(self) -> None:
        self._features = []
        self._logits = []

    def update(self, fake: Tensor) -> None:
        """Add a batch of generated samples (in data space: images in [-1, 1] or 2D points)."""
        if "isc" in self.extra:
            features, logits = self.space.features_and_logits(fake)
            self._logits.append(logits)
        else:
            features = self.space(fake)
        self._features.append(features)

    def compute(self, gather: Callable[[Tensor], Tensor] | None = None) -> dict[str, float]:
        """The metrics of everything added since the last reset, then reset.

        `gather` turns this process's features into everyone's (in distributed validation).
        """
        try:
            fake = torch.cat(self._features)
            if gather is not None:
                fake = gather(fake)
            results = {"val/fid": stats_distance(feature_statistics(fake), self.reference.stats)}
            if self.modes is not None and self.mode_std is not None:
                coverage = mode_coverage(fake, self.modes, self.mode_std, self.num_stds)
                results["val/modes"] = float(coverage.modes)
                results["val/high_quality"] = coverage.high_quality
                results["val/reverse_kl"] = coverage.reverse_kl
            if self.kde is not None:
                divergences = estimate_kde_divergences(
                    self.kde, fake.to(self.device, torch.float32), self.real_points, self.bandwidth
                )
                results |= {f"val/{key}": value for key, value in divergences.items()}
            elif self.bandwidth is not None:
                points = fake.to(self.device, torch.float32)
                weights = torch.ones(len(self.modes))  # the mixtures' modes weigh the same
                divergences = estimate_divergences(
                    self.modes.to(points),
                    self.mode_std,
                    weights.to(points),
                    points,
                    h=self.bandwidth * self.mode_std,
                )
                results |= {f"val/{key}": value for key, value in divergences.items()}
            if self.real_points is not None:
                self.generated = fake
            if set(self.extra) & set(REFERENCE_METRICS):
                results |= self._extra_metrics(fake, self.reference.features)
            if "isc" in self.extra:
                logits = torch.cat(self._logits)
                if gather is not None:
                    logits = gather(logits)
                results["val/isc"], results["val/isc_std"] = inception_score(logits)
            return results
        finally:
            self.reset()

    def _extra_metrics(self, fake: Tensor, real: Tensor) -> dict[str, float]:
        results = {}
        if "kid" in self.extra:
            size = min(KID_SUBSET_SIZE, len(fake), len(real))
            # Subsets as large as a whole set would all be that set: one is the whole estimate.
            subsets = 100 if size < min(len(fake), len(real)) else 1
            kid = kid_features_to_metric(
                fake, real, kid_subset_size=size, kid_subsets=subsets, verbose=False
            )
            results["val/kid"] = kid["kernel_inception_distance_mean"]
            results["val/kid_std"] = kid["kernel_inception_distance_std"]
        if "prc" in self.extra:
            # torch-fidelity's convention: generated features first, real second.
            prc = prc_features_to_metric(fake.float(), real.float(), verbose=False)
            results["val/precision"] = prc["precision"]
            results["val/recall"] = prc["recall"]
        if "dc" in self.extra:
            if self._radii is None:
                self._radii = nearest_radii(real.double(), self.nearest_k)
            scores = density_coverage(fake, real, self.nearest_k, self._radii)
            results |= {f"val/{key}": value for key, value in scores.items()}
        return results


def feature_space(
    shape: Sequence[int], cfg: Mapping[str, Any], logits: bool = False
) -> FeatureSpace:
    """Inception features for images (and its logits, if asked), the coordinates themselves
    for 2D points."""
    if len(shape) == 1:
        return PointFeatures()
    fid = cfg["fid"]
    weights = resolve_weights(fid.get("weights_path"), fid_helper=fid_helper_model_path())
    return InceptionFeatures(weights, fid.get("feature_layer", "2048"), logits=logits)


def isc_space(shape: Sequence[int], cfg: Mapping[str, Any], extra: list[str]) -> FeatureSpace:
    """The feature space for `extra`, which keeps isc only where the weights can score it.

    2D points have no Inception Score: a ConfigError. Weights without a classifier (the
    offline conversion): a warning that says so, and `extra` loses isc.
    """
    if "isc" not in extra:
        return feature_space(shape, cfg)
    if len(shape) == 1:
        raise ConfigError(
            "metrics.extra=[isc] is the Inception Score of images, and this data's samples are "
            "2D points: leave isc out of metrics.extra"
        )
    try:
        return feature_space(shape, cfg, logits=True)
    except NoClassifierError as err:
        log.warning("litgan: val/isc left out: %s", err)
        extra.remove("isc")
        return feature_space(shape, cfg)


def build_evaluator(
    cfg: Mapping[str, Any], datamodule: Any, device: torch.device | str = "cpu"
) -> Evaluator:
    """The evaluator that `cfg` (the `metrics` config) describes for `datamodule`'s data.

    Image data: Inception FID against `metrics.fid.num_samples` real images, cached under
    `metrics.cache_dir`. 2D data: FID on coordinates, mode coverage, density and coverage;
    the reference recomputed each run (a fraction of a second), since the name of a 2D data set
    does not say its seed or spread.
    """
    shape = tuple(datamodule.shape)
    extra = list(cfg.get("extra") or [])
    if len(shape) == 1 and "dc" not in extra:
        extra.append("dc")  # 2,500 points a side: about 0.15 s a validation on one CPU thread
    space = isc_space(shape, cfg, extra).to(device)
    nearest_k = cfg.get("nearest_k", NEAREST_K)
    keep_features = bool(set(extra) & set(REFERENCE_METRICS))
    dataset = datamodule.real_dataset(cfg["split"])
    if len(shape) == 1:
        points = cfg["points"]
        num_samples = batch_size = points["num_samples"]
        reference = real_reference(
            dataset,
            datamodule.name,
            cfg["split"],
            space,
            num_samples,
            batch_size,
            keep_features=keep_features,
        )
        modes = getattr(datamodule, "modes", None)
        indices = subset_indices(len(dataset), num_samples)
        real_points = next(iter(dataset_batches(dataset, indices, len(indices))))
        return Evaluator(
            space,
            reference,
            num_samples,
            batch_size,
            extra,
            modes=modes,
            mode_std=getattr(datamodule, "std", None),
            num_stds=points["high_quality_stds"],
            real_points=real_points.to(device),
            bandwidth=points["bandwidth"] if points["divergences"] else None,
            kde=data_kde(datamodule) if points["divergences"] else None,
            device=device,
            nearest_k=nearest_k,
        )
    fid = cfg["fid"]
    reference = real_reference(
        dataset,
        datamodule.name,
        cfg["split"],
        space,
        fid["num_samples"],
        fid["batch_size"],
        cache_dir=Path(cfg["cache_dir"]),
        keep_features=keep_features,
        progress=True,
    )
    return Evaluator(
        space, reference, fid["num_samples"], fid["batch_size"], extra, nearest_k=nearest_k
    )
