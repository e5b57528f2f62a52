"""Evaluation: FID (Inception-v3 for images, coordinates for 2D data), mode coverage, KID, PRC."""

from litgan.metrics.evaluator import Evaluator, build_evaluator, fid_floor, real_reference
from litgan.metrics.fid import FeatureStats, feature_statistics, frechet_distance, stats_distance
from litgan.metrics.inception import InceptionWeightsError, resolve_weights
from litgan.metrics.modes import ModeCoverage, mode_coverage

__all__ = [
    "Evaluator",
    "FeatureStats",
    "InceptionWeightsError",
    "ModeCoverage",
    "build_evaluator",
    "feature_statistics",
    "fid_floor",
    "frechet_distance",
    "mode_coverage",
    "real_reference",
    "resolve_weights",
    "stats_distance",
]
