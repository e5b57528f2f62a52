"""PacGAN's packing (Lin et al. 2018): D judges `pack` samples at once, as one input.

A generator that drops modes makes packs that look alike, which D can see in a pack and not in
one sample; the PacGAN paper reports most of the 2D grid's missing modes recovered this way.
"""

from __future__ import annotations

from torch import Tensor, nn


def pack_samples(x: Tensor, pack: int) -> Tensor:
    """(B, F, ...) -> (B / pack, pack * F, ...): each run of `pack` consecutive samples side by
    side along the first feature axis (PacGAN's concatenation)."""
    if pack == 1:
        return x
    if len(x) % pack:
        raise ValueError(f"a batch of {len(x)} samples does not split into packs of {pack}")
    return x.reshape(len(x) // pack, pack * x.shape[1], *x.shape[2:])


def pack_of(discriminator: nn.Module) -> int:
    """How many samples `discriminator` judges as one input: its `pack`, 1 for a D that has
    none (litgan's own networks all have one; a user's D need not)."""
    return getattr(discriminator, "pack", 1)
