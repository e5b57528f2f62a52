"""Every game's value, losses and optimum against their closed forms."""

import math
from pathlib import Path

import pytest
import torch
from hydra.utils import instantiate

from litgan.game.games import (
    CrossEntropyGame,
    Game,
    Hinge,
    LeastSquares,
    Minimax,
    NonSaturating,
    Wasserstein,
)
from tests.helpers.runs import compose_train

GAMES = [Minimax(), NonSaturating(), Hinge(), Wasserstein(), LeastSquares()]
CONF_LOSS = Path(__file__).resolve().parents[1] / "conf" / "loss"


def _grad(loss_fn, logit: float) -> float:
    x = torch.tensor([logit], requires_grad=True)
    loss_fn(x).backward()
    return x.grad.item()


# --- the cross-entropy games (minimax, non-saturating) ---


def test_value_is_minus_log4_when_d_is_one_half_everywhere():
    zeros = torch.zeros(16)  # logit 0 <=> D = ½
    game = NonSaturating()
    terms = game.value_terms(zeros, zeros)
    assert terms.real.item() == pytest.approx(math.log(0.5), abs=1e-7)
    assert terms.fake.item() == pytest.approx(math.log(0.5), abs=1e-7)
    assert terms.value.item() == pytest.approx(-math.log(4), abs=1e-7)
    assert game.discriminator_loss(terms).item() == pytest.approx(math.log(4), abs=1e-7)
    assert game.optimum.value == pytest.approx(-math.log(4))
    assert game.output(zeros).eq(game.optimum.d_output).all()


def test_value_terms_match_the_formula_on_probabilities():
    real_logits, fake_logits = torch.randn(64, dtype=torch.float64), torch.randn(64).double()
    d_real, d_fake = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)
    terms = Minimax().value_terms(real_logits, fake_logits)
    assert terms.real.item() == pytest.approx(torch.log(d_real).mean().item(), rel=1e-12)
    assert terms.fake.item() == pytest.approx(torch.log(1 - d_fake).mean().item(), rel=1e-12)


def test_minimax_generator_loss_is_the_fake_term_of_v():
    real_logits, fake_logits = torch.randn(32), torch.randn(32)
    game = Minimax()
    assert game.generator_loss(fake_logits).item() == pytest.approx(
        game.value_terms(real_logits, fake_logits).fake.item(), abs=1e-7
    )


def test_non_saturating_generator_loss_is_minus_mean_log_d_of_fakes():
    fake_logits = torch.randn(32, dtype=torch.float64)
    expected = -torch.log(torch.sigmoid(fake_logits)).mean()
    assert NonSaturating().generator_loss(fake_logits).item() == pytest.approx(expected.item())


def test_log_probabilities_stay_finite_where_sigmoid_saturates():
    # sigmoid(±200) is exactly 0 or 1 in float32: log(sigmoid(.)) would be -inf.
    logits = torch.tensor([-200.0, 200.0])
    terms = Minimax().value_terms(logits, logits)
    assert torch.isfinite(terms.real) and torch.isfinite(terms.fake)
    assert terms.real.item() == pytest.approx(-100.0)  # (log D(-200) + log D(200)) / 2


def test_minimax_gradient_vanishes_when_d_rejects_fakes_and_non_saturating_does_not():
    # D(G(z)) = sigmoid(-10) ≈ 4.5e-5: D confidently rejects the fake, as early in training.
    # d/dl log(1 - sigmoid(l)) = -sigmoid(l);  d/dl -log sigmoid(l) = -(1 - sigmoid(l)).
    minimax, ns = Minimax().generator_loss, NonSaturating().generator_loss
    d_fake = torch.sigmoid(torch.tensor(-10.0)).item()
    assert _grad(minimax, -10.0) == pytest.approx(-d_fake, rel=1e-5)
    assert _grad(ns, -10.0) == pytest.approx(-(1 - d_fake), rel=1e-5)
    assert abs(_grad(minimax, -10.0)) < 1e-4
    # Both losses have the same fixed point direction: G lowers its loss by raising D(G(z)).
    assert _grad(minimax, 0.0) < 0 and _grad(ns, 0.0) < 0


