"""Data modules: the benchmark mixtures and the embedded digits, as the models receive them."""

import math

import pytest
import torch

from litgan.data import DigitsDataModule, GaussianMixtureDataModule, mixture_modes
from litgan.errors import ConfigError


def test_ring_modes_are_evenly_spaced_on_the_unit_circle():
    modes = mixture_modes("ring", 8, 1.0)
    assert modes.shape == (8, 2)
    assert torch.allclose(modes.norm(dim=1), torch.ones(8), atol=1e-6)
    neighbours = (modes - modes.roll(1, 0)).norm(dim=1)
    assert torch.allclose(neighbours, torch.full((8,), 2 * math.sin(math.pi / 8)), atol=1e-6)


def test_grid_modes_are_the_5x5_lattice():
    modes = mixture_modes("grid", 25, 2.0)
    expected = {(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}
    assert {(round(x), round(y)) for x, y in modes.tolist()} == expected


@pytest.mark.parametrize(
    ("layout", "num_modes", "scale", "std"), [("ring", 8, 1.0, 0.01), ("grid", 25, 2.0, 0.05)]
)
def test_mixture_samples_sit_around_every_mode_with_the_given_std(layout, num_modes, scale, std):
    data = GaussianMixtureDataModule(layout, num_modes, scale, std, num_samples=20_000)
    data.setup()
    distance, nearest = torch.cdist(data.samples, data.modes).min(dim=1)
    counts = torch.bincount(nearest, minlength=num_modes).float()
    assert counts.min() > 0.8 * counts.mean()
    # The distance to the centre of a 2D Gaussian is Rayleigh: mean std·sqrt(pi/2).
    assert distance.mean().item() == pytest.approx(std * math.sqrt(math.pi / 2), rel=0.03)


def test_loader_serves_full_shuffled_batches():
    data = GaussianMixtureDataModule(num_samples=1000, batch_size=64)
    data.setup()
    batches = list(data.train_dataloader())
    assert len(batches) == 1000 // 64 and all(b.shape == (64, 2) for b in batches)
    seen = torch.cat(batches)
    assert len(torch.unique(seen, dim=0)) == len(seen)  # no sample twice within an epoch


@pytest.mark.parametrize("channels", [1, 3])
def test_digits_are_all_1797_images_in_minus_one_to_one(channels):
    data = DigitsDataModule(image_size=32, channels=channels)
    data.setup()
    assert data.samples.shape == (1797, channels, 32, 32) == (1797, *data.shape)
    assert data.samples.min() >= -1 and data.samples.max() <= 1
    assert data.samples.min() == -1  # the background is black
    # A digit's strokes survive the resize: a clear share of bright pixels per image.
    assert ((data.samples > 0).float().mean(dim=(1, 2, 3)) > 0.05).all()


def test_bad_data_settings_are_config_errors():
    with pytest.raises(ConfigError, match="square num_modes"):
        mixture_modes("grid", 24, 2.0)
    with pytest.raises(ConfigError, match="layout"):
        mixture_modes("spiral", 8, 1.0)
    with pytest.raises(ConfigError, match="channels"):
        DigitsDataModule(channels=2)


def test_real_dataset_gives_single_samples_of_the_declared_shape():
    data = DigitsDataModule(image_size=16)
    data.setup()
    real = data.real_dataset("train")
    assert len(real) == 1797 and real[0].shape == data.shape
    with pytest.raises(ConfigError, match="only a 'train' split"):
        data.real_dataset("test")
