"""The config's typed schema: Hydra structured configs that conf/ builds on.

Composing a config checks every typed key's value (`seed=abc`, `model.generator.hidden=abc`
are refused) and refuses keys the schema does not name (`d_step=2`, `model.generator.hiden=3`);
a key added with `+`, which Hydra lets into any node, is refused by `unknown_key` right after
composition. Value rules and rules between keys (positive counts, learning rates, packs
dividing batches) are in litgan.config.checks.

conf/train.yaml builds on `TrainConfig`, which types the groups `Any`: each option of the groups
data, model, loss, penalty, optim and metrics brings a schema of its own (`OPTIONS`), registered
as `<group>_<option>_schema` and named first in the option's defaults list
(`- /model_mlp_schema@_here_`; a `_global_` option such as a penalty places it with `@penalty`).
A new option needs an entry in `OPTIONS`, a new key of an option a field in its schema.
penalty=none (null) and metrics=none (empty) have none.

Open by design: `trainer` (any pytorch_lightning.Trainer argument can be added:
`+trainer.gradient_clip_val=0.5`; Lightning checks them), each player's optimizer (`lr`, `betas`
are typed, and the optimizer's other arguments can be added: `+optim.generator.weight_decay=1e-5`),
`logger`, `callbacks`, `paths`, and `gan`, which the keys and groups above fill by interpolation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, get_type_hints

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

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
    steps_per_batch: int = MISSING
    # Config groups (conf/<group>/): each option brings its own schema (see the docstring).
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


# data: one schema per option (conf/data/<option>.yaml has the meanings).


@dataclass
class Data:
    _target_: str = MISSING
    batch_size: int = MISSING


@dataclass
class PointsData(Data):
    """ring, grid: litgan.data.GaussianMixtureDataModule."""

    layout: str = MISSING
    num_modes: int = MISSING
    scale: float = MISSING
    std: float = MISSING
    num_samples: int = MISSING
    seed: int = MISSING
    on_device: bool = MISSING
    on_device_max_mb: float = MISSING


@dataclass
class ImageData(Data):
    image_size: int = MISSING
    channels: int = MISSING


@dataclass
class DigitsData(ImageData):
    on_device: bool = MISSING
    on_device_max_mb: float = MISSING


@dataclass
class LoaderData(ImageData):
    """Image sets read by DataLoader workers."""

    flip: bool = MISSING
    num_workers: int | None = MISSING
    pin_memory: bool | None = MISSING
    persistent_workers: bool = MISSING


@dataclass
class Mnist5kData(LoaderData):
    on_device: bool = MISSING
    on_device_max_mb: float = MISSING


@dataclass
class TorchvisionData(Mnist5kData):
    """mnist, fashion_mnist, cifar10."""

    root: str = MISSING
    download: bool = MISSING


@dataclass
class CelebAData(LoaderData):
    root: str = MISSING
    download: bool = MISSING
    crop_size: int | None = MISSING


@dataclass
class ImageFolderData(LoaderData):
    path: str | None = MISSING
    crop_size: int | None = MISSING


# model (conf/model/<option>.yaml has the meanings).


@dataclass
class MLPGenerator:
    _target_: str = "litgan.networks.MLPGenerator"
    nz: int = MISSING
    hidden: list[int] = MISSING
    activation: str = MISSING
    batch_norm: bool = MISSING
    tanh_output: bool | None = MISSING


@dataclass
class MLPDiscriminator:
    _target_: str = "litgan.networks.MLPDiscriminator"
    hidden: list[int] = MISSING
    activation: str = MISSING
    pack: int = MISSING
    batch_norm: bool = MISSING
    spectral_norm: bool = MISSING


@dataclass
class DCGANGenerator:
    _target_: str = "litgan.networks.DCGANGenerator"
    nz: int = MISSING
    ngf: int = MISSING


@dataclass
class DCGANDiscriminator:
    _target_: str = "litgan.networks.DCGANDiscriminator"
    ndf: int = MISSING
    pack: int = MISSING
    batch_norm: bool = MISSING
    spectral_norm: bool = MISSING


@dataclass
class Model:
    lr: float = MISSING
    lr_decay: float = MISSING
    ema_decay: float = MISSING
    augment: list[str] = MISSING
    cpu_threads: int | None = None


@dataclass
class MLPModel(Model):
    generator: MLPGenerator = field(default_factory=MLPGenerator)
    discriminator: MLPDiscriminator = field(default_factory=MLPDiscriminator)


@dataclass
class DCGANModel(Model):
    generator: DCGANGenerator = field(default_factory=DCGANGenerator)
    discriminator: DCGANDiscriminator = field(default_factory=DCGANDiscriminator)


# loss, penalty, optim, metrics.


@dataclass
class Game:
    """Every option of loss: a litgan.game.games.Game without arguments."""

    _target_: str = MISSING


@dataclass
class Penalty:
    """r1, r2, gp: a litgan.game.penalties.Penalty (penalty=none is null)."""

    _target_: str = MISSING
    weight: float = MISSING
    every: int = MISSING


@dataclass
class Optimizer:
    """A player's optimizer, called with its parameters; open to the optimizer's other
    arguments (see `OPEN`)."""

    _target_: str = MISSING
    _partial_: bool = True
    lr: float = MISSING
    betas: list[float] = MISSING


@dataclass
class Optim:
    generator: Optimizer = field(default_factory=Optimizer)
    discriminator: Optimizer = field(default_factory=Optimizer)
    lr_decay: float = MISSING


@dataclass
class FID:
    num_samples: int = MISSING
    batch_size: int = MISSING
    feature_layer: int = MISSING
    resize: str = MISSING
    antialias: bool = MISSING
    weights_path: str | None = MISSING


@dataclass
class PointMetrics:
    num_samples: int = MISSING
    high_quality_stds: float = MISSING
    divergences: bool = MISSING
    bandwidth: float = MISSING  # in data stds


@dataclass
class Metrics:
    """metrics=default (metrics=none is empty)."""

    split: str = MISSING
    cache_dir: str = MISSING
    fid: FID = field(default_factory=FID)
    points: PointMetrics = field(default_factory=PointMetrics)
    extra: list[str] = MISSING


GAMES = ("minimax", "non_saturating", "hinge", "least_squares", "wasserstein")
# The schema of each group option: conf/<group>/<option>.yaml names it (`schema_name`).
OPTIONS: dict[str, dict[str, type]] = {
    "data": {
        "ring": PointsData,
        "grid": PointsData,
        "digits": DigitsData,
        "mnist_5k": Mnist5kData,
        "mnist": TorchvisionData,
        "fashion_mnist": TorchvisionData,
        "cifar10": TorchvisionData,
        "celeba": CelebAData,
        "image_folder": ImageFolderData,
    },
    "model": {"mlp": MLPModel, "dcgan": DCGANModel},
    "loss": {name: Game for name in GAMES},
    "penalty": {name: Penalty for name in ("r1", "r2", "gp")},
    "optim": {"adam": Optim},
    "metrics": {"default": Metrics},
}
OPEN = (Optimizer,)  # typed keys, and further keys may be added


def store() -> None:
    """Register the schemas in Hydra's ConfigStore, where the defaults lists find them."""
    cs = ConfigStore.instance()
    cs.store(name=SCHEMA, node=TrainConfig)
    for group, options in OPTIONS.items():
        for name, schema in options.items():
            cs.store(name=schema_name(group, name), node=_node(schema))


