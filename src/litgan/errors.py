"""Errors a user can fix: printed as one short message, without a traceback."""


class LitganError(Exception):
    """A problem with the config, the data or a checkpoint that the message explains how to fix."""


class ConfigError(LitganError):
    """The composed config asks for something that cannot work."""


class DataError(LitganError):
    """A data set is absent, cannot be downloaded, or is unreadable on disk."""


class DivergenceError(LitganError):
    """Training produced a NaN or infinite loss or gradient norm."""
