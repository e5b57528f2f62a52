"""Checks on the composed config that fail early, with a message that says what to change.

Each key's range is declared beside its type in litgan.config.schema and enforced by one function,
`check_ranges`; the rules written here are those between keys. Nothing heavier than OmegaConf is
imported: the checks run before torch loads.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from dataclasses import fields, is_dataclass
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException, InstantiationException, OverrideParseException
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import (
    ConfigAttributeError,
    ConfigKeyError,
    InterpolationResolutionError,
    ValidationError,
)

from litgan import hydra_internals
from litgan.config import schema
from litgan.config.suggest import keys_ending_in
from litgan.errors import ConfigError, LitganError, first_line

# The names a config may choose, by the schema: the modules that implement them use these.
AUGMENT_NAMES = schema.AUGMENT_NAMES
EXTRA_METRICS = schema.EXTRA_METRICS
FEATURE_LAYERS = schema.FEATURE_LAYERS


def validate_config(cfg: DictConfig) -> None:
    """Raise ConfigError for settings that cannot train, before anything is built or written:
    keys the schema does not name, values outside their ranges, then the rules between keys."""
    check_schema(cfg)
    check_ranges(cfg)
    if cfg.get("penalty"):
        _validate_penalty(cfg)
    if cfg.trainer.max_steps == -1 and cfg.trainer.max_epochs in (None, -1):
        raise ConfigError("set trainer.max_steps (generator updates) or trainer.max_epochs")
    pack = OmegaConf.select(cfg, "model.discriminator.pack", default=1)
    if cfg.data.batch_size % pack:
        raise ConfigError(
            f"data.batch_size={cfg.data.batch_size} does not split into packs of "
            f"model.discriminator.pack={pack}: choose a batch size that is a multiple of it"
        )
    _validate_early_batch_size(cfg, pack, cfg.model.get("lr_decay", 0.0))
    _validate_batch_norm(cfg, pack)
    _validate_manifold(cfg)
    _validate_kept_checkpoints(cfg)
    if cfg.get("metrics") and "nearest_k" in cfg.metrics:
        _validate_nearest_k(cfg)
    _validate_dirac(cfg)
    if cfg.get("metrics") and "points" not in cfg.metrics:
        # metrics=none is empty: what is there came from a preset that tunes validation.
        keys = ", ".join(f"metrics.{k}" for k in cfg.metrics)
        raise ConfigError(
            f"metrics=none turns validation off, but {keys} is set (by the experiment preset): "
            f"add ~metrics.{next(iter(cfg.metrics))} to drop it, or leave out metrics=none"
        )


def check_ranges(cfg: DictConfig, prefix: str = "") -> None:
    """Raise ConfigError for the first value outside the range its schema field declares
    (litgan.config.schema: `positive()`, `one_of(...)`, ...), naming the key, the range and the
    value; every typed node under `cfg` is read."""
    owner = OmegaConf.get_type(cfg)
    ranges = schema.field_ranges(owner) if is_dataclass(owner) else {}
    hints = schema.type_hints(owner) if ranges else {}
    for key, raw in cfg.items_ex(resolve=False):  # only ranged values are read (resolved)
        if key in ranges and not OmegaConf.is_missing(cfg, key):
            _check_range(f"{prefix}{key}", cfg[key], ranges[key], hints[key])
        elif isinstance(raw, DictConfig) and not OmegaConf.is_interpolation(cfg, key):
            check_ranges(raw, f"{prefix}{key}.")  # gan's nodes stand for the groups: skipped


def _check_range(key: str, value: object, values: schema.Range, hint: object) -> None:
    if isinstance(value, ListConfig):
        value = OmegaConf.to_container(value, resolve=True)
    optional = _is_optional(hint)
    if (value is None and optional) or values.admits(value):
        return
    noun = "integer" if int in (hint, *typing.get_args(hint)) else "number"
    or_null = " or null" if optional else ""
    raise ConfigError(f"{key} must be {values.words(noun)}{or_null}, got {shown(value)}")


def shown(value: object) -> str:
    """`value` as a message shows it: a boolean as the config writes it."""
    return str(value).lower() if isinstance(value, bool) else repr(value)


def _is_optional(hint: object) -> bool:
    return type(None) in typing.get_args(hint)


def _validate_early_batch_size(cfg: DictConfig, pack: int, decay: float) -> None:
    """early_batch_size: part of every batch, in whole packs, and only with falling rates."""
    early = cfg.get("early_batch_size")
    if early is None:
        return
    if early > cfg.data.batch_size:
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


def _validate_batch_norm(cfg: DictConfig, pack: int) -> None:
    """BatchNorm after an MLP's hidden layers needs two samples (G) or two packs (D) a batch."""
    batch = min(cfg.data.batch_size, cfg.get("early_batch_size") or cfg.data.batch_size)
    for player, count, unit in (
        ("generator", batch, "samples"),
        ("discriminator", batch // pack, "packs"),
    ):
        network = cfg.model[player]
        if network.get("hidden") and network.batch_norm and count < 2:
            raise ConfigError(
                f"model.{player}.batch_norm=true normalises over the batch and needs two {unit} "
                f"in it, got {count}: raise data.batch_size (and early_batch_size) or set "
                f"model.{player}.batch_norm=false"
            )


def _validate_manifold(cfg: DictConfig) -> None:
    """G's latent grid, asked for, needs a 2-D latent space."""
    nz = OmegaConf.select(cfg, "model.generator.nz")
    if OmegaConf.select(cfg, "callbacks.samples.manifold") is True and nz != 2:
        raise ConfigError(
            f"callbacks.samples.manifold=true draws G's image of a 2-D latent grid, and "
            f"model.generator.nz={nz}: set model.generator.nz=2, or leave the switch at null"
        )


def _validate_kept_checkpoints(cfg: DictConfig) -> None:
    """A kept checkpoint is a copy of last.ckpt, written every checkpoint_every iterations."""
    keep = OmegaConf.select(cfg, "callbacks.last_checkpoint.keep") or []
    every = cfg.checkpoint_every
    for step in keep:
        if step % every:
            raise ConfigError(
                f"callbacks.last_checkpoint.keep has {step}, not a multiple of "
                f"checkpoint_every={every}: keep multiples of it or lower checkpoint_every"
            )


def _validate_nearest_k(cfg: DictConfig) -> None:
    """Density and coverage need a k-th nearest other sample among the real ones scored."""
    metrics = cfg.metrics
    if "layout" in cfg.data:  # 2D mixtures: always scored, on metrics.points.num_samples
        key, count = "metrics.points.num_samples", metrics.points.num_samples
    elif "dc" in (metrics.get("extra") or []):
        key, count = "metrics.fid.num_samples", metrics.fid.num_samples
    else:
        return
    if metrics.nearest_k >= count:
        raise ConfigError(
            f"metrics.nearest_k={metrics.nearest_k} needs more samples than that for density "
            f"and coverage, and {key}={count}: lower metrics.nearest_k or raise {key}"
        )


def _validate_penalty(cfg: DictConfig) -> None:
    """A penalty needs D without BatchNorm."""
    if OmegaConf.select(cfg, "model.discriminator.batch_norm"):
        raise ConfigError(
            "a penalty needs D's output for one sample to depend on that sample alone, and "
            "BatchNorm in D mixes the batch: set model.discriminator.batch_norm=false or "
            "penalty=none"
        )


def _validate_dirac(cfg: DictConfig) -> None:
    """The Dirac-GAN's theory is a field with a Jacobian at (0, 0): GP's |ψ| has none there."""
    dirac = str(OmegaConf.select(cfg, "model.generator._target_", default="")).endswith(
        "DiracGenerator"
    )
    if dirac and cfg.get("penalty") and cfg.penalty._target_.endswith("GradientPenalty"):
        raise ConfigError(
            "penalty=gp on the Dirac-GAN is (weight)(|ψ|-1)², which has no derivative at the "
            "equilibrium ψ = 0: use penalty=r1, penalty=r2 or penalty=none with model=dirac"
        )


def lightning_max_steps(g_steps: int, d_steps: int, update: str = "alternating") -> int:
    """Lightning's max_steps for `g_steps` generator updates.

    Lightning counts every optimizer step in `global_step`: one generator iteration is
    d_steps discriminator steps plus one generator step, twice with update=extragradient (its
    extrapolation is a step of both optimizers too).
    """
    return g_steps * optimizer_steps(d_steps, update) if g_steps > 0 else -1


def optimizer_steps(d_steps: int, update: str = "alternating") -> int:
    """The optimizer steps of one generator iteration, which Lightning counts."""
    return (d_steps + 1) * (2 if update == "extragradient" else 1)


# How each type of the schema reads in a message: alone, and in a list.
TYPE_WORDS = {
    int: ("an integer", "integers"),
    bool: ("true or false", "booleans (true or false)"),
    str: ("a string", "strings"),
    float: ("a number", "numbers"),
}


# Config groups whose option may be a list of options, composed together (logger=[wandb,csv]).
MULTI_OPTION_GROUPS = ("logger", "callbacks")


def check_override_types(overrides: Sequence[str], cfg: DictConfig) -> None:
    """What composition converts without a word: an integer on a boolean key (OmegaConf reads
    -1 as true), and a list of options for a group that takes one (the last would win)."""
    groups = {p.name for p in Path(schema.CONFIG_DIR).iterdir() if p.is_dir()}
    for override in OverridesParser.create().parse_overrides(list(overrides)):
        if override.is_sweep_override() or override.is_delete():
            continue  # a sweep's values are checked in each of its jobs
        key, value = override.key_or_group, override.value()
        if key in groups and key not in MULTI_OPTION_GROUPS and isinstance(value, list):
            shown = f"[{', '.join(map(str, value))}]"
            raise ConfigError(
                f"{key} takes one option, got {shown}: choose one, or sweep over them with "
                f"-m {key}={','.join(map(str, value))}"
            )
        hint = _hint(cfg, key)
        optional = hint == bool | None
        if not (hint is bool or optional) or isinstance(value, bool):
            continue
        if (value is None and optional) or (isinstance(value, str) and "${" in value):
            continue
        wanted = "true, false or null" if optional else "true or false"
        raise ConfigError(f"{key} must be {wanted}, got {shown_value(value)}")


def shown_value(value: object) -> str:
    """An override's value as the command line wrote it."""
    return repr(value) if isinstance(value, str) else str(value)


def _hint(cfg: DictConfig, key: str) -> object:
    """The schema's type of `key` in `cfg`, or None where no typed node holds it."""
    parent, _, leaf = key.rpartition(".")
    node = OmegaConf.select(cfg, parent) if parent else cfg
    owner = OmegaConf.get_type(node) if isinstance(node, DictConfig) else None
    if not is_dataclass(owner):
        return None
    return typing.get_type_hints(owner).get(leaf)


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
    for key, raw in cfg.items_ex(resolve=False):  # a plain value is not read: faster
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
                    + hydra_internals.dereferenced(err)
                ) from err
            except InterpolationResolutionError:
                pass  # Hydra's runtime values (${hydra:...}): only a run resolves them
        elif isinstance(raw, DictConfig):
            _read_interpolations(raw, f"{prefix}{key}.")


