"""A tiny GAN for tests that train it for real without the entry point; the data and GAN a
config describes."""

from __future__ import annotations

from omegaconf import DictConfig

from litgan.data.base import GANDataModule
from litgan.gan import GAN
from litgan.run.fit import build

ADAM = {"_target_": "torch.optim.Adam", "_partial_": True, "lr": 1e-3, "betas": [0.5, 0.999]}
GAMES = {
    "minimax": {"_target_": "litgan.game.games.Minimax"},
    "non_saturating": {"_target_": "litgan.game.games.NonSaturating"},
    "hinge": {"_target_": "litgan.game.games.Hinge"},
    "wasserstein": {"_target_": "litgan.game.games.Wasserstein"},
    "least_squares": {"_target_": "litgan.game.games.LeastSquares"},
}


def make_gan(
    loss: str = "non_saturating",
    d_steps: int = 1,
    metrics: dict | None = None,
    data_shape: tuple[int, ...] = (2,),
    lr_decay: float = 0.0,
    ema_decay: float = 0.0,
    augment: tuple[str, ...] = (),
    **kwargs,
) -> GAN:
    """A tiny MLP GAN, on 2D points unless `data_shape` says otherwise, for tests that train it
    for real; `loss` names a game of conf/loss; `lr_decay`, `ema_decay`, `augment` are model's."""
    model = {
        "generator": {"_target_": "litgan.networks.MLPGenerator", "nz": 4, "hidden": [16]},
        "discriminator": {"_target_": "litgan.networks.MLPDiscriminator", "hidden": [16]},
        "lr_decay": lr_decay,
        "ema_decay": ema_decay,
        "augment": list(augment),
    }
    return GAN(
        data_shape=data_shape,
        model=model,
        loss=GAMES[loss],
        optim={"generator": ADAM, "discriminator": ADAM},
        d_steps=d_steps,
        metrics=metrics,
        **kwargs,
    )


def data_and_gan(cfg: DictConfig) -> tuple[GANDataModule, GAN]:
    """The data module and the GAN that train.py builds from `cfg`, without training: through
    the same calls (`litgan.run.fit`), whichever way those build them."""
    return build(cfg)
