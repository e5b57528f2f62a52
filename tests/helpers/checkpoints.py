"""Reading and comparing the weights runs end with."""

from __future__ import annotations

from pathlib import Path

import torch


def final_weights(run_dir: Path) -> dict[str, torch.Tensor]:
    """The G and D weights of a run's last checkpoint, loaded as litgan loads checkpoints."""
    ckpt = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    return ckpt["state_dict"]


def max_abs_diff(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    assert a.keys() == b.keys()
    return max(float((a[k].double() - b[k].double()).abs().max()) for k in a)
