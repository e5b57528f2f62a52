"""The GAN as a LightningModule: one training_step is one generator iteration.

    min_G max_D V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]

Manual optimization, because the two players take turns with their own optimizers:
`d_steps` ascent steps for D on V, then one descent step for G through a frozen D.
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from hydra.utils import instantiate
from torch import Tensor, nn
from torch.optim.lr_scheduler import LambdaLR
from torch.utils.data import DataLoader, DistributedSampler

from litgan.augment import DiffAugment
from litgan.errors import ConfigError, DivergenceError
from litgan.losses import discriminator_loss, generator_loss, value_terms
from litgan.metrics import Evaluator, build_evaluator

NOISE_BLOCK = 1024


@contextmanager
def frozen(module: nn.Module) -> Iterator[None]:
    """Turn off `requires_grad` on `module`'s parameters for the block, then restore each flag.

    G's loss is computed through D, so without this G's backward would also fill D's gradients.
    """
    params = list(module.parameters())
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(params, flags, strict=True):
            p.requires_grad_(flag)


@contextmanager
def evaluating(module: nn.Module) -> Iterator[None]:
    """Put `module` in eval mode (BatchNorm uses running statistics) for the block."""
    was_training = module.training
    module.eval()
    try:
        yield
    finally:
        module.train(was_training)


def grad_norm(parameters: Iterable[nn.Parameter]) -> Tensor:
    """Global L2 norm of the gradients the parameters hold now (0 when none has one)."""
    grads = [p.grad.detach() for p in parameters if p.grad is not None]
    if not grads:
        return torch.zeros(())
    # All per-tensor norms in one call: on small networks a Python loop costs more than the math.
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))


def lr_factor(g_step: int, last_g_step: int, decay: float) -> float:
    """The learning-rate multiplier at generator iteration `g_step` of `last_g_step`: 1, then
    linearly down to 0 over the last `decay` fraction of training (optim.lr_decay)."""
    start = last_g_step * (1 - decay)
    return 1.0 if g_step <= start else max(0.0, (last_g_step - g_step) / (last_g_step - start))


@torch.no_grad()
def ema_update(average: nn.Module, model: nn.Module, decay: float) -> None:
    """average <- decay * average + (1 - decay) * model, for every floating-point parameter and
    buffer (BatchNorm's running statistics too); other buffers (batch counters) are copied."""
    for mine, theirs in zip(
        average.state_dict().values(), model.state_dict().values(), strict=True
    ):
        if mine.is_floating_point():
            mine.lerp_(theirs, 1 - decay)
        else:
            mine.copy_(theirs)


class GAN(pl.LightningModule):
    """Generator and discriminator trained on the value function V(D, G).

    Args:
        generator, discriminator: `_target_` configs of the networks; `data_shape` is added.
        g_optimizer, d_optimizer: `_partial_` optimizer configs, called with each net's params.
        loss: the generator loss, a key of `litgan.losses.GENERATOR_LOSSES`.
        data_shape: the shape of one real sample, from the data module.
        d_steps: discriminator updates per generator update.
        seed: seed of the training noise; rank r of a distributed run uses seed + r.
        eval_seed: seed of the fixed noise that samples and evaluations are drawn from.
        compile: torch.compile G and D (their forward passes; checkpoints keep plain names).
        channels_last: keep image weights and batches in channels-last memory format.
        metrics: the `metrics` config (see `litgan.metrics.build_evaluator`); None: no validation.
        stop_on_nonfinite: stop training with a DivergenceError when a loss or gradient norm is
            NaN or infinite, before the optimizer applies it.
        lr_decay: both learning rates fall linearly to 0 over this last fraction of the
            generator iterations (0: constant rates).
        early_batch_size: until the learning rates start to fall (`lr_decay`), each update uses
            only this many of its batch's samples, and as many noise vectors (None: all).
        ema_decay: keep an exponential moving average of G's weights with this decay (0: none);
            samples, validation and `generate` then use the average, `generator_ema`.
        augment: DiffAugment's transforms (`litgan.augment`) of every image D judges in
            training, real and generated, in D's step and in G's (empty: none).
    """

    def __init__(
        self,
        generator: dict[str, Any],
        discriminator: dict[str, Any],
        g_optimizer: dict[str, Any],
        d_optimizer: dict[str, Any],
        data_shape: Sequence[int],
        loss: str = "non_saturating",
        d_steps: int = 1,
        seed: int = 0,
        eval_seed: int = 1234,
        metrics: dict[str, Any] | None = None,
        compile: bool = False,
        channels_last: bool = False,
        stop_on_nonfinite: bool = True,
        lr_decay: float = 0.0,
        early_batch_size: int | None = None,
        ema_decay: float = 0.0,
        augment: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.save_hyperparameters()
        self.generator = instantiate(generator, data_shape=list(data_shape), _convert_="all")
        self.discriminator = instantiate(
            discriminator, data_shape=list(data_shape), _convert_="all"
        )
        # A copy made before channels_last (which converts it with G) and compile (which it does
        # not need: it only samples). A submodule, so checkpoints keep it; no optimizer sees it,
        # and with requires_grad off DDP leaves it alone.
        self.generator_ema = (
            copy.deepcopy(self.generator).requires_grad_(False) if ema_decay else None
        )
        if augment and len(data_shape) != 3:
            raise ConfigError(
                f"model.augment transforms images, and this data's samples have shape "
                f"{tuple(data_shape)}: set model.augment=[] for it"
            )
        self.augment = DiffAugment(augment)
        self.g_loss = generator_loss(loss)
        self.nz: int = self.generator.nz
        if channels_last:
            self.to(memory_format=torch.channels_last)
        if compile:
            self.generator.compile()
            self.discriminator.compile()
        self.g_steps = 0
        self._noise: torch.Generator | None = None
        self._noise_state: Tensor | None = None  # from a checkpoint, applied on the next draw
        self._grad_norms: dict[str, Tensor] = {}
        self._losses: dict[str, Tensor] = {}
        # A plain attribute, not a submodule: Inception's weights stay out of the checkpoints.
        self.evaluator: Evaluator | None = None

    def sample_z(self, n: int) -> Tensor:
        """Training noise z ~ N(0, I), shape (n, nz), from this rank's own stream.

        seed_everything gives every rank the same global RNG: drawn from it, the fake half of a
        distributed batch would repeat on every device. Each rank seeds its own generator.
        """
        if self._noise is None or self._noise.device != self.device:
            self._noise = torch.Generator(device=self.device)
            self._noise.manual_seed(self.hparams.seed + self.global_rank)
        if self._noise_state is not None:
            self._noise.set_state(self._noise_state)
            self._noise_state = None
        return torch.randn(n, self.nz, device=self.device, generator=self._noise)

    def fixed_noise(self, n: int) -> Tensor:
        """The same `n` latent vectors at every call; the first k of them are `fixed_noise(k)`.

        Drawn in blocks of fixed size, each from its own seed: one randn call of size n would
        give different leading rows for different n.
        """
        blocks = [
            torch.randn(NOISE_BLOCK, self.nz, generator=torch.Generator().manual_seed(seed))
            for seed in range(self.hparams.eval_seed, self.hparams.eval_seed + -(-n // NOISE_BLOCK))
        ]
        return torch.cat(blocks)[:n].to(self.device)

    def training_step(self, batch: Tensor, batch_idx: int) -> None:
        opt_g, opt_d = self.optimizers()
        if self.hparams.channels_last and batch.dim() == 4:
            batch = batch.contiguous(memory_format=torch.channels_last)
        size = self._batch_size_now()
        # The loader serves d_steps real batches at once: each D update sees fresh data.
        for real in batch.chunk(self.hparams.d_steps):
            real = real[:size]
            d_metrics = self.discriminator_step(real, opt_d)
        g_metrics = self.generator_step(len(real), opt_g)
        self.g_steps += 1
        for scheduler in self.lr_schedulers() or []:
            scheduler.step()
        if self.g_steps == self._last_g_step():
            # Lightning validates when asked to stop: so the final model is always evaluated,
            # not only when max_steps is a multiple of val_every.
            self.trainer.should_stop = True
        if self._logging_step():
            metrics = {**d_metrics(), **g_metrics}
            # Averaged over ranks under DDP: each rank's batch and noise are its own.
            self.log("train/value", metrics.pop("train/value"), prog_bar=True, sync_dist=True)
            self.log_dict(metrics, sync_dist=True)

    def _batch_size_now(self) -> int | None:
        """The samples per update this iteration: `early_batch_size` while the learning rates
        are still at their starting value, else None (the whole batch).

        Small batches are noisy, which helps G spread over the modes early on; large ones let
        its paths between modes keep narrowing while the rates fall (docs/results.md).
        """
        early = self.hparams.early_batch_size
        return early if early and self._lr_factor(self.g_steps) == 1.0 else None

    def _logging_step(self) -> bool:
        """Whether loggers write this iteration (every trainer.log_every_n_steps, and the last).

        Lightning drops on-step values between those iterations anyway, and each self.log call
        costs about a millisecond: logging every iteration would slow small models down by half.
        """
        return (
            self.g_steps % self.trainer.log_every_n_steps == 0
            or self.g_steps == self._last_g_step()
        )

    def _last_g_step(self) -> int:
        """The generator iteration that ends training: from max_steps, else from max_epochs."""
        trainer = self.trainer
        if trainer.max_steps > 0:
            return trainer.max_steps // (self.hparams.d_steps + 1)
        batches, epochs = trainer.num_training_batches, trainer.max_epochs
        return int(batches * epochs) if epochs and math.isfinite(batches) else -1

    def discriminator_step(
        self, real: Tensor, opt_d: torch.optim.Optimizer
    ) -> Callable[[], dict[str, Tensor]]:
        """One update of D on -V(D, G): push D(x) -> 1 on real data and D(G(z)) -> 0 on fakes.

        Returns the step's logged quantities as a function: D(x) and D(G(z)) are computed only
        on the iterations that log them.
        """
        with torch.no_grad():
            fake = self.generator(self.sample_z(len(real)))
        real_logits = self.discriminator(self.augment(real))
        fake_logits = self.discriminator(self.augment(fake))
        terms = value_terms(real_logits, fake_logits)
        d_loss = discriminator_loss(terms)
        self._losses["d"] = d_loss.detach()
        self.manual_backward(d_loss)
        opt_d.step()
        # Gradients live only inside their player's step: none is left over for the other.
        opt_d.zero_grad(set_to_none=True)
        real_logits, fake_logits = real_logits.detach(), fake_logits.detach()
        norm = self._grad_norms["d"]  # now: the next D step replaces it

        def metrics() -> dict[str, Tensor]:
            return {
                "train/value_real": terms.real.detach(),
                "train/value_fake": terms.fake.detach(),
                "train/value": terms.value.detach(),
                "train/d_real": torch.sigmoid(real_logits).mean(),
                "train/d_fake": torch.sigmoid(fake_logits).mean(),
                "train/d_loss": d_loss.detach(),
                "train/d_grad_norm": norm,
            }

        return metrics

    def generator_step(self, batch_size: int, opt_g: torch.optim.Optimizer) -> dict[str, Tensor]:
        """One update of G through a frozen D; G only moves the term E_z[log(1 - D(G(z)))]."""
        with frozen(self.discriminator):
            fake_logits = self.discriminator(
                self.augment(self.generator(self.sample_z(batch_size)))
            )
            g_loss = self.g_loss(fake_logits)
            self._losses["g"] = g_loss.detach()
            self.manual_backward(g_loss)
        opt_g.step()
        opt_g.zero_grad(set_to_none=True)
        if self.generator_ema is not None:
            ema_update(self.generator_ema, self.generator, self.hparams.ema_decay)
        return {"train/g_loss": g_loss.detach(), "train/g_grad_norm": self._grad_norms["g"]}

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        # Lightning calls this inside opt.step(), after unscaling 16-bit mixed-precision
        # gradients: the norms are those of the update, whatever the precision.
        player = "g" if optimizer is self.trainer.optimizers[0] else "d"
        # The parameters this step updates, from the optimizer: no walk through the modules.
        params = (p for group in optimizer.param_groups for p in group["params"])
        self._grad_norms[player] = grad_norm(params)
        if self.hparams.stop_on_nonfinite:
            self._check_finite(player)

    def _check_finite(self, player: str) -> None:
        """Stop before a NaN or infinite loss or gradient norm reaches the weights (or any
        checkpoint): one check and one device sync per optimizer step."""
        loss = self._losses[player]
        # A GradScaler (16-mixed) meets infinite gradients by design: it skips those steps.
        norm = None
        if getattr(self.trainer.precision_plugin, "scaler", None) is None:
            norm = self._grad_norms[player]
        # A sum is finite when both terms are; NaN and inf propagate through it.
        if torch.isfinite(loss if norm is None else loss + norm):
            return
        name = "G" if player == "g" else "D"
        if not torch.isfinite(loss):
            quantity, value = f"{name}'s loss train/{player}_loss", loss
        elif norm is not None and not torch.isfinite(norm):
            quantity, value = f"{name}'s gradient norm train/{player}_grad_norm", norm
        else:
            return  # two finite values whose sum overflowed
        raise DivergenceError(
            f"training diverged at generator iteration {self.g_steps + 1}: {quantity} is "
            f"{value.item()}; no checkpoint holds weights from after it. Lower the learning "
            "rates, or set stop_on_nonfinite=false to train on regardless"
        )

    def configure_optimizers(self) -> Any:
        make_g = instantiate(self.hparams.g_optimizer, _convert_="all")
        make_d = instantiate(self.hparams.d_optimizer, _convert_="all")
        optimizers = [make_g(self.generator.parameters()), make_d(self.discriminator.parameters())]
        if not self.hparams.lr_decay:
            return optimizers
        if self._last_g_step() < 1:
            raise ConfigError(
                "optim.lr_decay needs to know where training ends: set trainer.max_steps, or "
                "model.lr_decay=0"
            )
        # Returned to Lightning so that checkpoints keep their state; stepped once per
        # generator iteration in training_step (manual optimization steps nothing itself).
        return optimizers, [LambdaLR(opt, self._lr_factor) for opt in optimizers]

    def _lr_factor(self, g_step: int) -> float:
        return lr_factor(g_step, self._last_g_step(), self.hparams.lr_decay)

    @property
    def sampling_generator(self) -> nn.Module:
        """The G that samples and is evaluated: the weight average when there is one."""
        return self.generator if self.generator_ema is None else self.generator_ema

    @torch.no_grad()
    def generate(self, z: Tensor) -> Tensor:
        """G(z) in eval mode (BatchNorm with running statistics), from `sampling_generator`."""
        with evaluating(self.sampling_generator):
            return self.sampling_generator(z.to(self.device))

    @torch.no_grad()
    def d_prob(self, x: Tensor) -> Tensor:
        """D(x) in eval mode, shape (len(x),); a packing D (PacGAN) judges `pack` copies of x."""
        x = x.to(self.device).repeat_interleave(getattr(self.discriminator, "pack", 1), 0)
        with evaluating(self.discriminator):
            return torch.sigmoid(self.discriminator(x))

    def on_fit_start(self) -> None:
        # Here, not in __init__: it needs the data module, and the device the run uses. Real
        # statistics come from the cache or are computed now, before the first training step.
        if self.hparams.metrics is not None and self.evaluator is None:
            self.evaluator = build_evaluator(
                self.hparams.metrics, self.trainer.datamodule, self.device
            )

    def val_dataloader(self) -> DataLoader | list:
        """Validation batches are the fixed latent vectors, the same at every validation.

        Under DDP each rank takes every world_size-th vector (a sampler set here, which
        Lightning keeps); `_gather_features` puts the ranks' features back in order.
        """
        if self.evaluator is None:
            return []
        z = self.fixed_noise(self.evaluator.num_samples).cpu()
        shards = DistributedSampler(
            z, num_replicas=self.trainer.world_size, rank=self.global_rank, shuffle=False
        )
        # A private generator: a loader draws its base seed from the global one otherwise, and
        # each validation would then change the training that follows it.
        return DataLoader(
            z, batch_size=self.evaluator.batch_size, sampler=shards, generator=torch.Generator()
        )

    def on_validation_epoch_start(self) -> None:
        self._average_buffers_over_ranks()
        if self.evaluator is not None:
            self.evaluator.reset()

    def _average_buffers_over_ranks(self) -> None:
        """Give every rank the mean of the ranks' BatchNorm running statistics.

        Under DDP each rank normalises with its own batches' statistics, so in eval mode each
        rank's G would differ from rank 0's, whose weights the checkpoints keep. CPU runs cannot
        use sync_batchnorm (SyncBatchNorm needs a GPU); with it this changes nothing.
        """
        if self.trainer.world_size == 1:
            return
        for buffer in self.buffers():
            if buffer.is_floating_point():
                buffer.copy_(self.trainer.strategy.reduce(buffer, reduce_op="mean"))

    def validation_step(self, z: Tensor, batch_idx: int) -> None:
        # Lightning has put G in eval mode (BatchNorm on running statistics) and turned off grad.
        self.evaluator.update(self.sampling_generator(z))

    def on_validation_epoch_end(self) -> None:
        if self.evaluator is None:
            return
        results = self.evaluator.compute(gather=self._gather_features)
        self.log("val/fid", results.pop("val/fid"), prog_bar=True)
        self.log_dict(results)

    def _gather_features(self, local: Tensor) -> Tensor:
        """Every rank's features, in fixed-noise order, without the sampler's padding.

        Rank r held vectors r, r + W, r + 2W, ... (W = world size), the last ones repeated
        from the start to even out the shards: rows of the gathered (W, n, D) tensor interleave
        back into order, and everything past num_samples is padding.
        """
        if self.trainer.world_size == 1:
            return local
        gathered = self.all_gather(local.to(self.device))
        ordered = gathered.transpose(0, 1).reshape(-1, *local.shape[1:])
        return ordered[: self.evaluator.num_samples].cpu()

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["g_steps"] = self.g_steps
        checkpoint["rng"] = self._rng_states()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.g_steps = checkpoint.get("g_steps", 0)
        if "rng" in checkpoint:
            self._restore_rng_states(checkpoint["rng"])

    def _rng_states(self) -> dict[str, Any]:
        """Every random stream training draws from, as tensors and plain containers: a
        checkpoint must load with torch.load(weights_only=True)."""
        kind, keys, pos, has_gauss, cached = np.random.get_state()
        return {
            "torch": torch.get_rng_state(),
            # This rank's device only: reading every GPU's state would start a context on each.
            "cuda": torch.cuda.get_rng_state(self.device) if self.device.type == "cuda" else None,
            "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached],
            "python": random.getstate(),
            "noise": self._noise_states(),
        }

    def _noise_states(self) -> Tensor | None:
        """Every rank's training-noise state, one row per rank (all ranks call this; rank 0
        writes the checkpoint)."""
        state = self._noise.get_state() if self._noise is not None else self._noise_state
        if state is None:
            return None
        if self.trainer.world_size == 1:
            return state[None]
        return self.all_gather(state.to(self.device)).cpu()

    def _restore_rng_states(self, states: dict[str, Any]) -> None:
        """Put back the streams `_rng_states` saved."""
        torch.set_rng_state(states["torch"])
        if states["cuda"] is not None and self.device.type == "cuda":
            torch.cuda.set_rng_state(states["cuda"], self.device)
        kind, keys, pos, has_gauss, cached = states["numpy"]
        np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
        random.setstate(states["python"])
        noise = states["noise"]
        # A checkpoint from a run with fewer ranks has no stream for this rank: it starts afresh.
        if noise is not None and self.global_rank < len(noise):
            self._noise, self._noise_state = None, noise[self.global_rank].clone()
