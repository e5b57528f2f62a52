"""Stop signals held back while a run cannot stop cleanly (starting up, finishing): recorded,
then acted on where a stop keeps a checkpoint, or reported once the run is complete. Only the
standard library: the command line installs it before torch loads."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

# The stop signal that came while recording (during a run's start-up, its last iteration or
# its end): a run not yet training stops after its first iteration, with a checkpoint.
_early_signal: int | None = None


_first_at = 0.0  # when it came (time.monotonic)


class StoppedAtOnce(Exception):
    """A second Ctrl-C: the run stops where it is. Not a KeyboardInterrupt, which Lightning
    turns into exit status 1 and a SIGINT ignored from then on."""


def second_ctrl_c(signum: int, first: int | None, first_at: float) -> bool:
    """Whether `signum` is a second Ctrl-C, after the first `first` at `first_at`: within a
    second it is the same keystroke twice (or two signals from one launcher)."""
    return signum == signal.SIGINT and first is not None and time.monotonic() - first_at > 1.0


def _record_early(signum: int, frame: FrameType | None) -> None:
    if second_ctrl_c(signum, _early_signal, _first_at):
        raise StoppedAtOnce
    record_signal(signum)


def record_signal(signum: int) -> None:
    """Keep `signum` as the run's stop signal, unless one came before it."""
    global _early_signal, _first_at
    if _early_signal is None:
        _early_signal, _first_at = signum, time.monotonic()


def early_signal() -> int | None:
    """The stop signal recorded by `stop_signals_recorded` so far, or None."""
    return _early_signal


@contextmanager
def stop_signals_recorded() -> Iterator[None]:
    """Record SIGTERM and SIGINT instead of acting on them, until a run's StopOnSignal takes
    over; the handlers from before are back afterwards. Nested blocks share the outer one."""
    global _early_signal
    nested = signal.getsignal(signal.SIGTERM) is _record_early
    if nested or threading.current_thread() is not threading.main_thread():
        yield
        return
    _early_signal = None
    previous = {s: signal.signal(s, _record_early) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        _early_signal = None
        for signum, handler in previous.items():
            signal.signal(signum, handler)
