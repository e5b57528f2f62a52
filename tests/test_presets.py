"""Experiment presets compose to what their comments promise, and every one builds."""

from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from litgan.config.checks import validate_config
from litgan.config.compose import CONFIG_DIR, compose
from litgan.experiment import run
from tests.helpers.gans import data_and_gan
from tests.helpers.runs import compose_train

PRESETS = sorted(p.stem for p in (Path(CONFIG_DIR) / "experiment").glob("*.yaml"))


@pytest.mark.parametrize(
    ("preset", "data", "image_size"),
    [
        ("dcgan_mnist", "MNIST", 32),
        ("dcgan_cifar10", "CIFAR10", 32),
        ("dcgan_celeba", "CelebA", 64),
    ],
)
def test_dcgan_presets_use_the_paper_hyperparameters(preset, data, image_size):
    cfg = compose_train(f"experiment={preset}")
    assert cfg.data._target_ == f"litgan.data.{data}DataModule"
    assert cfg.data.batch_size == 128 and cfg.data.image_size == image_size
    assert cfg.model.generator._target_ == "litgan.networks.DCGANGenerator"
    assert cfg.model.generator.nz == 100
    assert cfg.model.generator.ngf == cfg.model.discriminator.ndf == 64
    for player in ("generator", "discriminator"):
        assert cfg.optim[player].lr == 2e-4
        assert list(cfg.optim[player].betas) == [0.5, 0.999]


def test_digits_preset_is_the_offline_image_demo():
    cfg = compose_train("experiment=digits_dcgan")
    assert cfg.data._target_ == "litgan.data.DigitsDataModule"
    assert cfg.model.generator._target_ == "litgan.networks.DCGANGenerator"
    assert cfg.model.generator.ngf == cfg.model.discriminator.ndf == 32
    assert 0 < cfg.model.ema_decay < 1 and cfg.metrics.fid.num_samples == 500
    # One validation, at the last of the 3,000 iterations: the run stays near ten CPU minutes.
    assert cfg.trainer.max_steps == cfg.val_every == 3000
    # G learns at twice D's rate; D keeps the DCGAN paper's.
    assert cfg.optim.generator.lr == 2 * cfg.optim.discriminator.lr == 4e-4


def test_loss_comparison_preset_is_a_sweep_over_both_losses_and_three_seeds():
    cfg = compose_train("experiment=ring_minimax_vs_ns")
    assert cfg.hydra.mode.name == "MULTIRUN"
    assert dict(cfg.hydra.sweeper.params) == {"loss": "minimax,non_saturating", "seed": "0,1,2"}
    assert cfg.data.layout == "ring"


LOCAL = "hydra_plugins.litgan_launcher.local_launcher.LocalLauncher"


@pytest.mark.parametrize("preset", ["game_study", "ring_minimax_vs_ns"])
def test_the_sweeps_of_small_mlps_run_their_jobs_side_by_side_unless_told_otherwise(preset):
    assert compose_train(f"experiment={preset}").hydra.launcher._target_ == LOCAL
    basic = compose_train(f"experiment={preset}", "hydra/launcher=basic").hydra.launcher
    assert basic._target_ == "hydra._internal.core_plugins.basic_launcher.BasicLauncher"
    assert compose_train("loss=minimax").hydra.launcher._target_ != LOCAL  # -m alone: basic


@pytest.mark.parametrize("data", ["ring", "grid"])
def test_sharp_2d_preset_raises_the_batch_lengthens_the_fall_and_keeps_its_widths(data):
    cfg = compose_train("experiment=sharp_2d", f"data={data}")
    assert cfg.data.layout == data and cfg.data.batch_size == 1024 and cfg.early_batch_size == 256
    assert cfg.trainer.max_steps == 20000
    # The rates of both players fall over the last three quarters: 15,000 of the 20,000 iterations.
    assert cfg.model.lr_decay == 0.75
    assert cfg.model.generator._target_ == "litgan.networks.MLPGenerator"
    # The widths its results were measured with, pinned in the preset (model=mlp's default).
    assert cfg.model.generator.hidden == cfg.model.discriminator.hidden == [64, 64, 64]
    default = compose_train(f"data={data}").model
    assert default.generator.hidden == default.discriminator.hidden == [64, 64, 64]


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_builds_its_data_module_and_gan(preset, tmp_path):
    """Composed, checked and built as train.py does, with no data read and no step taken."""
    cfg = compose(
        [
            f"experiment={preset}",
            f"paths.root_dir={tmp_path}",  # Hydra's runtime values, which only a run has
            f"paths.output_dir={tmp_path / 'run'}",
        ]
    )
    validate_config(cfg)
    datamodule, gan = data_and_gan(cfg)
    assert tuple(gan.hparams.data_shape) == datamodule.shape
    with torch.no_grad():
        samples = gan.generate(gan.fixed_noise(2))
    assert samples.shape == (2, *datamodule.shape)
    assert list(tmp_path.iterdir()) == []  # built, nothing written


def test_the_grid_preset_adds_r1_a_wider_g_and_a_longer_fall_to_the_sharp_schedule():
    grid, sharp = compose_train("experiment=sharp_grid"), compose_train("experiment=sharp_2d")
    assert grid.data._target_.endswith("GaussianMixtureDataModule") and grid.data.layout == "grid"
    assert grid.penalty._target_ == "litgan.game.penalties.R1" and grid.penalty.weight == 0.1
    assert grid.model.discriminator.batch_norm is False
    assert list(grid.model.generator.hidden) == [256, 256, 256]
    assert list(grid.model.discriminator.hidden) == [128, 128, 128]
    # Two threads for these widths; plain model=mlp keeps one, faster for its 3x64 at batch 256.
    assert grid.model.cpu_threads == 2 and compose_train().model.cpu_threads == 1
    for key in ("early_batch_size", "data.batch_size", "model.lr_decay"):
        assert OmegaConf.select(grid, key) == OmegaConf.select(sharp, key)
    assert grid.trainer.max_steps == 36000 > sharp.trainer.max_steps


@pytest.mark.slow
@pytest.mark.usefixtures("run_in_process")
def test_the_saturation_preset_starves_the_minimax_g(tmp_path):
    # Seed 0 only: a pair of runs costs minutes on shared cores (3 seeds: the sweep in the
    # preset's comment).
    medians = {}
    for loss in ("minimax", "non_saturating"):
        result = run(
            "experiment=saturation",
            f"loss={loss}",
            "trainer.max_steps=500",
            "metrics=none",
            "pictures=false",  # the gradient norms are all it reads
            "trainer.enable_progress_bar=false",
            run_dir=tmp_path / loss,
        )
        norms = result.metrics["train/g_grad_norm"].dropna()
        medians[loss] = float(norms[norms.index <= 500].median())
    assert medians["minimax"] <= 0.1 * medians["non_saturating"], medians