def schema_name(group: str, option: str) -> str:
    """The name conf/<group>/<option>.yaml finds its schema by: root-level, not in a group of
    its own, which `python train.py --help` would list among the config groups."""
    return f"{group}_{option}_schema"


def _node(schema: type) -> DictConfig:
    """`schema` as a config, with the nodes of the `OPEN` schemas open to new keys."""
    node = OmegaConf.structured(schema)
    for key, hint in get_type_hints(schema).items():
        if hint in OPEN:
            OmegaConf.set_struct(node[key], False)  # kept through composition
    return node


def unknown_key(cfg: DictConfig, prefix: str = "") -> tuple[str, list[str]] | None:
    """The first key of `cfg` that its schema does not name, with the keys it does name.

    Composition refuses such keys except when added with `+`, which Hydra lets into any node.
    """
    schema = OmegaConf.get_type(cfg)
    closed = is_dataclass(schema) and schema not in OPEN
    named = [f.name for f in fields(schema)] if closed else []
    for key in cfg:
        if closed and key not in named:
            return f"{prefix}{key}", named
        if OmegaConf.is_interpolation(cfg, key) or OmegaConf.is_missing(cfg, key):
            continue  # gan's nodes stand for the groups; a missing value is no key of its own
        if isinstance(cfg[key], DictConfig):
            found = unknown_key(cfg[key], f"{prefix}{key}.")
            if found:
                return found
    return None
