"""How a generator iteration's passes and steps reach Lightning: through its hooks, one
iteration per batch (`LightningSteps`), or paid rarely (`LeanLoop`, with steps_per_batch > 1).

For a small model Lightning's per-batch and per-step machinery costs as much as the math
(about 1.8 ms on top of a 5.8 ms ring-MLP iteration, benchmarks/RESULTS.md). The lean loop:

- runs several generator iterations per Lightning batch for data held on the device (the data
  module stacks their real batches, `GANDataModule.serve_chunks`); Lightning's batch counters
  are kept in generator iterations, so that val_check_interval, log_every_n_steps, the
  loggers' `step` and the data's resume position mean what they do with one per batch; each
  batch ends where a validation, a callback's `every_n_g_steps` or the run's end falls;
- makes backward passes and optimizer steps without Lightning's hook dispatch when nothing
  listens to those hooks (one device, 32-bit precision, no profiler, no callback or module
  hook that acts in them).

Both give the same run, number for number (tests/test_lean_loop.py). The loop's counters are
Lightning's private state: `litgan.lightning_internals` holds every access to them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytorch_lightning as pl
import torch
from pytorch_lightning.core.optimizer import LightningOptimizer
from pytorch_lightning.plugins.precision import Precision
from pytorch_lightning.profilers import PassThroughProfiler
from pytorch_lightning.strategies import SingleDeviceStrategy
from torch import Tensor

from litgan.lightning_internals import count_batches, is_overridden, optimizer_step_counted

STEP_HOOKS = ("on_before_backward", "on_after_backward", "on_before_optimizer_step")


class PlainSteps:
    """Backward passes and optimizer steps as plain torch, for a GAN outside a Trainer
    (`litgan.dynamics` drives its gradient functions at chosen points)."""

    def backward(self, loss: Tensor) -> None:
        loss.backward()

    def step(self, optimizer: torch.optim.Optimizer) -> None:
        optimizer.step()


class LightningSteps:
    """Manual optimization as Lightning runs it: one generator iteration per batch, every
    backward pass and optimizer step through Lightning's hooks."""

    def __init__(self, module: pl.LightningModule) -> None:
        self.module = module

    def chunk_end(self, g_step: int) -> int:
        """The generator iteration a Lightning batch that starts at `g_step` trains up to."""
        return g_step + 1

    def backward(self, loss: Tensor) -> None:
        self.module.manual_backward(loss)

    def step(self, optimizer: LightningOptimizer) -> None:
        optimizer.step()

    def end_batch(self, iterations: int) -> None:
        """The batch Lightning is in ran `iterations` generator iterations."""


class LeanLoop(LightningSteps):
    """Up to `steps_per_batch` generator iterations per Lightning batch, and steps without
    Lightning's hook dispatch when nothing listens.

    Args:
        module: the LightningModule trained, attached to its trainer; its
            `on_before_optimizer_step` is called as Lightning would call it.
        steps_per_batch: generator iterations per batch at most.
        last_g_step: the generator iteration that ends training (-1: not known).
    """

    def __init__(
        self, module: pl.LightningModule, steps_per_batch: int, last_g_step: Callable[[], int]
    ) -> None:
        super().__init__(module)
        self.steps_per_batch = steps_per_batch
        self.last_g_step = last_g_step
        self.trainer = module.trainer
        self.through_lightning = self._step_hooks_needed()

    def chunk_end(self, g_step: int) -> int:
        """The generator iteration a Lightning batch that starts at `g_step` trains up to.

        The next multiple of `steps_per_batch`, or earlier: the next validation, the next act of
        a callback with `every_n_g_steps` (checkpoints, samples), the last iteration.
        """
        every = [self.steps_per_batch, *self._cadences()]
        end = min((g_step // n + 1) * n for n in every if n > 0)
        last = self.last_g_step()
        return min(end, last) if last > g_step else end

    def _cadences(self) -> list[int]:
        val_every = self.trainer.val_check_interval
        cadences = [val_every] if isinstance(val_every, int) else []
        every = (getattr(c, "every_n_g_steps", None) for c in self.trainer.callbacks)
        return cadences + [n for n in every if isinstance(n, int)]

    def end_batch(self, iterations: int) -> None:
        """Tell Lightning's loop that the batch it is in was `iterations` batches: its counters
        then say what they would with one iteration per batch."""
        if iterations > 1:
            count_batches(self.trainer, iterations)

    def _step_hooks_needed(self) -> bool:
        """Whether backward passes and optimizer steps must go through Lightning: another
        strategy or precision acts in them, or a profiler or callback listens."""
        trainer = self.trainer
        return (
            type(trainer.strategy) is not SingleDeviceStrategy
            or type(trainer.precision_plugin) is not Precision
            or not isinstance(trainer.profiler, PassThroughProfiler)
            or any(is_overridden(h, c, pl.Callback) for c in trainer.callbacks for h in STEP_HOOKS)
            or any(is_overridden(h, self.module, pl.LightningModule) for h in STEP_HOOKS[:2])
        )

    def backward(self, loss: Tensor) -> None:
        """`manual_backward`, or with nothing listening, `loss.backward()` (what it comes to)."""
        if self.through_lightning:
            self.module.manual_backward(loss)
        else:
            loss.backward()

    def step(self, optimizer: LightningOptimizer) -> None:
        """A step of a LightningOptimizer, or with nothing listening, what it comes to: the
        step counted (trainer.global_step), `on_before_optimizer_step`, the optimizer's step."""
        if self.through_lightning:
            optimizer.step()
            return

        def step() -> None:
            self.module.on_before_optimizer_step(optimizer.optimizer)
            optimizer.optimizer.step()

        optimizer_step_counted(self.trainer, step)
