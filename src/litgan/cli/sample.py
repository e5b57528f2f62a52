"""`litgan-sample CKPT`: a trained G in use.

    litgan-sample CKPT --out grid.png [--num-samples 64] [--seed S]
    litgan-sample CKPT --out points.png [--arrows arrows.csv] [--push-scale M]   (2D data)
    litgan-sample CKPT --out-dir DIR --num-samples N [--batch-size B] [--overwrite]
    litgan-sample CKPT --interpolate --out walk.png [--rows R] [--steps K]
    litgan-sample CKPT --out points.npy|points.csv --num-samples N   (a G of 2D points)

CKPT is a .ckpt file, a run directory (its checkpoints/last.ckpt), or `last` / `best` (in the
current run directory, as `ckpt_path` reads them). G's weight average is used when the run kept
one. Without `--seed` the latent vectors are the run's fixed noise (`eval_seed`), those of its
sample pictures and validation: a folder of N images is then the N samples validation scores.

A 2D picture's arrows are coloured on the run's own scale, and its axes span the run's own
ranges (those of its sample pictures, kept in the checkpoint); `--push-scale M` puts the
arrows on another, so that two runs drawn with the same M compare. `--arrows FILE.csv`
writes the drawn arrows: `x, y` (the tail, a point of G), `head_x, head_y` (where the arrow
ends: G's loss falls all the way there) and `push` (|−∇ₓ G's loss| at the tail).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from litgan.cli.sample_options import (
    DEFAULT_BATCH,
    DEFAULT_IMAGES,
    DEFAULT_POINTS,
    DEFAULT_ROWS,
    DEFAULT_STEPS,
    check_out,
)
from litgan.errors import LitganError

# torch, Lightning and the pictures are imported by main() once the options are read
# (litgan.cli.sample_outputs): `--help` and a refused option answer in a fraction of a second
# instead of after seconds of imports.


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line, `litgan-sample: error: ...`, exit status 2."""

    def error(self, message: str) -> NoReturn:
        fail(f"{message} (see litgan-sample --help)")


def fail(message: str) -> NoReturn:
    print(f"litgan-sample: error: {message}", file=sys.stderr)
    sys.exit(2)


def positive(value: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an integer") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{number} is not a positive integer")
    return number


# The most samples a command draws: their latent vectors are drawn at once (a million of a
# DCGAN's 100 numbers are 400 MB), and more points than this make no clearer picture.
MAX_PICTURE_SAMPLES = 100_000
MAX_FOLDER_IMAGES = 1_000_000


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = _Parser(
        prog="litgan-sample",
        description="Pictures, image folders and latent walks from a trained G.",
    )
    parser.add_argument("ckpt", help="a .ckpt file, a run directory, or last / best")
    output = parser.add_mutually_exclusive_group(required=True)
    output.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="one picture (.png/.jpg): a grid or a walk; or G's 2D points (.npy/.csv)",
    )
    output.add_argument(
        "--out-dir", type=Path, metavar="DIR", help="a folder of numbered PNG files"
    )
    parser.add_argument(
        "--num-samples",
        type=positive,
        metavar="N",
        help=f"samples (picture: {DEFAULT_IMAGES} images or {DEFAULT_POINTS} 2D points, at most "
        f"{MAX_PICTURE_SAMPLES:,}; required with --out-dir, at most {MAX_FOLDER_IMAGES:,})",
    )
    parser.add_argument(
        "--batch-size",
        type=positive,
        default=DEFAULT_BATCH,
        metavar="B",
        help=f"samples per forward pass (default {DEFAULT_BATCH})",
    )
    parser.add_argument(
        "--seed",
        type=int,
        metavar="S",
        help="draw fresh latent vectors from this seed (default: the "
        "run's fixed noise, that of its pictures and validation)",
    )
    parser.add_argument(
        "--arrows",
        type=Path,
        metavar="FILE.csv",
        help="2D data: also write the drawn arrows (x, y, head_x, head_y, push) as CSV",
    )
    parser.add_argument(
        "--push-scale",
        type=float,
        metavar="M",
        help="2D data: centre the arrows' colour scale on |push| = M (default: the run's own)",
    )
    parser.add_argument("--interpolate", action="store_true", help="latent walks (with --out)")
    parser.add_argument(
        "--rows", type=positive, metavar="R", help=f"walks (default {DEFAULT_ROWS})"
    )
    parser.add_argument(
        "--steps",
        type=positive,
        metavar="K",
        help=f"images per walk, ends included (default {DEFAULT_STEPS})",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace a non-empty --out-dir of images"
    )
    parser.add_argument("--device", choices=("cpu", "cuda", "auto"), default="auto")
    args = parser.parse_args(argv)
    if args.out_dir is not None and args.num_samples is None:
        parser.error("--out-dir needs --num-samples N")
    if args.interpolate and args.out is None:
        parser.error("--interpolate draws one picture: give --out walk.png")
    if not args.interpolate and (args.rows or args.steps):
        parser.error("--rows and --steps go with --interpolate")
    if args.interpolate and args.num_samples:
        parser.error("--interpolate draws --rows x --steps samples, not --num-samples")
    if args.steps == 1:
        parser.error("--steps must be at least 2: a walk has two ends")
    if args.arrows is not None and (args.out is None or args.interpolate):
        parser.error("--arrows goes with a 2D picture: --out points.png, without --interpolate")
    if args.arrows is not None and (args.arrows.suffix.lower() != ".csv" or args.arrows.is_dir()):
        parser.error(f"--arrows {args.arrows}: give a file name ending in .csv")
    if args.push_scale is not None and not args.push_scale > 0:
        parser.error(f"--push-scale must be a positive number, got {args.push_scale}")
    limit = MAX_FOLDER_IMAGES if args.out_dir is not None else MAX_PICTURE_SAMPLES
    if args.num_samples is not None and args.num_samples > limit:
        where = "--out-dir" if args.out_dir is not None else "a picture (--out)"
        parser.error(
            f"--num-samples for {where} is at most {limit:,}, got {args.num_samples:,}: "
            "its latent vectors are drawn at once"
        )
    if args.seed is not None and not 0 <= args.seed < 2**63:
        parser.error(f"--seed must be from 0 to 2**63 - 1, got {args.seed}")
    return args


class _Stopped(Exception):
    """SIGTERM or SIGINT: raised where the process is, so that `staged` removes its partial
    output (the default SIGTERM would end the process without that)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> NoReturn:
    raise _Stopped(signum)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry: a LitganError is one line on stderr and exit status 2; a stop signal
    one line and 130 or 143, with nothing written."""
    args = parse_args(argv)
    previous = {s: signal.signal(s, _stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        check_out(args)
        from litgan.cli.sample_outputs import sample

        sample(args)
    except LitganError as err:
        fail(str(err))
    except _Stopped as stop:
        name = signal.Signals(stop.signum).name
        print(f"litgan-sample: stopped by {name}; nothing written", file=sys.stderr)
        sys.exit(128 + stop.signum)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


if __name__ == "__main__":
    main()
