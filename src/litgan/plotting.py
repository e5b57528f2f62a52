"""Pictures of a run: image grids, and 2D samples drawn over D's decision surface."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from matplotlib.figure import Figure
from torch import Tensor
from torchvision.utils import save_image


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
