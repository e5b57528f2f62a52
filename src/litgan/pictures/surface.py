"""The 2D picture of the game: D's output as a surface under the real and generated points, the
arrows of G's push on its points, and the best D for this G beside the trained one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from torch import Tensor

from litgan.game.games import Game
from litgan.pictures.manifold import Manifold, draw_manifold
from litgan.pictures.push import ArrowScale
from litgan.pictures.ticks import plain_log_ticks

# What the best-D panel draws: D*'s output (game scale) on the grid xs × ys, of shape
# (len(ys), len(xs)), or a note that says why there is none (wasserstein).
BestD = Callable[[Tensor, Tensor], Tensor] | str
# Titles at a fixed height: placed automatically, each costs a measure of the tick labels.
TITLE = {"fontsize": 10, "loc": "left", "y": 1.0}
# The arrows' colours, cyan to magenta: apart from G's gold points and visible on D's dark
# blues, dark reds and white.
ARROW_COLOURS = "cool"


@dataclass(frozen=True)
class Panels:
    """Where a 2D picture's parts go: its size in inches, its axes, D's colour bar and the
    arrows' colour bar as (left, bottom, width, height) fractions of the figure."""

    size: tuple[float, float]
    axes: tuple[tuple[float, float, float, float], ...]
    colorbar: tuple[float, float, float, float]
    push_colorbar: tuple[float, float, float, float]


# Room below the axes for the legend and the arrows' colours, above for the titles.
PANELS = Panels(
    (6, 5.2),
    ((0.12, 0.25, 0.66, 0.64),),
    (0.78, 0.25, 0.025, 0.64),
    (0.12, 0.06, 0.4, 0.02),
)
PANELS_WITH_BEST_D = Panels(
    (11, 5.2),
    ((0.06, 0.25, 0.38, 0.64), (0.5, 0.25, 0.35, 0.64)),  # clear of the colour bar when wide
    (0.865, 0.25, 0.014, 0.64),
    (0.06, 0.06, 0.22, 0.02),
)


@dataclass(frozen=True)
class Frame:
    """The x and y ranges of a 2D picture. A run fixes them at its first picture, from its
    data's extent, so that its pictures can be compared frame by frame (G's points outside
    are drawn at the edge, marked)."""

    x0: float
    x1: float
    y0: float
    y1: float

    @classmethod
    def around(cls, points: Tensor, margin: float = 0.15) -> Frame:
        """The points' bounding box, widened by `margin` of its span (of at least 1) per side."""
        points = points.detach().float().cpu()
        lo, hi = points.min(0).values, points.max(0).values
        pad = margin * (hi - lo).clamp(min=1.0)
        (x0, y0), (x1, y1) = (lo - pad).tolist(), (hi + pad).tolist()
        return cls(x0, x1, y0, y1)

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Frame:
        return cls(**{k: float(state[k]) for k in ("x0", "x1", "y0", "y1")})

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    def inside(self, points: Tensor) -> Tensor:
        """Which of the (n, 2) `points` lie in the frame, shape (n,)."""
        x, y = points[:, 0], points[:, 1]
        return (x >= self.x0) & (x <= self.x1) & (y >= self.y0) & (y <= self.y1)

    def clamp(self, points: Tensor) -> Tensor:
        """The points moved to the frame's nearest edge where outside it."""
        lo = points.new_tensor([self.x0, self.y0])
        return torch.minimum(torch.maximum(points, lo), points.new_tensor([self.x1, self.y1]))


@dataclass(frozen=True)
class Arrows:
    """G's push (`litgan.pictures.push.generator_push`) at some of G's points, and where each
    arrow ends (`litgan.pictures.push.arrow_heads`)."""

    points: Tensor  # (n, 2): where the arrows start
    heads: Tensor  # (n, 2): where they end
    push: Tensor  # (n, 2): −∇ₓ of G's loss at `points`
    scale: ArrowScale


