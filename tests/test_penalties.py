"""D's regularisers against their closed forms, and spectral normalisation's 1-Lipschitz layers."""

import pytest
import torch
from torch import nn

from litgan.game.penalties import R1, R2, GradientPenalty, input_gradient_norms
from litgan.networks import DCGANDiscriminator, MLPDiscriminator


class Linear(nn.Module):
    """D(x) = w·x + b over flattened samples (packs of `pack` consecutive samples)."""

    def __init__(self, w: torch.Tensor, pack: int = 1) -> None:
        super().__init__()
        self.w, self.pack = nn.Parameter(w), pack

    def forward(self, x):
        return x.reshape(len(x) // self.pack, -1) @ self.w + 0.3


class HalfSquaredNorm(nn.Module):
    """D(x) = ||x||² / 2, whose input gradient is x itself."""

    def forward(self, x):
        return 0.5 * x.flatten(1).square().sum(1)


W = torch.tensor([3.0, -4.0])  # ||w|| = 5


def test_r1_of_a_linear_d_is_half_the_weight_times_its_squared_weight_norm():
    real, fake = torch.randn(10, 2), torch.randn(10, 2)
    assert R1(weight=10.0)(Linear(W), real, fake).item() == pytest.approx(10.0 / 2 * 25)
    assert R2(weight=2.0)(Linear(W), real, fake).item() == pytest.approx(2.0 / 2 * 25)


def test_r1_is_on_real_data_and_r2_on_generated_data():
    real, fake = torch.full((4, 2), 2.0), torch.full((4, 2), 1.0)
    d = HalfSquaredNorm()  # ||∇D(x)||² = ||x||²: 8 on the real points, 2 on the fakes
    assert R1(weight=1.0)(d, real, fake).item() == pytest.approx(0.5 * 8)
    assert R2(weight=1.0)(d, real, fake).item() == pytest.approx(0.5 * 2)


def test_the_gradient_penalty_of_a_linear_d_is_lambda_times_norm_minus_one_squared():
    real, fake = torch.randn(10, 2), torch.randn(10, 2)
    assert GradientPenalty(weight=10.0)(Linear(W), real, fake).item() == pytest.approx(
        10.0 * (5 - 1) ** 2
    )


def test_the_gradient_penalty_is_taken_on_random_interpolates():
    real, fake = torch.randn(64, 3), torch.randn(64, 3)
    torch.manual_seed(7)
    penalty = GradientPenalty(weight=1.0)(HalfSquaredNorm(), real, fake).item()
    torch.manual_seed(7)
    eps = torch.rand(64, 1)
    between = eps * real + (1 - eps) * fake  # ∇D = x̂ itself
    expected = (between.norm(dim=1) - 1).square().mean().item()
    assert penalty == pytest.approx(expected, rel=1e-5)


def test_a_packing_d_gets_one_gradient_norm_per_pack():
    w = torch.tensor([3.0, 0.0, 0.0, 4.0])  # two 2D samples per pack
    norms = input_gradient_norms(Linear(w, pack=2), torch.randn(6, 2))
    assert norms.shape == (3,) and torch.allclose(norms, torch.full((3,), 5.0))


def test_penalties_backpropagate_into_d():
    d = Linear(W.clone())
    GradientPenalty(weight=1.0)(d, torch.randn(5, 2), torch.randn(5, 2)).backward()
    # d/dw (||w|| - 1)² = 2 (||w|| - 1) w / ||w||
    assert torch.allclose(d.w.grad, 2 * (5 - 1) * W / 5)


def test_lazy_penalties_are_due_every_nth_update():
    penalty = R1(weight=1.0, every=4)
    assert [u for u in range(10) if penalty.due(u)] == [0, 4, 8]


def _top_singular_value(weight: torch.Tensor) -> float:
    return torch.linalg.matrix_norm(weight.detach().flatten(1), ord=2).item()


@pytest.mark.parametrize(
    "make",
    [
        lambda: MLPDiscriminator([2], hidden=[32, 32], spectral_norm=True),
        lambda: DCGANDiscriminator([1, 16, 16], ndf=8, spectral_norm=True),
    ],
    ids=["mlp", "dcgan"],
)
def test_spectral_norm_makes_every_layer_s_top_singular_value_one(make):
    torch.manual_seed(0)
    d = make()
    layers = [m for m in d.modules() if isinstance(m, nn.Linear | nn.Conv2d)]
    assert layers and all(hasattr(m, "parametrizations") for m in layers)
    x = torch.randn(8, *([2] if isinstance(d, MLPDiscriminator) else [1, 16, 16]))
    for _ in range(100):  # one power iteration per training forward pass
        d(x)
    for layer in layers:
        assert _top_singular_value(layer.weight) == pytest.approx(1.0, abs=0.01)
        # The raw weights are unconstrained: the normalisation is the parametrization's.
        assert _top_singular_value(layer.parametrizations.weight.original) != pytest.approx(1.0)


def test_d_without_batch_norm_gives_each_sample_an_output_of_its_own():
    torch.manual_seed(0)
    x = torch.randn(6, 1, 16, 16)
    with_bn = DCGANDiscriminator([1, 16, 16], ndf=8)
    without = DCGANDiscriminator([1, 16, 16], ndf=8, batch_norm=False)
    assert any(isinstance(m, nn.BatchNorm2d) for m in with_bn.modules())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in without.modules())
    # Changing one sample changes only its own output without BatchNorm (in training mode).
    changed = x.clone()
    changed[0] += 1
    assert torch.equal(without(x)[1:], without(changed)[1:])
    assert not torch.equal(with_bn(x)[1:], with_bn(changed)[1:])
