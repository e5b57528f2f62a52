"""Spectral normalisation of D (Miyato et al. 2018), `model.discriminator.spectral_norm=true`."""

from __future__ import annotations

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


def spectrally_normalize(net: nn.Module) -> nn.Module:
    """Divide the weight of every linear and convolution layer of `net` by its largest singular
    value (of the weight seen as an out × in matrix), estimated by one power iteration per
    training forward pass as in the paper: each layer is then 1-Lipschitz, and so is D when its
    activations are."""
    for module in list(net.modules()):
        if isinstance(module, nn.Linear | nn.Conv2d):
            spectral_norm(module)
    return net
