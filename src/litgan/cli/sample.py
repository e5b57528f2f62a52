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
import csv
import io
import os
import shutil
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf
from PIL import Image
from torch import Tensor
from tqdm import tqdm

from litgan.errors import LitganError, first_line
from litgan.experiment import load
from litgan.gan import GAN
from litgan.metrics.features import to_uint8
from litgan.pictures.manifold import why_no_manifold
from litgan.pictures.push import ArrowScale
from litgan.pictures.samples import Mixture, PushSeen, save_samples_picture
from litgan.pictures.surface import Frame
from litgan.run.checkpoints import resolve_checkpoint

PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg")
POINT_SUFFIXES = (".npy", ".csv")  # G's 2D points themselves, as data=points reads them
DEFAULT_IMAGES = 64  # a picture's images: the run's own sample grids hold 64
DEFAULT_POINTS = 1000  # a picture's 2D points, as the run's
DEFAULT_BATCH = 256
DEFAULT_ROWS = 8
DEFAULT_STEPS = 10


def slerp(a: Tensor, b: Tensor, steps: int) -> Tensor:
    """`steps` points from each row of `a` to the same row of `b` along the great circle,
    with norms interpolated linearly: shape (len(a), steps, nz); endpoints are `a` and `b`.

    Why not a straight line: the norm of a Gaussian vector z ~ N(0, I_nz) concentrates near
    sqrt(nz) (its square is chi-squared, mean nz, spread sqrt(2 nz)), so G was trained almost
    only on that thin shell. The midpoint of two such vectors, nearly orthogonal in high
    dimension, has norm about sqrt(nz / 2): a linear walk passes through latents G has hardly
    ever seen, and its middle images fade. Along the great circle the norm stays on the shell.
    """
    t = torch.linspace(0, 1, steps, dtype=torch.float64).view(1, -1, 1)
    a64, b64 = a.double().unsqueeze(1), b.double().unsqueeze(1)
    norm_a, norm_b = a64.norm(dim=-1, keepdim=True), b64.norm(dim=-1, keepdim=True)
    u, v = a64 / norm_a, b64 / norm_b
    omega = (u * v).sum(-1, keepdim=True).clamp(-1, 1).acos()
    sin_omega = omega.sin()
    # Parallel directions (sin ω = 0) have no great circle between them: the direction stays.
    parallel = sin_omega < 1e-12
    safe = torch.where(parallel, torch.ones_like(sin_omega), sin_omega)
    direction = torch.where(
        parallel,
        u,
        (torch.sin((1 - t) * omega) * u + torch.sin(t * omega) * v) / safe,
    )
    path = direction * ((1 - t) * norm_a + t * norm_b)
    path[:, 0], path[:, -1] = a64[:, 0], b64[:, 0]  # exact, not up to rounding
    return path.to(a.dtype)


def latents(gan: GAN, n: int, seed: int | None) -> Tensor:
    """`n` latent vectors: the run's fixed noise, or N(0, I) from `seed`."""
    if seed is None:
        return gan.fixed_noise(n)
    z = torch.randn(n, gan.nz, generator=torch.Generator().manual_seed(seed))
    return z.to(gan.device)


def real_points(
    ckpt: Path, data_shape: Sequence[int]
) -> tuple[Tensor | None, Mixture | None, Frame | None, str]:
    """The run's real 2D data for a picture (points, the mixture they come from, the frame the
    run's pictures draw around the training data) and where they came from.

    The data module is rebuilt from the run's `.hydra/config.yaml` beside `checkpoints/`; where
    there is none or it does not rebuild, the picture has no real points and the note says why.
    """
    config = ckpt.resolve().parent.parent / ".hydra" / "config.yaml"
    if not config.is_file():
        return None, None, None, f"real points not drawn: no run config at {config}"
    try:
        datamodule = instantiate(OmegaConf.load(config).data)
        if tuple(datamodule.shape) != tuple(data_shape):
            raise ValueError(f"its samples have shape {tuple(datamodule.shape)}")
        datamodule.setup("fit")
        points = datamodule.real_batch(DEFAULT_POINTS)
    except Exception as err:  # any config can be there; the picture does without
        why = f"{config} does not rebuild ({first_line(err)})"
        return None, None, None, f"real points not drawn: {why}"
    frame = Frame.around(datamodule.samples)
    return points, Mixture.of(datamodule), frame, f"real points from {config}"


