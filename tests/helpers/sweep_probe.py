"""A Hydra callback that reads a job's process as the job starts and leaves it changed when
the job ends: in a sweep whose launcher reuses processes, every job must find it as the first.

`+hydra.callbacks.probe._target_=tests.helpers.sweep_probe.LeakProbe
+hydra.callbacks.probe.out=<dir>`: job N writes `<dir>/N.json`; `+hydra.callbacks.probe.leave=false`
changes nothing (for a sweep in the test's own process).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import warnings
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

LEAK_VARIABLE = "LITGAN_TEST_LEAK"
LEAK_LOGGER = "litgan.test.leak"
LEAK_MESSAGE = "litgan test leak"


def _ignore(signum: int, frame: Any) -> None:
    """A handler that a job leaves installed."""


class LeakProbe(Callback):
    def __init__(self, out: str, leave: bool = True) -> None:
        self.out = Path(out)
        self.leave = leave

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        import matplotlib
        import torch

        state = {
            "pid": os.getpid(),
            "torch_threads": torch.get_num_threads(),
            "omp_threads": os.environ.get("OMP_NUM_THREADS"),
            "variable": os.environ.get(LEAK_VARIABLE),
            "sigusr1_default": signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL,
            "logger_handlers": len(logging.getLogger(LEAK_LOGGER).handlers),
            "filtered": any(f[1] and f[1].pattern == LEAK_MESSAGE for f in warnings.filters),
            "linewidth": matplotlib.rcParams["lines.linewidth"],
            "cwd": os.getcwd(),
            "argv0": sys.argv[0],
        }
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / f"{config.hydra.job.num}.json").write_text(json.dumps(state))

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        if not self.leave:
            return
        import matplotlib
        import torch

        torch.set_num_threads(3)
        os.environ[LEAK_VARIABLE] = "left by an earlier job"
        os.environ["OMP_NUM_THREADS"] = "5"
        signal.signal(signal.SIGUSR1, _ignore)
        logging.getLogger(LEAK_LOGGER).addHandler(logging.StreamHandler(sys.stderr))
        warnings.filterwarnings("ignore", message=LEAK_MESSAGE)
        matplotlib.rcParams["lines.linewidth"] = 9.0
        os.chdir(self.out)
        sys.argv = ["left-by-an-earlier-job"]
