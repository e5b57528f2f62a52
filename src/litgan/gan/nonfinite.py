"""Stopping a run whose loss or gradient norm is no longer finite, before the step applies it."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from litgan.errors import DivergenceError


def check_finite(player: str, loss: Tensor, norm: Tensor | None, g_step: int) -> None:
    """Raise DivergenceError if `loss` or `norm` (None: not checked) of `player` ("g" or "d")
    is NaN or infinite at generator iteration `g_step`: one device sync per optimizer step."""
    # A sum is finite when both terms are; NaN and inf propagate through it. A Python float:
    # torch.isfinite of a scalar costs several tensor operations, at every optimizer step.
    if math.isfinite(float(loss if norm is None else loss + norm)):
        return
    name = "G" if player == "g" else "D"
    if not torch.isfinite(loss):
        quantity, value = f"{name}'s loss train/{player}_loss", loss
    elif norm is not None and not torch.isfinite(norm):
        quantity, value = f"{name}'s gradient norm train/{player}_grad_norm", norm
    else:
        return  # two finite values whose sum overflowed
    raise DivergenceError(
        f"training diverged at generator iteration {g_step}: {quantity} is "
        f"{value.item()}; no checkpoint holds weights from after it. Lower the learning "
        "rates, or set stop_on_nonfinite=false to train on regardless"
    )
