"""What litgan-sample writes from a trained G: pictures, image folders, points files and
latent walks, each staged beside its target so that no partial output is left."""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf
from PIL import Image
from torch import Tensor
from tqdm import tqdm

from litgan.cli.sample_options import (
    DEFAULT_IMAGES,
    DEFAULT_POINTS,
    DEFAULT_ROWS,
    DEFAULT_STEPS,
    POINT_SUFFIXES,
    check_out_dir,
)
from litgan.errors import LitganError, first_line
from litgan.experiment import load
from litgan.gan import GAN
from litgan.metrics.features import to_uint8
from litgan.pictures.manifold import why_no_manifold
from litgan.pictures.push import ArrowScale
from litgan.pictures.samples import Mixture, PushSeen, save_samples_picture
from litgan.pictures.surface import Frame
from litgan.run.checkpoints import resolve_checkpoint


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


def sample(args: argparse.Namespace) -> None:
    """Load the checkpoint and write what `args` ask for, their output path checked
    (`litgan.cli.sample_options.check_out`); a LitganError for what cannot be."""
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
