"""Checks on the composed config that fail early, with a message that says what to change.

Nothing heavier than OmegaConf is imported: the checks run before torch loads. The names a
config may choose are therefore kept here, and the modules that implement them use these.
"""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from litgan.errors import ConfigError

EXTRA_METRICS = ("kid", "prc", "isc")  # torch-fidelity metrics besides FID (metrics.extra)
FEATURE_LAYERS = ("64", "192", "768", "2048")  # Inception layers FID can use
AUGMENT_NAMES = ("translation", "cutout")  # the transforms of litgan.augment (model.augment)

POSITIVE_INTS = (
    "d_steps",
    "sample_every",
    "val_every",
    "checkpoint_every",
    "steps_per_batch",
    "data.batch_size",
)


def validate_config(cfg: DictConfig) -> None:
    """Raise ConfigError for settings that cannot train, before anything is built or written."""
    for key in POSITIVE_INTS:
        value = OmegaConf.select(cfg, key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{key} must be a positive integer, got {value!r}")
    for player in ("generator", "discriminator"):
        lr = OmegaConf.select(cfg, f"optim.{player}.lr")
        if not isinstance(lr, int | float) or isinstance(lr, bool) or not 0 < lr < float("inf"):
            raise ConfigError(
                f"optim.{player}.lr (model.lr by default) must be a positive number, got {lr!r}"
            )
    decay = OmegaConf.select(cfg, "optim.lr_decay", default=0.0)
    if not isinstance(decay, int | float) or isinstance(decay, bool) or not 0 <= decay <= 1:
        raise ConfigError(
            f"optim.lr_decay (model.lr_decay by default) is the fraction of training over which "
            f"the learning rates fall to 0, from 0 to 1; got {decay!r}"
        )
    ema = OmegaConf.select(cfg, "model.ema_decay", default=0.0)
    if not isinstance(ema, int | float) or isinstance(ema, bool) or not 0 <= ema < 1:
        raise ConfigError(
            f"model.ema_decay is the decay of the average of G's weights, from 0 (none) up to "
            f"but not including 1; got {ema!r}"
        )
    augment = OmegaConf.select(cfg, "model.augment", default=None)
    if augment is not None and (
        not OmegaConf.is_list(augment) or not set(augment) <= set(AUGMENT_NAMES)
    ):
        raise ConfigError(
            f"model.augment is a list of DiffAugment transforms from {', '.join(AUGMENT_NAMES)} "
            f"(e.g. model.augment=[translation,cutout]), got {augment!r}"
        )
    if not isinstance(cfg.get("stop_on_nonfinite"), bool):
        raise ConfigError(f"stop_on_nonfinite must be true or false, got {cfg.stop_on_nonfinite!r}")
    if cfg.get("penalty") and OmegaConf.select(cfg, "model.discriminator.batch_norm"):
        raise ConfigError(
            "a penalty needs D's output for one sample to depend on that sample alone, and "
            "BatchNorm in D mixes the batch: set model.discriminator.batch_norm=false or "
            "penalty=none"
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
    pack = check_pack(OmegaConf.select(cfg, "model.discriminator.pack", default=1))
    if cfg.data.batch_size % pack:
        raise ConfigError(
            f"data.batch_size={cfg.data.batch_size} does not split into packs of "
            f"model.discriminator.pack={pack}: choose a batch size that is a multiple of it"
        )
    _validate_early_batch_size(cfg, pack, decay)
    if cfg.get("metrics"):
        _validate_metrics(cfg.metrics)


def _validate_early_batch_size(cfg: DictConfig, pack: int, decay: float) -> None:
    """early_batch_size: part of every batch, in whole packs, and only with falling rates."""
    early = cfg.get("early_batch_size")
    if early is None:
        return
    if (
        not isinstance(early, int)
        or isinstance(early, bool)
        or not 0 < early <= cfg.data.batch_size
    ):
        raise ConfigError(
            f"early_batch_size must be null or a positive integer no larger than "
            f"data.batch_size={cfg.data.batch_size}, got {early!r}"
        )
    if early % pack:
        raise ConfigError(
            f"early_batch_size={early} does not split into packs of "
            f"model.discriminator.pack={pack}: choose a multiple of it"
        )
    if not decay:
        raise ConfigError(
            "early_batch_size applies until the learning rates start to fall, and "
            "model.lr_decay=0 keeps them constant: set model.lr_decay > 0 or early_batch_size=null"
        )


def check_pack(pack: object) -> int:
    """`pack` (PacGAN's samples per discriminator input) if it is a positive integer."""
    if not isinstance(pack, int) or isinstance(pack, bool) or pack < 1:
        raise ConfigError(
            f"model.discriminator.pack must be a positive integer (1: no packing), got {pack!r}"
        )
    return pack


def _validate_metrics(metrics: DictConfig) -> None:
    """The evaluation settings: sample counts a covariance can be estimated from, known names."""
    for key in ("fid.num_samples", "points.num_samples"):
        value = OmegaConf.select(metrics, key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 2:
            raise ConfigError(f"metrics.{key} must be an integer of at least 2, got {value!r}")
    batch_size = metrics.fid.batch_size
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ConfigError(f"metrics.fid.batch_size must be a positive integer, got {batch_size!r}")
    if str(metrics.fid.feature_layer) not in FEATURE_LAYERS:
        raise ConfigError(
            f"metrics.fid.feature_layer must be one of {', '.join(FEATURE_LAYERS)}, "
            f"got {metrics.fid.feature_layer!r}"
        )
    if metrics.fid.resize != "tf1_bilinear" or metrics.fid.antialias is not False:
        raise ConfigError(
            "litgan computes torch-fidelity's FID: metrics.fid.resize must be tf1_bilinear and "
            f"metrics.fid.antialias false, got {metrics.fid.resize!r} and {metrics.fid.antialias!r}"
        )
    unknown = set(metrics.extra or []) - set(EXTRA_METRICS)
    if unknown:
        raise ConfigError(
            f"metrics.extra has unknown metrics {sorted(unknown)}; "
            f"choose from {', '.join(EXTRA_METRICS)}"
        )


def lightning_max_steps(g_steps: int, d_steps: int) -> int:
    """Lightning's max_steps for `g_steps` generator updates.

    Lightning counts every optimizer step in `global_step`: one generator iteration is
    d_steps discriminator steps plus one generator step.
    """
    return g_steps * (d_steps + 1) if g_steps > 0 else -1
