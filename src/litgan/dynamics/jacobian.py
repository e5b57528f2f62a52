"""The Jacobian of a GAN's gradient field, through the game's losses and the penalty's code.

The field is v(θ, ψ) = (−∇_θ L_G, −∇_ψ L_D), with L_D = −V + penalty: what simultaneous
gradient play follows. Its Jacobian at a point says how play moves near it: eigenvalues with
large imaginary parts rotate, with negative real parts attract (Mescheder et al. 2017, 2018;
Berard et al. 2020).

Products are taken with Jᵀ (one backward pass through the field's graph each): Jᵀ has the
eigenvalues of J, and needs no forward-mode pass through the penalty's double backward.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.sparse.linalg import LinearOperator, eigs
from torch import Tensor

from litgan.gan import GAN


@dataclass
class Field:
    """The field at one point, with its graph kept for products with its Jacobian."""

    params: list[Tensor]  # G's parameters, then D's
    value: Tensor  # v, flat, in the order of params

    def jacobian_t_product(self, u: Tensor) -> Tensor:
        """Jᵀu, flat."""
        grads = torch.autograd.grad(
            self.value, self.params, grad_outputs=u, retain_graph=True, allow_unused=True
        )
        return torch.cat(
            [
                (torch.zeros_like(p) if g is None else g).reshape(-1)
                for p, g in zip(self.params, grads, strict=True)
            ]
        )

    def jacobian(self) -> np.ndarray:
        """The whole Jacobian (for a few parameters: the Dirac-GAN's two)."""
        eye = torch.eye(len(self.value), dtype=self.value.dtype, device=self.value.device)
        return torch.stack([self.jacobian_t_product(row) for row in eye]).cpu().numpy()

    def top_eigenvalues(self, k: int) -> np.ndarray:
        """The k eigenvalues of largest magnitude (ARPACK, Jᵀ products only), largest first."""
        n = len(self.value)
        dtype, device = self.value.dtype, self.value.device

        def matvec(u: np.ndarray) -> np.ndarray:
            # ARPACK asks for complex products: real and imaginary parts go through separately.
            u = np.asarray(u).reshape(-1)
            parts = [np.real(u)] + ([np.imag(u)] if np.iscomplexobj(u) else [])
            out = [
                self.jacobian_t_product(torch.as_tensor(part, dtype=dtype, device=device))
                .double()
                .cpu()
                .numpy()
                for part in parts
            ]
            return out[0] + 1j * out[1] if len(out) == 2 else out[0]

        operator = LinearOperator((n, n), matvec=matvec, dtype=np.float64)
        values = eigs(operator, k=k, which="LM", return_eigenvectors=False, tol=1e-8)
        return values[np.argsort(-np.abs(values), kind="stable")]


def game_field(gan: GAN, real: Tensor, z: Tensor) -> Field:
    """The field of `gan`'s game at its current weights, on these real samples and noise; the
    penalty at its weight (its average strength under lazy regularisation)."""
    g_params = [p for p in gan.generator.parameters() if p.requires_grad]
    d_params = [p for p in gan.discriminator.parameters() if p.requires_grad]
    fake = gan.generator(z)
    real_out, fake_out = gan.discriminator(real), gan.discriminator(fake)
    d_loss = gan.game.discriminator_loss(gan.game.value_terms(real_out, fake_out))
    if gan.penalty is not None:
        d_loss = d_loss + gan.penalty(gan.discriminator, real, fake)
    g_loss = gan.game.generator_loss(fake_out)
    g_grads = torch.autograd.grad(g_loss, g_params, create_graph=True)
    d_grads = torch.autograd.grad(d_loss, d_params, create_graph=True)
    value = -torch.cat([g.reshape(-1) for g in (*g_grads, *d_grads)])
    return Field([*g_params, *d_params], value)


def rotation(eigenvalues: np.ndarray) -> float:
    """The largest |Im λ| / |Re λ|: rotation against attraction (inf: a pure rotation)."""
    ratios = [
        abs(v.imag) / abs(v.real) if v.real else (np.inf if v.imag else 0.0) for v in eigenvalues
    ]
    return float(max(ratios))
