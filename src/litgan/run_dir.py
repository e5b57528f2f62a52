"""Rules for the run directory: an earlier run in it is only ever continued, and it must be
writable. Standard library only: these checks run before torch loads."""

from __future__ import annotations

import tempfile
from pathlib import Path

from litgan.errors import LitganError


def refuse_to_overwrite(run_dir: Path, resuming: bool) -> None:
    """A finished or checkpointed run in `run_dir` is only ever continued, never replaced."""
    previous = [p for p in ("summary.json", "checkpoints/last.ckpt") if (run_dir / p).exists()]
    if previous and not resuming:
        raise LitganError(
            f"{run_dir} already holds a run ({', '.join(previous)}); choose a new "
            "hydra.run.dir, or resume it with ckpt_path=<run_dir>/checkpoints/last.ckpt"
        )


def check_writable(path: Path, key: str) -> None:
    """Create `path` and a file in it, or raise a LitganError naming `key`."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        raise LitganError(
            f"cannot write the output directory {path} ({err.strerror or err}); "
            f"choose a writable one with {key}=<dir>"
        ) from err
