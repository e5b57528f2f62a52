"""How the two players' gradient steps are combined into one generator iteration (`update=`).

A scheme sees each player only as a `Player`: its parameters, a function that puts its gradient
at the current point into `.grad` (and returns what it logs), and a function that applies
`.grad` with its optimizer and clears it. So the same scheme drives SGD and Adam alike: the
optimizer applies the gradient the scheme leaves in `.grad`.

    alternating     D's d_steps updates, then G's with the new D (litgan's default)
    simultaneous    both gradients at the same point, then both steps
    extragradient   both step to an extrapolated point; both step again from the original point
                    with the gradients there (Korpelevich 1976; Gidel et al. 2019)
    optimistic      both apply 2·g_t − g_{t−1} (Daskalakis et al. 2018); the first step g_0
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from litgan.errors import ConfigError


@dataclass
class Player:
    """One side of the game as a scheme drives it.

    Args:
        params: the parameters its optimizer updates.
        gradient: puts the gradient of its loss at the current point into `.grad`; returns
            what the iteration logs of it.
        step: applies `.grad` with its optimizer, then clears it.
    """

    params: Sequence[nn.Parameter]
    gradient: Callable[[], Any]
    step: Callable[[], None]


class UpdateScheme(ABC):
    """One generator iteration's updates of D (one `Player` per D update) and G."""

    name: str

    @abstractmethod
    def __call__(self, ds: Sequence[Player], g: Player) -> tuple[Any, Any]:
        """Update both players; return what the last D update and G's logged."""

    def state_dict(self) -> dict[str, Any]:
        """What an exact resume needs beyond the weights and optimizers."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:  # noqa: B027 (stateless: nothing)
        """Restore what `state_dict` returned."""


class Alternating(UpdateScheme):
    name = "alternating"

    def __call__(self, ds: Sequence[Player], g: Player) -> tuple[Any, Any]:
        for d in ds:
            d_logged = d.gradient()
            d.step()
        g_logged = g.gradient()
        g.step()
        return d_logged, g_logged


class Simultaneous(UpdateScheme):
    name = "simultaneous"

    def __call__(self, ds: Sequence[Player], g: Player) -> tuple[Any, Any]:
        (d,) = ds
        logged = d.gradient(), g.gradient()
        d.step()
        g.step()
        return logged


class Extragradient(UpdateScheme):
    name = "extragradient"

    def __call__(self, ds: Sequence[Player], g: Player) -> tuple[Any, Any]:
        (d,) = ds
        params = [*d.params, *g.params]
        start = [p.detach().clone() for p in params]
        d.gradient(), g.gradient()
        d.step()
        g.step()
        logged = d.gradient(), g.gradient()
        with torch.no_grad():
            for p, p0 in zip(params, start, strict=True):
                p.copy_(p0)
        d.step()
        g.step()
        return logged


class Optimistic(UpdateScheme):
    name = "optimistic"

    def __init__(self) -> None:
        self.previous: list[Tensor] | None = None  # g_{t-1} of every parameter, D's then G's

    def __call__(self, ds: Sequence[Player], g: Player) -> tuple[Any, Any]:
        (d,) = ds
        logged = d.gradient(), g.gradient()
        params = [*d.params, *g.params]
        now = [p.grad.detach().clone() for p in params]
        previous = self.previous or now
        for p, g_now, g_then in zip(params, now, previous, strict=True):
            p.grad = 2 * g_now - g_then.to(g_now)  # a checkpoint's state may load on the CPU
        self.previous = now
        d.step()
        g.step()
        return logged

    def state_dict(self) -> dict[str, Any]:
        return {"previous": self.previous}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.previous = state.get("previous")


SCHEMES = {s.name: s for s in (Alternating, Simultaneous, Extragradient, Optimistic)}


def update_scheme(name: str, d_steps: int = 1) -> UpdateScheme:
    """The scheme `update=name`; only alternating defines what d_steps > 1 means."""
    if name not in SCHEMES:
        raise ConfigError(f"unknown update {name!r}; choose one of: {', '.join(SCHEMES)}")
    if name != "alternating" and d_steps > 1:
        raise ConfigError(
            f"update={name} moves both players from the same point, one step each: set "
            f"d_steps=1 with it (d_steps > 1 is defined for update=alternating)"
        )
    return SCHEMES[name]()
