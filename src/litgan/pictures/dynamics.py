"""The Dirac-GAN's pictures: the game's field over (θ, ψ) with the run's path, the field's
eigenvalues in the complex plane (`plots/dynamics.png`), and the path drawn step by step
(`plots/training.gif`)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from litgan.dynamics.dirac import field_values
from litgan.gan import GAN
from litgan.pictures.animation import save_animation
from litgan.records.history import Series

FRAMES = 40  # of training.gif
GRID = 21  # field arrows per side


def _path(series: Series) -> np.ndarray:
    """The logged (θ, ψ), shape (steps, 2)."""
    _, thetas = series["dirac/theta"]
    _, psis = series["dirac/psi"]
    return np.column_stack([thetas, psis])


def _extent(path: np.ndarray, start: tuple[float, float]) -> float:
    finite = path[np.all(np.isfinite(path), axis=1)]
    return max(1.5, 1.1 * float(np.abs(np.vstack([finite, [start]])).max()))


def _arrows(gan: GAN, extent: float) -> tuple[np.ndarray, np.ndarray]:
    """The grid's points and the field's directions there (unit length: the field's size
    varies too much to read), each shape (GRID², 2); computed once for every frame."""
    ticks = np.linspace(-extent, extent, GRID)
    points = np.stack([g.ravel() for g in np.meshgrid(ticks, ticks)], axis=1)
    v = field_values(gan, points[:, 0], points[:, 1])
    return points, v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def _field_panel(
    ax: Axes,
    arrows: tuple[np.ndarray, np.ndarray],
    extent: float,
    path: np.ndarray,
    start: tuple[float, float],
    upto: int,
) -> None:
    """Arrows of the field, the path up to step `upto`, its start and the equilibrium."""
    points, directions = arrows
    ax.quiver(
        points[:, 0],
        points[:, 1],
        directions[:, 0],
        directions[:, 1],
        color="0.6",
        angles="xy",
        pivot="mid",
        scale=GRID * 1.4,
        width=0.004,
        label="field (direction)",
    )
    shown = np.vstack([[start], path[:upto]])
    ax.plot(shown[:, 0], shown[:, 1], color="C0", linewidth=1.0, label="training path")
    ax.plot(*start, "o", color="C2", label="start")
    ax.plot(0, 0, "*", color="C3", markersize=12, label="equilibrium (0, 0)")
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.set_xlabel("θ (G: every sample at θ)")
    ax.set_ylabel("ψ (D(x) = ψx)")


def _eigen_panel(ax: Axes, dynamics: dict[str, Any]) -> None:
    values = np.array(dynamics["eigenvalues"])
    reach = max(1.0, 1.2 * float(np.abs(values).max()))
    ax.axvline(0, color="k", linewidth=0.8)
    ax.axhline(0, color="k", linewidth=0.8)
    ax.axvspan(-reach, 0, color="C2", alpha=0.08, label="Re < 0: attracts")
    ax.plot(values[:, 0], values[:, 1], "x", color="C3", markersize=10, mew=2, label="eigenvalues")
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach)
    ax.set_aspect("equal")
    ax.set_xlabel("Re λ")
    ax.set_ylabel("Im λ")
    ax.set_title("field's Jacobian at (0, 0)", fontsize=9)


def _figure(
    field: tuple[tuple[np.ndarray, np.ndarray], float],
    path: np.ndarray,
    start: tuple[float, float],
    summary: dict[str, Any],
    upto: int,
    eigen: bool,
) -> Figure:
    dynamics = summary["dynamics"]
    radius = dynamics["update_radius"]
    fig = Figure(figsize=(10.5, 4.6) if eigen else (6.2, 4.6), layout="constrained")
    axes = fig.subplots(1, 2 if eigen else 1, squeeze=False)[0]
    _field_panel(axes[0], *field, path, start, upto)
    shown = "none (not plain SGD)" if radius is None else f"{radius:.4f}"
    axes[0].set_title(
        f"{summary['game']['name']}, {dynamics['update']} updates: iteration {upto}\n"
        f"update's spectral radius {shown}: {dynamics['updates']}",
        fontsize=9,
    )
    axes[0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    if eigen:
        _eigen_panel(axes[1], dynamics)
        axes[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return fig


def save_dirac_pictures(
    series: Series, gan: GAN, summary: dict[str, Any], run_dir: Path
) -> list[Path]:
    """`plots/dynamics.png` and `plots/training.gif` of a Dirac run; the paths written."""
    plots = run_dir / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    path = _path(series)
    model = gan.hparams.model
    start = (float(model["generator"]["theta"]), float(model["discriminator"]["psi"]))
    extent = _extent(path, start)
    field = (_arrows(gan, extent), extent)
    png = plots / "dynamics.png"
    _figure(field, path, start, summary, len(path), eigen=True).savefig(png, dpi=110)
    with tempfile.TemporaryDirectory(dir=plots) as tmp:
        ends = np.unique(np.linspace(1, len(path), FRAMES).astype(int))
        frames = []
        for i, image in enumerate(_frames(field, path, start, summary, ends)):
            frames.append(Path(tmp) / f"{i:03d}.png")
            image.save(frames[-1])
        gif = save_animation(frames, plots / "training.gif")
    return [png, gif]


def _frames(
    field: tuple[tuple[np.ndarray, np.ndarray], float],
    path: np.ndarray,
    start: tuple[float, float],
    summary: dict[str, Any],
    ends: np.ndarray,
) -> Iterator[Image.Image]:
    """The animation's frames, the path drawn up to each of `ends`.

    Only the path, the markers over it and the title change from frame to frame: the rest is
    drawn once and each frame draws those over a copy of it (a whole figure per frame took
    about 0.3 s, most of a short run's time).
    """
    fig = _figure(field, path, start, summary, len(path), eigen=False)
    canvas = FigureCanvasAgg(fig)
    fig.dpi = 80
    canvas.draw()  # the layout, for the whole path and the longest title
    fig.set_layout_engine("none")
    ax = fig.axes[0]
    # The path, then the start and the equilibrium over it, as _field_panel draws them.
    changing = [*ax.lines, ax.title]
    for artist in changing:
        artist.set_animated(True)
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    title = ax.get_title()
    for end in ends:
        shown = np.vstack([[start], path[:end]])
        ax.lines[0].set_data(shown[:, 0], shown[:, 1])
        ax.title.set_text(title.replace(f"iteration {len(path)}", f"iteration {end}", 1))
        canvas.restore_region(background)
        for artist in changing:
            fig.draw_artist(artist)
        yield Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB")
