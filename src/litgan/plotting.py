"""Pictures of a run: image grids, 2D samples over D's decision surface, and the logged curves
drawn against the theory."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import Tensor
from torchvision.utils import save_image

from litgan.history import Series

OPTIMUM_VALUE = -math.log(4)  # V(D*, G*): at the global optimum D = ½ everywhere


def save_image_grid(images: Tensor, path: Path) -> None:
    """Save images in [-1, 1] as one PNG grid."""
    nrow = max(1, int(len(images) ** 0.5))
    save_image(images.float().cpu(), path, nrow=nrow, normalize=True, value_range=(-1, 1))


def save_decision_surface(
    real: Tensor,
    fake: Tensor,
    d_prob: Callable[[Tensor], Tensor],
    path: Path,
    title: str = "",
    modes: Tensor | None = None,
    resolution: int = 200,
) -> None:
    """Scatter real and generated 2D points over filled contours of D(x).

    Where G matches the data, D(x) is ½ everywhere: the surface turns flat and uniform.
    """
    real, fake = real.float().cpu(), fake.float().cpu()
    both = torch.cat([real, fake])
    lo, hi = both.min(0).values, both.max(0).values
    pad = 0.15 * (hi - lo).clamp(min=1.0)
    xs = torch.linspace(float(lo[0] - pad[0]), float(hi[0] + pad[0]), resolution)
    ys = torch.linspace(float(lo[1] - pad[1]), float(hi[1] + pad[1]), resolution)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    surface = d_prob(torch.stack([gx.flatten(), gy.flatten()], 1)).float().cpu()

    # Figure without pyplot: no GUI backend, no global state, safe in any process.
    fig = Figure(figsize=(5.5, 4.8))
    ax = fig.subplots()
    filled = ax.contourf(
        gx, gy, surface.view(resolution, resolution), levels=20, cmap="RdBu_r", vmin=0.0, vmax=1.0
    )
    ax.contour(
        gx, gy, surface.view(resolution, resolution), levels=[0.5], colors="k", linewidths=0.8
    )
    fig.colorbar(filled, ax=ax, label="D(x)")
    ax.scatter(real[:, 0], real[:, 1], s=3, c="black", alpha=0.5, label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=3, c="gold", alpha=0.7, label="G(z)")
    if modes is not None:
        ax.scatter(modes[:, 0], modes[:, 1], marker="x", s=25, c="green", label="modes")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=7, markerscale=2)
    ax.set_aspect("equal")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _curves(
    ax, series: Series, keys: dict[str, str], reference: float | None, ref_label: str
) -> None:
    for key, label in keys.items():
        if key in series:
            ax.plot(*series[key], label=label, linewidth=1)
    if reference is not None:
        ax.axhline(reference, color="k", linestyle="--", linewidth=0.8, label=ref_label)
    ax.set_xlabel("generator iteration")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)


def _panel(series: Series, keys: dict[str, str], title: str) -> tuple[Figure, Axes]:
    """One figure with one axis of curves and no reference line."""
    fig = Figure(figsize=(7, 3.5))
    ax = fig.subplots()
    _curves(ax, series, keys, None, "")
    ax.set_title(title)
    return fig, ax


def save_run_plots(series: Series, plots_dir: Path) -> list[Path]:
    """Write value.png, grad_norm.png and, when logged, fid.png and modes.png; return the paths."""
    plots_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(fig: Figure, name: str) -> None:
        fig.tight_layout()
        fig.savefig(plots_dir / name, dpi=100)
        written.append(plots_dir / name)

    if "train/value" in series:
        fig = Figure(figsize=(7, 6))
        top, bottom = fig.subplots(2, 1, sharex=True)
        value_keys = {
            "train/value": "V = E[log D(x)] + E[log(1 - D(G(z)))]",
            "train/value_real": "E[log D(x)]",
            "train/value_fake": "E[log(1 - D(G(z)))]",
        }
        _curves(top, series, value_keys, OPTIMUM_VALUE, "optimum V = -log 4")
        top.axhline(math.log(0.5), color="grey", linestyle=":", linewidth=0.8, label="log ½")
        top.legend(fontsize=7)
        top.set_title("the value function against its optimum")
        _curves(bottom, series, {"train/d_real": "D(x)", "train/d_fake": "D(G(z))"}, 0.5, "½")
        bottom.set_ylim(0, 1)
        save(fig, "value.png")

    if "train/g_grad_norm" in series:
        norms = {"train/g_grad_norm": "G gradient norm", "train/d_grad_norm": "D gradient norm"}
        fig, ax = _panel(series, norms, "gradient norms (the saturating loss starves G early on)")
        ax.set_yscale("log")
        save(fig, "grad_norm.png")

    if "val/fid" in series:
        title = "Fréchet distance to the real data (lower is better)"
        fig, _ = _panel(series, {"val/fid": "FID"}, title)
        save(fig, "fid.png")

    if "val/modes" in series:
        fig, ax = _panel(series, {"val/modes": "modes captured"}, "mode coverage")
        if "val/high_quality" in series:
            quality = ax.twinx()
            quality.plot(
                *series["val/high_quality"],
                color="tab:orange",
                linewidth=1,
                label="high-quality fraction",
            )
            quality.set_ylim(0, 1)
            quality.legend(fontsize=7, loc="lower right")
        save(fig, "modes.png")
    return written
