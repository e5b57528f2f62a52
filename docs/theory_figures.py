"""docs/results.md's theory figures and table: V with the trained D against V with the best D
for G, over training, one figure per game, from a sweep such as

    python train.py -m loss=minimax,non_saturating,hinge,least_squares,wasserstein seed=0,1,2 \
        trainer.enable_progress_bar=false hydra.sweep.dir=outputs/theory_ring
    python docs/theory_figures.py outputs/theory_ring docs/img

(several sweep directories, then the output folder) writes <out>/theory_ring_<loss>.png and
prints the table's rows (last validation, mean ± std over seeds).
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from litgan.records.history import Series, read_overrides, read_series, read_summary

NAMES = {"jsd": "JSD", "tv": "TV", "triangular": "triangular Δ", "w1": "W1"}


def figure(runs: list[Series], game: dict, title: str) -> Figure:
    """V with the trained D and at the best D for G against the optimum (top), the game's own
    divergence and JSD (bottom), one thin line per seed."""
    fig = Figure(figsize=(8.5, 5.5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    own = game["divergence"]
    for i, series in enumerate(runs):
        first = i == 0
        steps, values = series["val/value"]
        top.plot(
            steps,
            values,
            "-o",
            ms=2,
            lw=1,
            color="tab:blue",
            label="V with the trained D" if first else None,
        )
        if "val/value_best_d" in series:
            steps, values = series["val/value_best_d"]
            top.plot(
                steps,
                values,
                "-s",
                ms=2,
                lw=1,
                color="tab:red",
                label=f"V at the best D for this G (from {NAMES[own]})" if first else None,
            )
        for key in [own] if own == "jsd" else [own, "jsd"]:
            steps, values = series[f"val/{key}"]
            label = NAMES[key] + (" (this game's)" if key == own else "")
            colour = "tab:green" if key == own else "tab:grey"
            bottom.plot(steps, values, lw=1, color=colour, label=label if first else None)
        if game["probability"] and own == "jsd":
            # What the trained D says of JSD: V = -log 4 + 2 JSD at the best D (Arjovsky et al.
            # 2017, Fig. 4 plot this estimate).
            steps, values = series["val/value"]
            label = "JSD read from the trained D, (V + log 4) / 2 ≤ JSD" if first else None
            read = [(v + math.log(4)) / 2 for v in values]
            bottom.plot(steps, read, lw=1, ls=":", color="tab:blue", label=label)
    optimum = game["optimum"]
    seeds = f"{len(runs)} seed{'s' if len(runs) > 1 else ''}"
    # Titles from the axes' left edge, as the run's own value.png: centred, a title wider
    # than the axes (beside their legend) runs off the figure.
    if game["name"] != "wasserstein":
        top.axhline(
            optimum["value"], color="k", ls="--", lw=0.9, label=f"optimum {optimum['value_label']}"
        )
        # V with the trained D dips below the optimum on some validations: not better than
        # optimal, since only V at the best D is bounded below by it.
        top.set_title(
            f"{title}: {game['value']} on each validation's points, {seeds}\n"
            "V with the trained D is a lower bound of V at the best D; only V at the best D is "
            f"≥ {optimum['value_label']}",
            fontsize=9,
            loc="left",
        )
    else:
        top.set_title(
            f"{title}: the critic's {game['value']}, {seeds}; no best-D line: without\n"
            "a Lipschitz constraint the best critic's value is unbounded",
            fontsize=9,
            loc="left",
        )
    top.set_ylabel(game["value"])
    bottom.set_ylabel("divergence")
    bottom.set_xlabel("generator iteration")
    smoothed = "p_data against p_G, both smoothed by one data std"
    if game["probability"] and own == "jsd":
        bottom.axhline(0, color="k", lw=0.6)
        smoothed += "\nthe JSD read from the trained D is at most the JSD, and can fall below 0"
    bottom.set_title(smoothed, fontsize=9, loc="left")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return fig


def mean_std(values: list[float], fmt: str) -> str:
    return f"{format(np.mean(values), fmt)} ± {format(np.std(values), fmt.lstrip('+'))}"


def _job_number(path: Path) -> tuple[int, str]:
    return (int(path.name), "") if path.name.isdigit() else (-1, path.name)


def main(sweeps: list[Path], out: Path) -> None:
    groups: dict[str, list[Path]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    # Job folders in job-number order (2 before 10): the table's rows in the sweep's order.
    jobs = (p for sweep in sweeps for p in sorted(sweep.iterdir(), key=_job_number))
    for job in (p for p in jobs if (p / "summary.json").is_file()):
        if read_summary(job).get("interrupted"):  # stopped before its last iteration
            continue
        overrides = dict(o.split("=", 1) for o in read_overrides(job))
        key = (overrides["loss"], overrides.get("seed", "0"))
        if key not in seen:  # a (game, seed) run again in a later sweep counts once
            seen.add(key)
            groups[key[0]].append(job)
    out.mkdir(parents=True, exist_ok=True)
    print(
        "| game | seeds | V, trained D | V, best D | gap | own divergence | JSD | "
        "JSD from the trained D | high quality | validations with V > V at best D |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for loss, jobs in groups.items():
        runs = [read_series(job / "metrics.csv") for job in jobs]
        finals = [read_summary(job)["final"] for job in jobs]
        game = read_summary(jobs[0])["game"]
        fig = figure(runs, game, loss)
        fig.savefig(out / f"theory_ring_{loss}.png", dpi=100)
        above = sum(
            sum(
                v > b + 1e-9
                for v, b in zip(s["val/value"][1], s["val/value_best_d"][1], strict=True)
            )
            for s in runs
            if "val/value_best_d" in s
        )
        total = sum(len(s["val/value"][1]) for s in runs)
        own = game["divergence"]
        best = [f["val/value_best_d"] for f in finals if "val/value_best_d" in f]
        gap = [f["val/value_best_d"] - f["val/value"] for f in finals if "val/value_best_d" in f]
        from_d = [(f["val/value"] + math.log(4)) / 2 for f in finals]
        print(
            f"| {loss} | {len(jobs)} | {mean_std([f['val/value'] for f in finals], '+.3f')} | "
            f"{mean_std(best, '+.3f') if best else 'unbounded'} | "
            f"{mean_std(gap, '.3f') if gap else '–'} | "
            f"{NAMES[own]} {mean_std([f[f'val/{own}'] for f in finals], '.3f')} | "
            f"{mean_std([f['val/jsd'] for f in finals], '.3f')} | "
            f"{mean_std(from_d, '+.3f') if game['probability'] else '–'} | "
            f"{mean_std([f['val/high_quality'] for f in finals], '.3f')} | "
            f"{above if best else '–'} of {total} |"
        )


if __name__ == "__main__":
    main([Path(a) for a in sys.argv[1:-1]], Path(sys.argv[-1]))
