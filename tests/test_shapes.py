"""data=moons, data=spiral, data=swiss_roll: the bundled shapes, drawn from their seed."""

from __future__ import annotations

import math

import pytest
import torch

from litgan.data import ShapeDataModule
from tests.helpers.runs import TINY_MLP, check_clean_failure, run_main


def points(shape: str, **kwargs) -> ShapeDataModule:
    data = ShapeDataModule(shape, batch_size=32, **kwargs)
    data.setup("fit")
    return data


def test_moons_without_noise_lie_on_their_two_half_circles():
    data = points("moons", num_samples=1000, noise=0.0)
    x = torch.cat([data.samples, data.valid]).double()
    upper = (x - torch.tensor([0.0, 0.0])).norm(dim=1)
    lower = (x - torch.tensor([1.0, 0.5])).norm(dim=1)
    on_a_circle = torch.minimum((upper - 1).abs(), (lower - 1).abs())
    assert float(on_a_circle.max()) < 1e-5
    assert 0.4 < float((x[:, 1] > 0.25).double().mean()) < 0.6  # half on each moon, about


def test_the_spiral_and_the_swiss_roll_wind_outwards():
    for shape, turns in (("spiral", 1.5), ("swiss_roll", 1.5)):
        x = torch.cat([points(shape, num_samples=2000, noise=0.0).samples]).double()
        angle = torch.atan2(x[:, 1], x[:, 0])
        radius = x.norm(dim=1)
        order = radius.argsort()
        unwrapped = torch.diff(angle[order]).remainder(2 * math.pi)
        unwrapped = torch.where(unwrapped > math.pi, unwrapped - 2 * math.pi, unwrapped)
        assert float(unwrapped.sum()) == pytest.approx(2 * math.pi * turns, rel=0.02), shape


@pytest.mark.parametrize("shape", ["moons", "spiral", "swiss_roll"])
def test_a_shape_is_its_seed_s_and_splits_its_points(shape):
    a, b, c = points(shape, seed=1), points(shape, seed=1), points(shape, seed=2)
    assert a.samples.shape == (9000, 2) and a.valid.shape == (1000, 2)
    assert torch.equal(a.samples, b.samples) and not torch.equal(a.samples, c.samples)


def test_no_validation_points_is_refused(monkeypatch, capsys, tmp_path):
    status, stderr = run_main(
        monkeypatch, capsys, tmp_path, "data=spiral", "data.val_fraction=0", base=tuple(TINY_MLP)
    )
    check_clean_failure(status, stderr, tmp_path, "data.val_fraction=0", "raise data.val_fraction")
