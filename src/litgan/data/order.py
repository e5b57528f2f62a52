"""The training order: one permutation per epoch that depends only on (seed, epoch), so a
resumed run replays an epoch's order and skips what it had already consumed."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
from torch import Tensor
from torch.utils.data import Sampler

from litgan.errors import ConfigError


def epoch_permutation(n: int, seed: int, epoch: int) -> tuple[Tensor, torch.Generator]:
    """Epoch `epoch`'s order of range(n), and the generator it came from (for draws after it)."""
    generator = torch.Generator().manual_seed(seed + epoch)
    return torch.randperm(n, generator=generator), generator


class EpochShuffle(Sampler[int]):
    """A sampler over range(n) in `epoch_permutation` order.

    `epoch()` is asked at every iteration: under DDP Lightning wraps this sampler and calls
    `set_epoch` only on its wrapper. `resume_at(epoch, consumed)` makes the first iteration
    of that epoch start at index `consumed`.
    """

    def __init__(self, n: int, seed: int, epoch: Callable[[], int]) -> None:
        self.n = n
        self.seed = seed
        self.epoch = epoch
        self._resume: tuple[int, int] | None = None

    def resume_at(self, epoch: int, consumed: int) -> None:
        """Skip the first `consumed` indices of `epoch`'s permutation, once."""
        self._resume = (epoch, consumed)

    def __iter__(self) -> Iterator[int]:
        epoch = self.epoch()
        order, _ = epoch_permutation(self.n, self.seed, epoch)
        start = 0
        if self._resume is not None and self._resume[0] == epoch:
            start = self._resume[1]
        self._resume = None
        return iter(order[start:].tolist())

    def __len__(self) -> int:
        # The full epoch, also when resuming: Lightning counts the epoch's batches itself.
        return self.n


class DeviceBatches:
    """Full batches of `samples`, a tensor already on the training device, in the order
    EpochShuffle gives the same (seed, epoch): a plain iterable that Lightning takes as the
    training loader as it is.

    Batches are gathered on the device: no loader workers, no host-to-device copy per step
    (the epoch's permutation is copied once per epoch). Lightning does not shard an iterable
    under DDP, so batch k of each epoch goes to rank k mod world_size, every rank getting the
    same number. uint8 images are turned into floats by `to_float`, per batch; with `flip`
    each sample is mirrored or not by a coin drawn per epoch from the same seed.

    With `chunk_end`, each item holds the batches of several generator iterations, stacked,
    shape (k, batch_size, ...): from the iteration g of its first batch (epoch × len + its
    place in the epoch: one batch per iteration) up to `chunk_end(g)`, within the epoch
    (`GANDataModule.serve_chunks`). The batches, and their order, are the same.
    """

    def __init__(
        self,
        samples: Tensor,
        batch_size: int,
        seed: int,
        epoch: Callable[[], int],
        rank: int = 0,
        world_size: int = 1,
        flip: bool = False,
        to_float: Callable[[Tensor], Tensor] | None = None,
        chunk_end: Callable[[int], int] | None = None,
    ) -> None:
        self.samples = samples
        self.batch_size = batch_size
        self.seed = seed
        self.epoch = epoch
        self.rank = rank
        self.world_size = world_size
        self.flip = flip
        self.to_float = to_float
        self.chunk_end = chunk_end
        self._resume: tuple[int, int] | None = None
        if len(self) == 0:
            raise ConfigError(
                f"data.on_device=true gives each of the {world_size} ranks whole batches of "
                f"{batch_size}, but the {len(samples)} samples make fewer batches than ranks; "
                "lower data.batch_size or set data.on_device=false"
            )

    def resume_at(self, epoch: int, batches: int) -> None:
        """Skip this rank's first `batches` batches of `epoch`, once."""
        self._resume = (epoch, batches)

    def __len__(self) -> int:
        # The full epoch, also when resuming: Lightning counts the epoch's batches itself.
        return len(self.samples) // self.batch_size // self.world_size

    def __iter__(self) -> Iterator[Tensor]:
        epoch = self.epoch()
        order, generator = epoch_permutation(len(self.samples), self.seed, epoch)
        start = 0
        if self._resume is not None and self._resume[0] == epoch:
            start = self._resume[1]
        self._resume = None
        rounds = len(self)
        shard = order[: rounds * self.world_size * self.batch_size]
        shard = shard.view(rounds, self.world_size, self.batch_size)[start:, self.rank]
        device = self.samples.device
        mirror = None
        if self.flip:
            # Drawn after the permutation, so the order is the same with and without flips.
            mirror = (torch.rand(len(self.samples), generator=generator) < 0.5).to(device)
        shard, first, done = shard.to(device), epoch * rounds + start, 0
        while done < len(shard):
            size = 1 if self.chunk_end is None else self.chunk_end(first + done) - first - done
            index = shard[done : done + max(1, size)]
            done += len(index)
            batch = self.samples[index]
            if mirror is not None:
                flipped = mirror[index].view(*index.shape, 1, 1, 1)
                batch = torch.where(flipped, batch.flip(-1), batch)
            batch = self.to_float(batch) if self.to_float is not None else batch
            yield batch if self.chunk_end is not None else batch[0]
