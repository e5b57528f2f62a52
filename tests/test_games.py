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
