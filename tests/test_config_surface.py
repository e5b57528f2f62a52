"""The whole config surface tried with the values a user could mistype.

Every leaf key of the schema's nodes, in the composed config of every data × model combination
and of every experiment= preset, gets 0, -1, an empty list, a huge number and a wrong-type
string (and, for a list, each of them as its one item). The cases are generated from
litgan.config.schema, so a key is tried the day it is added. Each value is either refused
(composition refuses its type; a value outside the range its field declares is refused in one
line naming the key, the range and the value) or legal: inside its range, and accepted by
validate_config or refused by a rule across keys, in one line. Compose and validate only, in
this process: a few of the refusals go through `main()` to show that path ends the same way,
and the legal edge values (the smallest widths, a one-mode mixture, a batch of two) train a
few iterations with finite numbers.
"""

from __future__ import annotations

import copy
import functools
import math
import typing
from dataclasses import fields, is_dataclass
from pathlib import Path

import pytest
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import ValidationError

from litgan.config import schema
from litgan.config.checks import check_ranges, shown, validate_config
from litgan.config.compose import CONFIG_DIR, compose
from litgan.config.schema import TrainConfig
from litgan.errors import ConfigError
from litgan.hydra_internals import config_dir_initialized
from litgan.records.history import read_series
from tests.helpers.runs import check_clean_failure, run_main

HUGE = 10**18
MISTYPED = (0, -1, [], HUGE, "abc")
HYDRA_KEYS = ("_target_", "_partial_")  # a wrong one fails when instantiated (test_bad_input)
UNTYPED = {"logger", "paths"}  # open by design (litgan.config.schema's docstring)
CONF = Path(CONFIG_DIR)
# The top level's nodes for the config groups (penalty=none and metrics=none leave them empty).
GROUPS = {k for k, hint in typing.get_type_hints(TrainConfig).items() if hint is typing.Any}


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


BASES = {
    **{
        f"data={d},model={m}": [f"data={d}", f"model={m}"]
        for d in options("data")
        for m in ("mlp", "dcgan")
    },
    **{f"experiment={e}": [f"experiment={e}"] for e in options("experiment")},
}


@functools.cache
def base(overrides: tuple[str, ...]) -> DictConfig:
    """The config `overrides` compose, as a run gets it (in `cases`' Hydra context if open)."""
    return compose(overrides)


def leaves(cfg: DictConfig, prefix: str = "") -> typing.Iterator[tuple[str, type]]:
    """(key, schema class) of every leaf of the typed nodes under `cfg`."""
    owner = OmegaConf.get_type(cfg)
    named = {f.name for f in fields(owner)} if is_dataclass(owner) else set()
    for key in cfg:
        interpolated = OmegaConf.is_interpolation(cfg, key)  # read: ${hydra:...} fails here
        if not interpolated and isinstance(cfg[key], DictConfig):
            yield from leaves(cfg[key], f"{prefix}{key}.")
        elif key in named and key not in HYDRA_KEYS and key not in GROUPS:
            yield f"{prefix}{key}", owner


@functools.cache
def cases() -> dict[str, tuple[tuple[str, ...], type, str]]:
    """Each leaf key, once per schema class that declares it, in the first base that holds it;
    then in an option of its own for a group option's schema no base holds (trainer=ddp)."""
    found: dict[tuple[str, type], tuple[str, ...]] = {}

    def add(overrides: tuple[str, ...]) -> None:
        for key, owner in leaves(base(overrides)):
            found.setdefault((key, owner), overrides)

    with config_dir_initialized(CONFIG_DIR):  # one for every compose: 30% faster
        for overrides in BASES.values():
            add(tuple(overrides))
        for group in ("loss", "penalty", "optim", "metrics", "trainer"):  # BASES: data, model
            for option in options(group):
                if option != "none":
                    add((f"{group}={option}",))
    return {f"{key}@{owner.__name__}": (ov, owner, key) for (key, owner), ov in found.items()}


def values_for(hint: object) -> list[object]:
    """The mistyped values, and for a list each of them as its one item."""
    is_list = typing.get_origin(hint) is list
    return [*MISTYPED, *([[v] for v in MISTYPED if v != []] if is_list else [])]


def test_every_base_validates_and_every_group_but_the_open_ones_is_typed():
    for name in BASES:
        cfg = base(tuple(BASES[name]))
        validate_config(cfg)
        nodes = [k for k in cfg if isinstance(cfg[k], DictConfig) and cfg[k]]
        untyped = {k for k in nodes if not is_dataclass(OmegaConf.get_type(cfg[k]))}
        assert untyped - {"hydra"} <= UNTYPED, name


def test_every_numeric_list_and_open_key_declares_a_range():
    schemas = {*schema.SCHEMAS.values(), schema.TrainConfig}
    todo = list(schemas)
    while todo:
        current = todo.pop()
        hints = typing.get_type_hints(current)
        for f in fields(current):
            hint = hints[f.name]
            if is_dataclass(hint):
                todo.append(hint)
                continue
            if f.name in HYDRA_KEYS or (current is schema.TrainConfig and hint is typing.Any):
                continue  # the groups, and Hydra's own keys
            kinds = {hint, *typing.get_args(hint), typing.get_origin(hint)} - {type(None), None}
            if kinds & {int, float, list, typing.Any}:
                assert schema.RANGE in f.metadata, f"{current.__name__}.{f.name} has no range"


