"""A data module for data sets small enough to hold as one tensor."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from typing import Any

import pytorch_lightning as pl
import torch
from torch import Tensor
from torch.utils.data import BatchSampler, DataLoader, Dataset, Sampler

from litgan.errors import ConfigError


class TensorSamples(Dataset):
    """Samples held in one tensor. An index gives one sample; a list of indices gives a whole
    batch in one gather, with no per-item collate."""

    def __init__(self, samples: Tensor) -> None:
        self.samples = samples

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int | list[int]) -> Tensor:
        return self.samples[index]


class EpochShuffle(Sampler[int]):
    """A permutation of range(n) that depends only on (seed, epoch), so a resumed run can
    replay an epoch's order and skip what it had already consumed.

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
        generator = torch.Generator().manual_seed(self.seed + epoch)
        order = torch.randperm(self.n, generator=generator).tolist()
        start = 0
        if self._resume is not None and self._resume[0] == epoch:
            start = self._resume[1]
        self._resume = None
        return iter(order[start:])

    def __len__(self) -> int:
        # The full epoch, also when resuming: Lightning counts the epoch's batches itself.
        return self.n


def check_batch_fits(batch_size: int, available: int, name: str, unit: str = "samples") -> None:
    """A ConfigError when one training batch needs more samples than the data set has."""
    if batch_size > available:
        raise ConfigError(
            f"a training batch needs {batch_size} {unit} (data.batch_size × d_steps) but "
            f"{name} has only {available}; lower data.batch_size or d_steps"
        )


class GANDataModule(pl.LightningDataModule, ABC):
    """What the GAN and its evaluation need from any data set.

    `shape` (one sample, e.g. (2,) or (C, H, W)) must be known before `setup()`, so the
    networks can be built for it; `name` identifies the data set in caches and reports.
    """

    name: str
    shape: tuple[int, ...]

    @abstractmethod
    def real_dataset(self, split: str = "train") -> Dataset:
        """Real samples of `split`, each a tensor of `shape` (images in [-1, 1]), after setup()."""

    def val_dataloader(self) -> Any:
        """The GAN's own validation batches (its fixed noise, see `GAN.val_dataloader`).

        Validation generates samples rather than reading data, but Lightning takes every loader
        from the data module once one is attached: this hands the request back to the GAN.
        """
        return self.trainer.lightning_module.val_dataloader()


class InMemoryDataModule(GANDataModule):
    """Builds its samples once in `setup()` and serves shuffled, full batches of them."""

    def __init__(self, batch_size: int) -> None:
        super().__init__()
        self.batch_size = batch_size
        self.samples: Tensor | None = None
        # The run's seed, which seed_everything has just set: the order is a function of it.
        self.shuffle_seed = torch.initial_seed()
        self._resume: tuple[int, int] | None = None

    @abstractmethod
    def load(self) -> Tensor:
        """All training samples, shape (N, *self.shape)."""

    def setup(self, stage: str | None = None) -> None:
        if self.samples is None:
            self.samples = self.load()
        check_batch_fits(self.batch_size, len(self.samples), type(self).__name__)

    def train_dataloader(self) -> DataLoader:
        assert self.samples is not None, "call setup() first"
        shuffle = EpochShuffle(len(self.samples), self.shuffle_seed, self._current_epoch)
        # Under DDP Lightning shards these batches after a shuffle of its own: skipping here
        # would shorten the list it indexes. A resumed DDP run replays the epoch from its start.
        if self._resume is not None and self.trainer.world_size == 1:
            epoch, batches = self._resume
            shuffle.resume_at(epoch, batches * self.batch_size)
        # Full batches only: BatchNorm and the per-batch value estimates assume equal sizes.
        sampler = BatchSampler(shuffle, self.batch_size, drop_last=True)
        # A private generator: the loader would otherwise draw its base seed from the global
        # one at every epoch start, and a resumed run starts one more iterator than the original.
        return DataLoader(
            TensorSamples(self.samples),
            batch_size=None,
            sampler=sampler,
            generator=torch.Generator(),
        )

    def _current_epoch(self) -> int:
        """The trainer's epoch; 0 for a loader used outside a Trainer."""
        return self.trainer.current_epoch if self.trainer is not None else 0

    def state_dict(self) -> dict[str, Any]:
        """Where training is in the shuffled order: saved in checkpoints for an exact resume."""
        loop = self.trainer.fit_loop
        return {
            "shuffle_seed": self.shuffle_seed,
            "epoch": self.trainer.current_epoch,
            "batches": loop.epoch_loop.batch_progress.current.ready,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.shuffle_seed = state_dict["shuffle_seed"]
        self._resume = (state_dict["epoch"], state_dict["batches"])

    def real_dataset(self, split: str = "train") -> Dataset:
        if split != "train":
            raise ConfigError(f"{type(self).__name__} has only a 'train' split, not {split!r}")
        assert self.samples is not None, "call setup() first"
        return TensorSamples(self.samples)

    def real_batch(self, n: int, seed: int = 0) -> Tensor:
        """`n` training samples drawn without replacement with a fixed seed (for plots)."""
        assert self.samples is not None, "call setup() first"
        index = torch.randperm(len(self.samples), generator=torch.Generator().manual_seed(seed))
        return self.samples[index[:n]]
