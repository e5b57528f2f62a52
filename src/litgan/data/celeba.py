"""CelebA's aligned and cropped faces, read straight from `<root>/celeba/img_align_celeba/`.

torchvision's CelebA class insists on five annotation files, checked by MD5; a GAN needs only
the images, and the partition list when a split other than all of them is asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch.utils.data import Dataset
from torchvision.datasets import CelebA
from torchvision.datasets.utils import download_file_from_google_drive, extract_archive

from litgan.data.datasets import ImageFiles, Transform
from litgan.data.download import OFFLINE, downloading
from litgan.data.formats import CELEBA_PARTITIONS, read_celeba_partition
from litgan.data.images import ImageDataModule
from litgan.errors import DataError

ARCHIVE = "img_align_celeba.zip"
PARTITION = "list_eval_partition.txt"
PAGE = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html"


class CelebADataModule(ImageDataModule):
    """CelebA faces (202,599 JPEGs of 178x218): center crop 178, resize to `image_size`.

    With `celeba/list_eval_partition.txt` present, "train", "valid" and "test" are the official
    partitions; without it "train" is every image. "all" is every image either way.

    Args:
        root: the data directory (`paths.data_dir`).
        download: fetch the images with torchvision's Google Drive download in `prepare_data`.
        loader: the other `ImageDataModule` settings (flip, num_workers, ...).
    """

    name = "celeba"
    splits = ("train", "valid", "test", "all")

    def __init__(
        self,
        root: str,
        download: bool = False,
        image_size: int = 64,
        channels: int = 3,
        crop_size: int | None = 178,
        flip: bool = True,
        batch_size: int = 128,
        **loader: Any,
    ) -> None:
        super().__init__(image_size, channels, batch_size, crop_size, flip, **loader)
        self.directory = Path(root).expanduser() / "celeba"
        self.image_dir = self.directory / "img_align_celeba"
        self.download = download
        self._files: list[Path] | None = None

    def prepare_data(self) -> None:
        if not self.download or self._present():
            return
        # Google Drive often answers with a quota page: torchvision's MD5 check then fails.
        with downloading(
            f"CelebA from Google Drive into {self.directory}", self._by_hand(), self.directory
        ):
            ids = {name: (file_id, md5) for file_id, md5, name in CelebA.file_list}
            for name in (ARCHIVE, PARTITION):
                download_file_from_google_drive(ids[name][0], self.directory, name, ids[name][1])
            extract_archive(str(self.directory / ARCHIVE), str(self.directory))

    def images(self, split: str, transform: Transform) -> Dataset:
        files = self._split_files(split)
        if not files:
            raise DataError(
                f"CelebA's {split!r} split is empty: no image in {self.image_dir} is listed with "
                f"partition {CELEBA_PARTITIONS[split]} in {self.directory / PARTITION}"
            )
        return ImageFiles(files, self.channels, transform)

    def _present(self) -> bool:
        return self.image_dir.is_dir() and next(self.image_dir.glob("*.jpg"), None) is not None

    def _all_files(self) -> list[Path]:
        if self._files is None:
            files = sorted(self.image_dir.glob("*.jpg")) if self.image_dir.is_dir() else []
            if not files:
                hint = "" if self.download else "run with data.download=true, or "
                raise DataError(
                    f"CelebA is not in {self.directory}: no .jpg files in {self.image_dir}; "
                    f"{hint}{self._by_hand()}"
                )
            self._files = files
        return self._files

    def _split_files(self, split: str) -> list[Path]:
        files = self._all_files()
        partition_file = self.directory / PARTITION
        if split == "all" or (split == "train" and not partition_file.is_file()):
            return files
        if not partition_file.is_file():
            raise DataError(
                f"CelebA's {split!r} split needs {partition_file} (from {PAGE}, Eval/); "
                "without it only the splits 'train' and 'all' (both every image) exist"
            )
        partition = read_celeba_partition(partition_file)
        return [f for f in files if partition.get(f.name) == CELEBA_PARTITIONS[split]]

    def _by_hand(self) -> str:
        return (
            f"download {ARCHIVE} from {PAGE} (Align&Cropped Images; Google Drive or Baidu) or "
            f"Kaggle's celeba-dataset, and unzip it so that {self.image_dir}/000001.jpg exists; "
            f"{PARTITION} next to the folder is optional "
            "(set paths.data_dir or LITGAN_DATA_DIR where the data lives elsewhere); "
            f"{OFFLINE}"
        )
