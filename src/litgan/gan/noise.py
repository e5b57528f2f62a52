"""The random streams of a run: G's training noise per rank, the fixed evaluation noise, and
every generator state a checkpoint keeps for an exact resume."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from torch import Tensor

NOISE_BLOCK = 1024


class NoiseStream:
    """Training noise z ~ N(0, I) from a generator of this rank's own.

    seed_everything gives every rank the same global RNG: drawn from it, the fake half of a
    distributed batch would repeat on every device. Rank r seeds its stream with seed + r.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._generator: torch.Generator | None = None
        self._pending: Tensor | None = None  # a state from a checkpoint, applied on the next draw

    def draw(self, n: int, nz: int, device: torch.device) -> Tensor:
        """`n` noise vectors of size `nz` on `device`, continuing the stream."""
        if self._generator is None or self._generator.device != device:
            self._generator = torch.Generator(device=device)
            self._generator.manual_seed(self.seed)
        if self._pending is not None:
            self._generator.set_state(self._pending)
            self._pending = None
        return torch.randn(n, nz, device=device, generator=self._generator)

    def state(self) -> Tensor | None:
        """The stream's state now (None before the first draw of a fresh run)."""
        return self._generator.get_state() if self._generator is not None else self._pending

    def restore(self, state: Tensor) -> None:
        """Continue from `state` at the next draw, on whatever device that draw is on."""
        self._generator, self._pending = None, state.clone()


def fixed_noise(n: int, nz: int, seed: int) -> Tensor:
    """The same `n` latent vectors for the same seed; the first k of them are those for k.

    Drawn in blocks of fixed size, each from its own seed: one randn call of size n would
    give different leading rows for different n.
    """
    blocks = [
        torch.randn(NOISE_BLOCK, nz, generator=torch.Generator().manual_seed(s))
        for s in range(seed, seed + -(-n // NOISE_BLOCK))
    ]
    return torch.cat(blocks)[:n]


def global_rng_states(device: torch.device) -> dict[str, Any]:
    """The global torch, CUDA (this device's only: reading every GPU's state would start a
    context on each), numpy and Python states, as tensors and plain containers: a checkpoint
    must load with torch.load(weights_only=True)."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached],
        "python": random.getstate(),
    }


def restore_global_rng_states(states: dict[str, Any], device: torch.device) -> None:
    """Put back the states `global_rng_states` returned."""
    torch.set_rng_state(states["torch"])
    if states["cuda"] is not None and device.type == "cuda":
        torch.cuda.set_rng_state(states["cuda"], device)
    kind, keys, pos, has_gauss, cached = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    random.setstate(states["python"])


def every_rank_state(noise: NoiseStream, module: pl.LightningModule) -> Tensor | None:
    """Every rank's training-noise state, one row per rank, for a checkpoint (all ranks call
    this; rank 0 writes the checkpoint). None before the first draw of a fresh run."""
    state = noise.state()
    if state is None:
        return None
    if module.trainer.world_size == 1:
        return state[None]
    return module.all_gather(state.to(module.device)).cpu()