def test_the_cases_cover_every_group_and_preset():
    groups = {key.split(".")[0] for _, _, key in cases().values()}
    assert {"data", "model", "optim", "metrics", "trainer", "callbacks", "seed"} <= groups
    keys = {key for _, _, key in cases().values()}
    assert {"penalty.weight", "trainer.num_nodes", "model.generator.ngf"} <= keys


@pytest.mark.parametrize("case", sorted(cases()))
def test_a_mistyped_value_is_refused_in_one_line_or_is_in_range(case):
    overrides, owner, key = cases()[case]
    field_name = key.rsplit(".", 1)[-1]
    hint = typing.get_type_hints(owner)[field_name]
    declared = next(f for f in fields(owner) if f.name == field_name).metadata.get(schema.RANGE)
    cfg = copy.deepcopy(base(overrides))
    for value in values_for(hint):
        try:
            OmegaConf.update(cfg, key, value, merge=False)
        except ValidationError:
            continue  # its type: composition refuses it (test_a_wrong_type_is_refused_...)
        stored = OmegaConf.select(cfg, key)
        if isinstance(stored, ListConfig):
            stored = OmegaConf.to_container(stored)
        optional = type(None) in typing.get_args(hint)
        legal = declared is None or declared.admits(stored) or (stored is None and optional)
        # Outside its range it meets check_ranges, the part of validate_config that reads the
        # ranges (after the schema's checks, which the base passes); a legal value all of it.
        try:
            (validate_config if legal else check_ranges)(cfg)
        except ConfigError as err:
            message = str(err)
            assert "\n" not in message, message
            if not legal:
                assert message.startswith(f"{key} must be "), message
                assert message.endswith(f", got {shown(stored)}"), message
            continue
        assert legal, f"{key}={stored!r} is outside {key}'s range and was not refused"
        if declared is None:
            assert hint in (bool, str, bool | None, str | None), (key, hint)


def scalar(hint: object) -> object:
    """int for int | None: a value converts as it does for int."""
    return next((a for a in typing.get_args(hint) if a is not type(None)), hint)


def override(key: str, value: object) -> str:
    return f"{key}={str(value).replace(' ', '').replace(chr(39), '')}"


def test_a_wrong_type_is_refused_by_composition_in_one_line():
    """One case per kind of type (int, float, bool, str, list): the refusal compose
    gives before Hydra's run."""
    tried: dict[str, str] = {}
    for overrides, owner, key in cases().values():
        hint = typing.get_type_hints(owner)[key.rsplit(".", 1)[-1]]
        kind = "list" if typing.get_origin(hint) is list else str(scalar(hint))
        if kind in tried:
            continue
        cfg = copy.deepcopy(base(overrides))
        for value in values_for(hint):
            try:
                OmegaConf.update(cfg, key, value, merge=False)
                continue
            except ValidationError:
                pass
            with pytest.raises(ConfigError) as refused:
                compose([*overrides, override(key, value)])
            assert "\n" not in str(refused.value)
            assert str(refused.value).startswith(f"{key} must be "), str(refused.value)
            tried[kind] = override(key, value)
            break
    assert set(tried) >= {"list", str(int), str(float), str(bool), str(str)}, tried


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["model.discriminator.hidden=[64,0]"], "model.discriminator.hidden must be a list of"),
        (["data.std=-1"], "data.std must be a positive number, got -1.0"),
        (["callbacks.samples.num_points=0"], "callbacks.samples.num_points must be a positive"),
        (["trainer.precision=abc"], "trainer.precision must be one of 64, 32, 16, bf16,"),
    ],
)
def test_a_refused_value_through_main_is_one_line_and_writes_nothing(
    overrides, message, monkeypatch, capsys, tmp_path
):
    status, stderr = run_main(monkeypatch, capsys, tmp_path, *overrides, base=())
    check_clean_failure(status, stderr, tmp_path, message)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# The legal edge values of the ranges, a few at a time in tiny runs: each trains and its
# numbers stay finite.
EDGES = {
    "smallest MLPs, one mode, batch of two": [
        "model.generator.hidden=[1]",
        "model.discriminator.hidden=[1]",
        "model.generator.nz=1",
        "data.num_modes=1",
        "data.std=1e-6",
        "data.scale=1e-6",
        "data.batch_size=2",
        "data.num_samples=2",
        "model.lr_decay=1",
        "model.ema_decay=0.999999",
    ],
    "no hidden layers, one pack, penalty of weight 0": [
        "model.generator.hidden=[]",
        "model.discriminator.hidden=[]",
        "model.discriminator.pack=4",
        "data.batch_size=4",
        "penalty=r1",
        "penalty.weight=0",
        "model.lr_decay=0",
        "optim.generator.betas=[0,0]",
    ],
    "smallest DCGAN, batch of one": [
        "model=dcgan",
        "data=digits",
        "data.image_size=16",
        "data.batch_size=1",
        "model.generator.nz=1",
        "model.generator.ngf=1",
        "model.discriminator.ndf=1",
    ],
}


@pytest.mark.parametrize("edge", EDGES)
def test_legal_edge_values_train_with_finite_numbers(edge, monkeypatch, capsys, tmp_path):
    overrides = [*EDGES[edge], "trainer.max_steps=3", "trainer.log_every_n_steps=1"]
    status, stderr = run_main(
        monkeypatch, capsys, tmp_path, *overrides, "trainer.enable_progress_bar=false", base=()
    )
    assert status == 0, stderr
    series = read_series(tmp_path / "run" / "metrics.csv")
    assert series, "no numbers logged"
    for name, (_, values) in series.items():
        assert all(math.isfinite(v) for v in values), (name, values)
    assert max(max(steps) for steps, _ in series.values()) == 3
