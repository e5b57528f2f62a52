"""A directory locked by another process, as a second run or sweep would find it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def held_by_another_process(directory: Path) -> Iterator[None]:
    """flock(1) holds the lock litgan takes (flock on the directory) until the block ends."""
    holder = subprocess.Popen(
        ["flock", str(directory), "-c", "echo held; exec sleep 60"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()
