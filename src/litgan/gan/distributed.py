"""What a multi-process run needs beyond Lightning: sharded validation noise, features back
in order, and one set of BatchNorm statistics for all ranks."""

from __future__ import annotations

import pytorch_lightning as pl
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, DistributedSampler


def sharded_loader(z: Tensor, batch_size: int, trainer: pl.Trainer) -> DataLoader:
    """Batches of `z` for this rank: every world_size-th vector (a sampler set here, which
    Lightning keeps); `gather_in_order` puts the ranks' results back in order."""
    shards = DistributedSampler(
        z, num_replicas=trainer.world_size, rank=trainer.global_rank, shuffle=False
    )
    # A private generator: a loader draws its base seed from the global one otherwise, and
    # each validation would then change the training that follows it.
    return DataLoader(z, batch_size=batch_size, sampler=shards, generator=torch.Generator())


def gather_in_order(local: Tensor, num: int, trainer: pl.Trainer, module: pl.LightningModule):
    """Every rank's rows of a `sharded_loader` pass, in the original order, without padding.

    Rank r held rows r, r + W, r + 2W, ... (W = world size), the last ones repeated from the
    start to even out the shards: rows of the gathered (W, n, ...) tensor interleave back into
    order, and everything past `num` is padding.
    """
    if trainer.world_size == 1:
        return local
    gathered = module.all_gather(local.to(module.device))
    ordered = gathered.transpose(0, 1).reshape(-1, *local.shape[1:])
    return ordered[:num].cpu()


def average_buffers(module: nn.Module, trainer: pl.Trainer) -> None:
    """Give every rank the mean of the ranks' floating-point buffers (BatchNorm statistics).

    Under DDP each rank normalises with its own batches' statistics, so in eval mode each
    rank's G would differ from rank 0's, whose weights the checkpoints keep. CPU runs cannot
    use sync_batchnorm (SyncBatchNorm needs a GPU); with it this changes nothing.
    """
    if trainer.world_size == 1:
        return
    for buffer in module.buffers():
        if buffer.is_floating_point():
            buffer.copy_(trainer.strategy.reduce(buffer, reduce_op="mean"))