def _not_a_key(key: str, named: Sequence[str] | None) -> str:
    """The message for `key`, which is not among the keys `named` beside it (None: the node
    takes new keys, and only the top level refuses them)."""
    group = key.rpartition(".")[0]
    if named is not None:
        return f"{key} is not a key of {group}: check its spelling; its keys are {', '.join(named)}"
    message = f"{key} is not a key of the config: check its spelling"
    if not group:
        meant = keys_ending_in(key, schema.CONFIG_DIR)
        if meant:
            return f"{key} is not a key of the config: did you mean {' or '.join(meant)}?"
        return f"{message} (python train.py --help lists the top-level keys)"
    return f"{message}, or add a new one with +{key}=<value>"


def composition_error(err: HydraException) -> str:
    """Hydra's report of a composition error, in one line that says what to change."""
    cause = err.__cause__
    key = getattr(cause, "full_key", None)
    if isinstance(cause, ValidationError) and key:
        value = hydra_internals.merged_value(err)
        key, wanted = _wanted(cause)
        if wanted:
            return f"{key} must be {wanted}, got {value!r}"
        return f"{key}={value}: {first_line(cause)}"
    if isinstance(cause, ConfigKeyError | ConfigAttributeError) and key:
        schema_type = getattr(cause, "object_type", None)
        typed = is_dataclass(schema_type) and schema_type not in (schema.TrainConfig, *schema.OPEN)
        return _not_a_key(key, [f.name for f in fields(schema_type)] if typed else None)
    if isinstance(err, OverrideParseException):
        reason, where = hydra_internals.unreadable_override(err)
        override = reason.partition(": ")[2]
        unquoted = next((c for c in override if not c.isascii()), None)
        if unquoted and "=" in override:
            key, _, value = override.partition("=")
            return (
                f"{override} holds {unquoted!r}, which Hydra's override grammar reads only in "
                f"quotes: write '{key}=\"{value}\"' (double quotes inside the shell's single)"
            )
        return f"cannot read the overrides: {reason} ({where})"
    if hydra_internals.is_ambiguous(err):
        return f"{first_line(err)}: add -m to sweep over it, or write a list as key=[a,b]"
    missing = hydra_internals.missing_option(err)
    if missing:
        head, available, options = missing
        return f"{head}; {available.lower()}: {', '.join(options)}"
    first = hydra_internals.lines(err)[:1]
    return "; ".join(first + ([first_line(cause)] if cause is not None else []))


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


