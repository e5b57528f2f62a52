"""The GAN as a LightningModule (`module`: D's step and G's step) and the mixins it is made of:
the training noise, the learning-rate schedule, validation, the lean loop around Lightning."""

from litgan.gan.module import GAN

__all__ = ["GAN"]
