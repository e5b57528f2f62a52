"""Regularisers of D added to its loss (config group `penalty`), logged as `train/penalty`.

Each penalises the gradient of D's raw output with respect to its input, one input at a time:
D's output for one sample must depend on that sample alone, so a D with BatchNorm (which mixes
the batch) is refused with them (`litgan.config.checks`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import Tensor, nn


def input_gradients(discriminator: nn.Module, x: Tensor) -> Tensor:
    """∇_x D(x) for every input of D, flat, shape (len(D(x)), -1), kept in the graph.

    A packing D (PacGAN) judges runs of consecutive samples as one input: their gradients
    together are that input's gradient. An `x` that is itself in a graph (G's samples, when
    `litgan.dynamics` differentiates the penalty with respect to G) stays in it.
    """
    x = x if x.grad_fn is not None else x.detach().requires_grad_(True)
    out = discriminator(x)
    # The outputs are independent of one another, so the gradient of their sum holds each
    # output's gradient with respect to its own input.
    (grad,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    return grad.reshape(len(out), -1)


def input_gradient_norms(discriminator: nn.Module, x: Tensor) -> Tensor:
    """||∇_x D(x)|| for every input of D, shape (len(D(x)),), kept in the graph."""
    # vector_norm's gradient at a zero norm is 0; sqrt of a sum of squares would give NaN.
    return torch.linalg.vector_norm(input_gradients(discriminator, x), dim=1)


def squared_input_gradient_norms(discriminator: nn.Module, x: Tensor) -> Tensor:
    """||∇_x D(x)||² for every input of D: smooth everywhere, also where the gradient is 0
    (a norm's second derivative is not: the Dirac-GAN's equilibrium has ψ = 0)."""
    return input_gradients(discriminator, x).square().sum(dim=1)


class Penalty(ABC):
    """`weight` times a gradient penalty, added to D's loss on every `every`-th D update.

    Lazy regularisation (Karras et al. 2020, StyleGAN2 sec. 3.1): computed every `every`
    updates and multiplied by `every`, so its average strength does not change.
    """

    def __init__(self, weight: float, every: int = 1) -> None:
        self.weight = weight
        self.every = every

    def due(self, d_update: int) -> bool:
        """Whether D's update number `d_update` (0-based) carries the penalty."""
        return d_update % self.every == 0

    def __call__(self, discriminator: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
        """The weighted penalty (before the lazy factor `every`) on these batches."""
        return self.weight * self.term(discriminator, real, fake)

    @abstractmethod
    def term(self, discriminator: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
        """The penalty before weighting."""


class R1(Penalty):
    """Mescheder et al. (2018): (γ/2) E_x[||∇_x D(x)||²] on real data, γ = `weight`."""

    def term(self, discriminator: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
        return 0.5 * squared_input_gradient_norms(discriminator, real).mean()


class R2(Penalty):
    """Mescheder et al. (2018): (γ/2) E_z[||∇ D(G(z))||²] on generated data, γ = `weight`."""

    def term(self, discriminator: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
        return 0.5 * squared_input_gradient_norms(discriminator, fake).mean()


class GradientPenalty(Penalty):
    """Gulrajani et al. (2017): λ E[(||∇ D(x̂)|| - 1)²] on x̂ = εx + (1 - ε)G(z), ε ~ U[0, 1]
    per sample, λ = `weight`: a soft constraint that D is 1-Lipschitz (WGAN-GP)."""

    def term(self, discriminator: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
        shape = (len(real),) + (1,) * (real.dim() - 1)
        # From the global RNG, which litgan seeds and checkpoints.
        eps = torch.rand(shape, device=real.device, dtype=real.dtype)
        between = torch.lerp(fake.detach(), real.detach(), eps)
        return (input_gradient_norms(discriminator, between) - 1).square().mean()
