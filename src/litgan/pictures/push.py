"""G's push on its points: the direction and size of the move G's update gives each generated
point, drawn as arrows on the 2D pictures.

G's update follows −∇ of G's loss; through G's weights, each generated point x = G(z) receives
−∇ₓ of its own term of that loss, which D alone decides. That is what the arrows draw: for the
minimax loss they vanish where D rejects a point confidently, for the non-saturating loss they
are strongest there, and for hinge and Wasserstein (G's loss −D) they are ∇D.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn

from litgan.game.games import Game
from litgan.gan.players import evaluating, frozen, weights_dtype
from litgan.networks.packing import pack_of

# The key arrow's length in data units, as a fraction of the data's extent.
KEY_FRACTION = 0.08
# The key arrow stands for this quantile of the first picture's arrow lengths, rounded.
KEY_QUANTILE = 0.9


def generator_push(discriminator: nn.Module, game: Game, x: Tensor) -> Tensor:
    """−∇ₓ of G's loss for each point of `x` on its own, shape of `x`.

    One point's loss is the game's `generator_loss` of that point's D output alone (its term of
    the batch mean, without the mean's 1/N), differentiated by autograd through D in eval mode
    with D's weights frozen: D's gradients are left as they were. A packing D (PacGAN) judges
    `pack` copies of each point, as `GAN.d_output` does.
    """
    x = x.detach().to(weights_dtype(discriminator)).requires_grad_(True)
    pack = pack_of(discriminator)
    with evaluating(discriminator), frozen(discriminator), torch.enable_grad():
        raw = discriminator(x.repeat_interleave(pack, 0)).reshape(len(x))
        # Points in eval mode are judged independently, so each point's gradient of the sum of
        # the per-point losses is its own loss's gradient.
        per_point = torch.func.vmap(lambda out: game.generator_loss(out.reshape(1)))(raw)
        (grad,) = torch.autograd.grad(per_point.sum(), x)
    return -grad.detach()


def nice(value: float) -> float:
    """`value` rounded to one of 1, 2 or 5 times a power of ten (the nearest in log scale)."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return min((m * power for m in (1, 2, 5, 10)), key=lambda c: abs(math.log(c / value)))


@dataclass(frozen=True)
class ArrowScale:
    """How long an arrow is drawn: an arrow of `magnitude` (|∇ₓ G's loss|) is `length` data
    units long. A run fixes it at its first picture, so that arrows which shrink over training
    are drawn shorter; the key arrow shows `magnitude`."""

    magnitude: float
    length: float

    @classmethod
    def fit(cls, push: Tensor, extent: float) -> ArrowScale:
        """The scale for a run whose first picture has arrows `push` over data of `extent`."""
        lengths = push.float().norm(dim=1)
        typical = float(lengths.quantile(KEY_QUANTILE)) if len(lengths) else 0.0
        return cls(magnitude=nice(typical), length=KEY_FRACTION * max(extent, 1e-6))

    @property
    def per_data_unit(self) -> float:
        """Gradient magnitude per data unit of arrow length (matplotlib quiver's `scale`)."""
        return self.magnitude / self.length

    def to_dict(self) -> dict[str, float]:
        return asdict(self)
