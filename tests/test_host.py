"""The training process's CPU settings (litgan.run.torch_setup)."""

from __future__ import annotations

import os

import torch

from litgan.run.torch_setup import NVML_CHECK, set_up_host


def test_threads_are_set_and_the_nvml_check_is_dropped_only_without_a_cuda_device(monkeypatch):
    monkeypatch.setenv(NVML_CHECK, "1")  # as importing Lightning leaves it
    threads = torch.get_num_threads()
    try:
        set_up_host(1)
        assert torch.get_num_threads() == 1
        # With a device the check keeps CUDA uninitialised before forks: it must stay.
        assert (os.environ.get(NVML_CHECK) == "1") == (torch.cuda.device_count() > 0)
        set_up_host(None)
        assert torch.get_num_threads() == 1  # None leaves the thread count alone
    finally:
        torch.set_num_threads(threads)


def test_a_variable_the_user_set_otherwise_is_left_alone(monkeypatch):
    monkeypatch.setenv(NVML_CHECK, "0")
    set_up_host(None)
    assert os.environ[NVML_CHECK] == "0"
