"""Checks on the composed config that fail early, with a message that says what to change.

Nothing heavier than OmegaConf is imported: the checks run before torch loads. The names a
config may choose are therefore kept here, and the modules that implement them use these.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from dataclasses import fields, is_dataclass
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.errors import HydraException, OverrideParseException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import (
    ConfigAttributeError,
    ConfigKeyError,
    InterpolationResolutionError,
    ValidationError,
)

from litgan.config import schema
from litgan.errors import ConfigError

# conf/ of the repository: Hydra composes every litgan command's config from it.
CONFIG_DIR = str(Path(__file__).resolve().parents[3] / "conf")
schema.store()  # conf/train.yaml builds on the typed schema: registered for every use of CONFIG_DIR

EXTRA_METRICS = ("kid", "prc", "isc")  # torch-fidelity metrics besides FID (metrics.extra)
FEATURE_LAYERS = ("64", "192", "768", "2048")  # Inception layers FID can use
AUGMENT_NAMES = ("translation", "cutout")  # the transforms of litgan.game.augment (model.augment)

# Integers, numbers and lists by the schema (litgan.config.schema): the checks here are of
# their values.
COUNTS = ("d_steps", "sample_every", "val_every", "checkpoint_every", "steps_per_batch")


def validate_config(cfg: DictConfig) -> None:
    """Raise ConfigError for settings that cannot train, before anything is built or written."""
    check_schema(cfg)
    for key in COUNTS:
        if cfg[key] < 1:
            raise ConfigError(f"{key} must be a positive integer, got {cfg[key]!r}")
    for key in ("data.batch_size", "model.generator.nz"):
        value = OmegaConf.select(cfg, key, default=1)
        if value < 1:
            raise ConfigError(f"{key} must be a positive integer, got {value!r}")
    for player in ("generator", "discriminator"):
        lr = OmegaConf.select(cfg, f"optim.{player}.lr")
        if not 0 < lr < float("inf"):
            raise ConfigError(
                f"optim.{player}.lr (model.lr by default) must be a positive number, got {lr!r}"
            )
    decay = OmegaConf.select(cfg, "optim.lr_decay", default=0.0)
    if not 0 <= decay <= 1:
        raise ConfigError(
            f"optim.lr_decay (model.lr_decay by default) is the fraction of training over which "
            f"the learning rates fall to 0, from 0 to 1; got {decay!r}"
        )
    ema = OmegaConf.select(cfg, "model.ema_decay", default=0.0)
    if not 0 <= ema < 1:
        raise ConfigError(
            f"model.ema_decay is the decay of the average of G's weights, from 0 (none) up to "
            f"but not including 1; got {ema!r}"
        )
    augment = OmegaConf.select(cfg, "model.augment", default=[])
    if not set(augment) <= set(AUGMENT_NAMES):
        raise ConfigError(
            f"model.augment is a list of DiffAugment transforms from {', '.join(AUGMENT_NAMES)} "
            f"(e.g. model.augment=[translation,cutout]), got {augment!r}"
        )
    if cfg.get("penalty"):
        _validate_penalty(cfg)
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
    if not 0 < early <= cfg.data.batch_size:
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


def _validate_penalty(cfg: DictConfig) -> None:
    """A penalty's weight is at least 0 (not NaN), its interval positive, D without BatchNorm."""
    weight, every = cfg.penalty.weight, cfg.penalty.every
    if not weight >= 0:
        raise ConfigError(f"penalty.weight must be a number of at least 0, got {weight!r}")
    if every < 1:
        raise ConfigError(
            f"penalty.every (apply it every N-th D update) must be a positive integer, got "
            f"{every!r}"
        )
    if OmegaConf.select(cfg, "model.discriminator.batch_norm"):
        raise ConfigError(
            "a penalty needs D's output for one sample to depend on that sample alone, and "
            "BatchNorm in D mixes the batch: set model.discriminator.batch_norm=false or "
            "penalty=none"
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
    if "points" not in metrics:
        # metrics=none is empty: what is there came from a preset that tunes validation.
        keys = ", ".join(f"metrics.{k}" for k in metrics)
        raise ConfigError(
            f"metrics=none turns validation off, but {keys} is set (by the experiment preset): "
            f"add ~metrics.{next(iter(metrics))} to drop it, or leave out metrics=none"
        )
    for key in ("fid.num_samples", "points.num_samples"):
        value = OmegaConf.select(metrics, key)
        if value < 2:
            raise ConfigError(f"metrics.{key} must be an integer of at least 2, got {value!r}")
    batch_size = metrics.fid.batch_size
    if batch_size < 1:
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
    unknown = set(metrics.extra) - set(EXTRA_METRICS)
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


# How each type of the schema reads in a message: alone, and in a list.
TYPE_WORDS = {
    int: ("an integer", "integers"),
    bool: ("true or false", "booleans (true or false)"),
    str: ("a string", "strings"),
    float: ("a number", "numbers"),
}


def check_composes(overrides: Sequence[str]) -> None:
    """Compose conf/train.yaml with `overrides` as Hydra will, and raise a one-line ConfigError
    for a wrong type, an unknown key or option, or an override Hydra cannot parse (Hydra would
    report them in several lines, with exit status 1)."""
    try:
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            cfg = compose(config_name="train", overrides=list(overrides))
    except HydraException as err:
        raise ConfigError(_one_line(err)) from err
    check_schema(cfg)


def check_schema(cfg: DictConfig) -> None:
    """What composition leaves unchecked: a key added with `+key=value` that its part of the
    schema does not name, and the type of a typed key set by interpolation (checked only when
    it is read)."""
    found = schema.unknown_key(cfg)
    if found:
        key, named = found
        raise ConfigError(_not_a_key(key, None if "." not in key else named))
    _read_interpolations(cfg)


def _read_interpolations(cfg: DictConfig, prefix: str = "") -> None:
    """Read every interpolated key of the typed nodes under `cfg`: a ConfigError for a value
    its type refuses."""
    owner = OmegaConf.get_type(cfg)
    for key in cfg:
        if OmegaConf.is_missing(cfg, key):
            continue
        if OmegaConf.is_interpolation(cfg, key):
            if not is_dataclass(owner):
                continue
            try:
                cfg[key]
            except ValidationError as err:
                expr = OmegaConf.to_container(cfg)[key]
                wanted = _type_words(typing.get_type_hints(owner)[key]) or "of its type"
                raise ConfigError(
                    f"{prefix}{key} must be {wanted}, and {expr} is not: "
                    + _first_line(err).split("': ", 1)[-1]  # after "While dereferencing '...'"
                ) from err
            except InterpolationResolutionError:
                pass  # Hydra's runtime values (${hydra:...}): only a run resolves them
        elif isinstance(cfg[key], DictConfig):
            _read_interpolations(cfg[key], f"{prefix}{key}.")


def _not_a_key(key: str, named: Sequence[str] | None) -> str:
    """The message for `key`, which is not among the keys `named` beside it (None: the node
    takes new keys, and only the top level refuses them)."""
    group = key.rpartition(".")[0]
    if named is not None:
        return f"{key} is not a key of {group}: check its spelling; its keys are {', '.join(named)}"
    message = f"{key} is not a key of the config: check its spelling"
    if not group:
        return f"{message} (python train.py --help lists the top-level keys)"
    return f"{message}, or add a new one with +{key}=<value>"


def _one_line(err: HydraException) -> str:
    """Hydra's report of a composition error, in one line that says what to change."""
    cause = err.__cause__
    key = getattr(cause, "full_key", None)
    if isinstance(cause, ValidationError) and key:
        value = str(err).removeprefix("Error merging override ").split("=", 1)[-1]
        key, wanted = _wanted(cause)
        if wanted:
            return f"{key} must be {wanted}, got {value!r}"
        return f"{key}={value}: {_first_line(cause)}"
    if isinstance(cause, ConfigKeyError | ConfigAttributeError) and key:
        schema_type = getattr(cause, "object_type", None)
        typed = is_dataclass(schema_type) and schema_type is not schema.TrainConfig
        return _not_a_key(key, [f.name for f in fields(schema_type)] if typed else None)
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    if isinstance(err, OverrideParseException):
        return f"cannot read the overrides: {lines[0]} ({lines[-1].removeprefix('See ')})"
    if lines[0].startswith("Ambiguous value"):
        return f"{lines[0]}: add -m to sweep over it, or write a list as key=[a,b]"
    if "Available options" in str(err):
        head = lines[0].removeprefix("In 'train': ")
        group_at = next(i for i, line in enumerate(lines) if line.startswith("Available options"))
        options = [o for o in lines[group_at + 1 :] if not o.startswith(("Config search", "prov"))]
        return f"{head}; {lines[group_at].rstrip(':').lower()}: {', '.join(options)}"
    return "; ".join(lines[:1] + ([_first_line(cause)] if cause is not None else []))


def _wanted(cause: ValidationError) -> tuple[str, str | None]:
    """The key a value was refused for, and what its type in the schema reads as ('an integer
    or null'); an element of a list stands for the list."""
    key, owner = cause.full_key, cause.object_type
    if isinstance(cause.key, int):  # an element of a typed list: the list's key and type
        return key.rsplit("[", 1)[0], _type_words(cause.ref_type)
    if is_dataclass(owner) and cause.key in {f.name for f in fields(owner)}:
        return key, _type_words(typing.get_type_hints(owner)[cause.key])
    return key, None


def _type_words(hint: object) -> str | None:
    """'an integer or null' for int | None, 'a list of numbers' for list[float]."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        words = _type_words(rest[0]) if len(rest) == 1 else None
        if words == TYPE_WORDS[bool][0]:
            return "true, false or null"
        return f"{words} or null" if words else None
    if typing.get_origin(hint) is list and args in {(t,) for t in TYPE_WORDS}:
        return f"a list of {TYPE_WORDS[args[0]][1]}"
    return TYPE_WORDS[hint][0] if hint in TYPE_WORDS else None


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]
