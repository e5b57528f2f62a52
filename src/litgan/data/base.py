"""The base of every data module, and the one for data sets small enough to hold as one tensor."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import pytorch_lightning as pl
import torch
from torch import Tensor
from torch.utils.data import BatchSampler, DataLoader, Dataset

from litgan.data.order import DeviceBatches, EpochShuffle
from litgan.errors import ConfigError
from litgan.lightning_internals import batches_started

ON_DEVICE_MAX_MB = 1024  # data.on_device's default cap: CIFAR-10 at 32x32 takes 147 MB


class TensorSamples(Dataset):
    """Samples held in one tensor. An index gives one sample; a list of indices gives a whole
    batch in one gather, with no per-item collate."""

    def __init__(self, samples: Tensor) -> None:
        self.samples = samples

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int | list[int]) -> Tensor:
        return self.samples[index]


def check_batch_fits(batch_size: int, available: int, name: str, unit: str = "samples") -> None:
    """A ConfigError when one training batch needs more samples than the data set has."""
    if batch_size > available:
        raise ConfigError(
            f"a training batch needs {batch_size} {unit} (data.batch_size × d_steps) but "
            f"{name} has only {available}; lower data.batch_size or d_steps"
        )


class GANDataModule(pl.LightningDataModule, ABC):
    """What the GAN and its evaluation need from any data set, and the order it is trained in.

    `shape` (one sample, e.g. (2,) or (C, H, W)) must be known before `setup()`, so the
    networks can be built for it; `name` identifies the data set in caches and reports.
    The training order is a function of (`shuffle_seed`, epoch) (`litgan.data.order`), and
    checkpoints record where training is in it, for an exact resume. With `on_device`, the
    whole training set is held on the training device (up to `on_device_max_mb` megabytes) and
    batches are drawn there.
    """

    name: str
    shape: tuple[int, ...]

    def __init__(
        self,
        batch_size: int,
        on_device: bool = False,
        on_device_max_mb: float = ON_DEVICE_MAX_MB,
    ) -> None:
        super().__init__()
        self.batch_size = batch_size
        self.on_device = on_device
        self.on_device_max_mb = on_device_max_mb
        # The run's seed, which seed_everything has just set: the order is a function of it.
        self.shuffle_seed = torch.initial_seed()
        self._resume: tuple[int, int] | None = None
        self._device_samples: Tensor | None = None
        self._chunk_end: Callable[[int], int] | None = None

    @abstractmethod
    def real_dataset(self, split: str = "train") -> Dataset:
        """Real samples of `split`, each a tensor of `shape` (images in [-1, 1]), after setup()."""

    def val_dataloader(self) -> Any:
        """The GAN's own validation batches (its fixed noise, see `GAN.val_dataloader`).

        Validation generates samples rather than reading data, but Lightning takes every loader
        from the data module once one is attached: this hands the request back to the GAN.
        """
        return self.trainer.lightning_module.val_dataloader()

    def epoch_sampler(self, n: int) -> EpochShuffle:
        """The training order over `n` samples for a DataLoader, resumed where a checkpoint
        left off."""
        shuffle = EpochShuffle(n, self.shuffle_seed, self._current_epoch)
        # Under DDP Lightning shards the loader's indices after a shuffle of its own: skipping
        # here would shorten the list it indexes. A resumed DDP run replays the epoch from its
        # start (with data.on_device it resumes exactly).
        if self._resume is not None and self._world_size() == 1:
            epoch, batches = self._resume
            shuffle.resume_at(epoch, batches * self.batch_size)
        return shuffle

    def serve_chunks(self, chunk_end: Callable[[int], int] | None) -> None:
        """Serve data held on the device as the real batches of several generator iterations,
        stacked: from iteration g up to `chunk_end(g)` (`DeviceBatches`; the GAN's loop,
        `litgan.gan.lean_loop`, says where its batches end). None: one batch per item. Data
        not held on the device always serves one iteration's batch per item."""
        self._chunk_end = chunk_end

    def check_fits_on_device(self, nbytes: int, count: int, unit: str) -> None:
        """A ConfigError when the training set is larger than data.on_device_max_mb."""
        if nbytes > self.on_device_max_mb * 2**20:
            raise ConfigError(
                f"data.on_device=true would hold {self.name}'s {count} {unit} on the training "
                f"device: {nbytes / 2**20:.1f} MB, more than data.on_device_max_mb="
                f"{self.on_device_max_mb}; raise data.on_device_max_mb or set data.on_device=false"
            )

    def device_batches(
        self,
        samples: Tensor,
        flip: bool = False,
        to_float: Callable[[Tensor], Tensor] | None = None,
    ) -> DeviceBatches:
        """Training batches drawn on the trainer's device from `samples`, copied there once."""
        trainer = self.trainer
        device = trainer.strategy.root_device if trainer is not None else torch.device("cpu")
        if self._device_samples is None or self._device_samples.device != device:
            self._device_samples = samples.to(device)
        batches = DeviceBatches(
            self._device_samples,
            self.batch_size,
            self.shuffle_seed,
            self._current_epoch,
            rank=trainer.global_rank if trainer is not None else 0,
            world_size=self._world_size(),
            flip=flip,
            to_float=to_float,
            chunk_end=self._chunk_end,
        )
        if self._resume is not None:
            batches.resume_at(*self._resume)
        return batches

    def _current_epoch(self) -> int:
        """The trainer's epoch; 0 for a loader used outside a Trainer."""
        return self.trainer.current_epoch if self.trainer is not None else 0

    def _world_size(self) -> int:
        return self.trainer.world_size if self.trainer is not None else 1

    def state_dict(self) -> dict[str, Any]:
        """Where training is in the shuffled order: saved in checkpoints for an exact resume."""
        return {
            "shuffle_seed": self.shuffle_seed,
            "epoch": self.trainer.current_epoch,
            "batches": batches_started(self.trainer),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.shuffle_seed = state_dict["shuffle_seed"]
        self._resume = (state_dict["epoch"], state_dict["batches"])


class InMemoryDataModule(GANDataModule):
    """Builds its samples once in `setup()` and serves shuffled, full batches of them."""

    samples: Tensor | None = None  # all training samples, after setup()

    @abstractmethod
    def load(self) -> Tensor:
        """All training samples, shape (N, *self.shape)."""

    def setup(self, stage: str | None = None) -> None:
        if self.samples is None:
            self.samples = self.load()
        check_batch_fits(self.batch_size, len(self.samples), type(self).__name__)
        if self.on_device:
            self.check_fits_on_device(self.samples.nbytes, len(self.samples), "samples")

    def train_dataloader(self) -> DataLoader | DeviceBatches:
        assert self.samples is not None, "call setup() first"
        if self.on_device:
            return self.device_batches(self.samples)
        # Full batches only: BatchNorm and the per-batch value estimates assume equal sizes.
        sampler = BatchSampler(self.epoch_sampler(len(self.samples)), self.batch_size, True)
        # A private generator: the loader would otherwise draw its base seed from the global
        # one at every epoch start, and a resumed run starts one more iterator than the original.
        return DataLoader(
            TensorSamples(self.samples),
            batch_size=None,
            sampler=sampler,
            generator=torch.Generator(),
        )

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