def test_the_best_cross_entropy_d_is_p_data_over_p_data_plus_p_g():
    # Two points, real mass p and generated mass q at one point: V's pointwise maximiser over
    # the logit is D = p / (p + q) (Goodfellow et al., Prop. 1).
    p, q = 0.7, 0.2
    logit = torch.zeros((), requires_grad=True)
    opt = torch.optim.LBFGS([logit], max_iter=100)
    game = Minimax()

    def closure():
        opt.zero_grad()
        terms = game.value_terms(logit[None], logit[None])
        loss = -(p * terms.real + q * terms.fake)
        loss.backward()
        return loss

    opt.step(closure)
    assert torch.sigmoid(logit).item() == pytest.approx(p / (p + q), abs=1e-5)


# --- hinge ---


def test_hinge_losses_at_given_outputs():
    real, fake = torch.tensor([2.0, 0.5, -1.0]), torch.tensor([-2.0, 0.0, 1.5])
    game = Hinge()
    terms = game.value_terms(real, fake)
    # max(0, 1 - D(x)): 0, 0.5, 2  -> mean 2.5/3;  max(0, 1 + D(G(z))): 0, 1, 2.5 -> mean 3.5/3
    assert terms.real.item() == pytest.approx(-2.5 / 3)
    assert terms.fake.item() == pytest.approx(-3.5 / 3)
    assert game.discriminator_loss(terms).item() == pytest.approx(2.0)
    assert game.generator_loss(fake).item() == pytest.approx(0.5 / 3)  # -mean(-2, 0, 1.5)


@pytest.mark.parametrize("t", [-1.0, -0.3, 0.0, 0.8, 1.0])
def test_hinge_value_is_minus_two_for_any_constant_d_in_the_margin(t):
    out = torch.full((8,), t)
    assert Hinge().value_terms(out, out).value.item() == pytest.approx(Hinge.optimum.value)


def test_hinge_value_is_below_its_optimum_outside_the_margin():
    out = torch.full((8,), 1.5)
    assert Hinge().value_terms(out, out).value.item() < Hinge.optimum.value


# --- Wasserstein ---


def test_wasserstein_value_is_the_critic_gap_and_zero_when_it_cannot_tell():
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([-1.0, 0.0])
    game = Wasserstein()
    terms = game.value_terms(real, fake)
    assert (terms.real.item(), terms.fake.item()) == pytest.approx((2.0, 0.5))
    assert terms.value.item() == pytest.approx(2.5)
    assert game.discriminator_loss(terms).item() == pytest.approx(-2.5)
    assert game.generator_loss(fake).item() == pytest.approx(0.5)
    same = torch.full((4,), 7.0)  # any constant critic: the same score for both
    assert game.value_terms(same, same).value.item() == pytest.approx(game.optimum.value)


def test_wasserstein_level_is_halfway_between_the_mean_scores():
    assert Wasserstein().level(torch.tensor([3.0, 5.0]), torch.tensor([-1.0, -1.0])) == 1.5
    # A picture of G's points alone (litgan-sample on a checkpoint without its run).
    assert Wasserstein().level(torch.tensor([]), torch.tensor([-1.0, 2.0])) == 0.5


# --- least squares ---


def test_least_squares_losses_at_given_outputs():
    real, fake = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0])
    game = LeastSquares()
    terms = game.value_terms(real, fake)
    assert terms.real.item() == pytest.approx(-0.5 * 0.5)  # ½ mean((0, 1)²)
    assert terms.fake.item() == pytest.approx(-0.5 * 2.0)  # ½ mean((0, 4))
    assert game.generator_loss(fake).item() == pytest.approx(0.5 * 1.0)  # ½ mean((1, 1))


