"""One picture of G's samples: an image grid, or 2D points over D's output with G's push.

The same picture for the run's samples/ (SampleWriter) and for `litgan-sample`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torchvision.utils import save_image

from litgan.game.games import Game
from litgan.gan import GAN
from litgan.metrics.divergences import smoothed_densities_on_grid
from litgan.metrics.kde import data_kde
from litgan.pictures.manifold import latent_manifold
from litgan.pictures.plots import save_image_grid
from litgan.pictures.push import ArrowScale, arrow_heads, generator_push
from litgan.pictures.surface import Arrows, BestD, Frame, save_decision_surface

ARROWS = 200  # G's points that get an arrow: enough to see the field, few enough to read it
BEST_D_WIDTH = 0.02  # the best-D picture's kernel width, at least, as a fraction of the extent
NEGLIGIBLE = 1e-3  # density, relative to its peak, below which the best-D picture is blank


NO_BEST_CRITIC = (
    "No pointwise best D for wasserstein:\nthe best critic is a Kantorovich potential,\n"
    "a property of both distributions as a whole,\nnot of their densities at a point."
)


@dataclass(frozen=True)
class Mixture:
    """The 2D data's density: an isotropic Gaussian mixture, known (the ring, the grid) or
    `estimated`, a kernel density estimate of the data's points (`litgan.metrics.kde`)."""

    centres: Tensor  # (K, 2)
    std: float
    weights: Tensor  # (K,)
    estimated: bool = False

    @classmethod
    def of(cls, datamodule: Any) -> Mixture | None:
        """The mixture a set-up data module samples from, or the estimate of its density;
        None for data of neither."""
        modes, std = getattr(datamodule, "modes", None), getattr(datamodule, "std", None)
        if modes is None or std is None:
            kde = data_kde(datamodule)
            if kde is None:
                return None
            return cls(kde.centres, kde.bandwidth, kde.weights, estimated=True)
        return cls(modes.float(), float(std), torch.full((len(modes),), 1 / len(modes)))

    @property
    def note(self) -> str:
        """What the picture's title says of the density: that it is estimated, where it is."""
        return f"p_data estimated: KDE, h={self.std:.3g}" if self.estimated else ""


def best_d(game: Game, mixture: Mixture, fake: Tensor, extent: float) -> BestD:
    """The best D for G's points `fake`, on the game's scale, as a function of the grid it is
    evaluated on (NaN where neither the data nor G has mass); or the note why the game has none.

    The densities are those `litgan.metrics.divergences` estimates divergences from: the
    mixture and G's points smoothed by the same Gaussian kernel, here of width
    `best_d_width(mixture, extent)`, so that the picture resolves it; in float64, in which
    they underflow only far beyond where the picture leaves them blank.
    """
    one = torch.ones(1)
    if game.best_output(one, one) is None:
        return NO_BEST_CRITIC
    h = best_d_width(mixture, extent)
    centres, weights = mixture.centres.double(), mixture.weights.double()
    points_of_g = fake.detach().double().cpu()

    # An estimate's centres are data points: smoothed by K_h alone, as G's points are.
    std = 0.0 if mixture.estimated else mixture.std

    def on_grid(xs: Tensor, ys: Tensor) -> Tensor:
        p, q = smoothed_densities_on_grid(
            centres, std, weights, points_of_g, xs.double(), ys.double(), h
        )
        total = p + q
        # Where p_data + p_G is ~0, any D is best: the theory says nothing there.
        blank = total < NEGLIGIBLE * total.max()
        return game.best_output(p, q).masked_fill(blank, math.nan).float()

    return on_grid


def best_d_width(mixture: Mixture, extent: float) -> float:
    """The kernel width of the best-D picture: the data's std, or BEST_D_WIDTH of the data's
    extent where that is wider (the ring's std, 0.01, is under a pixel)."""
    return max(mixture.std, BEST_D_WIDTH * extent)


@dataclass(frozen=True)
class PushSeen:
    """What a 2D picture drew of G's push: the arrows, and the median |−∇ₓ G's loss| over all
    of G's pictured points; and the picture's x and y ranges."""

    arrows: Arrows
    median: float
    frame: Frame

    @property
    def scale(self) -> ArrowScale:
        return self.arrows.scale


def save_samples_picture(
    model: GAN,
    z: Tensor,
    path: Path,
    real: Tensor | None = None,
    mixture: Mixture | None = None,
    title: str = "",
    nrow: int | None = None,
    scale: ArrowScale | None = None,
    manifold: bool = False,
    frame: Frame | None = None,
) -> PushSeen | None:
    """Save G(z) to `path`: images as a grid, 2D points over D's output with G's push as
    arrows, and beside it the best D for this G when the data's density is known.

    Args:
        real, mixture: 2D data only: real points to draw beside G's, and the data's density,
            whose centres are drawn and from which the best D is estimated (None: neither).
        nrow: images per grid row (None: a square grid).
        scale: the arrows' colour scale (None: fitted to this picture's push).
        manifold: 2D data, nz = 2: G's image of its latent grid under its points
            (`litgan.pictures.manifold`).
        frame: the x and y ranges (None: around the real points, or G's where there are none);
            G's points outside are drawn at its edge, marked.

    Returns the push drawn (None for images).
    """
    fake = model.generate(z)
    if fake.dim() != 2:
        if nrow is None:
            save_image_grid(fake, path)
        else:
            save_image(fake.float().cpu(), path, nrow=nrow, normalize=True, value_range=(-1, 1))
        return None
    real = fake.new_zeros(0, fake.shape[1]) if real is None else real
    push = generator_push(model.discriminator, model.game, fake).float().cpu()
    pictured = real if len(real) else fake
    extent = float((pictured.max(0).values - pictured.min(0).values).max())
    frame = frame or Frame.around(pictured)
    scale = scale or ArrowScale.fit(push)
    median = float(push.norm(dim=1).median())
    tails = fake[:ARROWS].float().cpu()
    heads = arrow_heads(model.discriminator, model.game, fake[:ARROWS], push[:ARROWS], extent)
    arrows = Arrows(tails, heads.float().cpu(), push[:ARROWS], scale)
    parts = [title, mixture.note if mixture is not None else "", f"median |push| {median:.3g}"]
    drawn = save_decision_surface(
        real,
        fake,
        model.d_output,
        model.game,
        path,
        title="; ".join(p for p in parts if p),
        modes=None if mixture is None or mixture.estimated else mixture.centres,
        arrows=arrows,
        best_d=None if mixture is None else best_d(model.game, mixture, fake, extent),
        manifold=latent_manifold(model.generate, model.device) if manifold else None,
        frame=frame,
    )
    return PushSeen(arrows, median, drawn)
