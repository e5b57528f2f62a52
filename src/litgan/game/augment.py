"""DiffAugment (Zhao et al. 2020): random, differentiable transforms of every image D judges.

On a small image set D learns the training images by heart and stops giving G a useful
gradient. Transforming real and generated images alike, in D's step and in G's (whose gradient
flows back through the transform), takes that away from D without G learning to draw the
transforms: D never sees an untransformed image, so G gains nothing by imitating them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor


def translation(x: Tensor, ratio: float = 0.125) -> Tensor:
    """Shift each image (B, C, H, W) by its own random whole number of pixels, up to `ratio` of
    its size along each axis; pixels shifted in are 0."""
    b, _, h, w = x.shape
    max_y, max_x = int(h * ratio + 0.5), int(w * ratio + 0.5)
    rows = torch.arange(h, device=x.device).view(1, h, 1) + torch.randint(
        -max_y, max_y + 1, (b, 1, 1), device=x.device
    )
    cols = torch.arange(w, device=x.device).view(1, 1, w) + torch.randint(
        -max_x, max_x + 1, (b, 1, 1), device=x.device
    )
    inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    index = torch.arange(b, device=x.device).view(b, 1, 1)
    # Advanced indexing on (B, H, W, C): each output pixel reads its source pixel, so the
    # gradient reaches exactly the pixels that stay in the picture.
    shifted = x.permute(0, 2, 3, 1)[index, rows.clamp(0, h - 1), cols.clamp(0, w - 1)]
    return shifted.permute(0, 3, 1, 2) * inside.unsqueeze(1).to(x.dtype)


def cutout(x: Tensor, ratio: float = 0.5) -> Tensor:
    """Set one square of `ratio` of each image's side to 0, centred anywhere in the image (the
    part that falls outside is lost)."""
    b, _, h, w = x.shape
    size_y, size_x = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = torch.randint(0, h, (b, 1, 1), device=x.device) - size_y // 2
    left = torch.randint(0, w, (b, 1, 1), device=x.device) - size_x // 2
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    hole = (rows >= top) & (rows < top + size_y) & (cols >= left) & (cols < left + size_x)
    return x * (~hole).unsqueeze(1).to(x.dtype)


AUGMENTATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "translation": translation,
    "cutout": cutout,
}


class DiffAugment:
    """The named transforms, applied in order; draws from torch's global random stream (which
    checkpoints save), so a resumed run transforms as the uninterrupted one would."""

    def __init__(self, names: Sequence[str]) -> None:
        self.transforms = [AUGMENTATIONS[name] for name in names]

    def __call__(self, x: Tensor) -> Tensor:
        for transform in self.transforms:
            x = transform(x)
        return x