def test_least_squares_optimum_is_one_half_with_value_minus_a_quarter():
    # With p_G = p_data D's loss at an output t is ½(t - 1)² + ½t², smallest at t = ½.
    t = torch.linspace(-1, 2, 3001)
    game = LeastSquares()
    values = torch.stack([game.value_terms(x[None], x[None]).value for x in t])
    best = values.argmax()
    assert t[best].item() == pytest.approx(game.optimum.d_output, abs=1e-3)
    assert values[best].item() == pytest.approx(game.optimum.value, abs=1e-6)
    half = torch.full((4,), 0.5)
    terms = game.value_terms(half, half)
    assert terms.real.item() == terms.fake.item() == pytest.approx(game.optimum.term)


# --- every game ---


@pytest.mark.parametrize("game", GAMES, ids=lambda g: g.name)
def test_d_loss_is_minus_the_value_and_g_lowers_its_loss_by_raising_d_on_fakes(game: Game):
    real, fake = torch.randn(16), torch.randn(16)
    terms = game.value_terms(real, fake)
    assert game.discriminator_loss(terms).item() == pytest.approx(-terms.value.item())
    # Every game's G wants D's raw output on its samples up (towards "real").
    assert _grad(game.generator_loss, -0.5) < 0


@pytest.mark.parametrize("game", GAMES, ids=lambda g: g.name)
def test_the_optimum_is_consistent_with_the_value(game: Game):
    optimum = game.optimum
    if optimum.term is not None:
        assert 2 * optimum.term == pytest.approx(optimum.value)
    if optimum.d_output is not None:
        # D's raw output that gives the optimal output on the game's scale.
        raw = torch.logit(torch.tensor(optimum.d_output)) if game.probability else None
        raw = torch.tensor(optimum.d_output) if raw is None else raw
        out = raw.repeat(4)
        assert game.value_terms(out, out).value.item() == pytest.approx(optimum.value)
    assert game.probability == isinstance(game, CrossEntropyGame)


def test_every_loss_option_instantiates_its_game():
    names = sorted(p.stem for p in CONF_LOSS.glob("*.yaml"))
    assert names == sorted(g.name for g in GAMES)
    for name in names:
        game = instantiate(compose_train(f"loss={name}").loss)
        assert isinstance(game, Game) and game.name == name
        described = game.describe()
        assert described["optimum"]["value"] == game.optimum.value


# --- the best D for a fixed G, and V there: quadrature on a 1D pair of known densities ---

X = torch.linspace(-8, 8, 160_001, dtype=torch.float64)
DX = float(X[1] - X[0])


