"""Checkpoints: the one to resume from, checked before any training starts, and a trained GAN
loaded from one (`load_gan`: litgan.experiment.load, litgan-fid, litgan-sample)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from litgan.errors import LitganError, first_line
from litgan.gan import GAN

RUN_CHECKPOINT = Path("checkpoints") / "last.ckpt"  # what a run directory stands for

# Where classes that checkpoints name by `_target_` moved when the modules became packages
# (0.1.0 at b2a2751): a checkpoint written before still loads.
MOVED_TARGETS = {
    "litgan.games.": "litgan.game.games.",
    "litgan.penalties.": "litgan.game.penalties.",
}


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
        try:
            kind = numpy_kind(Path(path).read_bytes())
        except OSError:
            kind = None
        if kind:
            raise LitganError(
                f"ckpt_path: {path} is {kind}, not a litgan checkpoint: give a run's "
                "checkpoints/last.ckpt"
            ) from err
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
        kind = numpy_kind(data)
        if kind:
            raise LitganError(
                f"{path} is {kind}, not a checkpoint; 2D points go in a .npy of shape (N, 2) "
                "(np.save) or a .csv"
            ) from err
        raise LitganError(f"{path} is truncated or not a checkpoint ({load_failure(err)})") from err
    if not is_litgan_checkpoint(checkpoint):
        raise LitganError(
            f"{path} is a checkpoint, but not of a litgan GAN (it has no generator "
            "weights or no data_shape)"
        )
    checkpoint["hyper_parameters"] = current_arguments(checkpoint["hyper_parameters"])
    rewritten = io.BytesIO()
    torch.save(checkpoint, rewritten)
    rewritten.seek(0)
    try:
        gan = GAN.load_from_checkpoint(rewritten, map_location="cpu", weights_only=True)
    except Exception as err:  # a litgan checkpoint this version cannot rebuild
        raise LitganError(f"{path} cannot be loaded by this litgan ({first_line(err)})") from err
    return gan.to(device).eval()


def current_arguments(hparams: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint's GAN arguments as today's GAN takes them: classes where they live now
    (`MOVED_TARGETS`), and the flat arguments of checkpoints written before the GAN took the
    config's groups (generator, g_optimizer, game, lr_decay, ...) put into `model`, `optim`
    and `loss`."""
    hparams = {key: _moved(value) for key, value in hparams.items()}
    if "game" not in hparams:
        return hparams
    loss = hparams.pop("game")
    model = {key: hparams.pop(key) for key in ("generator", "discriminator")}
    model |= {k: hparams.pop(k) for k in ("lr_decay", "ema_decay", "augment") if k in hparams}
    optim = {"generator": hparams.pop("g_optimizer"), "discriminator": hparams.pop("d_optimizer")}
    return {**hparams, "model": model, "optim": optim, "loss": loss}


def _moved(value: Any) -> Any:
    """A `_target_` config naming a class where an earlier litgan kept it, with the class's
    path today; any other value as it is."""
    target = value.get("_target_") if isinstance(value, dict) else None
    for old, new in MOVED_TARGETS.items() if isinstance(target, str) else ():
        if target.startswith(old):
            return {**value, "_target_": new + target.removeprefix(old)}
    return value


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


def numpy_kind(data: bytes) -> str | None:
    """ "a numpy array (.npy)" or "a numpy archive (.npz)" for a file numpy wrote, else None:
    torch.load's own error on one names zip internals."""
    if data.startswith(b"\x93NUMPY"):
        return "a numpy array (.npy)"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        return None
    if names and all(name.endswith(".npy") for name in names):
        return "a numpy archive (.npz)"
    return None


def load_failure(err: BaseException) -> str:
    """Why torch.load(weights_only=True) refused a file, in a few words; never torch's advice
    to retry with weights_only=False, which would let the file run code."""
    if "weights_only" in str(err):
        return "it holds Python objects, which litgan never unpickles"
    return first_line(err)
