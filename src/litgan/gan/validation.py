"""Validation of a GAN: G's samples from the fixed noise, scored by the run's evaluator."""

from __future__ import annotations

import pytorch_lightning as pl
from torch import Tensor
from torch.utils.data import DataLoader

from litgan.gan.distributed import average_buffers, gather_in_order, sharded_loader
from litgan.gan.lean_loop import log_rows
from litgan.metrics import Evaluator, build_evaluator


class FixedNoiseValidation(pl.LightningModule):
    """Lightning's validation hooks for a GAN: the batches are the fixed latent vectors (the
    same at every validation), G's samples of them go to the evaluator (`metrics` config).

    The GAN provides `fixed_noise(n)`, `sampling_generator`, `g_steps` and `hparams.metrics`.
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
