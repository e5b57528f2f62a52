"""G's latent manifold, GAN Lab style: a grid of a 2-D latent space mapped through G.

Lines of constant z₁ and of constant z₂ become curves in data space, and each cell of the grid
a quadrilateral whose shade is G's density there: the cell's latent probability mass over its
area in data space (dark: G packs much of its mass into little room). Where G folds the grid
onto the data's modes, the cells there are dark and the cells between them stretched thin.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import LogNorm
from torch import Tensor

REACH = 2.5  # the grid spans [-REACH, REACH]² of z ~ N(0, I): 98.8% of the latent mass
LINES = 21  # lines of each family: 20 × 20 cells
SEGMENTS = 60  # straight pieces a line is drawn with
EDGE = 1e-12  # the smallest area counted, so that a cell folded flat reads as the densest


@dataclass(frozen=True)
class Manifold:
    """G's image of the latent grid: its lines and cells in data space."""

    lines: np.ndarray  # (2 * LINES, SEGMENTS + 1, 2): constant z₁, then constant z₂
    cells: np.ndarray  # ((LINES - 1)², 4, 2): each cell's corners, in order around it
    density: np.ndarray  # ((LINES - 1)²,): latent mass / area in data space


def why_no_manifold(nz: int, data_shape: tuple[int, ...]) -> str | None:
    """Why G's latent grid cannot be drawn (None: it can)."""
    if nz != 2:
        return f"G's latent grid is drawn for a 2-D latent space, and model.generator.nz={nz}"
    if tuple(data_shape) != (2,):
        return f"G's latent grid is drawn in 2D data space, and G's samples have shape {data_shape}"
    return None


def latent_manifold(generate: Callable[[Tensor], Tensor], device: torch.device) -> Manifold:
    """G's image of the grid [-REACH, REACH]² of its 2-D latent space, through `generate`."""
    ticks = torch.linspace(-REACH, REACH, LINES, dtype=torch.float64)
    fine = torch.linspace(-REACH, REACH, SEGMENTS + 1, dtype=torch.float64)
    along = torch.cartesian_prod(ticks, fine)  # (LINES·(SEGMENTS+1), 2): z₁ fixed, z₂ runs
    z = torch.cat([along, along.flip(1), torch.cartesian_prod(ticks, ticks)])
    with torch.no_grad():
        x = generate(z.float().to(device)).double().cpu().numpy()
    n_line = len(along)
    lines = np.concatenate([x[:n_line], x[n_line : 2 * n_line]]).reshape(2 * LINES, -1, 2)
    corners = x[2 * n_line :].reshape(LINES, LINES, 2)  # [i, j]: z = (ticks[i], ticks[j])
    cells = np.stack(
        [corners[:-1, :-1], corners[1:, :-1], corners[1:, 1:], corners[:-1, 1:]], axis=2
    ).reshape(-1, 4, 2)
    cdf = 0.5 * (1 + torch.erf(ticks / math.sqrt(2)))
    mass_1d = (cdf[1:] - cdf[:-1]).numpy()
    mass = np.outer(mass_1d, mass_1d).reshape(-1)
    return Manifold(lines, cells, mass / np.maximum(shoelace(cells), EDGE))


def shoelace(cells: np.ndarray) -> np.ndarray:
    """The areas of quadrilaterals (n, 4, 2) whose corners go around them (absolute: a cell
    G turns over has the same area)."""
    x, y = cells[..., 0], cells[..., 1]
    return 0.5 * np.abs((x * np.roll(y, -1, 1) - np.roll(x, -1, 1) * y).sum(1))


def draw_manifold(ax: Axes, manifold: Manifold) -> None:
    """The cells, shaded by G's density, and the grid's lines, beneath whatever comes next."""
    density = manifold.density
    low, high = np.quantile(density, 0.02), np.quantile(density, 0.98)
    cells = PolyCollection(
        list(manifold.cells),
        array=np.clip(density, low, high),
        cmap="Purples",
        norm=LogNorm(low, max(high, low * 1.01)),
        edgecolors="none",
        alpha=0.75,
    )
    ax.add_collection(cells)
    ax.add_collection(
        LineCollection(
            list(manifold.lines),
            colors="indigo",
            linewidths=0.5,
            alpha=0.7,
            label="G's latent grid (dark cells: G dense)",
        )
    )
