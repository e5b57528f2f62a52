"""Images reach Inception as the uint8 pixels a saved PNG holds."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from torchvision.utils import save_image

from litgan.metrics.features import quantize


def test_quantize_is_byte_identical_to_a_saved_png(tmp_path):
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(3, 3, 8, 8, generator=gen) * 2.4 - 1.2  # some outside [-1, 1]
    # Values whose scaled pixel is exactly k + 0.5 or just around it: rounding, not truncation.
    images[0, 0, 0, :4] = torch.tensor([10.5, 10.49, 254.5, 0.5]) / 127.5 - 1
    for i, image in enumerate(images):
        save_image(image, tmp_path / f"{i}.png", normalize=True, value_range=(-1, 1), padding=0)
        saved = np.array(Image.open(tmp_path / f"{i}.png").convert("RGB"))
        assert np.array_equal(quantize(image[None])[0].permute(1, 2, 0).numpy(), saved)


def test_rounds_rather_than_truncates():
    values = torch.tensor([-1.0, 1.0, 0.0, 10.6 / 127.5 - 1]).view(1, 1, 1, 4)
    assert quantize(values)[0, 0, 0].tolist() == [0, 255, 128, 11]


def test_grayscale_is_repeated_and_uint8_passes_unchanged():
    grey = torch.linspace(-1, 1, 16).view(1, 1, 4, 4)
    rgb = quantize(grey)
    assert rgb.shape == (1, 3, 4, 4) and torch.equal(rgb[:, 0], rgb[:, 2])
    pixels = torch.randint(0, 256, (2, 3, 5, 5), dtype=torch.uint8)
    assert torch.equal(quantize(pixels), pixels)
