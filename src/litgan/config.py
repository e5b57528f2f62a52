"""Checks on the composed config that fail early, with a message that says what to change."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from litgan.errors import ConfigError
from litgan.losses import GENERATOR_LOSSES

POSITIVE_INTS = ("d_steps", "sample_every", "val_every", "checkpoint_every", "data.batch_size")


def validate_config(cfg: DictConfig) -> None:
    """Raise ConfigError for settings that cannot train, before anything is built or written."""
    for key in POSITIVE_INTS:
        value = OmegaConf.select(cfg, key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{key} must be a positive integer, got {value!r}")
    if cfg.loss.name not in GENERATOR_LOSSES:
        raise ConfigError(
            f"loss.name={cfg.loss.name!r} is not a generator loss; choose loss=minimax or "
            "loss=non_saturating"
        )
    max_steps = cfg.trainer.get("max_steps", -1)
    max_epochs = cfg.trainer.get("max_epochs", -1)
    if not (max_steps == -1 or (isinstance(max_steps, int) and max_steps > 0)):
        raise ConfigError(
            f"trainer.max_steps counts generator updates and must be positive (or -1 with "
            f"trainer.max_epochs set), got {max_steps!r}"
        )
    if max_steps == -1 and (max_epochs is None or max_epochs < 1):
        raise ConfigError("set trainer.max_steps (generator updates) or trainer.max_epochs")


def lightning_max_steps(g_steps: int, d_steps: int) -> int:
    """Lightning's max_steps for `g_steps` generator updates.

    Lightning counts every optimizer step in `global_step`: one generator iteration is
    d_steps discriminator steps plus one generator step.
    """
    return g_steps * (d_steps + 1) if g_steps > 0 else -1
