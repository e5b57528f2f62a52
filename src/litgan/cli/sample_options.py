"""What litgan-sample may write, and its defaults: checked before a model is loaded, without
torch (`litgan.cli.sample` for `--help` and its checks, `litgan.cli.sample_outputs` for what it
writes)."""

from __future__ import annotations

import argparse
from pathlib import Path

from litgan.errors import LitganError

PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg")
POINT_SUFFIXES = (".npy", ".csv")  # G's 2D points themselves, as data=points reads them
DEFAULT_IMAGES = 64  # a picture's images: the run's own sample grids hold 64
DEFAULT_POINTS = 1000  # a picture's 2D points, as the run's
DEFAULT_BATCH = 256
DEFAULT_ROWS = 8
DEFAULT_STEPS = 10


def check_out(args: argparse.Namespace) -> None:
    """The output `args` ask for can be written: checked before a model is loaded."""
    if args.out is not None:
        check_out_file(args.out)
    else:
        check_out_dir(args.out_dir, args.overwrite)


def check_out_file(path: Path) -> None:
    """`--out` must be a .png or .jpg picture, or a .npy or .csv of points, in an existing
    directory."""
    if path.suffix.lower() not in PICTURE_SUFFIXES + POINT_SUFFIXES:
        raise LitganError(
            f"--out {path}: a picture must end in {', '.join(PICTURE_SUFFIXES)}, G's 2D points "
            f"in {', '.join(POINT_SUFFIXES)}"
        )
    if path.is_dir():
        raise LitganError(f"--out {path} is a directory; give a file name, e.g. {path}/grid.png")
    if not path.parent.is_dir():
        raise LitganError(f"--out {path}: {path.parent} is not a directory")


def check_out_dir(path: Path, overwrite: bool) -> None:
    """`--out-dir` must be absent or empty, or with `overwrite` hold only PNG files."""
    if not path.exists():
        if not path.parent.is_dir():
            raise LitganError(f"--out-dir: {path.parent} is not a directory")
        return
    if not path.is_dir():
        raise LitganError(f"--out-dir: {path} exists and is not a directory")
    entries = sorted(path.iterdir())
    if not entries:
        return
    if not overwrite:
        raise LitganError(
            f"--out-dir: {path} is not empty; choose a new directory, or add --overwrite to "
            "replace its images"
        )
    others = [p for p in entries if not (p.is_file() and p.suffix.lower() == ".png")]
    if others:
        raise LitganError(
            f"--out-dir: {path} holds more than PNG images ({others[0].name}); --overwrite "
            "replaces only a folder of images: choose another directory"
        )
