"""What validation computes beyond the evaluator's scores: the game's value with the trained D
and at the best D, for 2D data."""

from __future__ import annotations

import torch
from torch import nn

from litgan.game.games import Game
from litgan.gan.players import evaluating
from litgan.metrics import Evaluator
from litgan.metrics.divergences import KEYS
from litgan.networks.packing import pack_of


def no_best_value(game: Game, pack: int) -> str | None:
    """Why a run logs no `val/value_best_d` (None: it does)."""
    if pack > 1:
        return (
            f"D judges packs of {pack} samples, so its best response is a function of the packs' "
            f"joint density and the game's divergence between p_data and p_G is not its value"
        )
    if game.value_at_best(dict.fromkeys(KEYS, 0.0)) is None:
        return (
            "the best critic's value is unbounded without a Lipschitz constraint on D; "
            "W1 is what a 1-Lipschitz critic's value would be"
        )
    return None


def theory(
    evaluator: Evaluator,
    results: dict[str, float],
    game: Game,
    discriminator: nn.Module,
    device: torch.device,
) -> dict[str, float]:
    """2D data: `val/value`, V with the trained D on this validation's real points and G's,
    and `val/value_best_d`, the game's V at the best D for this G from its divergence in
    `results` (nothing for other data)."""
    if evaluator.real_points is None or evaluator.generated is None:
        return {}
    pack = pack_of(discriminator)
    # As many real points as G's, in whole packs: both terms are means over equal counts.
    n = min(len(evaluator.real_points), len(evaluator.generated)) // pack * pack
    real = evaluator.real_points[:n].to(device, torch.float32)
    fake = evaluator.generated[:n].to(device, torch.float32)
    with torch.no_grad(), evaluating(discriminator):
        terms = game.value_terms(discriminator(real), discriminator(fake))
    values = {"val/value": float(terms.value)}
    divergences = {key: results.get(f"val/{key}") for key in KEYS}
    if no_best_value(game, pack) is None and None not in divergences.values():
        values["val/value_best_d"] = game.value_at_best(divergences)
    return values
