"""Claiming a run directory: one run at a time holds it, and it holds nothing but that run.

The claim is an OS lock (flock) on the directory itself, so that nothing is written to claim it
and the kernel drops it when the process ends, however it ends: a killed run leaves no stale
lock. Nothing heavier than the standard library is imported: this runs before torch loads.
"""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path

from litgan.errors import LitganError

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


def claim_run_dir(run_dir: Path) -> None:
    """Lock the existing `run_dir` for this process until `release_run_dir` or its end; a
    LitganError if another process holds it."""
    run_dir = run_dir.absolute()
    if run_dir in _held:
        return
    fd = os.open(run_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise LitganError(
            f"{run_dir} is in use by another run (which holds its lock): wait for that run to "
            "end, or choose another hydra.run.dir"
        ) from None
    except OSError as err:
        # File systems without flock (some NFS and Lustre mounts): running unguarded beats
        # refusing every run there.
        os.close(fd)
        print(
            f"litgan: cannot lock {run_dir} ({err.strerror}): nothing keeps a second run out of it",
            file=sys.stderr,
        )
        return
    _held[run_dir] = fd


def release_run_dir() -> None:
    """Give up every run directory this process claimed."""
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
