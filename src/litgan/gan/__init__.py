"""The GAN as a LightningModule (`module`: the whole training step) and the parts it holds or
calls: the training noise, the run's schedule, the loop around Lightning, the logged rows and
validation's theory."""

from litgan.gan.module import GAN

__all__ = ["GAN"]
