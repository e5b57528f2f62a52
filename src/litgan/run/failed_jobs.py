"""A sweep with failed jobs ends with one line naming them and where their logs are, and exit
status 2: Hydra would raise the first failure again, with its traceback, and hide the others.
Nothing heavier than the standard library is imported: train.py's Hydra callback uses it."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SHOWN = 5  # failed jobs named in the line; the rest are counted


@dataclass(frozen=True)
class FailedJob:
    """A sweep job that failed: its number and its run directory (None: never created)."""

    num: int
    run_dir: Path | None


def _log_of(job: FailedJob) -> str:
    """Where to read why `job` failed: its error.txt, else its console.log, else its line."""
    for name in ("error.txt", "console.log"):
        if job.run_dir is not None and (job.run_dir / name).is_file():
            return str(job.run_dir / name)
    return "its line above"


def end_failed_sweep(failed: Sequence[FailedJob], total: int) -> None:
    """Return if no job failed; else print which of `total` did, with their logs, and exit
    with status 2."""
    if not failed:
        return
    named = ", ".join(f"#{job.num} ({_log_of(job)})" for job in failed[:SHOWN])
    more = f" and {len(failed) - SHOWN} more" if len(failed) > SHOWN else ""
    print(
        f"litgan: error: {len(failed)} of {total} jobs failed: {named}{more}; "
        "the other jobs' results stand",
        file=sys.stderr,
        flush=True,
    )
    sys.exit(2)
