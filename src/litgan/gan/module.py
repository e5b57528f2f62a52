"""The GAN as a LightningModule: the whole of a training step, from the optimizers to
validation and the checkpoint's random streams.

One `training_step` trains on one Lightning batch. For data held on the device with
`steps_per_batch` > 1 (the lean loop, `litgan.gan.lean_loop`) a batch holds the real batches of
up to `steps_per_batch` generator iterations, stacked; otherwise that of one. A generator
iteration is `d_steps` updates of D that ascend the game's value V(D, G) (`litgan.game.games`),
then one update of G on its own loss through a frozen D: manual optimization, because the two
players take turns with their own optimizers. `update` picks another way to combine the
players' steps (`litgan.gan.updates`: simultaneous, extragradient, optimistic).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import pytorch_lightning as pl
import torch
from hydra.utils import instantiate
from torch import Tensor, nn
from torch.optim.lr_scheduler import LambdaLR
from torch.utils.data import DataLoader

from litgan.data.base import GANDataModule
from litgan.errors import ConfigError
from litgan.game.augment import DiffAugment
from litgan.game.games import Game
from litgan.game.penalties import Penalty
from litgan.gan.distributed import average_buffers, gather_in_order, sharded_loader
from litgan.gan.lean_loop import LeanLoop, LightningSteps, PlainSteps
from litgan.gan.noise import (
    NoiseStream,
    every_rank_state,
    fixed_noise,
    global_rng_states,
    restore_global_rng_states,
)
from litgan.gan.nonfinite import check_finite
from litgan.gan.players import (
    ema_update,
    evaluating,
    frozen,
    grad_norm,
    optimized,
    weights_dtype,
)
from litgan.gan.rows import TrainingRows, log_rows
from litgan.gan.schedule import Schedule
from litgan.gan.updates import Player, update_scheme
from litgan.gan.validation import theory
from litgan.lightning_internals import grad_scaler
from litgan.metrics import Evaluator, build_evaluator
from litgan.networks.packing import pack_of


class GAN(pl.LightningModule):
    """Generator and discriminator playing a game.

    Its arguments are the config's groups and top-level keys of the same names (conf/), which
    `litgan.run.fit.build` passes as they are.

    Args:
        data_shape: the shape of one real sample, from the data module.
        model: the `model` group: `generator`, `discriminator` (`_target_` configs of the
            networks; `data_shape` is added) and `lr_decay`, `ema_decay`, `augment` (below);
            its other keys (`lr`, `cpu_threads`) reach the optimizers and the host instead.
        loss: `_target_` config of the game (`conf/loss`), a `litgan.game.games.Game`.
        optim: `generator`, `discriminator`: `_partial_` optimizer configs, each called with its
            network's parameters.
        penalty: `_target_` config of D's regulariser (`conf/penalty`); None: none.
        d_steps: discriminator updates per generator update.
        seed: seed of the training noise; rank r of a distributed run uses seed + r.
        eval_seed: seed of the fixed noise that samples and evaluations are drawn from.
        compile: torch.compile G and D (their forward passes; checkpoints keep plain names).
        channels_last: keep image weights and batches in channels-last memory format.
        metrics: the `metrics` config (see `litgan.metrics.build_evaluator`); None or empty: no
            validation.
        stop_on_nonfinite: stop training with a DivergenceError when a loss or gradient norm is
            NaN or infinite, before the optimizer applies it.
        model.lr_decay: both learning rates fall linearly to 0 over this last fraction of the
            generator iterations (0: constant rates).
        early_batch_size: until the learning rates start to fall (`lr_decay`), each update uses
            only this many of its batch's samples, and as many noise vectors (None: all).
        model.ema_decay: keep an exponential moving average of G's weights with this decay (0:
            none); samples, validation and `generate` then use the average, `generator_ema`.
        model.augment: DiffAugment's transforms (`litgan.game.augment`) of every image D judges
            in training, real and generated, in D's step and in G's (absent or empty: none).
        steps_per_batch: generator iterations per Lightning batch at most, for data held on
            the device; above 1 the lean loop (`litgan.gan.lean_loop`) runs them.
        update: how both players' steps make one iteration (`litgan.gan.updates`):
            alternating, simultaneous, extragradient or optimistic.
    """

    # A plain attribute, not a submodule: Inception's weights stay out of the checkpoints.
    evaluator: Evaluator | None = None

    def __init__(
        self,
        data_shape: Sequence[int],
        model: dict[str, Any],
        loss: dict[str, Any],
        optim: dict[str, Any],
        penalty: dict[str, Any] | None = None,
        d_steps: int = 1,
        seed: int = 0,
        eval_seed: int = 1234,
        metrics: dict[str, Any] | None = None,
        compile: bool = False,
        channels_last: bool = False,
        stop_on_nonfinite: bool = True,
        early_batch_size: int | None = None,
        steps_per_batch: int = 1,
        update: str = "alternating",
    ) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.save_hyperparameters()
        lr_decay = model.get("lr_decay", 0.0)
        ema_decay, augment = model.get("ema_decay", 0.0), model.get("augment", ())
        self.generator = instantiate(
            model["generator"], data_shape=list(data_shape), _convert_="all"
        )
        self.discriminator = instantiate(
            model["discriminator"], data_shape=list(data_shape), _convert_="all"
        )
        self.game: Game = instantiate(loss)
        self.penalty: Penalty | None = instantiate(penalty) if penalty else None
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
        self.nz: int = self.generator.nz
        if channels_last:
            self.to(memory_format=torch.channels_last)
        if compile:
            self.generator.compile()
            self.discriminator.compile()
        self.schedule = Schedule(d_steps, lr_decay, early_batch_size, update)
        self.update = update_scheme(update, d_steps)
        self.g_steps = 0
        self.noise = NoiseStream(seed)
        # Plain torch steps outside a Trainer (litgan.dynamics, a script); a run's loop is
        # chosen when fit starts (`on_fit_start`).
        self.loop: PlainSteps = PlainSteps()
        self.rows = TrainingRows()
        self._grad_norms: dict[str, Tensor] = {}
        self._losses: dict[str, Tensor] = {}
        self._penalty: Tensor | None = None  # the last one computed: lazy ones skip updates

    # --- the run's start ---------------------------------------------------------------------

    def setup(self, stage: str) -> None:
        if self.noise.state() is None:
            self.noise = NoiseStream(self.hparams.seed + self.global_rank)

    def configure_optimizers(self) -> Any:
        make_g = instantiate(self.hparams.optim["generator"], _convert_="all")
        make_d = instantiate(self.hparams.optim["discriminator"], _convert_="all")
        optimizers = [make_g(self.generator.parameters()), make_d(self.discriminator.parameters())]
        if not self.schedule.lr_decay:
            return optimizers
        if self.last_g_step() < 1:
            raise ConfigError(
                "model.lr_decay needs to know where training ends: set trainer.max_steps, or "
                "model.lr_decay=0"
            )
        # Returned to Lightning so that checkpoints keep their state; stepped once per
        # generator iteration by `iteration` (manual optimization steps nothing itself).
        factor = partial(self.schedule.lr_factor, trainer=self.trainer)
        return optimizers, [LambdaLR(opt, factor) for opt in optimizers]

    def on_fit_start(self) -> None:
        trainer = self.trainer
        # Here, not in __init__: the evaluator needs the data module and the run's device (real
        # statistics come from the cache or are computed now, before the first training step).
        if self.hparams.metrics and self.evaluator is None:
            self.evaluator = build_evaluator(self.hparams.metrics, trainer.datamodule, self.device)
        steps = self.hparams.steps_per_batch
        self.loop = LeanLoop(self, steps, self.last_g_step) if steps > 1 else LightningSteps(self)
        if isinstance(trainer.datamodule, GANDataModule):
            trainer.datamodule.serve_chunks(self.loop.chunk_end)

    def last_g_step(self) -> int:
        """The generator iteration that ends training (-1: not known)."""
        return self.schedule.last_g_step(self.trainer)

    # --- training ------------------------------------------------------------------------------

    def training_step(self, batch: Tensor, batch_idx: int) -> None:
        # Data held on the device comes as the real batches of one or more iterations, stacked.
        chunk = batch if batch.dim() == len(self.hparams.data_shape) + 2 else batch[None]
        optimizers, schedulers = self.optimizers(), self.lr_schedulers() or []
        for real_batch in chunk:
            self.iteration(real_batch, *optimizers, schedulers)
        self.loop.end_batch(len(chunk))
        self.rows.write(self.trainer)

    def iteration(self, batch: Tensor, opt_g: Any, opt_d: Any, schedulers: Sequence[Any]) -> None:
        """One generator iteration: `d_steps` updates of D, one of G, on `batch`'s real data;
        then the learning-rate `schedulers` step."""
        if self.hparams.channels_last and batch.dim() == 4:
            batch = batch.contiguous(memory_format=torch.channels_last)
        trainer, d_steps = self.trainer, self.hparams.d_steps
        size = self.schedule.batch_size(self.g_steps, trainer)
        # The loader serves d_steps real batches at once: each D update sees fresh data.
        reals = batch.chunk(d_steps) if d_steps > 1 else (batch,)
        reals = [real if size is None else real[:size] for real in reals]
        # From the optimizers, which hold them as lists: no walk through the modules per step.
        d_params, update_d = optimized(opt_d), partial(self.player_update, opt_d)
        ds = [
            Player(
                d_params,
                partial(self.discriminator_gradient, real, self.g_steps * d_steps + i),
                update_d,
            )
            for i, real in enumerate(reals)
        ]
        g = Player(
            optimized(opt_g),
            partial(self.generator_gradient, len(reals[-1])),
            partial(self.player_update, opt_g),
        )
        d_metrics, g_metrics = self.update(ds, g)
        if self.generator_ema is not None:
            ema_update(self.generator_ema, self.generator, self.hparams.model["ema_decay"])
        self.g_steps += 1
        for scheduler in schedulers:
            scheduler.step()
        if self.g_steps == self.last_g_step():
            # Lightning validates when asked to stop: so the final model is always evaluated,
            # not only when max_steps is a multiple of val_every.
            trainer.should_stop = True
        if self.schedule.logs(self.g_steps, trainer):
            self.rows.add(self.g_steps, {**d_metrics(), **g_metrics(), **self.players_logged()})

    def player_update(self, optimizer: torch.optim.Optimizer) -> None:
        """A player's optimizer applies its `.grad`; then that is cleared, so that no gradient
        is left over for the other player."""
        self.loop.step(optimizer)
        optimizer.zero_grad(set_to_none=True)

    def discriminator_gradient(
        self, real: Tensor, d_update: int
    ) -> Callable[[], dict[str, Tensor]]:
        """D's gradient at the current point into `.grad`: D ascends the game's value V(D, G),
        less any penalty.

        Returns the logged quantities as a function: D's outputs on the game's scale are
        computed only on the iterations that log them.
        """
        with torch.no_grad():
            fake = self.generator(self.sample_z(len(real)))
        real, fake = self.augment(real), self.augment(fake)
        real_out, fake_out = self.discriminator(real), self.discriminator(fake)
        terms = self.game.value_terms(real_out, fake_out)
        d_loss = self.game.discriminator_loss(terms)
        if self.penalty is not None and self.penalty.due(d_update):
            penalty = self.penalty(self.discriminator, real, fake)
            self._penalty = penalty.detach()
            d_loss = d_loss + self.penalty.every * penalty
        self._losses["d"] = d_loss.detach()
        self.loop.backward(d_loss)
        real_out, fake_out = real_out.detach(), fake_out.detach()
        penalty_now = self._penalty  # the next D step replaces it

        def metrics() -> dict[str, Tensor]:
            norm = self._grad_norms["d"]  # of the update applied last
            logged = {
                "train/value_real": terms.real.detach(),
                "train/value_fake": terms.fake.detach(),
                "train/value": terms.value.detach(),
                "train/d_real": self.game.output(real_out).mean(),
                "train/d_fake": self.game.output(fake_out).mean(),
                "train/d_loss": d_loss.detach(),
                "train/d_grad_norm": norm,
            }
            return logged if penalty_now is None else {**logged, "train/penalty": penalty_now}

        return metrics

    def generator_gradient(self, batch_size: int) -> Callable[[], dict[str, Tensor]]:
        """G's gradient at the current point into `.grad`: G's loss in the game, through a
        frozen D. Returns the logged quantities as a function."""
        with frozen(self.discriminator):
            fake_out = self.discriminator(self.augment(self.generator(self.sample_z(batch_size))))
            g_loss = self.game.generator_loss(fake_out)
            self._losses["g"] = g_loss.detach()
            self.loop.backward(g_loss)
        g_loss = g_loss.detach()
        return lambda: {"train/g_loss": g_loss, "train/g_grad_norm": self._grad_norms["g"]}

    def players_logged(self) -> dict[str, Tensor]:
        """What the networks themselves log (the Dirac-GAN's θ and ψ); most log nothing."""
        logged: dict[str, Tensor] = {}
        for player in (self.generator, self.discriminator):
            logged.update(player.logged() if hasattr(player, "logged") else {})
        return logged

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        # Lightning calls this inside opt.step(), after unscaling 16-bit mixed-precision
        # gradients: the norms are those of the update, whatever the precision.
        player = "g" if optimizer is self.trainer.optimizers[0] else "d"
        # The parameters this step updates, from the optimizer: no walk through the modules.
        self._grad_norms[player] = grad_norm(optimized(optimizer))
        if self.hparams.stop_on_nonfinite:
            # A GradScaler (16-mixed) meets infinite gradients by design: it skips those steps.
            scaled = grad_scaler(self.trainer) is not None
            norm = None if scaled else self._grad_norms[player]
            check_finite(player, self._losses[player], norm, self.g_steps + 1)

    # --- sampling ------------------------------------------------------------------------------

    def sample_z(self, n: int) -> Tensor:
        """Training noise z ~ N(0, I), shape (n, nz), from this rank's own stream."""
        return self.noise.draw(n, self.nz, self.device)

    def fixed_noise(self, n: int) -> Tensor:
        """The same `n` latent vectors at every call; the first k of them are `fixed_noise(k)`."""
        return fixed_noise(n, self.nz, self.hparams.eval_seed).to(self.device)

    @property
    def sampling_generator(self) -> nn.Module:
        """The G that samples and is evaluated: the weight average when there is one."""
        return self.generator if self.generator_ema is None else self.generator_ema

    @torch.no_grad()
    def generate(self, z: Tensor) -> Tensor:
        """G(z) in eval mode (BatchNorm with running statistics), from `sampling_generator`."""
        generator = self.sampling_generator
        with evaluating(generator):
            return generator(z.to(self.device, weights_dtype(generator)))

    @torch.no_grad()
    def d_output(self, x: Tensor) -> Tensor:
        """D's output on x in eval mode, on the game's scale, shape (len(x),); a packing D
        (PacGAN) judges `pack` copies of x."""
        x = x.to(self.device, weights_dtype(self.discriminator))
        x = x.repeat_interleave(pack_of(self.discriminator), 0)
        with evaluating(self.discriminator):
            return self.game.output(self.discriminator(x))

    # --- validation: G's samples from the fixed noise, scored by the evaluator ----------------

    def val_dataloader(self) -> DataLoader | list:
        if self.evaluator is None:
            return []
        z = self.fixed_noise(self.evaluator.num_samples).cpu()
        return sharded_loader(z, self.evaluator.batch_size, self.trainer)

    def on_validation_epoch_start(self) -> None:
        average_buffers(self, self.trainer)
        if self.evaluator is not None:
            self.evaluator.reset()

    def validation_step(self, z: Tensor, batch_idx: int) -> None:
        # Lightning has put G in eval mode (BatchNorm on running statistics) and turned off grad.
        self.evaluator.update(self.sampling_generator(z))

    def on_validation_epoch_end(self) -> None:
        if self.evaluator is None:
            return
        num = self.evaluator.num_samples
        results = self.evaluator.compute(
            gather=lambda local: gather_in_order(local, num, self.trainer, self)
        )
        results |= theory(self.evaluator, results, self.game, self.discriminator, self.device)
        fid = results.pop("val/fid")
        # self.log for the callbacks and the progress bar; the loggers get the row at its
        # generator iteration, as the training rows, where Lightning's step counts from 0.
        self.log("val/fid", fid, prog_bar=True, logger=False)
        self.log_dict(results, logger=False)
        if not self.trainer.sanity_checking:  # whose results Lightning discards too
            # The values as self.log keeps them, which summary.json reports.
            kept = self.trainer.callback_metrics
            row = {key: float(kept[key]) for key in ("val/fid", *results)}
            log_rows(self.loggers, [(self.g_steps, {"epoch": self.current_epoch, **row})])

    # --- checkpoints: the iteration count and every random stream, for an exact resume --------

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["g_steps"] = self.g_steps
        noise = every_rank_state(self.noise, self)
        checkpoint["rng"] = {**global_rng_states(self.device), "noise": noise}
        checkpoint["update"] = self.update.state_dict()  # optimistic's previous gradients

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.g_steps = checkpoint.get("g_steps", 0)
        self.update.load_state_dict(checkpoint.get("update", {}))
        if "rng" not in checkpoint:
            return
        restore_global_rng_states(checkpoint["rng"], self.device)
        noise = checkpoint["rng"]["noise"]
        # A checkpoint from a run with fewer ranks has no stream for this rank: it starts afresh.
        if noise is not None and self.global_rank < len(noise):
            self.noise.restore(noise[self.global_rank])
