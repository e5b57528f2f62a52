"""The Dirac-GAN's theory at its equilibrium (0, 0), computed from litgan's own code.

`eigenvalues`: of the field's Jacobian (`litgan.dynamics.jacobian`), through the game's losses and
the penalty's code. `update_radius`: the spectral radius of one iteration of the run's update
scheme as a map of the state (θ, ψ, and optimistic's previous gradients), by central differences
through the real update (`litgan.gan.updates` driving the GAN's own gradient functions and its
optimizers), in float64. Below 1 play converges to (0, 0), at 1 it circles, above it spirals out.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np
import torch
from hydra.utils import instantiate
from torch import Tensor

from litgan.dynamics.jacobian import game_field
from litgan.gan import GAN
from litgan.gan.updates import Optimistic, Player

STEP = 1e-5  # central differences in float64: truncation ~STEP², rounding ~1e-16/STEP


def is_dirac(gan: GAN) -> bool:
    """Whether `gan` is the Dirac-GAN (model=dirac)."""
    return type(gan.generator).__name__ == "DiracGenerator"


def at_point(gan: GAN, theta: float = 0.0, psi: float = 0.0) -> GAN:
    """A float64 copy of `gan`'s players and game at (θ, ψ), outside any Trainer."""
    copied = GAN(**copy.deepcopy(dict(gan.hparams))).double()
    with torch.no_grad():
        copied.generator.theta.fill_(theta)
        copied.discriminator.psi.fill_(psi)
    return copied


def _batch(gan: GAN) -> tuple[Tensor, Tensor]:
    """The real batch (every sample 0) and the noise; neither changes the Dirac field."""
    return torch.zeros(4, 1, dtype=torch.float64), torch.zeros(4, gan.nz, dtype=torch.float64)


def field_eigenvalues(gan: GAN, theta: float = 0.0, psi: float = 0.0) -> np.ndarray:
    """The eigenvalues of the field's Jacobian at (θ, ψ)."""
    here = at_point(gan, theta, psi)
    return np.linalg.eigvals(game_field(here, *_batch(here)).jacobian())


def field_values(gan: GAN, thetas: np.ndarray, psis: np.ndarray) -> np.ndarray:
    """The field (θ', ψ') at each point, shape (len, 2), through the same code."""
    here = at_point(gan)
    out = []
    for theta, psi in zip(thetas, psis, strict=True):
        with torch.no_grad():
            here.generator.theta.fill_(float(theta))
            here.discriminator.psi.fill_(float(psi))
        out.append(game_field(here, *_batch(here)).value.detach().numpy())
    return np.array(out)


def _players(here: GAN) -> tuple[list[Player], Player]:
    """D's `d_steps` players and G's, each with a fresh optimizer of the run's config."""
    real, _ = _batch(here)
    make_g = instantiate(here.hparams.optim["generator"], _convert_="all")
    make_d = instantiate(here.hparams.optim["discriminator"], _convert_="all")
    opt_g, opt_d = make_g(here.generator.parameters()), make_d(here.discriminator.parameters())

    def apply(opt: torch.optim.Optimizer) -> None:
        opt.step()
        opt.zero_grad(set_to_none=True)

    ds = [
        Player(
            list(here.discriminator.parameters()),
            partial(here.discriminator_gradient, real, i),
            partial(apply, opt_d),
        )
        for i in range(here.hparams.d_steps)
    ]
    g = Player(
        list(here.generator.parameters()),
        partial(here.generator_gradient, len(real)),
        partial(apply, opt_g),
    )
    return ds, g


def one_update(gan: GAN, state: Sequence[float]) -> np.ndarray:
    """The state after one iteration of the run's scheme from `state` = (θ, ψ) or, for
    optimistic, (θ, ψ, previous ∂θ, previous ∂ψ): the real update, with fresh optimizers."""
    here = at_point(gan, state[0], state[1])
    scheme = copy.deepcopy(gan.update)
    if isinstance(scheme, Optimistic):  # its state: D's gradients, then G's
        scheme.previous = [torch.tensor([state[3]]).double(), torch.tensor([state[2]]).double()]
    scheme(*_players(here))
    after = [here.generator.theta.item(), here.discriminator.psi.item()]
    if isinstance(scheme, Optimistic):
        d_prev, g_prev = scheme.previous
        after += [g_prev.item(), d_prev.item()]
    return np.array(after)


def trajectory(gan: GAN, steps: int) -> np.ndarray:
    """(θ, ψ) after each of `steps` iterations from `gan`'s point, shape (steps, 2): the real
    update (the run's scheme, gradients and optimizers) in float64, outside a Trainer: a run's
    path without its logging and pictures, in a fraction of its time."""
    here = at_point(gan, gan.generator.theta.item(), gan.discriminator.psi.item())
    scheme, (ds, g) = copy.deepcopy(gan.update), _players(here)
    path = np.empty((steps, 2))
    for i in range(steps):
        scheme(ds, g)
        path[i] = here.generator.theta.item(), here.discriminator.psi.item()
    return path


def update_radius(gan: GAN) -> float | None:
    """The spectral radius at (0, 0) of one update as a map; None for an optimizer whose
    update is no smooth map there (Adam divides by the gradient's size)."""
    if any(
        not str(cfg["_target_"]).endswith("SGD") or cfg.get("momentum")
        for cfg in (gan.hparams.optim["generator"], gan.hparams.optim["discriminator"])
    ):
        return None
    n = 4 if isinstance(gan.update, Optimistic) else 2
    columns = []
    for j in range(n):
        step = np.zeros(n)
        step[j] = STEP
        columns.append((one_update(gan, step) - one_update(gan, -step)) / (2 * STEP))
    return float(np.abs(np.linalg.eigvals(np.stack(columns, axis=1))).max())


def meaning(eigenvalues: np.ndarray, radius: float | None) -> tuple[str, str]:
    """What the field's eigenvalues and the update's radius say, in words."""
    re = eigenvalues.real.max()
    if abs(re) < 1e-9:
        field = "the flow circles (0, 0)" if np.abs(eigenvalues.imag).max() > 0 else "flat"
    else:
        field = "the flow converges to (0, 0)" if re < 0 else "the flow leaves (0, 0)"
    if radius is None:
        update = "no update radius: the optimizer is not plain SGD"
    elif abs(radius - 1) < 1e-6:
        update = "the updates circle (0, 0)"
    else:
        update = "the updates converge" if radius < 1 else "the updates spiral out"
    return field, update


def dirac_dynamics(gan: GAN) -> dict[str, Any]:
    """summary.json's `dynamics` for a Dirac run."""
    values = field_eigenvalues(gan)
    radius = update_radius(gan)
    field, update = meaning(values, radius)
    return {
        "point": [0.0, 0.0],
        "eigenvalues": [[float(v.real), float(v.imag)] for v in values],
        "update": gan.update.name,
        "update_radius": radius,
        "field": field,
        "updates": update,
    }
