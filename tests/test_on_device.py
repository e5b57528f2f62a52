"""data.on_device: the training set held on the training device, batches drawn there."""

from __future__ import annotations

import json

import pytest
import pytorch_lightning as pl
import torch
from torch.utils.data import BatchSampler

from litgan.data import (
    CIFAR10DataModule,
    DigitsDataModule,
    GaussianMixtureDataModule,
    MNISTDataModule,
)
from litgan.data.order import DeviceBatches, EpochShuffle
from litgan.data.transforms import to_unit_range
from litgan.errors import ConfigError
from tests.helpers.checkpoints import final_weights, max_abs_diff
from tests.helpers.datasets_on_disk import write_cifar10, write_mnist
from tests.helpers.runs import TINY_DCGAN, TINY_MLP, run_main


def ring(tmp_path, **kwargs):
    return GaussianMixtureDataModule(num_samples=1000, batch_size=64, **kwargs)


def digits(tmp_path, **kwargs):
    return DigitsDataModule(image_size=16, channels=3, batch_size=100, **kwargs)


def mnist(tmp_path, **kwargs):
    if not (tmp_path / "MNIST").exists():
        write_mnist(tmp_path, n_train=40)
    return MNISTDataModule(str(tmp_path), batch_size=8, num_workers=0, **kwargs)


def cifar10(tmp_path, **kwargs):
    if not (tmp_path / "cifar-10-batches-py").exists():
        write_cifar10(tmp_path, per_batch=8)
    return CIFAR10DataModule(str(tmp_path), batch_size=8, flip=False, num_workers=0, **kwargs)


@pytest.mark.parametrize("make", [ring, digits, mnist, cifar10])
def test_device_batches_are_the_loader_batches(make, tmp_path):
    loader, device = make(tmp_path), make(tmp_path, on_device=True)
    for data in (loader, device):
        data.setup("fit")
    expected, got = list(loader.train_dataloader()), list(device.train_dataloader())
    assert len(got) == len(expected) == len(device.train_dataloader()) > 1
    for a, b in zip(expected, got, strict=True):
        assert b.dtype == torch.float32 and b.shape == (device.batch_size, *device.shape)
        assert torch.equal(a, b)  # the same samples, in the same order, value for value
    if isinstance(device, MNISTDataModule | CIFAR10DataModule):
        assert device.device_images.dtype == torch.uint8  # a quarter of float32's memory


def test_the_device_order_is_epoch_shuffles_in_every_epoch_and_resumes_mid_epoch():
    samples = torch.arange(100.0).unsqueeze(1)
    epoch = [0]
    batches = DeviceBatches(samples, 8, seed=3, epoch=lambda: epoch[0])
    for e in (0, 1):
        epoch[0] = e
        sampler = BatchSampler(EpochShuffle(100, 3, lambda: e), 8, drop_last=True)  # noqa: B023
        expected = [samples[index] for index in sampler]
        got = list(batches)
        assert len(got) == len(batches) == 12
        assert all(torch.equal(a, b) for a, b in zip(expected, got, strict=True))
    whole = torch.cat(list(batches))
    batches.resume_at(1, 5)
    assert torch.equal(torch.cat(list(batches)), whole[5 * 8 :])
    assert torch.equal(torch.cat(list(batches)), whole)  # the skip applies once
    batches.resume_at(0, 5)
    assert torch.equal(torch.cat(list(batches)), whole)  # and only in the epoch it was saved in


def test_each_rank_draws_its_own_shard_of_every_epoch():
    samples = torch.arange(103.0).unsqueeze(1)  # 12 full batches of 8: 6 per rank
    ranks = [DeviceBatches(samples, 8, 3, lambda: 0, rank=r, world_size=2) for r in (0, 1)]
    assert len(ranks[0]) == len(ranks[1]) == 6
    shards = [torch.cat(list(rank)).flatten().tolist() for rank in ranks]
    assert len(shards[0]) == len(shards[1]) == 48
    assert not set(shards[0]) & set(shards[1])
    single = torch.cat(list(DeviceBatches(samples, 8, 3, lambda: 0))).flatten().tolist()
    assert sorted(shards[0] + shards[1]) == sorted(single)  # together: the one-device epoch
    ranks[1].resume_at(0, 2)  # each rank skips the batches it had consumed itself
    assert torch.cat(list(ranks[1])).flatten().tolist() == shards[1][16:]
    with pytest.raises(ConfigError, match="fewer batches than ranks"):
        DeviceBatches(samples, 8, 3, lambda: 0, rank=0, world_size=13)


