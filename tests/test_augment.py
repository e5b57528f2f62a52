"""DiffAugment's transforms: what each does to an image, and that G's gradient passes through."""

import pytest
import torch

from litgan.config.checks import AUGMENT_NAMES
from litgan.game.augment import AUGMENTATIONS, DiffAugment, cutout, translation


def numbered_images(n: int, size: int = 16) -> torch.Tensor:
    """(n, 2, size, size) images whose pixels are all distinct and non-zero."""
    return torch.arange(1, n * 2 * size * size + 1, dtype=torch.float).view(n, 2, size, size)


def shift(image: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """`image` (C, H, W) with out[i, j] = image[i + dy, j + dx], 0 where that is outside."""
    out = torch.zeros_like(image)
    h, w = image.shape[1:]
    out[:, max(0, -dy) : min(h, h - dy), max(0, -dx) : min(w, w - dx)] = image[
        :, max(0, dy) : min(h, h + dy), max(0, dx) : min(w, w + dx)
    ]
    return out


def test_translation_shifts_each_image_by_its_own_offset_within_the_ratio():
    torch.manual_seed(0)
    images = numbered_images(200)
    out = translation(images, ratio=0.125)  # up to 2 of 16 pixels
    offsets = []
    for image, moved in zip(images, out, strict=True):
        found = [
            (dy, dx)
            for dy in range(-2, 3)
            for dx in range(-2, 3)
            if torch.equal(moved, shift(image, dy, dx))
        ]
        assert len(found) == 1  # every output is exactly one allowed shift of its input
        offsets.append(found[0])
    # Independent per image, both directions on both axes: all 25 offsets occur in 200 draws.
    assert len(set(offsets)) == 25


def test_cutout_zeroes_one_square_of_the_ratio_per_image():
    torch.manual_seed(0)
    images = numbered_images(300)
    out = cutout(images, ratio=0.5)  # an 8x8 hole in 16x16 images
    areas = []
    for image, cut in zip(images, out, strict=True):
        hole = cut[0] == 0
        assert torch.equal(hole, cut[1] == 0)  # the same hole in every channel
        assert torch.equal(cut[:, ~hole], image[:, ~hole])  # the rest untouched
        rows, cols = hole.any(1).nonzero().flatten(), hole.any(0).nonzero().flatten()
        # One axis-aligned rectangle: its bounding box is all hole, at most 8 on a side, and
        # at least half of it left in the picture (its centre is always inside).
        assert hole.sum() == len(rows) * len(cols)
        assert 4 <= len(rows) <= 8 and 4 <= len(cols) <= 8
        areas.append(int(hole.sum()))
    assert max(areas) == 64 and min(areas) < 64


@pytest.mark.parametrize("names", [["translation"], ["cutout"], ["translation", "cutout"]])
def test_gradients_reach_exactly_the_pixels_d_sees(names):
    torch.manual_seed(1)
    images = numbered_images(8).requires_grad_(True)
    torch.manual_seed(2)
    out = DiffAugment(names)(images)
    out.sum().backward()
    # Each output pixel copies one input pixel or is 0: the gradient of the sum counts how
    # often each input pixel was copied, which is 0 or 1 for a shift and a hole.
    torch.manual_seed(2)
    seen = DiffAugment(names)(torch.ones_like(images))
    assert images.grad.sum() == seen.sum()
    assert set(images.grad.unique().tolist()) <= {0.0, 1.0}
    assert 0 < images.grad.sum() < images.numel()


def test_no_names_is_the_identity():
    images = numbered_images(3)
    assert torch.equal(DiffAugment([])(images), images)


def test_the_names_config_accepts_are_the_transforms():
    assert tuple(AUGMENTATIONS) == AUGMENT_NAMES
