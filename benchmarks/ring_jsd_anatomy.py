"""docs/results.md, "Minimax against non-saturating": where each ring run's val/jsd comes from.

From each run's metrics.csv: val/jsd, val/high_quality and val/modes over training, G's
gradient norm and D's mean output on G's points. From its last checkpoint, G's 2,500 points
on the fixed validation noise (the points the last validation scored), split into

- the off-mode mass: points farther than 3 std from every mode (1 - val/high_quality);
- the spread on the modes: the root mean square distance of the other points to their mode,
  over the data's own (std·√2 for an isotropic 2D Gaussian), its parts along the circle and
  across it (in std: the data's are 1 and 1), and the share within 1 std (the data's:
  1 - e^(-1/2) = 39.3%);
- D's mean output and the median of G's push (|∇ₓ| of each point's own term of G's loss)
  on the points on and off the modes;
- three JSDs by litgan's own estimator (litgan.metrics.divergences): of G's points as they
  are; of the same points with the off-mode ones dropped (the on-mode shape and the modes'
  shares); and of a sample with G's shares of the modes but the data's shape (the shares
  alone).

Usage: python benchmarks/ring_jsd_anatomy.py LABEL=RUN_DIR [LABEL=RUN_DIR ...]
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd
import torch
from omegaconf import OmegaConf

from litgan.data.toy import mixture_modes
from litgan.experiment import load
from litgan.metrics.divergences import estimate_divergences

NUM_POINTS = 2500  # metrics.points.num_samples: what each validation scores


def training_columns(run: Path) -> dict[str, float]:
    rows = pd.read_csv(run / "metrics.csv")
    val = rows.dropna(subset=["val/jsd"]).set_index("step")
    train = rows.dropna(subset=["train/g_grad_norm"]).set_index("step")
    out = {}
    for step in (1000, 5000, 10000):
        out[f"jsd@{step}"] = val.loc[step, "val/jsd"]
        out[f"hq@{step}"] = val.loc[step, "val/high_quality"]
    out["best jsd"] = val["val/jsd"].min()
    out["best jsd at"] = int(val["val/jsd"].idxmin())
    for low, high in ((1, 200), (500, 5000), (5000, 10000)):
        part = train.loc[low:high]
        out[f"g grad {low}-{high}"] = part["train/g_grad_norm"].mean()
        out[f"D(G(z)) {low}-{high}"] = part["train/d_fake"].mean()
    return out


def point_columns(run: Path) -> dict[str, float]:
    gan = load(run / "checkpoints" / "last.ckpt")
    data = OmegaConf.load(run / ".hydra" / "config.yaml").data
    std = float(data.std)
    modes = mixture_modes(data.layout, data.num_modes, data.scale).double()
    with torch.no_grad():
        points = gan.generate(gan.fixed_noise(NUM_POINTS)).double()
    distance, nearest = torch.cdist(points, modes).min(dim=1)
    on = distance <= 3 * std
    weights = torch.ones(len(modes), dtype=torch.float64)
    shares = torch.bincount(nearest[on], minlength=len(modes)).double()
    gen = torch.Generator().manual_seed(0)
    which = torch.multinomial(shares / shares.sum(), NUM_POINTS, True, generator=gen)
    shaped = modes[which] + std * torch.randn(NUM_POINTS, 2, generator=gen, dtype=torch.float64)
    # Along the circle (tangential) and across it (radial), in the data's std: 1 and 1.
    offset = points[on] - modes[nearest[on]]
    radial = modes[nearest[on]] / modes[nearest[on]].norm(dim=1, keepdim=True)
    across = (offset * radial).sum(dim=1)
    along = offset[:, 0] * -radial[:, 1] + offset[:, 1] * radial[:, 0]
    # D's output and G's push (|∇ₓ of each point's own term of G's loss|) on and off the modes.
    x = points.float().requires_grad_(True)
    logits = gan.discriminator(x)
    (push,) = torch.autograd.grad(gan.game.generator_loss(logits) * len(x), x)
    push = push.norm(dim=1).double()
    d_out = gan.d_output(points.float()).double()
    return {
        "D on-mode": float(d_out[on].mean()),
        "D off-mode": float(d_out[~on].mean()),
        "push on-mode": float(push[on].median()),
        "push off-mode": float(push[~on].median()),
        "off-mode": float(1 - on.double().mean()),
        "along/std": float(along.square().mean().sqrt() / std),
        "across/std": float(across.square().mean().sqrt() / std),
        "rms/data": float(distance[on].square().mean().sqrt() / (std * math.sqrt(2))),
        "within 1 std": float((distance[on] <= std).double().mean()),
        "jsd (all)": estimate_divergences(modes, std, weights, points)["jsd"],
        "jsd (on-mode)": estimate_divergences(modes, std, weights, points[on])["jsd"],
        "jsd (shares)": estimate_divergences(modes, std, weights, shaped)["jsd"],
    }


def main(args: list[str]) -> None:
    rows = []
    for arg in args:
        label, _, run = arg.partition("=")
        run = Path(run)
        rows.append({"run": label, **training_columns(run), **point_columns(run)})
    table = pd.DataFrame(rows).set_index("run")
    with pd.option_context("display.width", 250, "display.max_columns", 40):
        print(table.T.to_string(float_format=lambda v: f"{v:.4g}"))


if __name__ == "__main__":
    main(sys.argv[1:])
