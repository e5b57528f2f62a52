"""The evaluator on 2D data: FID on coordinates, mode coverage, KID/PRC, and a reset per compute."""

from __future__ import annotations

import math

import pytest
import torch

from litgan.cli.fid import main
from litgan.data import GaussianMixtureDataModule
from litgan.metrics import Evaluator, build_evaluator, feature_statistics, fid_floor
from litgan.metrics.evaluator import Reference
from litgan.metrics.features import PointFeatures
from litgan.metrics.prdc import density_coverage

METRICS = {
    "split": "train",
    "cache_dir": None,
    "points": {"num_samples": 2000, "high_quality_stds": 3, "divergences": True, "bandwidth": 1.0},
    "extra": [],
}


@pytest.fixture(scope="module")
def ring():
    data = GaussianMixtureDataModule(num_samples=20_000, batch_size=64)
    data.setup()
    return data


def test_real_data_scores_like_real_data_and_state_resets(ring):
    evaluator = build_evaluator(METRICS, ring)
    fake = ring.real_batch(2000, seed=1)
    evaluator.update(fake[:1500])
    evaluator.update(fake[1500:])
    first = evaluator.compute()
    assert first["val/modes"] == 8 and first["val/high_quality"] > 0.98
    assert first["val/reverse_kl"] < 0.01
    assert first["val/fid"] < 1e-3
    # Two samples of one distribution, 2,000 each: density 1, coverage 1 - 2^-k (k = 5).
    assert first["val/density"] == pytest.approx(1, abs=0.06)
    assert first["val/coverage"] == pytest.approx(1 - 2**-5, abs=0.02)
    # A collapsed generator right after: nothing of the previous validation is left over.
    one_mode = ring.modes[2].expand(2000, 2) + 0.001 * torch.randn(2000, 2)
    evaluator.update(one_mode)
    collapsed = evaluator.compute()
    # The reference's balls, computed at the first validation, are those of the second.
    afresh = density_coverage(one_mode, evaluator.reference.features)
    assert (collapsed["val/density"], collapsed["val/coverage"]) == tuple(afresh.values())
    assert collapsed["val/modes"] == 1 and collapsed["val/fid"] > 0.5
    assert collapsed["val/reverse_kl"] == pytest.approx(math.log(8))
    assert collapsed["val/coverage"] < 0.05  # a few of one mode's 1/8 of the real points
    assert evaluator.settings["extra"] == ["dc"] and evaluator.settings["nearest_k"] == 5


def test_density_and_coverage_on_kept_features_as_for_images():
    # Images take the same path on Inception features: the reference keeps them for dc.
    real = torch.randn(1000, 16, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    reference = Reference(feature_statistics(real), real, {})
    evaluator = Evaluator(PointFeatures(), reference, 1000, 500, extra=["dc"], nearest_k=3)
    evaluator.update(real)
    itself = evaluator.compute()
    assert itself["val/coverage"] == 1.0 and itself["val/density"] > 1
    with pytest.raises(ValueError, match="need the reference's features"):
        Evaluator(PointFeatures(), Reference(reference.stats, None, {}), 10, 10, extra=["dc"])


def test_kid_and_precision_recall_on_the_same_features(ring):
    # 500 samples: below KID's subset size of 1,000, one subset (the whole set) is the estimate.
    points = {"num_samples": 500, "high_quality_stds": 3, "divergences": False, "bandwidth": 1.0}
    evaluator = build_evaluator(METRICS | {"extra": ["kid", "prc"], "points": points}, ring)
    evaluator.update(ring.real_batch(500, seed=1))
    same = evaluator.compute()
    evaluator.update(ring.modes[0].expand(500, 2) + 0.01 * torch.randn(500, 2))
    collapsed = evaluator.compute()
    assert collapsed["val/kid"] > 100 * abs(same["val/kid"])
    assert same["val/precision"] > 0.9 and same["val/recall"] > 0.9
    # A collapsed G: its samples look real (precision), but most real data is far from them.
    assert collapsed["val/precision"] > 0.9 and collapsed["val/recall"] < 0.2


def test_precision_and_recall_are_not_swapped(ring):
    # torch-fidelity below 0.4.0 read its arguments the other way round (toshas/torch-fidelity#58):
    # there a collapsed G scored low precision and high recall, a spread one the reverse.
    points = {"num_samples": 500, "high_quality_stds": 3, "divergences": False, "bandwidth": 1.0}
    evaluator = build_evaluator(METRICS | {"extra": ["prc"], "points": points}, ring)
    evaluator.update(ring.modes[0].expand(500, 2) + 0.01 * torch.randn(500, 2))
    collapsed = evaluator.compute()
    # Spread far beyond the ring: it covers every real point, and few of its points look real.
    evaluator.update(6 * (2 * torch.rand(500, 2, generator=torch.Generator().manual_seed(0)) - 1))
    spread = evaluator.compute()
    assert collapsed["val/recall"] < 0.2 < 0.9 < collapsed["val/precision"]
    assert spread["val/precision"] < 0.2 < 0.9 < spread["val/recall"]


def test_fid_floor_of_two_halves_of_the_data(ring):
    floor, n = fid_floor(ring.real_dataset(), PointFeatures(), 5000, 1000)
    assert n == 5000 and 0 < floor < 1e-3
    _, n = fid_floor(ring.real_dataset(), PointFeatures(), 50_000, 1000)
    assert n == 10_000  # at most half the data each, so the halves never share a sample


def test_litgan_fid_floor_is_the_floor_of_the_configured_data(ring, capsys):
    main(["--floor", "ring", "--num-samples", "3000", "data.num_samples=20000", "seed=0"])
    # The ring config at seed 0 draws the fixture's data set.
    expected, n = fid_floor(ring.real_dataset(), PointFeatures(), 3000, 3000)
    line = capsys.readouterr().out.strip()
    assert n == 3000
    assert line == f"FID floor: {expected:.6f} (two disjoint halves of {n} samples)"


@pytest.mark.parametrize("argv", [["ring"], ["grid", "--floor", "ring"]])
def test_litgan_fid_needs_two_sources_or_one_with_floor(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and "--floor" in capsys.readouterr().err
