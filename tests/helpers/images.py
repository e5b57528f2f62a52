"""Small image files for tests of the Inception metrics."""

from __future__ import annotations

import torch
from PIL import Image


def write_images(folder, seed, n, size=16):
    """`n` small RGB PNGs: smooth random blobs, so that images differ in content, not noise."""
    folder.mkdir()
    gen = torch.Generator().manual_seed(seed)
    coarse = torch.rand(n, 3, 4, 4, generator=gen)
    images = torch.nn.functional.interpolate(coarse, size=size, mode="bilinear")
    pixels = (images * 255).round().byte().permute(0, 2, 3, 1).numpy()
    for i, image in enumerate(pixels):
        Image.fromarray(image).save(folder / f"{i}.png")
    return folder
