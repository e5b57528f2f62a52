"""The training process's CPU settings: torch's thread count, and CUDA checks that stay cheap on
a machine without a GPU."""

from __future__ import annotations

import os

import torch

# Lightning sets this on import so that torch.cuda.is_available() asks NVML instead of
# initialising CUDA, which would break CUDA in processes forked later.
NVML_CHECK = "PYTORCH_NVML_BASED_CUDA_CHECK"


def set_up_host(cpu_threads: int | None) -> None:
    """Use `cpu_threads` torch threads (None: torch's default), and drop the NVML-based CUDA
    check where there is no CUDA device.

    Without a device the NVML check fails at every call and falls back to the CUDA runtime's
    own count, which is what the plain check does: so dropping it protects nothing less, and
    saves about 40 µs per `torch.cuda.is_available()`, which Adam calls at every step
    (benchmarks/RESULTS.md).
    """
    if cpu_threads:
        torch.set_num_threads(cpu_threads)
    if os.environ.get(NVML_CHECK) == "1" and torch.cuda.device_count() == 0:
        del os.environ[NVML_CHECK]
