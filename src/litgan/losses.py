"""The GAN value function and the losses each player minimises.

    V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]

D sees logits l with D = sigmoid(l). log D = logsigmoid(l) and log(1 - D) = logsigmoid(-l)
are computed from the logits directly: log(sigmoid(l)) underflows to -inf once D saturates,
which is exactly the regime the minimax loss is about.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch.nn.functional as F
from torch import Tensor


class ValueTerms(NamedTuple):
    """The two expectations of V(D, G), estimated on a batch."""

    real: Tensor  # E_x[log D(x)]
    fake: Tensor  # E_z[log(1 - D(G(z)))]

    @property
    def value(self) -> Tensor:
        return self.real + self.fake


def value_terms(real_logits: Tensor, fake_logits: Tensor) -> ValueTerms:
    """Estimate both terms of V(D, G) from D's logits on a real and a generated batch."""
    return ValueTerms(F.logsigmoid(real_logits).mean(), F.logsigmoid(-fake_logits).mean())


def discriminator_loss(terms: ValueTerms) -> Tensor:
    """D maximises V, so it minimises -V (the same for every generator loss)."""
    return -terms.value


def minimax_generator_loss(fake_logits: Tensor) -> Tensor:
    """E_z[log(1 - D(G(z)))], minimised exactly as the value function writes it (saturating)."""
    return F.logsigmoid(-fake_logits).mean()


def non_saturating_generator_loss(fake_logits: Tensor) -> Tensor:
    """-E_z[log D(G(z))]: G maximises log D(G(z)), which keeps its gradient when D wins."""
    return -F.logsigmoid(fake_logits).mean()


GENERATOR_LOSSES: dict[str, Callable[[Tensor], Tensor]] = {
    "minimax": minimax_generator_loss,
    "non_saturating": non_saturating_generator_loss,
}


def generator_loss(name: str) -> Callable[[Tensor], Tensor]:
    """Look up a generator loss by its config name (`conf/loss/<name>.yaml`)."""
    try:
        return GENERATOR_LOSSES[name]
    except KeyError:
        known = ", ".join(sorted(GENERATOR_LOSSES))
        raise ValueError(f"unknown generator loss {name!r}; choose one of: {known}") from None
