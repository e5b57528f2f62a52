"""The image pipeline shared by every image data set: PIL image in, tensor in [-1, 1] out."""

from __future__ import annotations

import torch
from torchvision.transforms import v2


def image_transform(
    image_size: int, crop_size: int | None = None, flip: bool = False
) -> v2.Compose:
    """Center crop `crop_size` (if set), resize to `image_size`² and scale to [-1, 1].

    The short side is resized and the long one center-cropped, so non-square images keep their
    aspect ratio. `flip` mirrors half of the images at random.
    """
    steps: list[v2.Transform] = [v2.CenterCrop(crop_size)] if crop_size else []
    steps += [v2.Resize(image_size), v2.CenterCrop(image_size)]
    if flip:
        steps.append(v2.RandomHorizontalFlip())
    steps += [
        v2.PILToTensor(),
        v2.ToDtype(torch.float32, scale=True),
        v2.Normalize(mean=[0.5], std=[0.5]),  # [0, 1] -> [-1, 1], every channel
    ]
    return v2.Compose(steps)
