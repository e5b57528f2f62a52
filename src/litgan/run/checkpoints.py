"""Checking a checkpoint to resume from before any training starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from litgan.errors import LitganError


def resolve_ckpt_path(ckpt_path: str | None, run_dir: Path) -> Path | None:
    """The checkpoint `ckpt_path` names: `last` is `<run_dir>/checkpoints/last.ckpt`."""
    if ckpt_path is None:
        return None
    path = run_dir / "checkpoints" / "last.ckpt" if ckpt_path == "last" else Path(ckpt_path)
    if path.is_file():
        return path
    if ckpt_path != "last":
        raise LitganError(
            f"ckpt_path: {path} does not exist; give ckpt_path=<run_dir>/checkpoints/last.ckpt "
            "of an earlier run"
        )
    if (run_dir / ".hydra" / "config.yaml").is_file():
        raise LitganError(
            f"ckpt_path=last: the run in {run_dir} stopped before its first checkpoint "
            "(written every checkpoint_every generator iterations, and when a run is stopped "
            "with SIGTERM or Ctrl-C): there is nothing to resume; start it again in a new "
            f"hydra.run.dir, or delete {run_dir} first"
        )
    raise LitganError(
        f"ckpt_path: {path} does not exist; ckpt_path=last needs {path}: give the directory "
        "of the run to resume with hydra.run.dir=<run_dir>"
    )


def check_unfinished(checkpoint: dict[str, Any], max_steps: int, path: Path) -> None:
    """A checkpoint that already reached trainer.max_steps has nothing left to train."""
    g_steps = checkpoint.get("g_steps", 0)
    if 0 < max_steps <= g_steps:
        raise LitganError(
            f"ckpt_path: {path} is at generator iteration {g_steps} and trainer.max_steps="
            f"{max_steps}: that run is finished. Raise trainer.max_steps to train it further"
        )


def read_checkpoint(path: Path) -> dict[str, Any]:
    """Load a checkpoint the way litgan always does (weights_only=True), or explain why not."""
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # any file can be given: pickle, zip, EOF, key errors, ...
        raise LitganError(
            f"ckpt_path: {path} is truncated or not a litgan checkpoint ({load_failure(err)}); "
            "resume from another checkpoint of the run"
        ) from err
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise LitganError(f"ckpt_path: {path} is not a litgan checkpoint (it has no state_dict)")
    return checkpoint


def check_architecture(checkpoint: dict[str, Any], model: nn.Module, path: Path) -> None:
    """The checkpoint's weights must fit the model this config builds, name for name."""
    saved = {k: tuple(v.shape) for k, v in checkpoint["state_dict"].items()}
    built = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    if saved == built:
        return
    names = sorted(set(saved) ^ set(built))
    if names:
        diff = f"{names[0]} is only in one of them"
    else:
        name = next(k for k in built if saved[k] != built[k])
        diff = f"{name} is {saved[name]} there but {built[name]} here"
    raise LitganError(
        f"ckpt_path: {path} holds a different architecture ({diff}); resume with the model "
        "and data overrides of the run that wrote it"
    )


def _first_line(err: BaseException) -> str:
    """An exception's message, first line only: torch's messages run to paragraphs."""
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


def load_failure(err: BaseException) -> str:
    """Why torch.load(weights_only=True) refused a file, in a few words; never torch's advice
    to retry with weights_only=False, which would let the file run code."""
    if "weights_only" in str(err):
        return "it holds Python objects, which litgan never unpickles"
    return _first_line(err)
