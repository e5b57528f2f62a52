"""The run's progress bar: one bar over the generator iterations, through validations, resumes
and sweeps; none with trainer.enable_progress_bar=false."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
import pytorch_lightning as pl
from pytorch_lightning.callbacks import ProgressBar

from litgan.run.progress import RunProgressBar
from tests.helpers.runs import TINY_MLP, run_main


class BarProbe(pl.Callback):
    """Record the progress bar's state after every training batch, validation and at the end.

    It runs after the bar (later in the callbacks list), so it sees each update."""

    runs: ClassVar[list[dict[str, Any]]] = []  # one record per probe, that is per training run

    def __init__(self) -> None:
        self.record: dict[str, Any] = {"batches": [], "validations": [], "bar": None}
        BarProbe.runs.append(self.record)

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.record["callback"] = trainer.progress_bar_callback
        self.record["progress_bars"] = [c for c in trainer.callbacks if isinstance(c, ProgressBar)]

    def _bar(self, trainer: pl.Trainer):
        return trainer.progress_bar_callback.train_progress_bar

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.progress_bar_callback is not None:
            bar = self._bar(trainer)
            self.record["bar"] = bar
            self.record["batches"].append((pl_module.g_steps, bar.n, bar.total, id(bar)))

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.progress_bar_callback is not None:
            # The validation bar is closed by now; leave=False erased it from the terminal.
            val_bar = trainer.progress_bar_callback.val_progress_bar
            self.record["validations"].append((pl_module.g_steps, self._bar(trainer).n))
            self.record["val_bars_left"] = self.record.get("val_bars_left", 0) + val_bar.leave


@pytest.fixture
def probe_runs():
    BarProbe.runs.clear()
    yield BarProbe.runs
    BarProbe.runs.clear()


PROBED = [
    *TINY_MLP,
    "data.num_samples=2000",
    "callbacks.progress_bar.refresh_rate=1",  # every iteration drawn: n is checked at each
    "steps_per_batch=1",  # a Lightning batch per iteration: the bar is drawn at batch ends
    "+callbacks.probe._target_=tests.test_progress.BarProbe",
]


@pytest.mark.parametrize("d_steps", [1, 2])
def test_one_bar_counts_generator_iterations_through_validations(
    monkeypatch, capsys, tmp_path, probe_runs, d_steps
):
    status, stderr = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        "trainer.max_steps=30",
        "val_every=10",
        "metrics=default",
        "metrics.points.num_samples=200",
        f"d_steps={d_steps}",
        base=tuple(PROBED),
    )
    assert status == 0, stderr
    (run,) = probe_runs
    assert isinstance(run["callback"], RunProgressBar) and run["progress_bars"] == [run["callback"]]
    # One bar, one count per generator iteration up to trainer.max_steps, whatever d_steps is,
    # across epochs (2,000 points make 7 batches of 256, 3 of 512).
    assert [b[0] for b in run["batches"]] == list(range(1, 31))
    assert all(g_step == n for g_step, n, _, _ in run["batches"])
    assert {(total, bar) for _, _, total, bar in run["batches"]} == {(30, id(run["bar"]))}
    # Validations at 10, 20 and 30 leave the count where it was, and leave no line behind.
    assert run["validations"] == [(10, 10), (20, 20), (30, 30)]
    assert run["val_bars_left"] == 0
    bar = run["bar"]
    assert bar.n == bar.total == 30 and bar.initial == 0
    assert run["callback"].train_progress_bar is bar


def test_a_resumed_runs_bar_starts_at_the_checkpoints_generator_iteration(
    monkeypatch, capsys, tmp_path, probe_runs
):
    def train(*overrides: str) -> tuple[int, str]:
        return run_main(
            monkeypatch,
            capsys,
            tmp_path,
            "trainer.max_steps=30",
            "checkpoint_every=10",
            *overrides,
            base=tuple(PROBED),
        )

    crash = ["+callbacks.crash._target_=tests.test_on_device.CrashAt", "+callbacks.crash.g_step=25"]
    status, stderr = train(*crash)
    assert status == 1 and "simulated crash after generator iteration 25" in stderr
    status, stderr = train("ckpt_path=last")  # checkpoints/last.ckpt is at iteration 20
    assert status == 0, stderr
    crashed, resumed = probe_runs
    assert crashed["bar"].n == 25
    assert [b[1] for b in resumed["batches"]] == list(range(21, 31))
    bar = resumed["bar"]
    assert (bar.initial, bar.n, bar.total) == (20, 30, 30)


def test_every_job_of_a_sweep_has_its_own_bar(monkeypatch, capsys, tmp_path, probe_runs):
    status, stderr = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        "seed=0,1",
        "trainer.max_steps=12",
        f"hydra.sweep.dir={tmp_path / 'sweep'}",
        base=("-m", *PROBED),  # argparse takes -m before the overrides only
    )
    assert status == 0, stderr
    assert len(probe_runs) == 2
    bars = [run["bar"] for run in probe_runs]
    assert bars[0] is not bars[1]
    assert all(bar.n == bar.total == 12 and bar.initial == 0 for bar in bars)


def test_enable_progress_bar_false_trains_without_a_bar(monkeypatch, capsys, tmp_path, probe_runs):
    status, stderr = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        "trainer.max_steps=5",
        "trainer.enable_progress_bar=false",
        base=tuple(PROBED),
    )
    assert status == 0, stderr
    (run,) = probe_runs
    assert run["callback"] is None and run["progress_bars"] == []
    assert (tmp_path / "run" / "summary.json").is_file()
