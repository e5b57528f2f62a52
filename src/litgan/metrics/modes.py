"""Mode coverage of 2D samples, as defined in the VEEGAN and PacGAN papers.

A sample is high quality when it lies within `num_stds` standard deviations of its nearest mode;
a mode is captured when at least one high-quality sample is nearest to it. Both can look perfect
while G all but drops modes (one sample in 2,500 captures a mode), so the balance of G's mass
over the modes is measured too: the reverse KL divergence of PacGAN's tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class ModeCoverage:
    """How many modes a sample set captures, which fraction of it is high quality, and
    KL(p_G || uniform) of its samples' nearest modes (0: balanced, log M: all on one mode)."""

    modes: int
    high_quality: float
    reverse_kl: float


def mode_coverage(
    samples: Tensor, modes: Tensor, std: float, num_stds: float = 3.0
) -> ModeCoverage:
    """Captured modes and high-quality fraction of `samples` (N, 2) around `modes` (M, 2)."""
    distances = torch.cdist(samples.detach().cpu().double(), modes.detach().cpu().double())
    nearest_distance, nearest_mode = distances.min(dim=1)
    high_quality = nearest_distance <= num_stds * std
    captured = torch.unique(nearest_mode[high_quality]).numel()
    # The data is uniform over its modes; every sample counts towards its nearest mode.
    share = torch.bincount(nearest_mode, minlength=len(modes)).double() / len(samples)
    present = share[share > 0]
    reverse_kl = float((present * torch.log(present * len(modes))).sum())
    return ModeCoverage(
        modes=captured, high_quality=float(high_quality.double().mean()), reverse_kl=reverse_kl
    )
