"""The schemas of the group options (litgan/config/schema.py): every option composes to its
own, each names only arguments its target takes, and the nodes left open take new keys."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import torch
from hydra.utils import get_class, instantiate
from omegaconf import OmegaConf

from litgan.config import schema
from litgan.config.checks import validate_config
from litgan.config.compose import CONFIG_DIR, compose
from tests.helpers.runs import compose_train

GROUPS = ("data", "model", "loss", "penalty", "optim", "metrics", "trainer", "callbacks")
OPTIONS = {g: sorted(p.stem for p in (Path(CONFIG_DIR) / g).glob("*.yaml")) for g in GROUPS}
TYPED = [(g, o) for g, options in OPTIONS.items() for o in options if o not in ("none",)]


@pytest.mark.parametrize("group", GROUPS)
def test_every_option_of_a_typed_group_has_a_registered_schema_or_is_empty(group):
    for option in OPTIONS[group]:
        cfg = compose_train(f"{group}={option}")
        if option == "none":
            assert not cfg[group]
        else:
            assert OmegaConf.get_type(cfg[group]) in schema.SCHEMAS.values(), option


def accepted(target: str) -> set[str]:
    """The keyword arguments `target` takes: those of every __init__ it passes **kwargs to."""
    names: set[str] = set()
    for cls in get_class(target).__mro__:
        params = inspect.signature(cls.__init__).parameters.values()
        names |= {p.name for p in params if p.kind is not p.VAR_KEYWORD}
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            break
    return names


@pytest.mark.parametrize(("group", "option"), TYPED)
def test_a_schema_names_only_arguments_of_its_target(group, option):
    cfg = compose_train(f"{group}={option}")
    nodes = {"model": ["generator", "discriminator"], "optim": ["generator", "discriminator"]}
    for node in [cfg[group][k] for k in nodes.get(group, [])] or [cfg[group]]:
        if "_target_" in node and group != "optim":  # an optimizer's arguments are open
            assert set(node) - {"_target_"} <= accepted(node._target_), node._target_


def test_trainer_and_optimizers_take_arguments_the_schema_does_not_name(tmp_path):
    overrides = [
        "+trainer.gradient_clip_val=0.5",
        "+optim.generator.weight_decay=1e-5",
        "optim.discriminator.amsgrad=true",  # without +: the node is open
        "metrics=none",
    ]
    cfg = compose(overrides)  # as the run gets it: no hydra key
    validate_config(cfg)
    assert cfg.trainer.gradient_clip_val == 0.5
    weights = [torch.nn.Parameter(torch.zeros(2))]
    adam_g = instantiate(cfg.optim.generator, _convert_="all")(weights)
    adam_d = instantiate(cfg.optim.discriminator, _convert_="all")(weights)
    assert adam_g.defaults["weight_decay"] == 1e-5 and adam_g.defaults["lr"] == cfg.model.lr
    assert adam_d.defaults["amsgrad"] is True and adam_d.defaults["betas"] == (0.5, 0.999)


def test_typed_keys_take_interpolations_and_values_convert_to_their_type():
    cfg = compose_train(
        "model.generator.nz=${data.batch_size}", "optim.generator.lr=1", "penalty=r1"
    )
    assert cfg.model.generator.nz == 256
    assert cfg.optim.generator.lr == 1.0 and isinstance(cfg.optim.generator.lr, float)
    assert isinstance(cfg.penalty.weight, float) and cfg.penalty.every == 1


def test_a_game_yaml_copied_from_a_shipped_one_composes_to_the_game_schema(tmp_path):
    """conf/loss/non_saturating.yaml under another name: no schema or list to edit."""
    conf = tmp_path / "conf" / "loss"
    conf.mkdir(parents=True)
    text = (Path(CONFIG_DIR) / "loss" / "non_saturating.yaml").read_text()
    (conf / "doubled.yaml").write_text(text.replace("NonSaturating", "Minimax"))
    cfg = compose([f"hydra.searchpath=[file://{tmp_path / 'conf'}]", "loss=doubled"])
    assert OmegaConf.get_type(cfg.loss) is schema.Game
    assert cfg.loss._target_ == "litgan.game.games.Minimax"
