"""The run directory: an earlier run in it is only ever continued, it must be writable, and a
refused run leaves it as it was (no directory, log or record created). Nothing heavier than
Hydra is imported: these run before torch loads."""

from __future__ import annotations

import logging
import logging.handlers
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from litgan.errors import LitganError


def refuse_to_overwrite(run_dir: Path, resuming: bool) -> None:
    """A finished or checkpointed run in `run_dir` is only ever continued, never replaced."""
    previous = [p for p in ("summary.json", "checkpoints/last.ckpt") if (run_dir / p).exists()]
    if previous and not resuming:
        raise LitganError(
            f"{run_dir} already holds a run ({', '.join(previous)}); choose a new "
            "hydra.run.dir, or resume it with ckpt_path=<run_dir>/checkpoints/last.ckpt"
        )


def requeued_ckpt_path(ckpt_path: str | None, run_dir: Path) -> str | None:
    """`ckpt_path`, or `last` for a job that SLURM restarted and that left a checkpoint.

    A requeued job (submitit's requeue before the time limit, `scontrol requeue`, a node
    failure) runs its original overrides again in the same directory, and those do not name
    the checkpoint it wrote when it was stopped; SLURM counts the restarts in
    SLURM_RESTART_COUNT.
    """
    restarts = os.environ.get("SLURM_RESTART_COUNT", "0")
    checkpoint = run_dir / "checkpoints" / "last.ckpt"
    if ckpt_path is None and restarts.isdigit() and int(restarts) > 0 and checkpoint.is_file():
        return "last"
    return ckpt_path


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


# The directories Hydra is about to create for this run, noted before it creates them, so that
# a refused run can remove them again (OutputDirCheck.on_run_start fills it).
_missing_dirs: list[Path] = []


def note_missing_dirs(run_dir: Path) -> None:
    """Remember which of `run_dir` and its parents do not exist yet."""
    run_dir = run_dir.absolute()
    _missing_dirs[:] = [p for p in (run_dir, *run_dir.parents) if not p.exists()]


def remove_new_empty_dirs() -> None:
    """Remove the directories `note_missing_dirs` saw missing, deepest first, where they are
    still empty: a refused run leaves no directory behind. Never removes a file."""
    for path in _missing_dirs:
        try:
            path.rmdir()
        except OSError:
            break  # not empty (or gone): its parents are not empty either
    _missing_dirs.clear()


def discard_unstarted_run(run_dir: Path) -> None:
    """Delete `run_dir` and what this run wrote there (its record, logs, metrics.csv) if this
    run created it, as `note_missing_dirs` saw: for a run that failed before its first
    iteration. Its log files there are closed first; `remove_new_empty_dirs` then removes the
    parents it created."""
    run_dir = run_dir.absolute()
    if run_dir not in _missing_dirs:
        return  # an earlier run's directory, or one given to a resumed run: kept as it is
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, logging.FileHandler)]:
        if Path(handler.baseFilename).is_relative_to(run_dir):
            root.removeHandler(handler)
            handler.close()
    shutil.rmtree(run_dir, ignore_errors=True)
    _missing_dirs.remove(run_dir)


@contextmanager
def file_logs_held() -> Iterator[None]:
    """Keep log records away from the log files (Hydra's `<run_dir>/train.log`) until the block
    ends; then write them, or drop them if it raised: a refused run writes nothing to its
    directory. The console still shows every record as it comes."""
    root = logging.getLogger()
    files = [h for h in root.handlers if isinstance(h, logging.FileHandler)]
    held = logging.handlers.BufferingHandler(capacity=sys.maxsize)
    for handler in files:
        root.removeHandler(handler)
    root.addHandler(held)
    try:
        yield
    finally:
        root.removeHandler(held)
        for handler in files:
            root.addHandler(handler)
    for record in held.buffer:
        for handler in files:
            if record.levelno >= handler.level:
                handler.handle(record)


def write_record(run_dir: Path, cfg: DictConfig) -> Path | None:
    """Write Hydra's record of this invocation (config.yaml, hydra.yaml, overrides.yaml) into
    `<run_dir>/.hydra/`; when a run there already has one, beside it in `.hydra/resume-N/`.

    litgan writes it itself (hydra.output_subdir=null) once the run's checks have passed: Hydra
    would write it before them, over the record of the run being resumed. Nothing outside a
    Hydra job, and only rank 0.
    """
    if not HydraConfig.initialized() or rank() != 0:
        return None
    record = run_dir / ".hydra"
    if (record / "config.yaml").exists():
        resumes = sum(1 for p in record.glob("resume-*") if p.is_dir())
        record = record / f"resume-{resumes + 1}"
    record.mkdir(parents=True, exist_ok=True)
    hydra_cfg = HydraConfig.instance().cfg
    (record / "config.yaml").write_text(OmegaConf.to_yaml(cfg))
    (record / "hydra.yaml").write_text(OmegaConf.to_yaml(hydra_cfg))
    (record / "overrides.yaml").write_text(OmegaConf.to_yaml(hydra_cfg.hydra.overrides.task))
    return record


def rank() -> int:
    """This process's global rank, from the variables launchers set (0 outside distributed
    runs), as Lightning reads it."""
    for name in ("RANK", "LOCAL_RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK"):
        if name in os.environ:
            return int(os.environ[name])
    return 0
