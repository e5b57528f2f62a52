"""LightningDataModules. Each exposes `shape`, the shape of one sample, before `setup()`."""

from litgan.data.base import GANDataModule, InMemoryDataModule, TensorSamples
from litgan.data.digits import DigitsDataModule
from litgan.data.toy import GaussianMixtureDataModule, mixture_modes

__all__ = [
    "DigitsDataModule",
    "GANDataModule",
    "GaussianMixtureDataModule",
    "InMemoryDataModule",
    "TensorSamples",
    "mixture_modes",
]
