"""2D point sets for the tests of data=points, the density estimate and the point scores."""

from __future__ import annotations

import numpy as np
import torch

from litgan.data.toy import mixture_modes
from tests.helpers.runs import TINY_MLP, run_main


def moons(n: int = 400, seed: int = 0) -> np.ndarray:
    """Two interleaved half circles with a little noise, (n, 2) float64."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    upper = rng.random(n) < 0.5
    x = np.where(upper, np.cos(t), 1 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    return np.stack([x, y], 1) + 0.05 * rng.standard_normal((n, 2))


RING_STD = 0.01  # data=ring's modes


def ring(n: int, seed: int, std: float = RING_STD, modes: int = 8) -> torch.Tensor:
    """n points of data=ring's mixture, on its first `modes` modes only, with modes of `std`."""
    gen = torch.Generator().manual_seed(seed)
    centres = mixture_modes("ring", 8, 1.0)
    return centres[torch.randint(modes, (n,), generator=gen)] + std * torch.randn(
        n, 2, generator=gen
    )


def point_file_run(monkeypatch, capsys, tmp_path, n: int, *overrides: str) -> tuple[int, str]:
    """`run_main` of the tiny MLP on a learner's file of `n` moons points (float32, as np.save
    writes one's array; tmp_path/moons.npy) in batches of 64: its exit status and stderr."""
    path = tmp_path / "moons.npy"
    np.save(path, moons(n).astype(np.float32))
    return run_main(
        monkeypatch,
        capsys,
        tmp_path,
        "data=points",
        f"data.path={path}",
        "data.batch_size=64",
        *overrides,
        base=tuple(TINY_MLP),
    )
