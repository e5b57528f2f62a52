"""Generators and discriminators. Every network is built from `data_shape`, the shape of one
sample, so the data module stays the single source of truth for image size and channels."""

from litgan.networks.dcgan import DCGANDiscriminator, DCGANGenerator
from litgan.networks.dirac import DiracDiscriminator, DiracGenerator
from litgan.networks.mlp import MLPDiscriminator, MLPGenerator

__all__ = [
    "DCGANDiscriminator",
    "DCGANGenerator",
    "DiracDiscriminator",
    "DiracGenerator",
    "MLPDiscriminator",
    "MLPGenerator",
]
