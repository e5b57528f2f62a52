"""Image data modules on tiny data sets in their native formats, loaded as training loads them."""

from __future__ import annotations

import logging
import pickle

import numpy as np
import pytest
import torch
from PIL import Image

from litgan.data import (
    CelebADataModule,
    CIFAR10DataModule,
    FashionMNISTDataModule,
    ImageFolderDataModule,
    MNISTDataModule,
)
from litgan.data.images import default_num_workers
from litgan.errors import ConfigError, DataError
from tests.helpers.datasets_on_disk import (
    levels,
    path_in,
    write_celeba,
    write_cifar10,
    write_image_folder,
    write_mnist,
)


def scaled(level) -> torch.Tensor:
    """A 0..255 level as the data modules serve it, in [-1, 1]."""
    return torch.as_tensor(level, dtype=torch.float32) / 255 * 2 - 1


def stack(dataset) -> torch.Tensor:
    return torch.stack([dataset[i] for i in range(len(dataset))])


@pytest.mark.parametrize(
    ("module", "folder"), [(MNISTDataModule, "MNIST"), (FashionMNISTDataModule, "FashionMNIST")]
)
@pytest.mark.parametrize("channels", [1, 3])
def test_mnist_formats_read_both_splits_in_order(tmp_path, module, folder, channels):
    write_mnist(tmp_path, folder, n_train=24, n_test=8)
    data = module(str(tmp_path), image_size=32, channels=channels, num_workers=0)
    assert data.shape == (channels, 32, 32)  # known before setup: the model is built from it
    for split, n, offset in (("train", 24, 0), ("test", 8, 100)):
        images = stack(data.real_dataset(split))
        assert images.shape == (n, channels, 32, 32)
        expected = scaled(levels(n, offset)).view(n, 1, 1, 1).expand_as(images)
        assert torch.allclose(images, expected, atol=1e-6)  # each image in file order


def test_cifar10_reads_the_five_batches_then_the_test_batch(tmp_path):
    write_cifar10(tmp_path, per_batch=4, n_test=4)
    data = CIFAR10DataModule(str(tmp_path), num_workers=0)
    train = stack(data.real_dataset("train"))
    assert train.shape == (20, 3, 32, 32)
    lv = levels(20)
    expected = scaled(np.stack([lv, 255 - lv, np.full(20, 7)], axis=1))
    assert torch.allclose(train[:, :, 0, 0], expected, atol=1e-6)  # R, G, B planes in order
    assert (train == train[:, :, :1, :1]).all()  # each image one colour: no mixed-up layout
    assert len(data.real_dataset("test")) == 4
    grey = stack(CIFAR10DataModule(str(tmp_path), channels=1).real_dataset("train"))
    luma = (lv * 299 + (255 - lv) * 587 + 7 * 114) / 1000  # PIL's RGB -> L
    assert grey.shape == (20, 1, 32, 32)
    assert torch.allclose(grey[:, 0, 0, 0], scaled(luma), atol=2.5 / 255)


def test_celeba_is_center_cropped_and_resized(tmp_path):
    write_celeba(tmp_path, n=6)
    data = CelebADataModule(str(tmp_path), image_size=64, num_workers=0)
    images = stack(data.real_dataset("train"))
    assert images.shape == (6, 3, 64, 64) == (6, *data.shape)
    assert images.min() >= -1 and images.max() <= 1
    # The white margins above and below the central 178x178 square are cropped away.
    expected = scaled(levels(6)).view(6, 1, 1, 1).expand_as(images)
    assert (images - expected).abs().max() < 0.05


def test_celeba_partition_file_chooses_the_split(tmp_path):
    write_celeba(tmp_path, n=12, partition=True)
    data = CelebADataModule(str(tmp_path), image_size=32, num_workers=0)
    sizes = {split: len(data.real_dataset(split)) for split in data.splits}
    assert sizes == {"train": 6, "valid": 3, "test": 3, "all": 12}
    test_images = stack(data.real_dataset("test"))
    expected = scaled(levels(12)[9:]).view(3, 1, 1, 1).expand_as(test_images)
    assert (test_images - expected).abs().max() < 0.05  # the last quarter, in file order


