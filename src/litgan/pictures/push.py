"""G's push on its points: the direction and size of the move G's update gives each generated
point, drawn as arrows on the 2D pictures.

G's update follows −∇ of G's loss; through G's weights, each generated point x = G(z) receives
−∇ₓ of its own term of that loss, which D alone decides. That is what the arrows draw: for the
minimax loss they vanish where D rejects a point confidently, for the non-saturating loss they
are strongest there, and for hinge and Wasserstein (G's loss −D) they are ∇D.

A gradient is a promise about an infinitesimal step: D's peaks around the data are a few
hundredths wide, so an arrow drawn in proportion to |push| overshoots them and lands where D
is lower than at its tail. An arrow here runs along the push only as far as the point's loss
keeps falling (D keeps rising, for every game but least squares above 1), capped at REACH of
the data's extent; how strong the push is, |−∇ₓ G's loss|, is its colour, on a log scale
that a run fixes at its first picture.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn

from litgan.game.games import Game
from litgan.gan.players import evaluating, frozen, weights_dtype
from litgan.networks.packing import pack_of

# The longest arrow, as a fraction of the data's extent.
REACH = 0.1
# Distances tried along each push, as fractions of the longest arrow: quadratic, so the first
# step (1/1600 of REACH) resolves the narrowest peak and the last ones still reach REACH.
WALK = torch.linspace(0, 1, 41)[1:] ** 2
# The colour scale spans this many decades of |push| below and above the run's reference.
DECADES = 3


def generator_push(discriminator: nn.Module, game: Game, x: Tensor) -> Tensor:
    """−∇ₓ of G's loss for each point of `x` on its own, shape of `x`.

    One point's loss is the game's `generator_loss` of that point's D output alone (its term of
    the batch mean, without the mean's 1/N), differentiated by autograd through D in eval mode
    with D's weights frozen: D's gradients are left as they were. A packing D (PacGAN) judges
    `pack` copies of each point, as `GAN.d_output` does.
    """
    x = x.detach().to(weights_dtype(discriminator)).requires_grad_(True)
    with evaluating(discriminator), frozen(discriminator), torch.enable_grad():
        per_point = _point_losses(discriminator, game, x)
        (grad,) = torch.autograd.grad(per_point.sum(), x)
    return -grad.detach()


def _point_losses(discriminator: nn.Module, game: Game, x: Tensor) -> Tensor:
    """Each point's own term of G's loss, shape (len(x),), through D as it is (its mode)."""
    raw = discriminator(x.repeat_interleave(pack_of(discriminator), 0)).reshape(len(x))
    # Points in eval mode are judged independently, so each point's gradient of the sum of
    # the per-point losses is its own loss's gradient.
    return torch.func.vmap(lambda out: game.generator_loss(out.reshape(1)))(raw)


@torch.no_grad()
def arrow_heads(
    discriminator: nn.Module, game: Game, x: Tensor, push: Tensor, extent: float
) -> Tensor:
    """Where each arrow from `x` along `push` ends: the farthest of the distances WALK (times
    REACH · `extent`) up to which the point's own loss falls at every distance tried; `x`
    itself where it does not fall at the first (no push, or a peak narrower than that step).
    """
    x = x.detach().to(weights_dtype(discriminator))
    norm = push.to(x).norm(dim=1, keepdim=True)
    direction = torch.where(norm > 0, push.to(x) / norm.clamp(min=1e-30), torch.zeros_like(x))
    distances = torch.cat([torch.zeros(1), WALK]).to(x) * REACH * max(extent, 1e-6)
    along = x[:, None, :] + distances[None, :, None] * direction[:, None, :]  # (n, steps, 2)
    with evaluating(discriminator):
        losses = _point_losses(discriminator, game, along.reshape(-1, x.shape[1]))
    falls = (losses.view(len(x), -1).diff(dim=1) < 0).long()
    # Steps taken: the length of each row's leading run of falls.
    taken = falls.cumprod(dim=1).sum(dim=1)
    return along[torch.arange(len(x)), taken]


def nice(value: float) -> float:
    """`value` rounded to one of 1, 2 or 5 times a power of ten (the nearest in log scale)."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return min((m * power for m in (1, 2, 5, 10)), key=lambda c: abs(math.log(c / value)))


@dataclass(frozen=True)
class ArrowScale:
    """The arrows' colour scale: |−∇ₓ G's loss| on a log scale from `low` to `high`, DECADES
    either side of `magnitude`. A run fixes it at its first picture, so that colours mean the
    same on all its pictures; give two runs the same one to compare them."""

    magnitude: float

    @classmethod
    def fit(cls, push: Tensor) -> ArrowScale:
        """The scale around the median of a run's first picture's push, rounded."""
        lengths = push.float().norm(dim=1)
        return cls(magnitude=nice(float(lengths.median())) if len(lengths) else 1.0)

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> ArrowScale:
        """The scale a checkpoint kept (one of an earlier litgan kept a length too)."""
        return cls(magnitude=float(state["magnitude"]))

    @property
    def low(self) -> float:
        return self.magnitude / 10**DECADES

    @property
    def high(self) -> float:
        return self.magnitude * 10**DECADES

    def to_dict(self) -> dict[str, float]:
        return asdict(self)
