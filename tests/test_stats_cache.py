"""Real statistics are computed once per key, reused after, and recomputed when a key changes."""

from __future__ import annotations

import torch

from litgan.data import TensorSamples
from litgan.metrics.cache import cache_path, load_or_compute
from litgan.metrics.evaluator import real_reference
from litgan.metrics.features import PointFeatures

KEY = {"dataset": "digits", "split": "train", "num_samples": 100, "feature_layer": "2048"}


class CountingPoints(PointFeatures):
    """The 2D feature space, counting the samples it is asked to embed."""

    def __init__(self) -> None:
        self.seen = 0

    def __call__(self, points: torch.Tensor) -> torch.Tensor:
        self.seen += len(points)
        return super().__call__(points)


def counter():
    calls = []

    def compute():
        calls.append(1)
        return {"mu": torch.full((3,), float(len(calls)))}

    return calls, compute


def test_hit_then_invalidation_by_every_key(tmp_path):
    calls, compute = counter()
    first = load_or_compute(tmp_path, KEY, compute)
    again = load_or_compute(tmp_path, dict(reversed(KEY.items())), compute)  # order is no key
    assert len(calls) == 1 and torch.equal(first["mu"], again["mu"])
    for change in ({"num_samples": 101}, {"split": "test"}, {"feature_layer": "768"}):
        load_or_compute(tmp_path, KEY | change, compute)
    assert len(calls) == 4
    assert len(list((tmp_path / "fid").glob("*.pt"))) == 4


def test_a_file_whose_stored_key_differs_is_recomputed(tmp_path):
    calls, compute = counter()
    load_or_compute(tmp_path, KEY, compute)
    path = cache_path(tmp_path, KEY)
    stored = torch.load(path, weights_only=True)
    stored["key"] = stored["key"].replace("digits", "mnist")  # as a hash collision would look
    torch.save(stored, path)
    assert load_or_compute(tmp_path, KEY, compute)["mu"][0] == 2 and len(calls) == 2


def test_real_reference_reads_the_cache_and_sees_changed_data(tmp_path):
    gen = torch.Generator().manual_seed(0)
    data = TensorSamples(torch.randn(300, 2, generator=gen))
    space = CountingPoints()

    def reference(dataset, num_samples=200):
        return real_reference(dataset, "blobs", "train", space, num_samples, 64, cache_dir=tmp_path)

    first = reference(data)
    assert space.seen == 200 and first.settings["num_real"] == 200
    second = reference(data)
    assert space.seen == 200  # a hit: nothing embedded again
    assert torch.equal(first.stats.sigma, second.stats.sigma)
    reference(data, num_samples=250)
    assert space.seen == 450
    # Same name, split, size and count, other samples (a new crop, say): the fingerprint differs.
    reference(TensorSamples(data.samples * 2))
    assert space.seen == 650
