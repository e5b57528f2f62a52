"""`python train.py model=dcgan data=<image data set>`: runs end to end, and every bad input
ends in one line on stderr, exit status 2 and no results written."""

from __future__ import annotations

import json
import socket
import urllib.request

import pytest
import torch

from tests.helpers.datasets_on_disk import (
    path_in,
    write_celeba,
    write_cifar10,
    write_image_folder,
    write_mnist,
)
from tests.helpers.runs import PICTURES, TINY_DCGAN, check_clean_failure, run_main


@pytest.mark.slow
def test_dcgan_trains_on_mnist_fashion_mnist_cifar10_and_celeba(train_in, tmp_path):
    data_dir = tmp_path / "datasets"
    write_mnist(data_dir)
    write_mnist(data_dir, "FashionMNIST")
    write_cifar10(data_dir)
    write_celeba(data_dir)
    sweep = tmp_path / "sweep"
    run = train_in(
        "-m",
        *TINY_DCGAN,
        PICTURES,
        "data=mnist,fashion_mnist,cifar10,celeba",
        "data.batch_size=4",
        "trainer.max_steps=4",
        run_dir=sweep,
        env={"LITGAN_DATA_DIR": str(data_dir)},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    # The model's images follow each data set's default size and channels.
    shapes = [[1, 32, 32], [1, 32, 32], [3, 32, 32], [3, 64, 64]]
    for job, shape in enumerate(shapes):
        job_dir = sweep / str(job)
        assert json.loads((job_dir / "summary.json").read_text())["g_steps"] == 4
        ckpt = torch.load(job_dir / "checkpoints" / "last.ckpt", weights_only=False)
        assert list(ckpt["hyper_parameters"]["data_shape"]) == shape
        assert (job_dir / "samples" / "g_step_000004.png").is_file()


def test_dcgan_trains_on_an_image_folder_and_skips_its_damaged_file(train_in, tmp_path):
    write_image_folder(tmp_path / "images")  # 7 image files, one of them truncated
    run = train_in(
        *TINY_DCGAN,
        "data=image_folder",
        "data.path=images",  # relative to the directory train.py runs in
        "data.image_size=16",
        "data.channels=1",
        "data.batch_size=7",  # every file in the first batch: the damaged one is met for sure
        "trainer.max_steps=2",
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.summary["g_steps"] == 2
    ckpt = torch.load(run.run_dir / "checkpoints" / "last.ckpt", weights_only=False)
    assert list(ckpt["hyper_parameters"]["data_shape"]) == [1, 16, 16]
    output = run.stdout + run.stderr
    assert "skipped unreadable image" in output and "truncated.jpg" in output
    assert "has skipped 1 file(s)" in output


def truncate_mnist(tmp_path):
    idx = write_mnist(tmp_path / "datasets") / "train-images-idx3-ubyte"
    idx.write_bytes(idx.read_bytes()[:1000])


def damage_cifar10(tmp_path):
    batch = write_cifar10(tmp_path / "datasets") / "data_batch_2"
    batch.write_bytes(batch.read_bytes()[:300])


def unreadable_folder(tmp_path):
    path_in(tmp_path / "faces", "a/one.jpg").write_bytes(b"\xff\xd8\xff\xe0 half a header")
    path_in(tmp_path / "faces", "b/two.png").write_bytes(b"")


BAD_INPUT = {
    "mnist absent": (
        None,
        ["data=mnist", "data.download=false"],
        [
            "MNIST is not in",
            "MNIST/raw/train-images-idx3-ubyte is missing",
            "data.download=true",
            "data=mnist_5k",
            "experiment=digits_dcgan",
        ],
    ),
    "celeba absent": (
        None,
        ["data=celeba"],
        [
            "CelebA is not in",
            "celeba/img_align_celeba/000001.jpg",
            "data.download=true",
            "data=mnist_5k",
        ],
    ),
    "folder not set": (None, ["data=image_folder"], ["data=image_folder needs data.path"]),
    "folder missing": (None, ["data=image_folder", "data.path=faces"], ["faces does not exist"]),
    "folder empty": (
        lambda tmp: (tmp / "faces" / "sub").mkdir(parents=True),
        ["data=image_folder", "data.path=faces"],
        ["faces holds no image files", ".jpg"],
    ),
    "folder is a file": (
        lambda tmp: (tmp / "faces").write_text("x"),
        ["data=image_folder", "data.path=faces"],
        ["faces is a file"],
    ),
    "folder unreadable": (
        unreadable_folder,
        ["data=image_folder", "data.path=faces"],
        ["none of the 2 image files could be read"],
    ),
    "mnist truncated": (
        truncate_mnist,
        ["data=mnist"],
        ["train-images-idx3-ubyte is truncated or damaged", "get it again"],
    ),
    "cifar10 damaged": (
        damage_cifar10,
        ["data=cifar10"],
        ["data_batch_2 is not a readable CIFAR-10 batch"],
    ),
    "size dcgan cannot build": (
        None,
        ["data=mnist", "data.image_size=28"],
        ["the data is 28x28. Set data.image_size"],
    ),
    "batch larger than data": (
        lambda tmp: write_mnist(tmp / "datasets", n_train=24),
        ["data=mnist", "data.batch_size=16", "d_steps=2"],
        ["needs 32 images", "only 24", "lower data.batch_size or d_steps"],
    ),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_data_input_fails_cleanly(case, monkeypatch, capsys, tmp_path):
    prepare, overrides, messages = BAD_INPUT[case]
    if prepare:
        prepare(tmp_path)
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *overrides)
    check_clean_failure(status, stderr, tmp_path, *messages)


@pytest.fixture
def offline(monkeypatch):
    """Every HTTP(S) connection goes to a local port nobody listens on: refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    # urllib builds its opener, with the proxies of that moment, once per process.
    monkeypatch.setattr(urllib.request, "_opener", None)


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        (
            "cifar10",
            ["could not download CIFAR-10", "cifar-10-python.tar.gz", "cifar-10-batches-py"],
        ),
        ("mnist", ["could not download MNIST", "ossci-datasets.s3.amazonaws.com", "gunzip"]),
        ("celeba", ["could not download CelebA from Google Drive", "img_align_celeba.zip"]),
    ],
)
def test_a_failed_download_says_how_to_get_the_data(
    data, messages, offline, monkeypatch, capsys, tmp_path
):
    status, stderr = run_main(monkeypatch, capsys, tmp_path, f"data={data}", "data.download=true")
    offline = ["data=mnist_5k", "experiment=digits_dcgan"]
    check_clean_failure(status, stderr, tmp_path, *messages, *offline)
    assert not (tmp_path / "datasets").exists()  # no empty folder left by the attempt
