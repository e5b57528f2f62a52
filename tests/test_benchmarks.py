"""The benchmarks compare litgan with what they say they compare it with.

benchmarks/train_throughput.py's plain loop once read the learning-rate decay from a key that
had moved, and trained at a constant rate: a cheaper loop than litgan's, which made every
paired ratio since understate litgan (benchmarks/RESULTS.md, 2026-12-08).
"""

from __future__ import annotations

import pytest
import torch

from litgan.experiment import run
from tests.helpers.runs import REPO

ITERATIONS, KEPT = 20, 15  # with lr_decay 0.5 the rates fall from iteration 10: at 15, half


@pytest.mark.usefixtures("run_in_process")
def test_the_throughput_benchmarks_plain_loop_decays_its_learning_rates_as_litgan(
    monkeypatch, tmp_path
):
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    import train_throughput

    overrides, batch = train_throughput.CONFIGS["mlp_ring"]
    plain: list[tuple[float, float]] = []
    train_throughput.plain_loop("mlp_ring", ITERATIONS, 0, lrs=plain)

    result = run(
        *overrides,
        f"data.batch_size={batch}",
        f"trainer.max_steps={ITERATIONS}",
        f"checkpoint_every={KEPT}",
        f"callbacks.last_checkpoint.keep=[{KEPT}]",
        "metrics=none",
        "pictures=false",
        run_dir=tmp_path / "run",
    )
    for g_step in (KEPT, ITERATIONS):
        name = "last.ckpt" if g_step == ITERATIONS else f"step={g_step}.ckpt"
        checkpoint = torch.load(result.run_dir / "checkpoints" / name, weights_only=True)
        assert checkpoint["g_steps"] == g_step
        litgan = tuple(s["_last_lr"][0] for s in checkpoint["lr_schedulers"])  # G's, D's
        assert plain[g_step - 1] == pytest.approx(litgan), g_step
    lr = plain[0][0]
    assert plain[KEPT - 1] == pytest.approx((lr / 2, lr / 2))
    assert plain[-1] == (0.0, 0.0)