def test_celeba_without_partition_file_trains_on_every_image(tmp_path):
    write_celeba(tmp_path, n=8)
    data = CelebADataModule(str(tmp_path), image_size=32, num_workers=0)
    assert len(data.real_dataset("train")) == len(data.real_dataset("all")) == 8
    with pytest.raises(DataError, match=r"list_eval_partition\.txt"):
        data.real_dataset("test")


def test_image_folder_finds_nested_images_and_skips_a_damaged_one(tmp_path, caplog):
    expected = write_image_folder(tmp_path / "images")
    data = ImageFolderDataModule(str(tmp_path / "images"), image_size=16, num_workers=0)
    dataset = data.real_dataset("train")
    names = [p.relative_to(tmp_path / "images").as_posix() for p in dataset.paths]
    # Every image at any depth, in sorted order; not the hidden AppleDouble file, not the text.
    assert names == sorted([*expected, "d/e/truncated.jpg"])
    with caplog.at_level(logging.WARNING, logger="litgan"):
        images = stack(dataset)
    assert images.shape == (7, 3, 16, 16)
    served = [round((float(image.mean()) + 1) / 2 * 255) for image in images]
    truncated = names.index("d/e/truncated.jpg")
    # The damaged file's place goes to the next readable image: batches stay full.
    stand_in = names[truncated + 1]
    assert served == [expected[stand_in if n == names[truncated] else n] for n in names]
    warnings = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(warnings) == 1
    assert "truncated.jpg" in warnings[0] and "skipped 1 file(s)" in warnings[0]


def test_many_damaged_files_give_a_few_lines_not_one_each(tmp_path, caplog):
    write_image_folder(tmp_path / "images")
    for n in range(12):  # 13 damaged files with the one write_image_folder leaves
        path_in(tmp_path / "images", f"z/broken{n:02d}.png").write_bytes(b"\x89PNG cut short")
    data = ImageFolderDataModule(str(tmp_path / "images"), image_size=16, num_workers=0)
    with caplog.at_level(logging.WARNING, logger="litgan"):
        assert len(stack(data.real_dataset("train"))) == 6 + 13  # every file, readable or not
    warnings = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(warnings) == 2  # the first skipped file, and the count at 10
    assert "skipped 1 file(s)" in warnings[0] and "skipped 10 file(s)" in warnings[1]


def test_image_folder_converts_every_mode_to_the_channels_asked_for(tmp_path):
    write_image_folder(tmp_path / "images")
    data = ImageFolderDataModule(str(tmp_path / "images"), image_size=32, channels=1)
    image = data.real_dataset()[0]
    assert image.shape == (1, 32, 32) == data.shape
    assert data.name.startswith("image_folder-images-")


def test_image_folder_with_no_readable_image_fails_at_setup(tmp_path):
    folder = tmp_path / "broken"
    path_in(folder, "a/one.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a JPEG")
    path_in(folder, "two.png").write_bytes(b"")
    with pytest.raises(DataError, match="none of the 2 image files could be read"):
        ImageFolderDataModule(str(folder), batch_size=1, num_workers=0).setup("fit")


def test_crop_size_keeps_only_the_center(tmp_path):
    pixels = np.full((32, 48), 255, np.uint8)
    pixels[8:24, 16:32] = 0  # a dark 16x16 square in the middle of a white frame
    Image.fromarray(pixels).save(path_in(tmp_path / "framed", "framed.png"))
    framed = str(tmp_path / "framed")
    cropped = ImageFolderDataModule(framed, image_size=8, crop_size=16).real_dataset()[0]
    assert (cropped == -1).all()
    whole = ImageFolderDataModule(framed, image_size=8).real_dataset()[0]
    assert whole.max() == 1  # without it, the top and bottom of the frame stay


def half_mirrored_folder(root):
    pixels = np.zeros((16, 16), np.uint8)
    pixels[:, 8:] = 255  # dark left half, bright right half
    Image.fromarray(pixels).save(path_in(root, "half.png"))
    return root


