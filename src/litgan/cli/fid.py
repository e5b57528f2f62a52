"""`litgan-fid A B`: the FID between two sets of samples, on the code path validation uses;
with `--isc`, the Inception Score of each too.

A and B are each an image folder, a data set from conf/data (e.g. `digits`), a checkpoint
(N samples from its generator's fixed noise, as in validation), or a file of 2D points (`.npy`
of shape (N, 2), `.csv` of two columns, a header row allowed). Points scored against `ring` or
`grid` get validation's whole score: FID on the coordinates, modes, high quality, reverse KL and
the four divergences of `litgan.metrics.divergences`, so any sampler's points are scored on the
same benchmark. Two sets of 2D points of unknown density get FID and the same four, B the
reference, whose density is estimated (`litgan.metrics.kde`). Trailing `key=value` arguments
override the train config as on the train.py command line (`data.image_size=64`,
`metrics.fid.weights_path=...`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from litgan.cli.fid_options import MAX_SAMPLES, MAX_SCORED_POINTS, check_floor_data
from litgan.errors import LitganError

# torch, Lightning and the metrics are imported by main() once the options are read
# (litgan.cli.comparison): `--help` and a refused option answer in a fraction of a second
# instead of after seconds of imports.


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line, `litgan-fid: error: ...`, exit status 2."""

    def error(self, message: str) -> NoReturn:
        print(f"litgan-fid: error: {message} (see litgan-fid --help)", file=sys.stderr)
        sys.exit(2)


def count_in(low: int, high: int) -> Any:
    """argparse type: an integer from `low` to `high`."""

    def count(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not an integer") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"must be at least {low} and at most {high:,}")
        return number

    return count


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry: prints `FID: <value>`; a LitganError is one line on stderr, exit 2."""
    parser = _Parser(
        prog="litgan-fid",
        description="FID between two image folders, data sets (conf/data), checkpoints or "
        "files of 2D points (.npy, .csv); points against ring or grid get every 2D score.",
    )
    parser.add_argument(
        "a", nargs="?", help="image folder, data set name (e.g. ring), checkpoint or points file"
    )
    parser.add_argument(
        "b", nargs="?", help="image folder, data set name, checkpoint or points file"
    )
    parser.add_argument(
        "--floor",
        metavar="DATA",
        help="instead of A B: the FID between two disjoint halves of data set DATA",
    )
    parser.add_argument(
        "overrides", nargs="*", help="train config overrides, e.g. metrics.fid.weights_path=..."
    )
    parser.add_argument(
        "--num-samples",
        type=count_in(2, MAX_SAMPLES),
        metavar="N",
        help=f"samples per side, 2 to {MAX_SAMPLES:,} (default: metrics.fid.num_samples; "
        f"a points file: all its points; 2D points are scored on at most "
        f"{MAX_SCORED_POINTS:,}, a fixed random subset of a bigger file)",
    )
    parser.add_argument(
        "--batch-size",
        type=count_in(1, MAX_SAMPLES),
        metavar="B",
        help="samples per forward pass (default: metrics.fid.batch_size)",
    )
    parser.add_argument(
        "--isc",
        action="store_true",
        help="also the Inception Score of A and of B (torch-fidelity's, 10 splits)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object instead of lines of text"
    )
    args = parser.parse_intermixed_args(argv)
    if args.floor:
        # Positionals fill A and B first: with --floor, every one of them is an override.
        args.overrides = [x for x in (args.a, args.b) if x is not None] + args.overrides
        if any("=" not in x for x in args.overrides):
            parser.error("--floor DATA takes no sources A B, only key=value overrides")
    elif args.b is None:
        parser.error("give two sources A B, or one data set with --floor DATA")
    if args.floor and args.isc:
        parser.error("--isc scores two sources A B; for the data's own score: DATA DATA --isc")
    try:
        if args.floor:
            check_floor_data(args.floor)  # before torch loads: a misspelt name answers at once
        from litgan.cli.comparison import compare, floor_of

        if args.floor:
            value, n = floor_of(args.floor, args.num_samples, args.batch_size, args.overrides)
            print(f"FID floor: {value:.6f} (two disjoint halves of {n} samples)")
            return
        result = compare(
            args.a, args.b, args.num_samples, args.batch_size, args.overrides, args.isc
        )
    except LitganError as err:
        print(f"litgan-fid: error: {err}", file=sys.stderr)
        sys.exit(2)
    if args.json:
        report: dict[str, Any] = {"fid": result.fid, **(result.points or {})}
        if result.subsampled:
            report["subsampled"] = {"scored": result.scored, "of": result.subsampled}
        if result.isc:
            report["isc"] = {label: [mean, std] for label, mean, std in result.isc}
        print(json.dumps(report))
        return
    print(f"FID: {result.fid:.6f}")
    if result.points:
        print(points_lines(result.points))
    for label, total in result.subsampled.items():
        print(
            f"(scored on a fixed random {result.scored:,} of the {total:,} points in {label}: "
            f"2D points are scored {MAX_SCORED_POINTS:,} at most)"
        )
    for label, mean, std in result.isc:
        print(f"Inception Score of {label}: {mean:.6f} ± {std:.6f}")
    if result.isc_missing:
        print(f"Inception Score: not computed: {result.isc_missing}")


def points_lines(points: dict[str, Any]) -> str:
    """The points' scores as validation's summary writes them."""
    settings = points["settings"]
    divergences = (
        f"JSD: {points['jsd']:.4f}  TV: {points['tv']:.4f}  "
        f"triangular: {points['triangular']:.4f}  W1: {points['w1']:.4f}  "
    )
    if "modes" not in points:
        density = settings["density"]
        return divergences + (
            f"({settings['num_points']} points against {settings['num_reference']}; JSD, TV "
            f"and triangular estimated: B's density by a kernel estimate, h = "
            f"{density['bandwidth']:.3g} by {density['bandwidth_rule']}, {settings['num_eval']} "
            f"draws; W1 by exact transport of {settings['w1_points']} points a side)"
        )
    return (
        f"modes: {points['modes']}/{settings['num_modes']}  "
        f"high quality: {points['high_quality']:.1%}  reverse KL: {points['reverse_kl']:.4f}\n"
        + divergences
        + f"({settings['num_points']} points; kernel {settings['bandwidth']:g} = "
        f"{settings['bandwidth_stds']:g} data std, {settings['num_eval']} draws)" + "\n"
        f"density: {points['density']:.4f}  coverage: {points['coverage']:.4f}  "
        f"(k = {settings['nearest_k']})"
    )


if __name__ == "__main__":
    main()
