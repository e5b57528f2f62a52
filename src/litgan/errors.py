"""Errors a user can fix: printed as one short message, without a traceback; and the stop on a
signal."""

import signal
from pathlib import Path


class LitganError(Exception):
    """A problem with the config, the data or a checkpoint that the message explains how to fix."""


class ConfigError(LitganError):
    """The composed config asks for something that cannot work."""


class DataError(LitganError):
    """A data set is absent, cannot be downloaded, or is unreadable on disk."""


class DivergenceError(LitganError):
    """Training produced a NaN or infinite loss or gradient norm."""


def first_line(err: BaseException) -> str:
    """An exception's message, first line only: Hydra's and torch's run to paragraphs."""
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


class Interrupted(Exception):
    """Training stopped on SIGTERM or SIGINT, after writing the checkpoint `path`."""

    def __init__(self, signum: int, g_step: int, path: Path) -> None:
        name = signal.Signals(signum).name
        super().__init__(f"stopped by {name} after generator iteration {g_step}")
        self.signum = signum
        self.g_step = g_step
        self.path = path

    @property
    def exit_status(self) -> int:
        """The shell's status of a process ended by the signal: 130 for SIGINT, 143 for
        SIGTERM."""
        return 128 + self.signum
