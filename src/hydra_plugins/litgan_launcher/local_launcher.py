"""`hydra/launcher=local`: a sweep's jobs as local processes, `n_jobs` at a time."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


class LocalLauncher(Launcher):
    """Hydra's launcher interface over `litgan.run.parallel.launch`."""

    def __init__(self, n_jobs: Any = None) -> None:
        self.n_jobs = n_jobs
        self.config: DictConfig | None = None
        self.task_function: TaskFunction | None = None
        self.hydra_context: HydraContext | None = None

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        self.config = config
        self.task_function = task_function
        self.hydra_context = hydra_context

    def launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        from litgan.errors import LitganError
        from litgan.run.parallel import launch

        try:
            return launch(self, job_overrides, initial_job_idx)
        except LitganError as err:  # a bad n_jobs: one line and status 2, as train.py does
            if os.environ.get("HYDRA_FULL_ERROR") == "1":
                raise
            print(f"litgan: error: {err}", file=sys.stderr)
            sys.exit(2)
