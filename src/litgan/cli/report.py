"""`litgan-report SWEEP_DIR`: one table and one figure comparing the jobs of a Hydra multirun."""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litgan.records.history import read_overrides, read_series, read_summary, read_tags

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Columns of the table: (header, where in summary.json, format).
COLUMNS: list[tuple[str, tuple[str, ...], str]] = [
    ("best", ("best", "value"), "{:.3f}"),
    ("final val/fid", ("final", "val/fid"), "{:.3f}"),
    ("val/modes", ("final", "val/modes"), "{:.0f}"),
    ("val/high_quality", ("final", "val/high_quality"), "{:.3f}"),
    ("val/reverse_kl", ("final", "val/reverse_kl"), "{:.3f}"),
    # Each game's own value (litgan.game.games): V's real and fake terms, and V at its optimum.
    ("game", ("game", "name"), "{}"),
    ("V", ("final", "train/value"), "{:+.4f}"),
    ("V at optimum", ("game", "optimum", "value"), "{:+.4f}"),
    ("real term", ("final", "train/value_real"), "{:+.4f}"),
    ("fake term", ("final", "train/value_fake"), "{:+.4f}"),
    ("penalty", ("final", "train/penalty"), "{:.4g}"),
    ("G steps", ("g_steps",), "{}"),
    ("wall time (s)", ("wall_time_s",), "{:.1f}"),
]
# The report's curves, each with its y axis's label.
CURVES = {
    "train/value": "V (each job's game)",
    "train/g_grad_norm": "G's gradient norm (log scale)",
    "val/fid": "FID",
    "val/modes": "modes captured",
}
# Columns of the over-seeds table: (header, where in summary.json, format of one value).
GROUP_COLUMNS: list[tuple[str, tuple[str, ...], str]] = [
    ("final val/fid", ("final", "val/fid"), "{:.3f}"),
    ("val/modes", ("final", "val/modes"), "{:.1f}"),
    ("val/high_quality", ("final", "val/high_quality"), "{:.3f}"),
    ("val/reverse_kl", ("final", "val/reverse_kl"), "{:.3f}"),
    ("V", ("final", "train/value"), "{:+.3f}"),
    ("V at optimum", ("game", "optimum", "value"), "{:+.3f}"),
    ("wall time (s)", ("wall_time_s",), "{:.0f}"),
]
# The saturating loss shows itself at the start, while D still rejects every fake easily.
EARLY_STEPS = 200


def find_jobs(sweep_dir: Path) -> list[Path]:
    """Job directories of a sweep: those Hydra wrote a .hydra/ into, in job-number order."""
    jobs = [p.parent.parent for p in sweep_dir.glob("**/.hydra/overrides.yaml")]
    return sorted(
        jobs, key=lambda p: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(p))]
    )


def _lookup(summary: dict[str, Any] | None, path: tuple[str, ...]) -> Any:
    value: Any = summary
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


class _Refused(Exception):
    """A sweep directory the report cannot read: one line, exit status 2."""


def job_summary(job: Path) -> dict[str, Any] | None:
    """The job's summary.json (None while it has none); a damaged one is refused."""
    try:
        return read_summary(job)
    except (ValueError, UnicodeDecodeError) as err:
        raise _Refused(
            f"{job / 'summary.json'} is damaged ({type(err).__name__}): restore it, or move that "
            "job out of the sweep directory"
        ) from err


def finished_summary(job: Path) -> dict[str, Any] | None:
    """The job's summary.json if it trained to its end: an interrupted run's summary describes
    where it stopped, and does not count among the seeds until it is resumed and finishes."""
    summary = job_summary(job)
    return None if summary is None or summary.get("interrupted") else summary


def job_rows(jobs: list[Path]) -> list[dict[str, str]]:
    """One row per job: its overrides, its status and the summary's numbers."""
    rows = []
    for job in jobs:
        summary = job_summary(job)
        row = {
            "job": job.name,
            "overrides": " ".join(read_overrides(job)) or "(defaults)",
            "status": _status(job, summary),
        }
        for header, path, fmt in COLUMNS:
            value = _lookup(summary, path)
            row[header] = "" if value is None else fmt.format(value)
        if row["best"]:
            row["best"] = f"{_lookup(summary, ('best', 'metric'))} {row['best']}"
        rows.append(row)
    return rows