def save_decision_surface(
    real: Tensor,
    fake: Tensor,
    d_output: Callable[[Tensor], Tensor],
    game: Game,
    path: Path,
    title: str = "",
    modes: Tensor | None = None,
    resolution: int = 160,
    arrows: Arrows | None = None,
    best_d: BestD | None = None,
    manifold: Manifold | None = None,
    frame: Frame | None = None,
) -> Frame:
    """Scatter real and generated 2D points over filled contours of D's output on the game's
    scale, with the game's level line (`Game.level`: ½ for the probability games), G's push as
    arrows, with `manifold` G's image of its latent grid under the points, and, with `best_d`,
    a second panel of the best D on the same colours.

    Where G matches the data, D can no longer tell them apart: the surface turns flat.

    Args:
        frame: the axes' ranges (None: around all the points); points outside are drawn at its
            edge, marked, and their count is in the legend.

    Returns the ranges drawn, as the axes hold them; the PNG keeps them too, as its text
    `Frame` ("x0 x1 y0 y1").
    """
    real, fake = real.float().cpu(), fake.float().cpu()
    frame = frame or Frame.around(torch.cat([real, fake]))
    xs = torch.linspace(frame.x0, frame.x1, resolution)
    ys = torch.linspace(frame.y0, frame.y1, resolution)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    grid = torch.stack([gx.flatten(), gy.flatten()], 1)
    surface = d_output(grid).float().cpu().view(resolution, resolution)
    level = game.level(d_output(real).float().cpu(), d_output(fake).float().cpu())
    if game.output_range is not None:
        vmin, vmax = game.output_range
    else:
        # Unbounded outputs: a range symmetric about the level, so that white marks it.
        reach = float((surface - level).abs().max().clamp(min=1e-6))
        vmin, vmax = level - reach, level + reach
    levels = torch.linspace(vmin, vmax, 21).tolist()

    # Figure without pyplot: no GUI backend, no global state, safe in any process. Fixed
    # places, not a layout engine: constrained layout draws every picture twice, which was
    # half of a picture's cost, and a run draws one every sample_every iterations.
    panels = PANELS_WITH_BEST_D if best_d is not None else PANELS
    fig = Figure(figsize=panels.size)
    axes = [fig.add_axes(rect) for rect in panels.axes]
    trained = axes[0]
    # numpy arrays: matplotlib takes torch tensors too, through slower conversions.
    x, y, z = gx.numpy(), gy.numpy(), surface.numpy()
    # Under G's latent grid the surface is paler, so that the grid's shades read over it.
    faded = {"alpha": 0.35} if manifold is not None else {}
    filled = trained.contourf(x, y, z, levels=levels, cmap="RdBu_r", extend="both", **faded)
    trained.contour(x, y, z, levels=[level], colors="k", linewidths=0.8)
    if manifold is not None:
        draw_manifold(trained, manifold)
    _points(trained, real, fake, modes, frame)
    if arrows is not None:
        _arrows(trained, arrows, fig.add_axes(panels.push_colorbar), frame)
    trained.set_title("D", **TITLE)
    if best_d is not None:
        # Half the resolution: the estimate is smooth.
        _best_d_panel(axes[1], best_d, xs[::2], ys[::2], levels, level, real, fake, modes, frame)
    fig.suptitle(title, fontsize=11)
    fig.colorbar(
        filled,
        cax=fig.add_axes(panels.colorbar),
        ticks=levels[::4],  # every fourth band's edge: fewer labels to lay out and draw
        label=f"{game.output_label} ({game.name}); black line: {level:.3g}",
    ).minorticks_off()
    # One row where the second panel leaves room below: a second row would run into the arrows'
    # colour bar (the latent grid and the points outside the frame add entries).
    entries = len(trained.get_legend_handles_labels()[0])
    columns = entries if best_d is not None else 4
    # Placed on the figure, not the axes: a frame wider than tall shrinks the axes, and a
    # legend hung below them would cover their x label.
    left, bottom, _, height = panels.axes[0]
    trained.legend(
        loc="upper left",
        bbox_to_anchor=(left, bottom - 0.12 * height),
        bbox_transform=fig.transFigure,
        ncol=columns,
        fontsize=7,
        markerscale=2,
    )
    drawn = Frame(*map(float, (*trained.get_xlim(), *trained.get_ylim())))
    # zlib level 1, not 6: less time per picture for somewhat larger files.
    fig.savefig(
        path,
        dpi=100,
        pil_kwargs={"compress_level": 1},
        metadata={"Frame": " ".join(repr(v) for v in drawn.to_dict().values())},
    )
    return drawn


