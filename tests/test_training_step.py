"""The training step: each player's update leaves the other untouched, and D is frozen for G."""

from __future__ import annotations

import pytest
import pytorch_lightning as pl
import torch

from litgan.config.checks import lightning_max_steps
from litgan.data import DigitsDataModule, GaussianMixtureDataModule
from litgan.gan import GAN
from litgan.gan.players import ema_update, frozen
from tests.helpers.gans import ADAM, GAMES, make_gan


def snapshot(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


class StepSpy(pl.Callback):
    """Records both networks around every optimizer step of one generator iteration."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.d_requires_grad: list[bool] = []

    def on_fit_start(self, trainer, gan):
        gan.discriminator.register_forward_hook(
            lambda m, i, o: self.d_requires_grad.append(
                all(p.requires_grad for p in m.parameters())
            )
        )

    def on_train_batch_start(self, trainer, gan, batch, batch_idx):
        self.events.append(
            {"who": "start", "g": snapshot(gan.generator), "d": snapshot(gan.discriminator)}
        )

    def on_before_optimizer_step(self, trainer, gan, optimizer):
        who = "g" if optimizer is trainer.optimizers[0] else "d"
        self.events.append(
            {
                "who": who,
                "g": snapshot(gan.generator),
                "d": snapshot(gan.discriminator),
                "g_grads": [p.grad is not None for p in gan.generator.parameters()],
                "d_grads": [p.grad is not None for p in gan.discriminator.parameters()],
            }
        )

    def on_train_batch_end(self, trainer, gan, outputs, batch, batch_idx):
        self.events.append(
            {"who": "end", "g": snapshot(gan.generator), "d": snapshot(gan.discriminator)}
        )


def fit(gan: GAN, g_steps: int, *callbacks: pl.Callback, data=None) -> pl.Trainer:
    """Train `gan` for `g_steps` generator iterations on `data` (default: ring batches of 32
    per D update)."""
    trainer = pl.Trainer(
        accelerator="cpu",
        max_steps=lightning_max_steps(g_steps, gan.hparams.d_steps),
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=list(callbacks),
    )
    data = data or GaussianMixtureDataModule(num_samples=512, batch_size=32 * gan.hparams.d_steps)
    trainer.fit(gan, datamodule=data)
    return trainer


@pytest.mark.parametrize("loss", list(GAMES))
def test_each_update_moves_only_its_own_player(loss):
    spy = StepSpy()
    fit(make_gan(loss), 1, spy)
    start, d_step, g_step, end = spy.events
    assert [e["who"] for e in spy.events] == ["start", "d", "g", "end"]
    # D's update: D has gradients, G has none, and G's weights have not moved.
    assert all(d_step["d_grads"]) and not any(d_step["g_grads"])
    assert same(d_step["g"], start["g"])
    # G's update: G has gradients, D has none, and D's weights stay what D's step left.
    assert all(g_step["g_grads"]) and not any(g_step["d_grads"])
    assert same(end["d"], g_step["d"]) and not same(g_step["d"], start["d"])
    assert not same(end["g"], start["g"])


def test_d_is_frozen_only_while_g_steps():
    spy = StepSpy()
    gan = make_gan()
    fit(gan, 2, spy)
    # Per iteration: D on reals and D on fakes (D step, trainable), then D inside G's step.
    assert spy.d_requires_grad == [True, True, False] * 2
    assert all(p.requires_grad for p in gan.discriminator.parameters())


def test_d_steps_gives_that_many_d_updates_per_g_update():
    spy = StepSpy()
    trainer = fit(make_gan(d_steps=3), 2, spy)
    updates = [e["who"] for e in spy.events if e["who"] in "gd"]
    assert updates == ["d", "d", "d", "g"] * 2
    assert trainer.global_step == 8  # Lightning's count of optimizer steps


def test_ema_update_averages_weights_and_batchnorm_statistics():
    average, model = torch.nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    torch.nn.init.uniform_(model.weight)
    model(torch.randn(8, 3))  # running statistics and the batch counter move
    before = {k: v.clone() for k, v in average.state_dict().items()}
    ema_update(average, model, decay=0.75)
    for key, value in average.state_dict().items():
        if value.is_floating_point():
            expected = 0.75 * before[key] + 0.25 * model.state_dict()[key]
            assert torch.allclose(value, expected), key
    assert average.num_batches_tracked == model.num_batches_tracked == 1


def test_the_weight_average_follows_g_and_is_what_samples_come_from():
    spy = StepSpy()
    gan = make_gan(ema_decay=0.5)
    initial = snapshot(gan.generator_ema)
    fit(gan, 3, spy)
    expected = initial
    for g_after_step in [e["g"] for e in spy.events if e["who"] == "end"]:
        expected = [0.5 * a + 0.5 * g for a, g in zip(expected, g_after_step, strict=True)]
    assert all(
        torch.allclose(a, e) for a, e in zip(snapshot(gan.generator_ema), expected, strict=True)
    )
    assert not any(p.requires_grad for p in gan.generator_ema.parameters())
    z = gan.fixed_noise(16)
    gan.generator_ema.eval()
    assert torch.equal(gan.generate(z), gan.generator_ema(z).detach())
    assert not torch.allclose(gan.generate(z), gan.generator.eval()(z))


def test_frozen_restores_each_flag_even_after_an_error():
    net = torch.nn.Linear(2, 2)
    net.bias.requires_grad_(False)
    with pytest.raises(RuntimeError), frozen(net):
        assert not any(p.requires_grad for p in net.parameters())
        raise RuntimeError
    assert net.weight.requires_grad and not net.bias.requires_grad


def test_fixed_noise_is_the_same_at_every_call_and_nested():
    gan = make_gan()
    assert torch.equal(gan.fixed_noise(10), gan.fixed_noise(10))
    assert torch.equal(gan.fixed_noise(100)[:10], gan.fixed_noise(10))


class LearningRates(pl.Callback):
    """Each player's learning rate at every one of its optimizer steps."""

    def __init__(self) -> None:
        self.rates: dict[str, list[float]] = {"g": [], "d": []}

    def on_before_optimizer_step(self, trainer, gan, optimizer):
        who = "g" if optimizer is trainer.optimizers[0] else "d"
        self.rates[who].append(optimizer.param_groups[0]["lr"])


def test_lr_decay_falls_linearly_to_zero_over_the_last_fraction():
    rates = LearningRates()
    fit(make_gan(d_steps=2, lr_decay=0.25), 20, rates)
    # 20 generator iterations: constant for 15, then 1e-3 × (20 - t) / 5 at iteration t + 1.
    expected = [1e-3] * 16 + [1e-3 * (20 - t) / 5 for t in range(16, 20)]
    assert rates.rates["g"] == pytest.approx(expected)
    # D's two updates of an iteration share its rate: both rates move once per G iteration.
    assert rates.rates["d"] == pytest.approx([r for r in expected for _ in range(2)])


def test_early_batch_size_holds_until_the_rates_start_to_fall():
    rates = LearningRates()
    gan = make_gan(lr_decay=0.5, early_batch_size=8)
    sizes: list[int] = []
    gan.discriminator.register_forward_hook(lambda m, i, o: sizes.append(len(i[0])))
    fit(gan, 6, rates)
    # Per iteration D sees reals and fakes in its step, then G's fakes in G's step.
    per_iteration = [sizes[i : i + 3] for i in range(0, len(sizes), 3)]
    full_rate = [lr == ADAM["lr"] for lr in rates.rates["g"]]
    assert full_rate == [True] * 4 + [False] * 2
    assert per_iteration == [[8, 8, 8] if early else [32, 32, 32] for early in full_rate]


def has_zero_square(images: torch.Tensor, side: int) -> torch.Tensor:
    """Per image (B, C, H, W): whether some side x side square is 0 in every channel."""
    nonzero = (images != 0).any(1, keepdim=True).float()
    return torch.nn.functional.max_pool2d(nonzero, side, stride=1).flatten(1).amin(1) == 0


def test_with_augment_d_judges_only_transformed_images_real_and_generated():
    digits = DigitsDataModule(batch_size=16)
    # Cutout leaves at least an 8x8 corner of its 16x16 hole in a 32x32 digit; no real digit
    # has a square of exact zeros (their background is -1), nor does G's tanh output.
    assert not has_zero_square(digits.load(), 8).any()
    gan = make_gan(data_shape=digits.shape, augment=["cutout"])
    seen = []
    gan.discriminator.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach()))
    fit(gan, 2, data=digits)
    # Per iteration: real and generated images in D's step, generated ones in G's step.
    assert len(seen) == 6
    assert all(has_zero_square(images, 8).all() for images in seen)
    assert not has_zero_square(gan.generate(gan.fixed_noise(16)), 8).any()
