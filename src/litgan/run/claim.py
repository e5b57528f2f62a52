"""Claiming a run directory: one run at a time holds it, and it holds nothing but that run.

The claim is an OS lock (flock) on the directory itself, so that nothing is written to claim it
and the kernel drops it when the process ends, however it ends: a killed run leaves no stale
lock. `guard_run_dir` is every check of a run directory, made once per run by each entry point
(train.py's Hydra callback, litgan.experiment.run). Nothing heavier than Hydra is imported:
this runs before torch loads.
"""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path

from omegaconf import DictConfig

from litgan.errors import LitganError
from litgan.run.resume_rules import check_history, check_same_experiment
from litgan.run.run_dir import check_writable, rank, refuse_to_overwrite

# The directories this process holds, with their open descriptors (the lock lives with them).
_held: dict[Path, int] = {}


def check_run_dir_value(value: object, key: str = "hydra.run.dir") -> Path:
    """`value` as a directory; an empty one (an unset shell variable) would put the run in the
    launch folder."""
    if value is None or not str(value).strip():
        raise LitganError(
            f"{key} is empty (an unset shell variable?): give the run's directory, {key}=<dir>"
        )
    path = Path(str(value))
    longest = max(path.parts, key=len)
    limit = name_max(path)
    if len(longest) > limit:
        raise LitganError(
            f"{key} has a folder name of {len(longest)} characters ({longest[:20]}...), and "
            f"the file system allows at most {limit}: choose a shorter {key}"
        )
    return path


def name_max(path: Path) -> int:
    """The longest file name the file system that would hold `path` takes."""
    for parent in path.absolute().parents:
        try:
            return os.pathconf(parent, "PC_NAME_MAX")
        except (OSError, ValueError):  # not there yet (or its own name too long)
            continue
    return 255


def claim_run_dir(run_dir: Path, what: str = "run", key: str = "hydra.run.dir") -> None:
    """Lock the existing `run_dir` (a run's, or a sweep's: `what`, set by `key`) for this
    process until `release_run_dir` or its end; a LitganError if another process holds it."""
    run_dir = run_dir.absolute()
    if run_dir in _held:
        return
    fd = os.open(run_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise LitganError(
            f"{run_dir} is in use by another {what} (which holds its lock): wait for that "
            f"{what} to end, or choose another {key}"
        ) from None
    except OSError as err:
        # File systems without flock (some NFS and Lustre mounts): running unguarded beats
        # refusing every run there.
        os.close(fd)
        print(
            f"litgan: cannot lock {run_dir} ({err.strerror}): nothing keeps a second {what} "
            "out of it",
            file=sys.stderr,
        )
        return
    _held[run_dir] = fd


def release_run_dir(run_dir: Path | None = None) -> None:
    """Give up `run_dir`, or every directory this process claimed."""
    if run_dir is not None:
        fd = _held.pop(run_dir.absolute(), None)
        if fd is not None:
            os.close(fd)
        return
    while _held:
        _, fd = _held.popitem()
        os.close(fd)


def check_contents(run_dir: Path, resuming: bool) -> None:
    """`run_dir` must be empty, or hold a litgan run (its .hydra/config.yaml) that this run
    resumes; a SLURM job restarted before its first checkpoint may start its own run again."""
    entries = sorted(p.name for p in run_dir.iterdir()) if run_dir.is_dir() else []
    if not entries:
        return
    if not (run_dir / ".hydra" / "config.yaml").is_file():
        shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
        raise LitganError(
            f"{run_dir} holds files that are not a litgan run ({shown}): choose a new or empty "
            "hydra.run.dir"
        )
    restarts = os.environ.get("SLURM_RESTART_COUNT", "0")
    restarted = restarts.isdigit() and int(restarts) > 0
    if not resuming and not restarted:
        raise LitganError(
            f"{run_dir} holds a run that stopped before its first checkpoint: choose a new "
            f"hydra.run.dir, or delete {run_dir} to start that run again there"
        )


def guard_run_dir(config: DictConfig, run_dir: Path, ckpt_path: str | None) -> None:
    """Every check of `run_dir` before anything is written into it: an earlier run there is
    only ever continued, the directory is writable (created), claimed by this process, holds
    nothing but the run `ckpt_path` resumes, and that resume is the same experiment with its
    history whole. DDP's other ranks work in the directory rank 0 claimed."""
    refuse_to_overwrite(run_dir, ckpt_path is not None)
    check_writable(run_dir, "hydra.run.dir")
    if rank() != 0:
        return
    claim_run_dir(run_dir)
    check_contents(run_dir, ckpt_path is not None)
    _check_resume(config, run_dir, ckpt_path)


def _check_resume(config: DictConfig, run_dir: Path, ckpt_path: str | None) -> None:
    """A resume of the run in `run_dir` continues that experiment and its history (a missing
    or unreadable checkpoint is refused later, by `fit`, with its own message)."""
    if ckpt_path is None or not (run_dir / ".hydra" / "config.yaml").is_file():
        return
    checkpoint = run_dir / "checkpoints" / "last.ckpt" if ckpt_path == "last" else Path(ckpt_path)
    if checkpoint.is_file():
        check_same_experiment(config, run_dir)
        check_history(run_dir, checkpoint)