def _points(ax: Axes, real: Tensor, fake: Tensor, modes: Tensor | None, frame: Frame) -> None:
    """The points in `frame`; G's points outside it at its edge, as open diamonds."""
    out = ~frame.inside(fake)
    real, edge, fake = real.numpy(), frame.clamp(fake[out]).numpy(), fake[~out].numpy()
    ax.scatter(real[:, 0], real[:, 1], s=3, c="black", alpha=0.5, label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=3, c="gold", alpha=0.7, label="G(z)")
    if len(edge):
        ax.scatter(
            *edge.T,
            s=14,
            marker="D",
            facecolors="none",
            edgecolors="darkgoldenrod",
            linewidths=0.8,
            clip_on=False,
            label=f"G(z) outside: {len(edge)}, at the edge",
        )
    if modes is not None:
        ax.scatter(*modes.cpu().numpy().T, marker="x", s=25, c="green", label="modes")
    ax.set_xlim(frame.x0, frame.x1)
    ax.set_ylim(frame.y0, frame.y1)
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.set_aspect("equal")


def _arrows(ax: Axes, arrows: Arrows, colorbar: Axes, frame: Frame) -> None:
    """The arrows from G's points in `frame` to their heads, coloured by |push| on the run's log
    scale (clipped at its ends), with that scale as a colour bar in `colorbar`. Arrows shorter
    than the shaft's width are drawn as dots: pushes that do not lower the loss by a visible
    step."""
    shown = frame.inside(arrows.points.float().cpu())
    points, heads = arrows.points.float().cpu()[shown], arrows.heads.float().cpu()[shown]
    strength = arrows.push.float().cpu()[shown].norm(dim=1)
    norm = LogNorm(arrows.scale.low, arrows.scale.high, clip=True)
    quiver = ax.quiver(
        *points.numpy().T,
        *(heads - points).numpy().T,
        strength.clamp(min=arrows.scale.low).numpy(),
        cmap=ARROW_COLOURS,
        norm=norm,
        angles="xy",
        scale_units="xy",
        scale=1,
        width=0.005,
        headwidth=3,
        headlength=4,
        headaxislength=3.5,
        edgecolor="black",
        linewidth=0.4,
        label="G's push: as far as G's loss falls",
    )
    bar = ax.figure.colorbar(quiver, cax=colorbar, orientation="horizontal", extend="both")
    bar.set_label("arrow colour: |−∇ₓ G's loss| (log scale, fixed for the run)", fontsize=7)
    bar.ax.xaxis.set_label_position("top")
    bar.ax.tick_params(labelsize=7)
    plain_log_ticks(bar.ax.xaxis)


def _best_d_panel(
    ax: Axes,
    best_d: BestD,
    xs: Tensor,
    ys: Tensor,
    levels: list[float],
    level: float,
    real: Tensor,
    fake: Tensor,
    modes: Tensor | None,
    frame: Frame,
) -> None:
    """The best D for this G on the trained D's colours, or the note why there is none."""
    if isinstance(best_d, str):
        ax.text(0.5, 0.5, best_d, ha="center", va="center", wrap=True, transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_box_aspect(1)  # square like the trained D's, clear of the colour bar
        ax.set_title("best D for this G", **TITLE)
        return
    surface = np.ma.masked_invalid(best_d(xs, ys).float().cpu().numpy())
    x, y = (axis.numpy() for axis in torch.meshgrid(xs, ys, indexing="xy"))
    ax.set_facecolor("0.85")  # where the best D is undefined: neither data nor G there
    ax.contourf(x, y, surface, levels=levels, cmap="RdBu_r", extend="both")
    if surface.count() and surface.min() < level < surface.max():
        ax.contour(x, y, surface, levels=[level], colors="k", linewidths=0.8)
    _points(ax, real, fake, modes, frame)
    ax.set_title("best D for this G (grey: no data, no G there)", **TITLE)