@contextmanager
def staged(target: Path, directory: bool, overwrite: bool = False) -> Iterator[Path]:
    """A temporary path beside `target` to write into; renamed to `target` when the block ends
    without error, removed otherwise, so that no partial output is ever left.

    A file keeps the target's suffix, which picks the image format. An existing directory is
    replaced only with `overwrite`, and only when it holds nothing but PNG files.
    """
    tmp = target.with_name(f".{target.stem}.partial-{os.getpid()}{target.suffix}")
    try:
        if directory:
            tmp.mkdir()
        else:
            tmp.touch()  # the write permission is checked now, before any sampling
    except OSError as err:
        raise LitganError(f"cannot write into {target.parent} ({err.strerror or err})") from err
    try:
        yield tmp
        if directory:
            _replace_dir(tmp, target, overwrite)
        else:
            os.replace(tmp, target)
    except OSError as err:
        raise LitganError(f"cannot write {target} ({err.strerror or err})") from err
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)


def _replace_dir(tmp: Path, target: Path, overwrite: bool) -> None:
    """Move the finished folder `tmp` to `target`, the old folder there out of the way."""
    if not target.exists() or not any(target.iterdir()):
        os.replace(tmp, target)  # an empty directory is replaced in one rename
        return
    check_out_dir(target, overwrite)
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old)


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


def run_picture_state(path: Path) -> tuple[ArrowScale | None, Frame | None]:
    """The arrows' colour scale and the x and y ranges the run's sample pictures used, kept in
    its checkpoint; None for each it kept none of (an image run, one stopped before its first
    picture, one of an earlier litgan)."""
    checkpoint = torch.load(io.BytesIO(path.read_bytes()), map_location="cpu", weights_only=True)
    state = checkpoint.get("callbacks", {}).get("SampleWriter", {})
    scale, frame = state.get("arrow_scale"), state.get("frame")
    return (
        None if scale is None else ArrowScale.from_dict(scale),
        None if frame is None else Frame.from_dict(frame),
    )


def write_arrows(seen: PushSeen, path: Path) -> None:
    """The drawn arrows as CSV: x, y, head_x, head_y, push."""
    arrows = seen.arrows
    rows = torch.cat([arrows.points, arrows.heads, arrows.push.norm(dim=1, keepdim=True)], 1)
    with staged(path, directory=False) as tmp, tmp.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["x", "y", "head_x", "head_y", "push"])
        writer.writerows(rows.tolist())


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


def write_images(gan: GAN, z: Tensor, out_dir: Path, batch_size: int) -> None:
    """G(z) as numbered PNG files in `out_dir`, one batch at a time, with a progress bar.

    Pixels are quantized as the run's pictures and its FID are: a folder of the fixed noise's
    images scores, through `litgan-fid DIR DATA`, what validation scored.
    """
    width = max(6, len(str(len(z) - 1)))
    bar = tqdm(total=len(z), desc="litgan-sample", unit="image", file=sys.stderr, leave=False)
    with bar:
        for start in range(0, len(z), batch_size):
            pixels = to_uint8(gan.generate(z[start : start + batch_size])).cpu()
            # (H, W) arrays become grey PNGs, (H, W, 3) ones RGB.
            for i, image in enumerate(pixels.permute(0, 2, 3, 1).squeeze(-1).numpy(), start):
                Image.fromarray(image).save(out_dir / f"{i:0{width}d}.png")
            bar.update(len(pixels))


