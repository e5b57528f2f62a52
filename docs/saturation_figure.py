"""docs/img/saturation_grad_norm.png: G's gradient norm under each loss, from two runs of
`experiment=saturation` that differ only in `loss`.

    python train.py experiment=saturation loss=minimax trainer.max_steps=500 hydra.run.dir=A
    python train.py experiment=saturation loss=non_saturating trainer.max_steps=500 hydra.run.dir=B
    python docs/saturation_figure.py A B docs/img/saturation_grad_norm.png
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

from matplotlib.figure import Figure

from litgan.records.history import read_series


def main(minimax: Path, non_saturating: Path, out: Path) -> None:
    fig = Figure(figsize=(7.5, 3.2), layout="constrained")
    ax = fig.subplots()
    for name, run in (("minimax", minimax), ("non_saturating", non_saturating)):
        steps, norms = read_series(run / "metrics.csv")["train/g_grad_norm"]
        median = statistics.median(n for s, n in zip(steps, norms, strict=True) if s <= 500)
        ax.plot(steps, norms, linewidth=1, label=f"{name} (median {median:.3g})")
    ax.set_yscale("log")
    ax.set_xlabel("generator iteration")
    ax.set_ylabel("G's gradient norm (log scale)")
    ax.set_title("experiment=saturation, seed 0: the minimax G starves", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.savefig(out, dpi=90)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