def _normal(x: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    return torch.exp(-(((x - mean) / std) ** 2) / 2) / (std * math.sqrt(2 * math.pi))


# p_data: two modes; p_G: one wider mode between them, leaning right. They overlap.
P_DATA = 0.5 * _normal(X, -1.0, 0.3) + 0.5 * _normal(X, 1.0, 0.3)
P_G = _normal(X, 0.5, 0.7)
P_MID = (P_DATA + P_G) / 2
DIVERGENCES = {
    "jsd": float(
        (torch.xlogy(P_DATA, P_DATA / P_MID) + torch.xlogy(P_G, P_G / P_MID)).sum() * DX / 2
    ),
    "tv": float((P_DATA - P_G).abs().sum() * DX / 2),
    "triangular": float(((P_DATA - P_G) ** 2 / (P_DATA + P_G)).nan_to_num().sum() * DX),
}
BOUNDED = [game for game in GAMES if not isinstance(game, Wasserstein)]


def _raw(game: Game, output: torch.Tensor) -> torch.Tensor:
    """The raw output that `game.output` turns into `output`."""
    return torch.logit(output.clamp(1e-12, 1 - 1e-12)) if game.probability else output


def _pointwise_terms(game: Game, raw: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The game's own value terms at each point: its real and fake term of a batch of one."""
    terms = torch.func.vmap(lambda r: torch.stack(game.value_terms(r, r)))(raw[:, None])
    return terms[:, 0], terms[:, 1]


def _integrated_value(game: Game, raw: torch.Tensor) -> float:
    """V = ∫ p_data · (real term) + p_G · (fake term) for D's raw output `raw` on the grid X."""
    real, fake = _pointwise_terms(game, raw)
    return float((P_DATA * real + P_G * fake).sum() * DX)


def test_every_game_names_its_divergence():
    names = {type(game).__name__: game.divergence for game in GAMES}
    assert names == {
        "Minimax": "jsd",
        "NonSaturating": "jsd",
        "Hinge": "tv",
        "Wasserstein": "w1",
        "LeastSquares": "triangular",
    }
    assert all(game.describe()["divergence"] == game.divergence for game in GAMES)


@pytest.mark.parametrize("game", BOUNDED, ids=lambda g: g.name)
def test_the_best_output_beats_every_other_output_at_every_point(game: Game):
    # Brute force: the pointwise value p f(t) + q g(t) over a grid of outputs t.
    p, q = P_DATA[::4000], P_G[::4000]
    best = game.best_output(p, q)
    outputs = torch.linspace(-1.5, 1.5, 3001, dtype=torch.float64)
    if game.probability:
        outputs = torch.linspace(1e-4, 1 - 1e-4, 3001, dtype=torch.float64)
    real, fake = _pointwise_terms(game, _raw(game, outputs))
    values = p[:, None] * real[None] + q[:, None] * fake[None]
    real_best, fake_best = _pointwise_terms(game, _raw(game, best))
    at_best = p * real_best + q * fake_best
    assert (at_best >= values.max(dim=1).values - 1e-9).all()


def test_the_best_probability_d_is_p_data_over_the_sum_and_hinge_is_its_sign():
    p = torch.tensor([1.0, 3.0, 0.0, 2.0], dtype=torch.float64)
    q = torch.tensor([1.0, 1.0, 2.0, 6.0], dtype=torch.float64)
    for game in (Minimax(), NonSaturating(), LeastSquares()):
        assert torch.equal(game.best_output(p, q), torch.tensor([0.5, 0.75, 0.0, 0.25]).double())
    assert torch.equal(Hinge().best_output(p, q), torch.tensor([0.0, 1.0, -1.0, -1.0]).double())


@pytest.mark.parametrize("game", BOUNDED, ids=lambda g: g.name)
def test_the_value_at_the_best_d_is_the_games_divergence_formula(game: Game):
    value = _integrated_value(game, _raw(game, game.best_output(P_DATA, P_G)))
    assert game.value_at_best(DIVERGENCES) == pytest.approx(value, abs=1e-6)
    # The table: V* = optimum + a multiple of the divergence, 0 at p_G = p_data.
    zero = dict.fromkeys(DIVERGENCES, 0.0)
    assert game.value_at_best(zero) == pytest.approx(game.optimum.value)
    assert game.value_at_best(DIVERGENCES) > game.optimum.value


@pytest.mark.parametrize("game", BOUNDED, ids=lambda g: g.name)
def test_a_d_off_its_best_response_reads_below_the_value_at_the_best_d(game: Game):
    best = game.best_output(P_DATA, P_G)
    ceiling = game.value_at_best(DIVERGENCES)
    for other in (best * 0.8, torch.full_like(best, game.optimum.d_output or 0.0), best.flip(0)):
        assert _integrated_value(game, _raw(game, other)) < ceiling


def test_the_critic_has_no_pointwise_best_and_its_value_no_maximum():
    game = Wasserstein()
    assert game.best_output(P_DATA, P_G) is None
    assert game.value_at_best({**DIVERGENCES, "w1": 0.3}) is None
    # Scaling any critic that separates the two scales V with it: no maximum without a
    # Lipschitz constraint.
    sign = torch.sign(P_DATA - P_G)
    values = [_integrated_value(game, scale * sign) for scale in (1.0, 10.0, 100.0)]
    assert values[0] > 0
    assert values == pytest.approx([values[0], 10 * values[0], 100 * values[0]])
