"""An image run without a GPU says at its start what its Inception passes will cost
(`litgan.run.validation_cost`), with the cheaper settings."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from hydra.core.hydra_config import HydraConfig

from litgan.run.validation_cost import (
    CPU_IMAGES_PER_S,
    CPU_PRESETS,
    runs_on_cpu,
    validation_cost_notice,
    validation_count,
)
from tests.helpers.runs import TINY_DCGAN, compose_train, run_main

DIGITS = (1, 32, 32)


@pytest.fixture
def as_in_a_run() -> Iterator:
    """compose_train's config, also as Hydra's own config, which a run has (the choices)."""

    def compose(*overrides: str):
        cfg = compose_train(*overrides)
        HydraConfig.instance().set_config(cfg)
        return cfg

    yield compose
    HydraConfig.instance().cfg = None


def expected_cost(cfg) -> tuple[int, int, float]:
    """(validations, images per validation, seconds) from the config: a validation every
    val_every iterations and one at the end, each of metrics.fid.num_samples images."""
    count = math.ceil(cfg.trainer.max_steps / cfg.val_every)
    num = cfg.metrics.fid.num_samples
    return count, num, count * num / CPU_IMAGES_PER_S


def test_the_readmes_dcgan_line_says_its_validations_cost_83_minutes_on_a_cpu(as_in_a_run):
    cfg = as_in_a_run("model=dcgan", "data=digits", "trainer.accelerator=cpu")
    count, num, seconds = expected_cost(cfg)
    assert (count, num) == (20, 1000) and seconds == 5000  # 10,000 iterations, val_every 500
    notice = validation_cost_notice(cfg, DIGITS)
    assert notice.startswith("litgan: no GPU") and "\n" not in notice
    assert f"~{CPU_IMAGES_PER_S:g} images/s" in notice
    assert "20 validations of 1,000 generated images ≈ 83 min" in notice
    assert "≈ 4 min for up to 1,000 real ones" in notice  # 1,000 / 4 per second, once
    cheaper = notice.split("; cheaper: ")[1]
    for option in (
        "experiment=digits_dcgan",
        "val_every=10000 (once, at the end)",
        "metrics.fid.num_samples=500",
        "metrics=none",
    ):
        assert option in cheaper


@pytest.mark.parametrize(
    ("overrides", "validations", "seconds", "cheaper"),
    [
        # The CPU preset: one validation of 500 at the end, and nothing cheaper to offer.
        (("experiment=digits_dcgan",), 1, 125, None),
        # A validation at the last iteration too, when it is not a multiple of val_every.
        (("experiment=digits_dcgan", "trainer.max_steps=3500", "val_every=1000"), 4, 500, None),
        (
            ("model=dcgan", "data=digits", "trainer.max_steps=2000", "metrics.fid.num_samples=200"),
            4,
            200,
            "experiment=digits_dcgan (sized for a CPU), val_every=2000 (once, at the end), "
            "metrics=none (no val/fid)",
        ),
    ],
)
def test_the_cost_is_validations_times_samples_at_the_measured_rate(
    as_in_a_run, overrides, validations, seconds, cheaper
):
    cfg = as_in_a_run(*overrides, "trainer.accelerator=cpu")
    assert expected_cost(cfg)[::2] == (validations, seconds)
    notice = validation_cost_notice(cfg, DIGITS)
    plural = "s" if validations > 1 else ""
    num = cfg.metrics.fid.num_samples
    assert f"{validations} validation{plural} of {num:,} generated images ≈ " in notice
    shown = notice.split(" generated images ≈ ")[1].split(",")[0]
    assert shown == (f"{math.ceil(seconds)} s" if seconds < 90 else f"{round(seconds / 60)} min")
    assert notice.partition("; cheaper: ")[2] == (cheaper or "")


def test_no_notice_on_a_gpu_for_2d_data_or_without_validation(as_in_a_run):
    auto = validation_cost_notice(as_in_a_run("model=dcgan", "data=digits"), DIGITS)
    assert (auto is not None) == runs_on_cpu("auto")  # accelerator=auto: whatever this host has
    gpu = as_in_a_run("model=dcgan", "data=digits", "trainer.accelerator=gpu")
    assert validation_cost_notice(gpu, DIGITS) is None
    assert validation_cost_notice(as_in_a_run("trainer.accelerator=cpu"), (2,)) is None
    unvalidated = as_in_a_run("model=dcgan", "data=digits", "metrics=none")
    assert validation_cost_notice(unvalidated, DIGITS) is None


def test_a_resumed_run_counts_only_the_validations_left():
    assert validation_count(10000, 500) == 20
    assert validation_count(10000, 500, resumed_from=7250) == 6  # 7,500 ... 10,000
    assert validation_count(3500, 1000, resumed_from=3000) == 1  # the last iteration's


def test_each_cpu_preset_trains_on_its_data(as_in_a_run):
    for data, preset in CPU_PRESETS.items():
        as_in_a_run(f"experiment={preset}")
        assert HydraConfig.get().runtime.choices["data"] == data


def test_an_image_run_on_a_cpu_prints_the_line_before_it_trains(
    monkeypatch, capsys, tmp_path, inception_weights
):
    monkeypatch.setenv("LITGAN_CACHE_DIR", str(tmp_path / "cache"))
    overrides = [
        "data=digits",
        f"metrics.fid.weights_path={inception_weights}",
        "metrics.fid.num_samples=4",
        "metrics.fid.batch_size=4",
        "metrics.fid.feature_layer=64",  # 2048's covariance square root: 5 s of CPU a validation
        "trainer.max_steps=6",
        "val_every=4",
        "trainer.accelerator=cpu",
        "trainer.enable_progress_bar=false",
    ]
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *overrides, base=tuple(TINY_DCGAN))
    assert status == 0, stderr
    [notice] = [line for line in stderr.splitlines() if line.startswith("litgan: no GPU")]
    # Validations at 4 and at the last iteration, 6: 2 × 4 images at 4 a second.
    assert "2 validations of 4 generated images ≈ 2 s" in notice
    assert "≈ 1 s for up to 4 real ones" in notice
    assert "experiment=digits_dcgan (sized for a CPU)" in notice
    assert stderr.index("litgan: no GPU") < stderr.index("real digits")  # before the statistics
