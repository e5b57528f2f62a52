"""`litgan-dynamics CKPT`: the top eigenvalues of the game's Jacobian at a checkpoint.

    litgan-dynamics CKPT [--top K] [--json] [--samples N] [--out PNG]

The field is (−∇_θ L_G, −∇_ψ L_D) through the run's own game and penalty (`litgan.dynamics`), on
N real samples of the run's data (rebuilt from its `.hydra/config.yaml`) and N of its fixed
noise vectors, in float64, the networks in training mode. The K eigenvalues of largest magnitude
come from ARPACK with Jacobian products only (Berard et al. 2020); a game of a few parameters
(the Dirac-GAN) gets its whole Jacobian. The largest |Im λ| / |Re λ| says how much play rotates
rather than being attracted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from litgan.errors import LitganError, first_line

if TYPE_CHECKING:
    import torch

# torch, Lightning and matplotlib are imported where they are used: `--help` and a bad option
# answer in a fraction of a second instead of after seconds of imports.

DENSE_UP_TO = 64  # parameters: below this the whole Jacobian, above it ARPACK


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="litgan-dynamics",
        description="Top eigenvalues of the game's Jacobian at a checkpoint of a 2D or Dirac run.",
    )
    parser.add_argument("ckpt", help="a .ckpt file, a run directory, or last / best")
    parser.add_argument("--top", type=int, default=20, help="eigenvalues of largest |λ| (20)")
    parser.add_argument("--samples", type=int, default=1024, help="real and noise samples (1024)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--out", type=Path, help="the complex-plane picture (default: <run>/plots/jacobian.png)"
    )
    return parser.parse_args(argv)


def run_data(ckpt: Path, data_shape: Sequence[int], n: int) -> torch.Tensor:
    """`n` real samples of the run's data, from its `.hydra/config.yaml`."""
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    config = ckpt.resolve().parent.parent / ".hydra" / "config.yaml"
    if not config.is_file():
        raise LitganError(f"no run config at {config}: give a checkpoint inside its run directory")
    try:
        datamodule = instantiate(OmegaConf.load(config).data)
        datamodule.setup("fit")
    except Exception as err:  # any config can be there
        raise LitganError(f"{config} does not rebuild its data ({first_line(err)})") from err
    if tuple(datamodule.shape) != tuple(data_shape) or len(data_shape) != 1:
        raise LitganError(
            f"litgan-dynamics takes runs on points (2D mixtures, the Dirac-GAN); this run's "
            f"samples have shape {tuple(datamodule.shape)}"
        )
    return datamodule.real_batch(min(n, len(datamodule.samples)))


def jacobian_eigenvalues(ckpt: Path, top: int, samples: int) -> dict:
    """The checkpoint's top eigenvalues and what they say, as plain data."""
    import numpy as np

    from litgan.dynamics.jacobian import game_field, rotation
    from litgan.run.checkpoints import load_gan

    gan = load_gan(ckpt).double().train()
    real = run_data(ckpt, gan.hparams.data_shape, samples).double()
    z = gan.fixed_noise(len(real)).double()
    start = time.perf_counter()
    field = game_field(gan, real, z)
    n = len(field.value)
    if top < 1 or top > n:
        raise LitganError(f"--top must be between 1 and the game's {n} parameters, got {top}")
    if n <= DENSE_UP_TO or top >= n - 1:
        values = np.linalg.eigvals(field.jacobian())
        values = values[np.argsort(-np.abs(values), kind="stable")][:top]
        method = "dense"
    else:
        values = field.top_eigenvalues(top)
        method = "arpack"
    return {
        "checkpoint": str(ckpt),
        "g_step": gan.g_steps,
        "parameters": n,
        "method": method,
        "eigenvalues": [[float(v.real), float(v.imag)] for v in values],
        "max_im_over_re": rotation(values),
        "seconds": round(time.perf_counter() - start, 3),
    }


def save_picture(result: dict, path: Path) -> None:
    """The eigenvalues in the complex plane."""
    import numpy as np
    from matplotlib.figure import Figure

    values = np.array(result["eigenvalues"])
    fig = Figure(figsize=(5.4, 4.4), layout="constrained")
    ax = fig.subplots()
    ax.axvline(0, color="k", linewidth=0.8)
    ax.axhline(0, color="k", linewidth=0.8)
    ax.plot(values[:, 0], values[:, 1], "x", color="C3", mew=1.5, label="eigenvalues")
    ax.set_xlabel("Re λ (< 0: attracts)")
    ax.set_ylabel("Im λ (rotation)")
    ax.set_title(
        f"top {len(values)} of the game's Jacobian, generator iteration {result['g_step']}\n"
        f"largest |Im|/|Re| = {result['max_im_over_re']:.3g}",
        fontsize=9,
    )
    ax.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def fail(message: str) -> NoReturn:
    print(f"litgan-dynamics: error: {message}", file=sys.stderr)
    sys.exit(2)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry: a LitganError is one line on stderr and exit status 2."""
    args = parse_args(argv)
    from litgan.run.checkpoints import resolve_checkpoint

    try:
        ckpt = resolve_checkpoint(args.ckpt)
        result = jacobian_eigenvalues(ckpt, args.top, args.samples)
        out = args.out or ckpt.resolve().parent.parent / "plots" / "jacobian.png"
        save_picture(result, out)
    except LitganError as err:
        fail(str(err))
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"litgan-dynamics: {result['parameters']} parameters, generator iteration "
        f"{result['g_step']}, {result['method']} in {result['seconds']} s"
    )
    for re, im in result["eigenvalues"]:
        print(f"  {re:+.6g} {im:+.6g}i")
    print(f"  largest |Im|/|Re| = {result['max_im_over_re']:.4g} (rotation against attraction)")
    print(f"  wrote {out}")


if __name__ == "__main__":
    main()