def test_flip_mirrors_training_images_at_random_but_never_the_real_dataset(tmp_path):
    folder = str(half_mirrored_folder(tmp_path / "half"))
    torch.manual_seed(0)
    flipping = ImageFolderDataModule(folder, image_size=16, flip=True, batch_size=1)
    flipping.setup("fit")
    left = {float(flipping.train_images[0][0, 0, 0]) for _ in range(30)}
    assert left == {-1.0, 1.0}
    left = {float(flipping.real_dataset()[0][0, 0, 0]) for _ in range(30)}
    assert left == {-1.0}


def test_training_loader_serves_full_shuffled_batches(tmp_path):
    write_mnist(tmp_path, n_train=24)
    data = MNISTDataModule(str(tmp_path), image_size=16, batch_size=5, num_workers=0)
    data.setup("fit")
    batches = list(data.train_dataloader())
    assert [b.shape for b in batches] == [(5, 1, 16, 16)] * 4  # 24 // 5, the last 4 dropped
    seen = torch.cat(batches)[:, 0, 0, 0]
    assert len(set(seen.tolist())) == 20  # no image twice within an epoch
    assert seen.tolist() != sorted(seen.tolist())


def test_loader_defaults_suit_the_machine(tmp_path):
    write_mnist(tmp_path)
    data = MNISTDataModule(str(tmp_path), batch_size=4)
    assert data.num_workers == default_num_workers() >= 1
    data.setup("fit")
    loader = data.train_dataloader()
    assert loader.num_workers == data.num_workers
    assert loader.persistent_workers and loader.drop_last
    assert loader.pin_memory == torch.cuda.is_available()
    batch = next(iter(loader))  # through a worker process
    assert batch.shape == (4, 1, 32, 32)
    no_workers = MNISTDataModule(str(tmp_path), batch_size=4, num_workers=0)
    no_workers.setup("fit")
    assert not no_workers.train_dataloader().persistent_workers


def test_damaged_dataset_files_are_data_errors_naming_the_file(tmp_path):
    raw = write_mnist(tmp_path)
    idx = raw / "train-images-idx3-ubyte"
    idx.write_bytes(idx.read_bytes()[:-100])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte is truncated or damaged"):
        MNISTDataModule(str(tmp_path)).setup("fit")
    idx.write_bytes(b"<html>quota exceeded</html>")
    with pytest.raises(DataError, match="is not an IDX image file"):
        MNISTDataModule(str(tmp_path)).setup("fit")
    folder = write_cifar10(tmp_path)
    batch = folder / "data_batch_3"
    batch.write_bytes(batch.read_bytes()[:500])
    with pytest.raises(DataError, match="data_batch_3 is not a readable CIFAR-10 batch"):
        CIFAR10DataModule(str(tmp_path)).setup("fit")
    batch.write_bytes(pickle.dumps({"labels": [1, 2]}))
    with pytest.raises(DataError, match="data_batch_3 is not a readable CIFAR-10 batch"):
        CIFAR10DataModule(str(tmp_path)).setup("fit")


def test_bad_settings_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"data\.channels must be 1 or 3"):
        CIFAR10DataModule(str(tmp_path), channels=4)
    with pytest.raises(ConfigError, match=r"data\.image_size must be a positive integer"):
        CelebADataModule(str(tmp_path), image_size=0)
    with pytest.raises(ConfigError, match=r"data\.num_workers"):
        MNISTDataModule(str(tmp_path), num_workers=-1)
    with pytest.raises(ConfigError, match=r"needs data\.path"):
        ImageFolderDataModule()
    write_mnist(tmp_path, n_train=24)
    with pytest.raises(ConfigError, match="has the split"):
        MNISTDataModule(str(tmp_path)).real_dataset("valid")
    with pytest.raises(ConfigError, match=r"lower data\.batch_size"):
        MNISTDataModule(str(tmp_path), batch_size=25).setup("fit")