def test_flip_mirrors_about_half_the_images_as_a_function_of_seed_and_epoch():
    image = torch.zeros(1, 4, 4, dtype=torch.uint8)
    image[..., 2:] = 255  # dark left half, bright right half
    samples = image.expand(64, -1, -1, -1).contiguous()

    def epoch_of(flip: bool, epoch: int = 0) -> torch.Tensor:
        batches = DeviceBatches(samples, 16, 0, lambda: epoch, flip=flip, to_float=to_unit_range)
        return torch.cat(list(batches))

    plain, flipped = epoch_of(False), epoch_of(True)
    assert set(plain.unique().tolist()) == {-1.0, 1.0}
    assert (plain[:, 0, :, 0] == -1).all()
    mirrored = flipped[:, 0, 0, 0] == 1
    assert 10 < int(mirrored.sum()) < 54
    assert torch.equal(flipped, torch.where(mirrored.view(-1, 1, 1, 1), plain.flip(-1), plain))
    assert torch.equal(epoch_of(True), flipped)
    assert not torch.equal(epoch_of(True, epoch=1), flipped)


def test_a_training_set_over_the_cap_is_a_config_error_naming_the_key(
    monkeypatch, capsys, tmp_path
):
    # 40 images of 32x32: 40 KB.
    too_small = mnist(tmp_path, on_device=True, on_device_max_mb=0.01)
    with pytest.raises(ConfigError, match=r"mnist's 40 images on the training device: 0\.0 MB"):
        too_small.setup("fit")
    mnist(tmp_path, on_device=True, on_device_max_mb=0.05).setup("fit")
    status, stderr = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        "++data.on_device=true",
        "++data.on_device_max_mb=0.5",  # the ring's 100,000 points take 0.8 MB
        base=tuple(TINY_MLP),
    )
    assert status == 2
    assert stderr == (
        "litgan: error: data.on_device=true would hold ring's 100000 samples on the training "
        "device: 0.8 MB, more than data.on_device_max_mb=0.5; raise data.on_device_max_mb or "
        "set data.on_device=false\n"
    )


class CrashAt(pl.Callback):
    """Raise after generator iteration `g_step`, once its checkpoint is written: a crash."""

    def __init__(self, g_step: int) -> None:
        self.g_step = g_step

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if pl_module.g_steps == self.g_step:
            raise RuntimeError(f"simulated crash after generator iteration {self.g_step}")


# 2048 points in batches of 64: 32 per epoch. The crash lands mid-epoch, the resumed run
# crosses an epoch boundary.
EXACT = [
    *TINY_MLP,
    "data.num_samples=2048",
    "data.batch_size=64",
    "checkpoint_every=10",
    "trainer.max_steps=80",
]


def test_on_device_trains_as_the_loader_does_and_resumes_exactly(monkeypatch, capsys, tmp_path):
    def train(name: str, *overrides: str) -> tuple[int, str]:
        run_dir = f"hydra.run.dir={tmp_path / name}"
        return run_main(monkeypatch, capsys, tmp_path, run_dir, *overrides, base=tuple(EXACT))

    def weights(name: str) -> dict[str, torch.Tensor]:
        return final_weights(tmp_path / name)

    assert train("loader")[0] == 0
    assert train("device", "++data.on_device=true")[0] == 0
    # Same data order, same math: switching data.on_device does not change a run on one device.
    assert max_abs_diff(weights("loader"), weights("device")) == 0

    # Batches of 5 generator iterations end at 45: the crash lands between two checkpoints.
    crash = [
        "++data.on_device=true",
        "steps_per_batch=5",
        "+callbacks.crash._target_=tests.test_on_device.CrashAt",
    ]
    status, stderr = train("resumed", *crash, "+callbacks.crash.g_step=45")
    assert status == 1 and "simulated crash after generator iteration 45" in stderr
    ckpt = torch.load(tmp_path / "resumed" / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["g_steps"] == 40
    assert train("resumed", "++data.on_device=true", "steps_per_batch=5", "ckpt_path=last")[0] == 0
    summary = json.loads((tmp_path / "resumed" / "summary.json").read_text())
    assert summary["g_steps"] == 80
    assert max_abs_diff(weights("device"), weights("resumed")) == 0


def test_dcgan_trains_on_device_with_flips_and_several_d_steps(monkeypatch, capsys, tmp_path):
    write_mnist(tmp_path / "datasets", n_train=24)
    status, stderr = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        "data=mnist",
        "data.on_device=true",
        "data.flip=true",
        "data.batch_size=4",
        "d_steps=2",  # the device loader serves 8 images per generator iteration
        "trainer.max_steps=4",
        base=tuple(TINY_DCGAN),
    )
    assert status == 0, stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert (summary["g_steps"], summary["d_steps"]) == (4, 8)
