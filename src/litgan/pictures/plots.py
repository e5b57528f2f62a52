"""Pictures of a run: image grids and the logged curves drawn against the theory of the run's
game (the 2D picture of D's surface is `litgan.pictures.surface`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from torch import Tensor
from torchvision.utils import save_image

from litgan.pictures.ticks import plain_log_ticks
from litgan.records.history import Series


def save_image_grid(images: Tensor, path: Path) -> None:
    """Save images in [-1, 1] as one PNG grid."""
    nrow = max(1, int(len(images) ** 0.5))
    save_image(images.float().cpu(), path, nrow=nrow, normalize=True, value_range=(-1, 1))


def sum_label(first: str, second: str) -> str:
    """`first + second` as one writes it: a second term with a minus sign is subtracted."""
    return f"{first} - {second[1:]}" if second.startswith("-") else f"{first} + {second}"


def smooth(values: list[float], window: int) -> list[float]:
    """Centred moving average over `window` points (fewer at the ends)."""
    if window <= 1 or len(values) < 3:
        return list(values)
    sums = np.concatenate([[0.0], np.cumsum(values)])
    half = window // 2
    idx = np.arange(len(values))
    lo, hi = np.maximum(idx - half, 0), np.minimum(idx + half + 1, len(values))
    return ((sums[hi] - sums[lo]) / (hi - lo)).tolist()


def _curves(ax: Axes, series: Series, keys: dict[str, str]) -> None:
    """Each series as a smoothed line over its faint raw values; legend beside the axes."""
    for key, label in keys.items():
        if key not in series:
            continue
        steps, values = series[key]
        raw = ax.plot(steps, values, linewidth=0.6, alpha=0.25)[0]
        window = max(1, len(values) // 25)
        ax.plot(steps, smooth(values, window), color=raw.get_color(), linewidth=1.2, label=label)
    ax.set_xlabel("generator iteration")
    ax.grid(alpha=0.3)


def _legend(ax: Axes) -> None:
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)


def _reference(ax: Axes, y: float, label: str, style: str = "--") -> None:
    ax.axhline(y, color="k", linestyle=style, linewidth=0.9, label=label)


def _panel(series: Series, keys: dict[str, str], title: str, ylabel: str) -> tuple[Figure, Axes]:
    """One figure with one axis of curves."""
    fig = Figure(figsize=(8, 3.5), layout="constrained")
    ax = fig.subplots()
    _curves(ax, series, keys)
    _legend(ax)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    return fig, ax


DIVERGENCES = {
    "val/jsd": "Jensen-Shannon",
    "val/tv": "total variation",
    "val/triangular": "triangular discrimination",
    "val/w1": "Wasserstein-1",
}


def value_figure(series: Series, game: dict[str, Any]) -> Figure:
    """The game's value and its two terms against their optimum, and against V at the best D
    where validation estimates it; D's outputs against D's optimum; the divergences between
    p_data and p_G when validated; the penalty when there is one. `game` is `Game.describe()`."""
    optimum = game["optimum"]
    divergences = [key for key in DIVERGENCES if key in series]
    extra = ["train/penalty" in series, bool(divergences)]
    panels = 2 + sum(extra)
    fig = Figure(figsize=(8, 3 * panels), layout="constrained")
    top, middle, *bottom = fig.subplots(panels, 1, sharex=True)
    value = f"{game['value']} = {sum_label(game['real'], game['fake'])}"
    _curves(
        top,
        series,
        {"train/value": value, "train/value_real": game["real"], "train/value_fake": game["fake"]},
    )
    _reference(top, optimum["value"], f"optimum {game['value']} = {optimum['value_label']}")
    if optimum["term"] is not None:
        _reference(top, optimum["term"], f"each term there: {optimum['term']:.3g}", ":")
    _best_d_gap(top, series)
    title = f"{game['name']}: the value of the game against its optimum"
    # Titles from the axes' left edge: centred, a title wider than the axes (hinge's, beside
    # its wide legend) ran off the figure's left edge.
    top.set_title(title + _bound_note(game) + _no_best_value(series, game), fontsize=10, loc="left")
    top.set_ylabel(game["value"])
    _legend(top)
    out = game["output"]
    _curves(
        middle,
        series,
        {"train/d_real": f"mean {out} on real", "train/d_fake": f"mean {out} on G(z)"},
    )
    if optimum["d_output"] is not None:
        _reference(middle, optimum["d_output"], f"optimum {optimum['d_output']:g}")
    if optimum.get("d_band"):
        low, high = optimum["d_band"]
        middle.axhspan(
            low, high, color="grey", alpha=0.15, label=f"optimum: in [{low:g}, {high:g}]"
        )
    if game["probability"]:
        middle.set_ylim(0, 1)
    middle.set_title(f"D's output ({optimum['note']})", loc="left")
    middle.set_ylabel(out)
    _legend(middle)
    if divergences:
        ax = bottom.pop(0)
        own = f"val/{game.get('divergence')}"
        for key in divergences:
            steps, values = series[key]
            mine = key == own
            label = DIVERGENCES[key] + (" (this game's)" if mine else "")
            ax.plot(steps, values, marker=".", linewidth=2 if mine else 0.9, label=label)
        ax.set_yscale("log")
        plain_log_ticks(ax.yaxis)
        ax.set_xlabel("generator iteration")
        ax.grid(alpha=0.3)
        ax.set_title("divergences between p_data and p_G (0 when G matches the data)", loc="left")
        ax.set_ylabel("divergence (log scale)")
        _legend(ax)
    if bottom:
        _curves(bottom[0], series, {"train/penalty": "penalty (weighted)"})
        bottom[0].set_title("D's regulariser", loc="left")
        bottom[0].set_ylabel("penalty")
        _legend(bottom[0])
    return fig


def _bound_note(game: dict[str, Any]) -> str:
    """Why a curve of V below the optimum is no better than optimal: V with any D is at most
    V at the best D, and only the latter is bounded below by the optimum. Not for wasserstein:
    without a Lipschitz constraint its best critic is unbounded."""
    if game["name"] == "wasserstein":
        return ""
    return (
        "\nV with the trained D is a lower bound of V at the best D; only V at the best D is "
        f"≥ {game['optimum']['value_label']}"
    )


def _no_best_value(series: Series, game: dict[str, Any]) -> str:
    """A second title line where validation measured V but no V at the best D: why not."""
    if "val/value" not in series or "val/value_best_d" in series:
        return ""
    if game["name"] == "wasserstein":
        return "\nno V at the best D: without a Lipschitz constraint it is unbounded (W1 below)"
    return "\nno V at the best D: D judges packs of samples, which this theory does not cover"


def _best_d_gap(ax: Axes, series: Series) -> None:
    """V on validation's points with the trained D and at the best D for that G, the gap
    between them shaded: how far D is from the best response the theory assumes."""
    if "val/value" not in series:
        return
    steps, trained = series["val/value"]
    ax.plot(
        steps,
        trained,
        "o-",
        color="tab:purple",
        markersize=3,
        linewidth=1,
        label="V with the trained D (validation):\na lower bound of V at the best D",
    )
    if "val/value_best_d" not in series:
        return
    best = dict(zip(*series["val/value_best_d"], strict=True))
    ax.plot(
        list(best),
        list(best.values()),
        "s--",
        color="tab:red",
        markersize=3,
        linewidth=1,
        label="V at the best D for this G",
    )
    shared = [
        (step, value, best[step])
        for step, value in zip(steps, trained, strict=True)
        if step in best
    ]
    if shared:
        at, low, high = zip(*shared, strict=True)
        ax.fill_between(
            at, low, high, color="tab:red", alpha=0.15, label="the gap: how far D is from its best"
        )


def save_run_plots(series: Series, plots_dir: Path, game: dict[str, Any]) -> list[Path]:
    """Write value.png, grad_norm.png and, when logged, fid.png and modes.png; return the paths.

    `game` is the run's `Game.describe()`.
    """
    plots_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(fig: Figure, name: str) -> None:
        fig.savefig(plots_dir / name, dpi=100)
        written.append(plots_dir / name)

    if "train/value" in series:
        save(value_figure(series, game), "value.png")

    if "train/g_grad_norm" in series:
        norms = {"train/g_grad_norm": "G gradient norm", "train/d_grad_norm": "D gradient norm"}
        title = f"{game['name']}: gradient norms of G's and D's losses"
        if game["name"] == "minimax":
            title += "\n(minimax saturates: G's gradient vanishes where D rejects G's points)"
        fig, ax = _panel(series, norms, title, "gradient norm (log scale)")
        ax.set_yscale("log")
        plain_log_ticks(ax.yaxis)
        save(fig, "grad_norm.png")

    if "val/fid" in series:
        title = "Fréchet distance to the real data (lower is better)"
        fig, _ = _panel(series, {"val/fid": "FID"}, title, "FID")
        save(fig, "fid.png")

    if "val/modes" in series:
        fig, ax = _panel(series, {"val/modes": "modes captured"}, "mode coverage", "modes captured")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # a count: whole modes
        if "val/high_quality" in series:
            ax.get_legend().remove()
            quality = ax.twinx()
            quality.plot(
                *series["val/high_quality"],
                color="tab:orange",
                linewidth=1,
                label="high-quality fraction",
            )
            quality.set_ylim(0, 1)
            quality.set_ylabel("high-quality fraction of G's samples")
            # One legend for both axes, beyond the right one's labels.
            fig.legend(fontsize=7, loc="outside right upper")
        save(fig, "modes.png")
    return written
