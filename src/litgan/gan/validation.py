"""Validation of a GAN: G's samples from the fixed noise, scored by the run's evaluator."""

from __future__ import annotations

import pytorch_lightning as pl
import torch
from torch import Tensor
from torch.utils.data import DataLoader

from litgan.game.games import Game
from litgan.gan.distributed import average_buffers, gather_in_order, sharded_loader
from litgan.gan.lean_loop import log_rows
from litgan.gan.players import evaluating
from litgan.metrics import Evaluator, build_evaluator
from litgan.metrics.divergences import KEYS


def no_best_value(game: Game, pack: int) -> str | None:
    """Why a run logs no `val/value_best_d` (None: it does)."""
    if pack > 1:
        return (
            f"D judges packs of {pack} samples, so its best response is a function of the packs' "
            f"joint density and the game's divergence between p_data and p_G is not its value"
        )
    if game.value_at_best(dict.fromkeys(KEYS, 0.0)) is None:
        return (
            "the best critic's value is unbounded without a Lipschitz constraint on D; "
            "W1 is what a 1-Lipschitz critic's value would be"
        )
    return None


class FixedNoiseValidation(pl.LightningModule):
    """Lightning's validation hooks for a GAN: the batches are the fixed latent vectors (the
    same at every validation), G's samples of them go to the evaluator (`metrics` config).

    The GAN provides `game`, `discriminator`, `fixed_noise(n)`, `sampling_generator`, `g_steps`
    and `hparams.metrics`.
    """

    # A plain attribute, not a submodule: Inception's weights stay out of the checkpoints.
    evaluator: Evaluator | None = None

    def on_fit_start(self) -> None:
        # Here, not in __init__: it needs the data module, and the device the run uses. Real
        # statistics come from the cache or are computed now, before the first training step.
        if self.hparams.metrics and self.evaluator is None:
            self.evaluator = build_evaluator(
                self.hparams.metrics, self.trainer.datamodule, self.device
            )

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
        results |= self.theory(results)
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

    def theory(self, results: dict[str, float]) -> dict[str, float]:
        """2D data: `val/value`, V with the trained D on this validation's real points and G's,
        and `val/value_best_d`, the game's V at the best D for this G from its divergence."""
        evaluator = self.evaluator
        if evaluator.real_points is None or evaluator.generated is None:
            return {}
        pack = getattr(self.discriminator, "pack", 1)
        # As many real points as G's, in whole packs: both terms are means over equal counts.
        n = min(len(evaluator.real_points), len(evaluator.generated)) // pack * pack
        real = evaluator.real_points[:n].to(self.device, torch.float32)
        fake = evaluator.generated[:n].to(self.device, torch.float32)
        with torch.no_grad(), evaluating(self.discriminator):
            terms = self.game.value_terms(self.discriminator(real), self.discriminator(fake))
        theory = {"val/value": float(terms.value)}
        divergences = {key: results.get(f"val/{key}") for key in KEYS}
        if no_best_value(self.game, pack) is None and None not in divergences.values():
            theory["val/value_best_d"] = self.game.value_at_best(divergences)
        return theory
