"""The GAN as a LightningModule: one training_step is one generator iteration of a game.

Manual optimization, because the two players take turns with their own optimizers: by default
`d_steps` updates of D that ascend the game's value V(D, G) (`litgan.game.games`), then one update
of G on its own loss through a frozen D; `update` picks another scheme (`litgan.gan.updates`).
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

from litgan.errors import ConfigError
from litgan.game.augment import DiffAugment
from litgan.game.games import Game
from litgan.game.penalties import Penalty
from litgan.gan.lean_loop import LeanLoop
from litgan.gan.noise import NoiseStream, ResumableNoise, fixed_noise
from litgan.gan.nonfinite import check_finite
from litgan.gan.players import ema_update, evaluating, frozen, grad_norm, weights_dtype
from litgan.gan.schedule import Schedule
from litgan.gan.updates import Player, update_scheme
from litgan.gan.validation import FixedNoiseValidation
from litgan.lightning_internals import grad_scaler


class GAN(FixedNoiseValidation, ResumableNoise, LeanLoop, Schedule, pl.LightningModule):
    """Generator and discriminator playing a game; validation (`FixedNoiseValidation`), the
    random streams' checkpointing (`ResumableNoise`), the loop's bookkeeping around
    Lightning (`LeanLoop`) and the run's clock (`Schedule`: optimizers, learning-rate schedule,
    early batch size, logging iterations) come from the mixins.

    Args:
        generator, discriminator: `_target_` configs of the networks; `data_shape` is added.
        g_optimizer, d_optimizer: `_partial_` optimizer configs, called with each net's params.
        game: `_target_` config of the game (`conf/loss`), a `litgan.game.games.Game`.
        penalty: `_target_` config of D's regulariser (`conf/penalty`); None: none.
        data_shape: the shape of one real sample, from the data module.
        d_steps: discriminator updates per generator update.
        seed: seed of the training noise; rank r of a distributed run uses seed + r.
        eval_seed: seed of the fixed noise that samples and evaluations are drawn from.
        compile: torch.compile G and D (their forward passes; checkpoints keep plain names).
        channels_last: keep image weights and batches in channels-last memory format.
        metrics: the `metrics` config (see `litgan.metrics.build_evaluator`); None or empty: no
            validation.
        stop_on_nonfinite: stop training with a DivergenceError when a loss or gradient norm is
            NaN or infinite, before the optimizer applies it.
        lr_decay: both learning rates fall linearly to 0 over this last fraction of the
            generator iterations (0: constant rates).
        early_batch_size: until the learning rates start to fall (`lr_decay`), each update uses
            only this many of its batch's samples, and as many noise vectors (None: all).
        ema_decay: keep an exponential moving average of G's weights with this decay (0: none);
            samples, validation and `generate` then use the average, `generator_ema`.
        augment: DiffAugment's transforms (`litgan.game.augment`) of every image D judges in
            training, real and generated, in D's step and in G's (empty: none).
        steps_per_batch: generator iterations per Lightning batch at most, for data held on
            the device (`litgan.gan.lean_loop`); other data gives one per batch.
        update: how both players' steps make one iteration (`litgan.gan.updates`):
            alternating, simultaneous, extragradient or optimistic.
    """

    def __init__(
        self,
        generator: dict[str, Any],
        discriminator: dict[str, Any],
        g_optimizer: dict[str, Any],
        d_optimizer: dict[str, Any],
        game: dict[str, Any],
        data_shape: Sequence[int],
        penalty: dict[str, Any] | None = None,
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
        steps_per_batch: int = 1,
        update: str = "alternating",
    ) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.save_hyperparameters()
        self.generator = instantiate(generator, data_shape=list(data_shape), _convert_="all")
        self.discriminator = instantiate(
            discriminator, data_shape=list(data_shape), _convert_="all"
        )
        self.game: Game = instantiate(game)
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
        self.update = update_scheme(update, d_steps)
        self.g_steps = 0
        self.noise = NoiseStream(seed)
        self._grad_norms: dict[str, Tensor] = {}
        self._losses: dict[str, Tensor] = {}
        self._penalty: Tensor | None = None  # the last one computed: lazy ones skip updates

    def setup(self, stage: str) -> None:
        if self.noise.state() is None:
            self.noise = NoiseStream(self.hparams.seed + self.global_rank)

    def sample_z(self, n: int) -> Tensor:
        """Training noise z ~ N(0, I), shape (n, nz), from this rank's own stream."""
        return self.noise.draw(n, self.nz, self.device)

    def fixed_noise(self, n: int) -> Tensor:
        """The same `n` latent vectors at every call; the first k of them are `fixed_noise(k)`."""
        return fixed_noise(n, self.nz, self.hparams.eval_seed).to(self.device)

    def training_step(self, batch: Tensor, batch_idx: int) -> None:
        # Data held on the device comes as the real batches of several iterations, stacked.
        chunk = batch if batch.dim() == len(self.hparams.data_shape) + 2 else batch[None]
        optimizers, schedulers = self.optimizers(), self.lr_schedulers() or []
        for real_batch in chunk:
            self.iteration(real_batch, *optimizers, schedulers)
        self.count_batches(len(chunk))
        self.write_rows()

    def iteration(self, batch: Tensor, opt_g: Any, opt_d: Any, schedulers: Sequence[Any]) -> None:
        """One generator iteration: `d_steps` updates of D, one of G, on `batch`'s real data;
        then the learning-rate `schedulers` step."""
        if self.hparams.channels_last and batch.dim() == 4:
            batch = batch.contiguous(memory_format=torch.channels_last)
        size, d_steps = self.batch_size_now(), self.hparams.d_steps
        # The loader serves d_steps real batches at once: each D update sees fresh data.
        reals = batch.chunk(d_steps) if d_steps > 1 else (batch,)
        reals = [real if size is None else real[:size] for real in reals]
        ds = [
            Player(
                list(self.discriminator.parameters()),
                partial(self.discriminator_gradient, real, self.g_steps * d_steps + i),
                partial(self.player_update, opt_d),
            )
            for i, real in enumerate(reals)
        ]
        g = Player(
            list(self.generator.parameters()),
            partial(self.generator_gradient, len(reals[-1])),
            partial(self.player_update, opt_g),
        )
        d_metrics, g_metrics = self.update(ds, g)
        if self.generator_ema is not None:
            ema_update(self.generator_ema, self.generator, self.hparams.ema_decay)
        self.g_steps += 1
        for scheduler in schedulers:
            scheduler.step()
        if self.g_steps == self.last_g_step():
            # Lightning validates when asked to stop: so the final model is always evaluated,
            # not only when max_steps is a multiple of val_every.
            self.trainer.should_stop = True
        if self.logging_step():
            self.log_row({**d_metrics(), **g_metrics(), **self.players_logged()})

    def player_update(self, optimizer: torch.optim.Optimizer) -> None:
        """A player's optimizer applies its `.grad`; then that is cleared, so that no gradient
        is left over for the other player."""
        self.player_step(optimizer)
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
        self.player_backward(d_loss)
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
            self.player_backward(g_loss)
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
        params = (p for group in optimizer.param_groups for p in group["params"])
        self._grad_norms[player] = grad_norm(params)
        if self.hparams.stop_on_nonfinite:
            # A GradScaler (16-mixed) meets infinite gradients by design: it skips those steps.
            scaled = grad_scaler(self.trainer) is not None
            norm = None if scaled else self._grad_norms[player]
            check_finite(player, self._losses[player], norm, self.g_steps + 1)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_save_checkpoint(checkpoint)
        checkpoint["update"] = self.update.state_dict()  # optimistic's previous gradients

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_load_checkpoint(checkpoint)
        self.update.load_state_dict(checkpoint.get("update", {}))

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
        x = x.repeat_interleave(getattr(self.discriminator, "pack", 1), 0)
        with evaluating(self.discriminator):
            return self.game.output(self.discriminator(x))
