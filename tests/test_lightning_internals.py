"""One test per reliance on Lightning's private API (`litgan.lightning_internals`'s docstring
numbers them): a Lightning release that changes one fails here, with a message naming it."""

from __future__ import annotations

import pytest
import pytorch_lightning as pl
import torch
import tqdm
from pytorch_lightning.callbacks import TQDMProgressBar
from torch.utils.data import DataLoader

from litgan.lightning_internals import (
    Tqdm,
    batches_started,
    count_batches,
    grad_scaler,
    is_overridden,
    optimizer_step_counted,
    set_logged,
)

CHANGED = f"pytorch-lightning {pl.__version__} changed reliance {{}} of litgan.lightning_internals"
BATCHES, COUNTED_AS = 4, 3


class _Toy(pl.LightningModule):
    """Manual optimization as the GAN's lean loop does it: each batch counted as COUNTED_AS."""

    def __init__(self) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.layer = torch.nn.Linear(2, 1)
        self.seen: list[int] = []

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> None:
        self.seen.append(batches_started(self.trainer))
        optimizer = self.optimizers()
        self.layer(batch).pow(2).mean().backward()
        optimizer_step_counted(self.trainer, optimizer.optimizer.step)
        optimizer.optimizer.zero_grad()
        count_batches(self.trainer, COUNTED_AS)
        set_logged(self.trainer, {"toy/loss": torch.tensor(1.5)}, {"toy/bar": 2.5})

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> tuple[pl.Trainer, _Toy]:
    model = _Toy()
    trainer = pl.Trainer(
        max_epochs=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path_factory.mktemp("toy"),
    )
    trainer.fit(model, DataLoader(torch.randn(BATCHES, 2), batch_size=1))
    return trainer, model


def test_1_batch_counters_count_a_batch_as_several(fitted):
    trainer, model = fitted
    progress = trainer.fit_loop.epoch_loop.batch_progress
    assert progress.total.completed == BATCHES * COUNTED_AS, CHANGED.format(1)
    # batches_started reads the counter that a data module's resume position is taken from.
    assert model.seen == [1 + COUNTED_AS * i for i in range(BATCHES)], CHANGED.format(1)


def test_2_the_loggers_step_counts_the_extra_batches(fitted):
    trainer, _ = fitted
    assert trainer.fit_loop.epoch_loop._batches_that_stepped == BATCHES * COUNTED_AS, (
        CHANGED.format(2)
    )


def test_3_an_optimizer_step_outside_lightning_is_counted_in_global_step(fitted):
    trainer, _ = fitted
    assert trainer.global_step == BATCHES, CHANGED.format(3)


def test_4_is_overridden_tells_a_hook_that_a_callback_overrides():
    class Listening(pl.Callback):
        def on_before_backward(self, trainer, pl_module, loss) -> None:
            pass

    assert is_overridden("on_before_backward", Listening(), pl.Callback), CHANGED.format(4)
    assert not is_overridden("on_before_backward", pl.Callback(), pl.Callback), CHANGED.format(4)


def test_5_callback_and_progress_bar_metrics_are_the_trainers_own(fitted):
    trainer, _ = fitted
    assert float(trainer.callback_metrics["toy/loss"]) == 1.5, CHANGED.format(5)
    assert trainer.progress_bar_metrics["toy/bar"] == 2.5, CHANGED.format(5)


def test_6_the_grad_scaler_is_found_on_the_precision_plugin(fitted):
    trainer, _ = fitted
    assert hasattr(trainer, "precision_plugin"), CHANGED.format(6)
    assert grad_scaler(trainer) is None, CHANGED.format(6)  # 32-bit: no scaler
    # 16-mixed keeps its GradScaler as `scaler` (on a CPU it cannot be built: checked by name).
    from pytorch_lightning.plugins.precision import MixedPrecision

    assert "scaler" in MixedPrecision.__init__.__code__.co_varnames, CHANGED.format(6)


def test_7_the_tqdm_bar_class_and_its_format():
    assert issubclass(Tqdm, tqdm.tqdm), CHANGED.format(7)
    assert isinstance(TQDMProgressBar.BAR_FORMAT, str), CHANGED.format(7)
