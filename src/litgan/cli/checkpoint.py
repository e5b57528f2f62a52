"""A trained GAN from its checkpoint, for the tools that use one (litgan-fid, litgan-sample)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from litgan.errors import LitganError
from litgan.gan import GAN
from litgan.run.checkpoints import load_failure

RUN_CHECKPOINT = Path("checkpoints") / "last.ckpt"  # what a run directory stands for

# Where classes that checkpoints name by `_target_` moved when the modules became packages
# (0.1.0 at b2a2751): a checkpoint written before still loads.
MOVED_TARGETS = {
    "litgan.games.": "litgan.game.games.",
    "litgan.penalties.": "litgan.game.penalties.",
}


def resolve_checkpoint(spec: str, cwd: Path | None = None) -> Path:
    """The checkpoint file `spec` names: `last` or `best` are `<cwd>/checkpoints/<spec>.ckpt`
    (as `ckpt_path` reads them, in a run's directory), a run directory is its `last.ckpt`."""
    cwd = Path.cwd() if cwd is None else cwd
    if spec in ("last", "best"):
        path = cwd / "checkpoints" / f"{spec}.ckpt"
        if not path.is_file():
            raise LitganError(
                f"{spec} means {path}, which does not exist: run in the directory of a run, "
                "or give a run directory or a .ckpt file"
            )
        return path
    path = Path(spec)
    if path.is_dir():
        if not (path / RUN_CHECKPOINT).is_file():
            raise LitganError(
                f"{path} is a directory without {RUN_CHECKPOINT}: give a run directory or a "
                ".ckpt file"
            )
        return path / RUN_CHECKPOINT
    if not path.is_file():
        raise LitganError(f"{path} does not exist: give last, best, a run directory or a .ckpt")
    return path


def load_gan(path: Path, device: torch.device | str = "cpu") -> GAN:
    """The GAN in a litgan checkpoint, on `device` in eval mode; a LitganError for a file that
    is unreadable, truncated or not a litgan checkpoint.

    The file is read once, and loaded with weights_only=True as everywhere in litgan: a
    checkpoint is never a way to run code.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise LitganError(f"cannot read {path} ({err.strerror or err})") from err
    try:
        checkpoint = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as err:  # any file can be given: pickle, zip, EOF, key errors, ...
        raise LitganError(f"{path} is truncated or not a checkpoint ({load_failure(err)})") from err
    if not is_litgan_checkpoint(checkpoint):
        raise LitganError(
            f"{path} is a checkpoint, but not of a litgan GAN (it has no generator "
            "weights or no data_shape)"
        )
    moved = moved_targets(checkpoint["hyper_parameters"])
    try:
        gan = GAN.load_from_checkpoint(
            io.BytesIO(data), map_location="cpu", weights_only=True, **moved
        )
    except Exception as err:  # a litgan checkpoint this version cannot rebuild
        raise LitganError(f"{path} cannot be loaded by this litgan ({first_line(err)})") from err
    return gan.to(device).eval()


def moved_targets(hparams: dict[str, Any]) -> dict[str, Any]:
    """The hparams whose `_target_` names a class where an earlier litgan kept it, each with
    the class's path today."""
    moved = {}
    for key, value in hparams.items():
        target = value.get("_target_") if isinstance(value, dict) else None
        for old, new in MOVED_TARGETS.items() if isinstance(target, str) else ():
            if target.startswith(old):
                moved[key] = {**value, "_target_": new + target.removeprefix(old)}
    return moved


def is_litgan_checkpoint(checkpoint: Any) -> bool:
    """Whether a loaded checkpoint holds a litgan GAN: G's weights and the data's shape."""
    if not isinstance(checkpoint, dict):
        return False
    hparams, state = checkpoint.get("hyper_parameters"), checkpoint.get("state_dict")
    return (
        isinstance(hparams, dict)
        and "data_shape" in hparams
        and isinstance(state, dict)
        and any(k.startswith("generator.") for k in state)
    )


def first_line(err: BaseException) -> str:
    """An exception's message, first line only: torch's messages run to paragraphs."""
    return (str(err).strip().splitlines() or [type(err).__name__])[0]
