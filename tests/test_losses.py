"""The value function and both generator losses, against their closed forms."""

import math

import pytest
import torch

from litgan.config import GENERATOR_LOSS_NAMES
from litgan.losses import (
    GENERATOR_LOSSES,
    discriminator_loss,
    generator_loss,
    minimax_generator_loss,
    non_saturating_generator_loss,
    value_terms,
)


def test_value_is_minus_log4_when_d_is_one_half_everywhere():
    zeros = torch.zeros(16)  # logit 0 <=> D = ½
    terms = value_terms(zeros, zeros)
    assert terms.real.item() == pytest.approx(math.log(0.5), abs=1e-7)
    assert terms.fake.item() == pytest.approx(math.log(0.5), abs=1e-7)
    assert terms.value.item() == pytest.approx(-math.log(4), abs=1e-7)
    assert discriminator_loss(terms).item() == pytest.approx(math.log(4), abs=1e-7)


def test_value_terms_match_the_formula_on_probabilities():
    real_logits, fake_logits = torch.randn(64, dtype=torch.float64), torch.randn(64).double()
    d_real, d_fake = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)
    terms = value_terms(real_logits, fake_logits)
    assert terms.real.item() == pytest.approx(torch.log(d_real).mean().item(), rel=1e-12)
    assert terms.fake.item() == pytest.approx(torch.log(1 - d_fake).mean().item(), rel=1e-12)


def test_minimax_generator_loss_is_the_fake_term_of_v():
    real_logits, fake_logits = torch.randn(32), torch.randn(32)
    assert minimax_generator_loss(fake_logits).item() == pytest.approx(
        value_terms(real_logits, fake_logits).fake.item(), abs=1e-7
    )


def test_non_saturating_generator_loss_is_minus_mean_log_d_of_fakes():
    fake_logits = torch.randn(32, dtype=torch.float64)
    expected = -torch.log(torch.sigmoid(fake_logits)).mean()
    assert non_saturating_generator_loss(fake_logits).item() == pytest.approx(expected.item())


def test_log_probabilities_stay_finite_where_sigmoid_saturates():
    # sigmoid(±200) is exactly 0 or 1 in float32: log(sigmoid(.)) would be -inf.
    logits = torch.tensor([-200.0, 200.0])
    terms = value_terms(logits, logits)
    assert torch.isfinite(terms.real) and torch.isfinite(terms.fake)
    assert terms.real.item() == pytest.approx(-100.0)  # (log D(-200) + log D(200)) / 2


def _grad(loss_fn, logit: float) -> float:
    x = torch.tensor([logit], requires_grad=True)
    loss_fn(x).backward()
    return x.grad.item()


def test_minimax_gradient_vanishes_when_d_rejects_fakes_and_non_saturating_does_not():
    # D(G(z)) = sigmoid(-10) ≈ 4.5e-5: D confidently rejects the fake, as early in training.
    # d/dl log(1 - sigmoid(l)) = -sigmoid(l);  d/dl -log sigmoid(l) = -(1 - sigmoid(l)).
    d_fake = torch.sigmoid(torch.tensor(-10.0)).item()
    assert _grad(minimax_generator_loss, -10.0) == pytest.approx(-d_fake, rel=1e-5)
    assert _grad(non_saturating_generator_loss, -10.0) == pytest.approx(-(1 - d_fake), rel=1e-5)
    assert abs(_grad(minimax_generator_loss, -10.0)) < 1e-4
    # Both losses have the same fixed point direction: G lowers its loss by raising D(G(z)).
    assert _grad(minimax_generator_loss, 0.0) < 0 and _grad(non_saturating_generator_loss, 0.0) < 0


def test_generator_loss_lookup():
    assert generator_loss("minimax") is minimax_generator_loss
    assert generator_loss("non_saturating") is non_saturating_generator_loss
    with pytest.raises(ValueError, match="minimax, non_saturating"):
        generator_loss("wasserstein")


def test_the_config_checks_know_every_generator_loss():
    assert set(GENERATOR_LOSS_NAMES) == set(GENERATOR_LOSSES)
