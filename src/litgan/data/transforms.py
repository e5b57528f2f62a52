"""The image pipeline shared by every image data set: PIL image in, tensor in [-1, 1] out."""

from __future__ import annotations

import torch
from torch import Tensor
from torchvision.transforms import v2


def image_transform(
    image_size: int, crop_size: int | None = None, flip: bool = False, to_float: bool = True
) -> v2.Compose:
    """Center crop `crop_size` (if set), resize to `image_size`² and scale to [-1, 1].

    The short side is resized and the long one center-cropped, so non-square images keep their
    aspect ratio. `flip` mirrors half of the images at random. Without `to_float` the images
    stay uint8 in 0..255, for `to_unit_range` to scale later.
    """
    steps: list[v2.Transform] = [v2.CenterCrop(crop_size)] if crop_size else []
    steps += [v2.Resize(image_size), v2.CenterCrop(image_size)]
    if flip:
        steps.append(v2.RandomHorizontalFlip())
    steps.append(v2.PILToTensor())
    if to_float:
        steps += [
            v2.ToDtype(torch.float32, scale=True),
            v2.Normalize(mean=[0.5], std=[0.5]),  # [0, 1] -> [-1, 1], every channel
        ]
    return v2.Compose(steps)


def to_unit_range(images: Tensor) -> Tensor:
    """uint8 images, one or a batch, to float32 in [-1, 1]: the values `image_transform` gives.

    The operations of ToDtype(scale=True) and Normalize(0.5, 0.5) with Python scalars, so that
    no tensor of constants is copied to the device at every batch.
    """
    return images.to(torch.float32).mul_(1.0 / 255).sub_(0.5).div_(0.5)