def _status(job: Path, summary: dict[str, Any] | None) -> str:
    """`ok`; `interrupted` (resumable); `failed` with the first line of the job's error.txt;
    or, with neither file, a job still running or killed without a chance to write either."""
    if summary is not None:
        if summary.get("interrupted"):
            step = summary.get("g_steps")
            return f"interrupted at generator step {step}: resume it with ckpt_path=last"
        return "ok"
    error = job / "error.txt"
    lines = error.read_text().splitlines() if error.is_file() else []
    if lines:
        return f"failed: {lines[0]}"
    return "failed" if error.is_file() else "no summary.json: still running, or killed"


def markdown_table(rows: list[dict[str, str]]) -> str:
    """The rows as a Markdown table, leaving out columns that are empty in every row."""
    headers = [h for h in rows[0] if any(r[h] for r in rows)] if rows else []
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(r[h] for h in headers) + " |" for r in rows]
    return "\n".join(lines)


def spread(values: list[float], fmt: str) -> str:
    """`mean ± std (min–max)` of `values` in `fmt`; the value alone when there is one."""
    if len(values) == 1:
        return fmt.format(values[0])
    low, high = fmt.format(min(values)), fmt.format(max(values))
    return (
        f"{fmt.format(statistics.fmean(values))} ± "
        f"{fmt.format(statistics.pstdev(values)).lstrip('+')} ({low}–{high})"
    )


def early_grad_norm(job: Path) -> float | None:
    """Mean `train/g_grad_norm` over the first EARLY_STEPS generator iterations of a job."""
    steps, values = read_series(job / "metrics.csv").get("train/g_grad_norm", ([], []))
    early = [v for step, v in zip(steps, values, strict=True) if step <= EARLY_STEPS]
    return statistics.fmean(early) if early else None


def group_jobs(jobs: list[Path]) -> dict[str, list[Path]]:
    """Jobs that differ only in their seed, by group name: their overrides without the seed, the
    keys that do not change results (NOT_RESULTS) and those every job shares
    (shared_overrides), with their tags first (`[a, b]`), so a name shows what was
    compared."""
    names = {job: _tag_words(job) + _results_overrides(read_overrides(job)) for job in jobs}
    empty = "(defaults)"
    if len({tuple(n) for n in names.values()}) > 1:
        shared = set(_common(list(names.values())))
        names = {job: [o for o in n if o not in shared] for job, n in names.items()}
        empty = "(the shared overrides only)" if shared else empty
    groups: dict[str, list[Path]] = defaultdict(list)
    for job in jobs:
        groups[" ".join(names[job]) or empty].append(job)
    return dict(groups)


def shared_overrides(jobs: list[Path]) -> list[str]:
    """The overrides but the seed that every job has, in the first job's order."""
    return _common([_results_overrides(read_overrides(job)) for job in jobs])


def _common(overrides: list[list[str]]) -> list[str]:
    first, *others = overrides
    return [o for o in first if all(o in other for other in others)]


# Keys that change how a run is shown or where it is written, not its results: left out of
# group names, so that jobs that differ only in them are seeds of one group.
NOT_RESULTS = ("seed", "tags", "trainer.enable_progress_bar", "logger", "paths", "hydra")


def _results_overrides(overrides: list[str]) -> list[str]:
    """The overrides that change a run's results: not the seed, nor the keys NOT_RESULTS."""
    return [o for o in overrides if not _names_any(o.lstrip("+~").split("=")[0], NOT_RESULTS)]


def _names_any(key: str, prefixes: tuple[str, ...]) -> bool:
    return any(key == prefix or key.startswith(f"{prefix}.") for prefix in prefixes)


def _tag_words(job: Path) -> list[str]:
    tags = read_tags(job)
    return [f"[{', '.join(map(str, tags))}]"] if tags else []


def group_rows(jobs: list[Path]) -> list[dict[str, str]]:
    """One row per group of jobs that differ only in their seed: mean ± std over the seeds."""
    rows = []
    for name, members in group_jobs(jobs).items():
        summaries = [s for s in map(finished_summary, members) if s is not None]
        row = {"group": name, "seeds ok": f"{len(summaries)}/{len(members)}"}
        for header, path, fmt in GROUP_COLUMNS:
            values = [v for v in (_lookup(s, path) for s in summaries) if v is not None]
            row[header] = spread(values, fmt) if values else ""
        early = [v for v in map(early_grad_norm, members) if v is not None]
        row[f"G grad norm, steps ≤ {EARLY_STEPS}"] = spread(early, "{:.2e}") if early else ""
        rows.append(row)
    return rows


