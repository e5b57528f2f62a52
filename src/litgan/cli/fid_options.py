"""What litgan-fid accepts and scores at most, checked without torch (`litgan.cli.fid` for
`--help` and its checks, `litgan.cli.comparison` for what it scores)."""

from __future__ import annotations

from litgan.errors import LitganError

# As metrics.fid.num_samples's range in the schema.
MAX_SAMPLES = 100_000_000
# 2D points scored per side: density and coverage cost (points x reference) distances, the
# kernel estimates (points x draws); a bigger file is scored on a fixed random subset, so that
# memory stays within a fixed working set (about 1 GB) and time grows only with reading it.
MAX_SCORED_POINTS = 25_000


def check_floor_data(data: str) -> None:
    """Refuse a --floor DATA that is not an option of conf/data."""
    from litgan.config.compose import data_names  # here: --help need not load Hydra

    if data not in data_names():
        raise LitganError(
            f"--floor needs a data set from conf/data (one of: {', '.join(data_names())}), "
            f"not {data!r}"
        )
