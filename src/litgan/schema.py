"""The config's typed schema: Hydra structured configs that conf/train.yaml builds on.

Composing a config checks every typed key's value (`seed=abc` is refused) and refuses keys the
schema does not name (`d_step=2`), before anything runs. Value rules and rules between keys
(positive counts, learning rates, packs dividing batches) are in litgan.config.

The groups are typed `Any`: their options differ in keys (each data set and network has its
own arguments, checked where they are built), and a closed schema for `trainer` would refuse
the Lightning Trainer arguments users add (`+trainer.gradient_clip_val=...`). A new top-level
key or group needs a field here; a group option can get a schema of its own with
`store(group=..., name=..., node=...)` and a defaults-list line in its file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

SCHEMA = "train_schema"  # the first entry of conf/train.yaml's defaults list


@dataclass
class TrainConfig:
    """The top-level keys of conf/train.yaml (their values and meanings are there)."""

    seed: int = MISSING
    d_steps: int = MISSING
    early_batch_size: int | None = None
    sample_every: int = MISSING
    val_every: int = MISSING
    checkpoint_every: int = MISSING
    ckpt_path: str | None = None
    stop_on_nonfinite: bool = True
    eval_seed: int = MISSING
    compile: bool = False
    channels_last: bool = False
    # Config groups (conf/<group>/): see the module docstring for why they are untyped.
    data: Any = MISSING
    model: Any = MISSING
    loss: Any = MISSING
    penalty: Any = None
    optim: Any = MISSING
    trainer: Any = MISSING
    logger: Any = None
    callbacks: Any = None
    metrics: Any = None
    paths: Any = MISSING
    gan: Any = MISSING  # litgan.gan.GAN's arguments, interpolated from the keys and groups above


def store() -> None:
    """Register the schemas in Hydra's ConfigStore, where train.yaml's defaults list finds them."""
    ConfigStore.instance().store(name=SCHEMA, node=TrainConfig)
