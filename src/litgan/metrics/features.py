"""Feature spaces the Fréchet distance is measured in: Inception-v3 for images, 2D coordinates."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Protocol

import torch
from torch import Tensor

from litgan.config.checks import FEATURE_LAYERS
from litgan.metrics.inception import file_sha256, load_feature_extractor
from litgan.metrics.isc import LOGITS_LAYER, NoClassifierError, no_classifier_message


class FeatureSpace(Protocol):
    """Maps a batch of samples to feature vectors; `settings` say what changes the numbers."""

    settings: dict[str, Any]

    def __call__(self, samples: Tensor) -> Tensor: ...

    def to(self, device: torch.device | str) -> FeatureSpace: ...


def to_uint8(images: Tensor) -> Tensor:
    """Images in [-1, 1] to uint8, byte for byte as `save_image` writes them to PNG.

    The same operations in the same order as torchvision's normalize + `mul(255).add_(0.5)`:
    rounding half up, not truncation. uint8 input passes unchanged.
    """
    if images.dtype == torch.uint8:
        return images
    images = images.float().clamp(-1, 1).add(1).div(2).mul(255).add(0.5).clamp(0, 255)
    return images.to(torch.uint8)


def quantize(images: Tensor) -> Tensor:
    """Images in [-1, 1] (or uint8) to uint8 with 3 channels, as Inception takes them:
    `to_uint8`, then grayscale repeated."""
    images = to_uint8(images)
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)
    if images.shape[1] != 3:
        raise ValueError(f"Inception needs 1 or 3 channels, got images of shape {images.shape}")
    return images


class InceptionFeatures:
    """torch-fidelity's TF-compatible Inception-v3: uint8 images, resized to 299×299 with TF1's
    bilinear interpolation (no antialiasing), features of `feature_layer` (2048 = pool3).

    With `logits`, the same forward pass also gives the classifier's logits, for the Inception
    Score (`features_and_logits`); a NoClassifierError when the weights have no classifier.
    """

    def __init__(
        self, weights: Path, feature_layer: str | int = "2048", logits: bool = False
    ) -> None:
        self.feature_layer = str(feature_layer)
        if self.feature_layer not in FEATURE_LAYERS:
            raise ValueError(f"feature_layer must be one of {FEATURE_LAYERS}, got {feature_layer}")
        self.logits = logits
        more = [LOGITS_LAYER] if logits else []
        self.net = load_feature_extractor(weights, self.feature_layer, *more)
        # The offline conversion fills the classifier it lacks with NaN (inception.py).
        if logits and not torch.isfinite(self.net.fc.weight).all():
            raise NoClassifierError(no_classifier_message(Path(weights)))
        self.settings = {
            "features": "inception-v3-compat (torch-fidelity FeatureExtractorInceptionV3)",
            "feature_layer": self.feature_layer,
            "resize": "tf1_bilinear",  # torch-fidelity's interpolate_bilinear_2d_like_tensorflow1x
            "antialias": False,
            "quantization": "uint8, round half up (as saved PNGs)",
            "weights": Path(weights).name,
            "weights_sha256": file_sha256(Path(weights)),
        }

    def to(self, device: torch.device | str) -> InceptionFeatures:
        self.net.to(device)
        return self

    @torch.no_grad()
    def __call__(self, images: Tensor) -> Tensor:
        return self.features_and_logits(images)[0]

    @torch.no_grad()
    def features_and_logits(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        """Features and, when built with `logits`, the logits of one forward pass (else None)."""
        device = next(self.net.parameters()).device
        outputs = self.net(quantize(images).to(device))
        logits = outputs[1].float().cpu() if self.logits else None
        return outputs[0].float().cpu(), logits


class PointFeatures:
    """2D samples are their own features: the Fréchet distance in the raw coordinates."""

    settings: ClassVar[dict[str, Any]] = {"features": "2D coordinates"}

    def to(self, device: torch.device | str) -> PointFeatures:
        return self

    def __call__(self, points: Tensor) -> Tensor:
        return points.detach().to("cpu", torch.float64)