def write_points(gan: GAN, z: Tensor, path: Path, batch_size: int) -> None:
    """G(z) as a .npy array of shape (N, 2), or a .csv with an x,y header, float32."""
    points = torch.cat([gan.generate(batch).float().cpu() for batch in z.split(batch_size)])
    array = points.numpy()
    if path.suffix.lower() == ".npy":
        with path.open("wb") as f:  # np.save would add .npy to the staged name
            np.save(f, array)
    else:
        np.savetxt(path, array, delimiter=",", header="x,y", comments="", fmt="%.9g")


def pick_device(name: str) -> torch.device:
    """`auto`: a CUDA GPU when there is one, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise LitganError("--device cuda: no CUDA GPU is visible; use --device cpu or auto")
    return torch.device(name)


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


def sample(args: argparse.Namespace) -> None:
    """Load the checkpoint and write what `args` ask for; a LitganError for what cannot be."""
    if args.out is not None:
        check_out_file(args.out)
    else:
        check_out_dir(args.out_dir, args.overwrite)
    device = pick_device(args.device)
    path = resolve_checkpoint(args.ckpt)
    with staged(args.out or args.out_dir, args.out is None, args.overwrite) as tmp:
        gan = load(path, device)
        points = len(gan.hparams.data_shape) == 1
        if args.out_dir is not None and points:
            raise LitganError(
                f"{path} is a G of 2D points, not images: --out-dir writes PNG images; draw "
                "its points with --out picture.png"
            )
        if args.arrows is not None and not points:
            raise LitganError(f"{path} is a G of images: --arrows goes with 2D data")
        scale, frame = run_picture_state(path)
        if args.push_scale is not None:
            scale = ArrowScale(args.push_scale)
        print(f"checkpoint: {path} (generator iteration {gan.g_steps})")
        if gan.sampling_generator is not gan.generator:
            decay = gan.hparams.model.get("ema_decay")
            print(f"G: the average of its weights (model.ema_decay={decay})")
        else:
            print("G: its weights as trained (the run kept no weight average)")
        as_points = args.out is not None and args.out.suffix.lower() in POINT_SUFFIXES
        if as_points and (not points or args.interpolate):
            raise LitganError(
                f"--out {args.out} writes G's 2D points, and "
                + ("--interpolate draws a picture" if points else f"{path} is a G of images")
                + ": give --out picture.png"
            )
        real = mixture = None
        if points and args.out is not None and not as_points:
            real, mixture, data_frame, note = real_points(path, gan.hparams.data_shape)
            frame = frame or data_frame
            print(note)
        if as_points:
            n = args.num_samples or DEFAULT_POINTS
            write_points(gan, latents(gan, n, args.seed), tmp, args.batch_size)
            what = f"{n} points"
        elif args.out_dir is not None:
            write_images(gan, latents(gan, args.num_samples, args.seed), tmp, args.batch_size)
            what = f"{args.num_samples} images"
        elif args.interpolate:
            rows, steps = args.rows or DEFAULT_ROWS, args.steps or DEFAULT_STEPS
            ends = latents(gan, 2 * rows, args.seed)
            walks = slerp(ends[:rows], ends[rows:], steps).flatten(0, 1)
            title = f"{rows} latent walks of {steps} steps"
            save_samples_picture(
                gan, walks, tmp, real, mixture, title=title, nrow=steps, scale=scale, frame=frame
            )
            what = f"{rows} walks of {steps} steps"
        else:
            n = args.num_samples or (DEFAULT_POINTS if points else DEFAULT_IMAGES)
            title = f"generator iteration {gan.g_steps}"
            z = latents(gan, n, args.seed)
            grid = points and why_no_manifold(gan.nz, tuple(gan.hparams.data_shape)) is None
            seen = save_samples_picture(
                gan, z, tmp, real, mixture, title=title, scale=scale, manifold=grid, frame=frame
            )
            what = f"{n} samples"
            if args.arrows is not None:
                write_arrows(seen, args.arrows)
                print(f"wrote {args.arrows} ({len(seen.arrows.points)} arrows)")
    print(f"wrote {args.out or args.out_dir} ({what})")


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
