"""One picture of G's samples: an image grid, or 2D points over D's output.

The same picture for the run's samples/ (SampleWriter) and for `litgan-sample`.
"""

from __future__ import annotations

from pathlib import Path

from torch import Tensor
from torchvision.utils import save_image

from litgan.gan import GAN
from litgan.pictures.plots import save_decision_surface, save_image_grid


def save_samples_picture(
    model: GAN,
    z: Tensor,
    path: Path,
    real: Tensor | None = None,
    modes: Tensor | None = None,
    title: str = "",
    nrow: int | None = None,
) -> None:
    """Save G(z) to `path`: images as a grid, 2D points over D's output.

    Args:
        real, modes: 2D data only: real points and the mixture's centres to draw beside G's
            (None: not drawn).
        nrow: images per grid row (None: a square grid).
    """
    fake = model.generate(z)
    if fake.dim() == 2:
        empty = fake.new_zeros(0, fake.shape[1])
        real = empty if real is None else real
        save_decision_surface(
            real, fake, model.d_output, model.game, path, title=title, modes=modes
        )
    elif nrow is None:
        save_image_grid(fake, path)
    else:
        save_image(fake.float().cpu(), path, nrow=nrow, normalize=True, value_range=(-1, 1))
