"""Inception Score (metrics.extra=[isc], litgan-fid --isc): torch-fidelity's number on the same
images, and a clean fallback where the Inception weights have no classifier."""

from __future__ import annotations

import logging

import pytest
import torch
import torch_fidelity

from litgan.cli.fid import main
from litgan.errors import ConfigError
from litgan.metrics.evaluator import Evaluator, Reference, isc_space
from litgan.metrics.features import InceptionFeatures
from litgan.metrics.fid import feature_statistics, stats_distance
from litgan.metrics.isc import NoClassifierError, inception_score
from tests.helpers.images import write_images

NUM_IMAGES = 20  # 10 splits of 2: a split of one image always scores exactly 1


@pytest.fixture(scope="module")
def classifier_weights(inception_weights, tmp_path_factory):
    """The converted weights with a classifier filled in by a fixed random draw.

    The offline conversion has no trained classifier (NaN); a random one still maps the same
    pool3 features to logits, which is all that a comparison of two implementations needs.
    """
    state = torch.load(inception_weights, map_location="cpu", weights_only=True)
    gen = torch.Generator().manual_seed(0)
    state["fc.weight"] = 0.05 * torch.randn(state["fc.weight"].shape, generator=gen)
    state["fc.bias"] = torch.randn(state["fc.bias"].shape, generator=gen)
    path = tmp_path_factory.mktemp("weights") / "with_classifier.pth"
    torch.save(state, path)
    return path


def test_inception_score_closed_forms():
    # One confident class per image, C classes in equal numbers: exp(H(p(y))) = C.
    confident = 50.0 * torch.eye(5).repeat(4, 1)
    assert inception_score(confident, splits=1)[0] == pytest.approx(5, rel=1e-6)
    # Every image classified alike: p(y|x) = p(y), KL 0, a score of 1 in every split.
    same = torch.randn(1, 1008).expand(30, -1)
    assert inception_score(same) == pytest.approx((1.0, 0.0), abs=1e-9)
    # Fewer images than splits: a split per image (each scores 1), not torch-fidelity's NaN.
    mean, std = inception_score(torch.randn(3, 1008))
    assert mean == pytest.approx(1.0) and std == pytest.approx(0.0, abs=1e-9)


def test_litgan_fid_isc_is_torch_fidelitys_on_the_same_images(classifier_weights, tmp_path, capsys):
    a = write_images(tmp_path / "a", 0, NUM_IMAGES)
    b = write_images(tmp_path / "b", 1, 2)
    weights = f"metrics.fid.weights_path={classifier_weights}"
    # The score, not FID: 64 features (pool3's 2048 cost about 5 s of CPU for FID's square root).
    main([str(a), str(b), "--isc", "--batch-size", "10", weights, "metrics.fid.feature_layer=64"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("FID: ")
    assert lines[1].startswith("Inception Score of a: ")
    mean, std = (float(x) for x in lines[1].removeprefix("Inception Score of a: ").split(" ± "))
    reference = torch_fidelity.calculate_metrics(
        input1=str(a),
        isc=True,
        cuda=False,
        cache=False,
        verbose=False,
        feature_extractor_weights_path=str(classifier_weights),
        save_cpu_ram=True,  # no loader worker processes
    )
    assert mean == pytest.approx(reference["inception_score_mean"], rel=1e-5)
    assert std == pytest.approx(reference["inception_score_std"], rel=1e-4, abs=1e-6)
    assert mean > 1.01  # a split of two different images scores above 1


def test_the_evaluator_scores_the_logits_of_its_own_forward_passes(classifier_weights):
    # 64 features: two FIDs on pool3's 2048 would cost about 10 s of CPU in square roots.
    space = InceptionFeatures(classifier_weights, feature_layer=64, logits=True)
    batches = (torch.rand(12, 3, 16, 16) * 2 - 1).split(6)
    reference = Reference(feature_statistics(torch.randn(4, 64)), None, {})
    evaluator = Evaluator(space, reference, 12, 6, extra=["isc"])
    for batch in batches:
        evaluator.update(batch)
    results = evaluator.compute()
    pairs = [space.features_and_logits(batch) for batch in batches]
    features, logits = (torch.cat(x) for x in zip(*pairs, strict=True))
    assert (results["val/isc"], results["val/isc_std"]) == inception_score(logits)
    assert results["val/isc"] > 1.0  # splits of two different images score above 1
    assert results["val/fid"] == pytest.approx(
        stats_distance(feature_statistics(features), reference.stats)
    )


def test_weights_without_a_classifier_leave_isc_out_with_a_warning(
    inception_weights, tmp_path, capsys, caplog
):
    with pytest.raises(NoClassifierError, match="no classifier layer"):
        InceptionFeatures(inception_weights, logits=True)
    cfg = {"fid": {"weights_path": str(inception_weights), "feature_layer": "2048"}}
    extra = ["kid", "isc"]
    with caplog.at_level(logging.WARNING, logger="litgan"):
        space = isc_space((1, 16, 16), cfg, extra)
    assert extra == ["kid"] and not space.logits
    assert "val/isc left out" in caplog.text and "no classifier layer" in caplog.text
    with pytest.raises(ConfigError, match="2D points"):
        isc_space((2,), cfg, ["isc"])

    # litgan-fid prints the FID all the same, and says why there is no score.
    a = write_images(tmp_path / "a", 0, 3)
    weights = f"metrics.fid.weights_path={inception_weights}"
    main([str(a), str(a), "--isc", weights, "metrics.fid.feature_layer=64"])  # 2048: 5 s more
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("FID: ") and len(out) == 2
    assert out[1].startswith("Inception Score: not computed: ") and "no classifier" in out[1]
