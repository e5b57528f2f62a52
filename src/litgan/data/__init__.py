"""LightningDataModules. Each exposes `shape`, the shape of one sample, before `setup()`."""

from litgan.data.base import GANDataModule, InMemoryDataModule, TensorSamples
from litgan.data.celeba import CelebADataModule
from litgan.data.digits import DigitsDataModule
from litgan.data.dirac import DiracDataModule
from litgan.data.folder import ImageFolderDataModule
from litgan.data.images import ImageDataModule
from litgan.data.mnist5k import MNIST5kDataModule
from litgan.data.points import PointFileDataModule, PointSetDataModule, read_points
from litgan.data.shapes import ShapeDataModule
from litgan.data.torchvision_sets import (
    CIFAR10DataModule,
    FashionMNISTDataModule,
    MNISTDataModule,
)
from litgan.data.toy import GaussianMixtureDataModule, mixture_modes

__all__ = [
    "CIFAR10DataModule",
    "CelebADataModule",
    "DigitsDataModule",
    "DiracDataModule",
    "FashionMNISTDataModule",
    "GANDataModule",
    "GaussianMixtureDataModule",
    "ImageDataModule",
    "ImageFolderDataModule",
    "InMemoryDataModule",
    "MNIST5kDataModule",
    "MNISTDataModule",
    "PointFileDataModule",
    "PointSetDataModule",
    "ShapeDataModule",
    "TensorSamples",
    "mixture_modes",
    "read_points",
]
