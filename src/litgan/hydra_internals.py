"""Every use of Hydra beyond its documented API: the text of its error messages, which litgan
reads to say the same in one line; its global state, which the Python API sets as a run does;
its default launcher, kept in a private module; and a failed job's error, kept in a private
field. tests/test_hydra_internals.py checks each against the installed Hydra, so that a new
Hydra that changes one fails there first.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn
from hydra.errors import HydraException, InstantiationException
from hydra.plugins.launcher import Launcher
from omegaconf import DictConfig

from litgan.errors import first_line


@contextmanager
def config_dir_initialized(config_dir: str) -> Iterator[None]:
    """Hydra's compose API set up on `config_dir`; left as it is when a caller (a test, a
    notebook cell) has already set it up there, cleared first when on another directory."""
    hydra = GlobalHydra.instance()
    if hydra.is_initialized():
        sources = hydra.config_loader().get_sources()
        if any(s.path == config_dir and s.provider == "main" for s in sources):
            yield
            return
        hydra.clear()
    with initialize_config_dir(config_dir=config_dir, version_base="1.3"):
        yield


@contextmanager
def composition_errors_to(refuse: Callable[[HydraException], None]) -> Iterator[None]:
    """Under @hydra.main, hand each composition error to `refuse` (which ends the process)
    instead of Hydra's report: its runs compose in the private `Hydra.compose_config` (its mode
    probe, which would swallow the error, and the run), so no composition of litgan's own is
    needed first to refuse a config in one line."""
    from hydra._internal.hydra import Hydra

    original = Hydra.compose_config

    def compose_config(self: Hydra, *args: object, **kwargs: object) -> DictConfig:
        try:
            return original(self, *args, **kwargs)
        except HydraException as err:
            refuse(err)
            raise

    Hydra.compose_config = compose_config
    try:
        yield
    finally:
        Hydra.compose_config = original


def set_runtime(cfg: DictConfig) -> None:
    """Make `cfg` (composed with Hydra's own config) the one HydraConfig.get() returns, as a
    run under @hydra.main finds it: `${hydra:...}` resolves and litgan's record is written."""
    HydraConfig.instance().set_config(cfg)


def full_error() -> bool:
    """HYDRA_FULL_ERROR=1: errors are raised with their tracebacks, as Hydra raises its own."""
    return os.environ.get("HYDRA_FULL_ERROR") == "1"


def basic_launcher() -> Launcher:
    """Hydra's default launcher, which it keeps in a private module (hydra-core is pinned
    < 1.4): litgan's launcher hands it the sweeps it does not run itself."""
    from hydra._internal.core_plugins.basic_launcher import BasicLauncher

    return BasicLauncher()


def job_error(job_return: JobReturn) -> BaseException:
    """The exception a failed job raised, not raised again: JobReturn's public `return_value`
    raises it (and writes a line to stderr), so it is read from the field behind it."""
    return job_return._return_value


def unknown_flags(argv: Sequence[str]) -> list[str]:
    """The arguments of a command line that start with "-" and are none of Hydra's own flags
    (--multirun, --cfg job, --config-dir DIR, ...), as Hydra's own argument parser reads them
    (it keeps it in a private module)."""
    from hydra._internal.utils import get_args_parser

    _, unknown = get_args_parser().parse_known_args(list(argv))
    return [arg for arg in unknown if arg.startswith("-")]


def lines(err: BaseException) -> list[str]:
    """The non-blank lines of a Hydra message, stripped."""
    return [line.strip() for line in str(err).splitlines() if line.strip()]


def merged_value(err: BaseException) -> str:
    """The value of the override Hydra failed to merge: "Error merging override key=value"."""
    return str(err).removeprefix("Error merging override ").split("=", 1)[-1]


def dereferenced(err: BaseException) -> str:
    """OmegaConf's reason for refusing an interpolated value, after its
    "While dereferencing '...': " prefix."""
    return first_line(err).split("': ", 1)[-1]


def unreadable_override(err: BaseException) -> tuple[str, str]:
    """An OverrideParseException's reason and the place it points to read more."""
    text = lines(err)
    return text[0], text[-1].removeprefix("See ")


def is_ambiguous(err: BaseException) -> bool:
    """Whether Hydra refused a sweep list (a=1,2) given without -m."""
    return lines(err)[0].startswith("Ambiguous value")


def missing_option(err: BaseException) -> tuple[str, str, list[str]] | None:
    """For an option that no config group holds: Hydra's first line, its "Available options
    in '<group>'" line and the options listed; None for any other error."""
    if "Available options" not in str(err):
        return None
    text = lines(err)
    head = text[0].removeprefix("In 'train': ")
    at = next(i for i, line in enumerate(text) if line.startswith("Available options"))
    options = [o for o in text[at + 1 :] if not o.startswith(("Config search", "prov"))]
    return head, text[at].rstrip(":"), options


def instantiation_site(err: InstantiationException) -> tuple[str | None, str | None]:
    """The class (`_target_`) and the config key (full_key, when Hydra names it) that
    instantiate failed on."""
    message = str(err)
    target = re.search(r"target '([^']*)'", message)
    key = re.search(r"full_key: (\S+)", message)
    return (target[1] if target else None), (key[1] if key else None)