def user_error(err: BaseException | None, cfg: DictConfig) -> LitganError | None:
    """The LitganError behind `err`, also when Hydra's instantiate wrapped it; any other error
    raised while instantiating a part of `cfg` becomes a ConfigError naming that part."""
    chain = []
    while err is not None and not isinstance(err, LitganError):
        chain.append(err)
        err = err.__cause__
    built = [e for e in chain if isinstance(e, InstantiationException)]
    if err is None and built:
        return _not_built(built[-1], cfg)  # the innermost: the part that failed
    return err


def _not_built(err: InstantiationException, cfg: DictConfig) -> ConfigError:
    """One line for Hydra's several: which part of `cfg` could not be built, and why."""
    target, key = hydra_internals.instantiation_site(err)
    found = key or _key_of(OmegaConf.to_container(cfg), target)
    cause = err.__cause__ or err
    why = first_line(cause)[:300] if str(cause).strip() else ""
    part = f"{found} ({target})" if found and target else found or target
    group = f"; check the {found.split('.')[0]} settings" if found else ""
    return ConfigError(f"could not build {part}: {type(cause).__name__}: {why}{group}")


def _key_of(node: object, target: str | None, prefix: str = "") -> str | None:
    """The key of the first node of `node` whose _target_ names the class
    `target` (Hydra reports it by its module's path, the config may by its package's)."""
    if not isinstance(node, dict) or target is None:
        return None
    if prefix and str(node.get("_target_")).rsplit(".", 1)[-1] == target.rsplit(".", 1)[-1]:
        return prefix.rstrip(".")
    for key, value in node.items():
        found = _key_of(value, target, f"{prefix}{key}.")
        if found:
            return found
    return None