def report_figure(jobs: list[Path]) -> Figure:
    """Curves of each group of jobs (same overrides but the seed): mean ± std over seeds."""
    # Imported here, where it draws: `--help` and a refused option answer without matplotlib.
    from matplotlib.figure import Figure

    groups = {
        name: [
            read_series(job / "metrics.csv") for job in members if finished_summary(job) is not None
        ]
        for name, members in group_jobs(jobs).items()
    }
    keys = [k for k in CURVES if any(k in s for runs in groups.values() for s in runs)]
    fig = Figure(figsize=(7, 3 * max(1, len(keys))), layout="constrained")
    axes = fig.subplots(max(1, len(keys)), 1, squeeze=False)[:, 0]
    for ax, key in zip(axes, keys, strict=False):
        for name, runs in sorted(groups.items()):
            curves = [s[key] for s in runs if key in s]
            if not curves:
                continue
            length = min(len(steps) for steps, _ in curves)
            steps = curves[0][0][:length]
            columns = list(zip(*(values[:length] for _, values in curves), strict=True))
            mean = [statistics.fmean(c) for c in columns]
            spread = [statistics.pstdev(c) for c in columns]
            line = ax.plot(steps, mean, linewidth=1, label=f"{name} (n={len(curves)})")[0]
            ax.fill_between(
                steps,
                [m - s for m, s in zip(mean, spread, strict=True)],
                [m + s for m, s in zip(mean, spread, strict=True)],
                color=line.get_color(),
                alpha=0.2,
            )
        ax.set_title(f"{key}: mean ± std over seeds", loc="left")
        ax.set_xlabel("generator iteration")
        ax.set_ylabel(CURVES[key])
        ax.grid(alpha=0.3)
        # Beside the axes: inside, the legend sat on the curves and their bands.
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
        if key == "train/g_grad_norm":
            ax.set_yscale("log")
    return fig


def write_report(sweep_dir: Path, out_dir: Path | None = None) -> str:
    """Write report.md and report.png into `out_dir` (default `sweep_dir`) and return the
    table."""
    out_dir = out_dir or sweep_dir
    jobs = find_jobs(sweep_dir)
    if not jobs:
        raise SystemExit(
            f"litgan-report: no Hydra jobs (*/.hydra/overrides.yaml) under {sweep_dir}"
        )
    table = markdown_table(job_rows(jobs))
    groups = markdown_table(group_rows(jobs))
    shared = " ".join(shared_overrides(jobs)) or "(none)"
    (out_dir / "report.md").write_text(
        f"# Sweep report: {sweep_dir}\n\n{table}\n\n## Over seeds\n\n"
        f"Overrides of every job (left out of the group names): {shared}\n\n{groups}\n\n"
        "![curves](report.png)\n"
    )
    report_figure(jobs).savefig(out_dir / "report.png", dpi=100)
    return f"{table}\n\n{groups}"


def main(argv: list[str] | None = None) -> None:
    """Console entry point of `litgan-report`."""
    parser = argparse.ArgumentParser(
        prog="litgan-report", description=__doc__.split(":", 1)[1].strip()
    )
    parser.add_argument("sweep_dir", type=Path, help="a Hydra multirun directory")
    parser.add_argument(
        "--out", type=Path, help="where to write report.md and report.png (default: SWEEP_DIR)"
    )
    args = parser.parse_args(argv)
    out = args.out or args.sweep_dir
    if not args.sweep_dir.is_dir():
        print(
            f"litgan-report: error: {args.sweep_dir} does not exist or is not a directory: give "
            "a sweep's directory (hydra.sweep.dir of a -m run)",
            file=sys.stderr,
        )
        sys.exit(2)
    try:
        out.mkdir(parents=True, exist_ok=True)
        table = write_report(args.sweep_dir, out)
    except _Refused as err:
        print(f"litgan-report: error: {err}", file=sys.stderr)
        sys.exit(2)
    except OSError as err:
        where = err.filename or out
        hint = "choose another --out" if args.out else "write the report elsewhere with --out DIR"
        print(
            f"litgan-report: error: cannot write {where} ({err.strerror or err}); {hint}",
            file=sys.stderr,
        )
        sys.exit(2)
    print(table)
    print(f"\nwrote {out / 'report.md'} and {out / 'report.png'}")


if __name__ == "__main__":
    main()
