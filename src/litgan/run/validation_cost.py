"""What an image run's validations will cost without a GPU, said before it starts.

On a CPU Inception-v3 at 299×299 takes a few images a second, so an image run's validations can
cost as much as its training (`python train.py model=dcgan data=digits`: 20 validations of 1,000
images). One line at the start says what they will cost, with the cheaper settings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

# Inception's rate on the project's 2-core CPU machine, both threads (benchmarks/fid_eval.py,
# benchmarks/RESULTS.md: 500 images in 123.7 s at batch 50).
CPU_IMAGES_PER_S = 4.0
# The presets sized for a CPU, by the data they train on (docs/results.md measures both).
CPU_PRESETS = {"digits": "digits_dcgan", "mnist_5k": "mnist5k_dcgan"}


def runs_on_cpu(accelerator: str) -> bool:
    """Whether Lightning's `accelerator` setting puts the run on the CPU on this machine."""
    if accelerator == "auto":
        return not (torch.cuda.is_available() or torch.backends.mps.is_available())
    return accelerator == "cpu"


def validation_count(max_steps: int, val_every: int, resumed_from: int = 0) -> int:
    """Validations from generator iteration `resumed_from` to `max_steps`: every `val_every`
    iterations, and at the last one when it is not a multiple."""
    count = max_steps // val_every - resumed_from // val_every
    return count + (max_steps % val_every != 0)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{math.ceil(seconds)} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def validation_cost_notice(
    cfg: DictConfig, data_shape: Sequence[int], resumed_from: int = 0
) -> str | None:
    """One line with what the run's Inception passes will cost on this CPU and the cheaper
    settings; None for a run on a GPU, on 2D data or without validation."""
    metrics = cfg.get("metrics")
    if len(data_shape) != 3 or not metrics or not runs_on_cpu(cfg.trainer.accelerator):
        return None
    num, max_steps, val_every = metrics.fid.num_samples, cfg.trainer.max_steps, cfg.val_every
    if max_steps > 0:
        count = validation_count(max_steps, val_every, resumed_from)
        what = f"{count} validation{'s' * (count != 1)} of {num:,} generated images"
    else:
        count = 1
        what = f"every {val_every:,} iterations, {num:,} generated images"
    line = (
        f"litgan: no GPU, so val/fid's Inception-v3 runs at ~{CPU_IMAGES_PER_S:g} images/s "
        f"(measured on 2 CPU cores): {what} ≈ {_duration(count * num / CPU_IMAGES_PER_S)}, "
        f"and ≈ {_duration(num / CPU_IMAGES_PER_S)} for up to {num:,} real ones unless their "
        f"statistics are cached"
    )
    return line + _cheaper(cfg, count, num)


def _cheaper(cfg: DictConfig, count: int, num: int) -> str:
    """The settings that would cost less; none for a run of the data's CPU preset, whose
    settings are chosen (docs/results.md)."""
    options = []
    if HydraConfig.initialized():
        choices = HydraConfig.get().runtime.choices
        preset = CPU_PRESETS.get(choices.get("data"))
        if preset is not None and choices.get("experiment") == preset:
            return ""
        if preset is not None:
            options.append(f"experiment={preset} (sized for a CPU)")
    if count > 1:
        options.append(f"val_every={cfg.trainer.max_steps} (once, at the end)")
    if num > 500:
        options.append("metrics.fid.num_samples=500")
    if not options:
        return ""
    return "; cheaper: " + ", ".join([*options, "metrics=none (no val/fid)"])
