"""The config's typed schema: Hydra structured configs that conf/ builds on.

Composing a config checks every typed key's value (`seed=abc`, `model.generator.hidden=abc`
are refused) and refuses keys the schema does not name (`d_step=2`, `model.generator.hiden=3`);
a key added with `+`, which Hydra lets into any node, is refused by `unknown_key` right after
composition.

Each numeric, list or choice key declares its range beside its type, as the dataclass field's
metadata (`positive()`, `at_least(0)`, `probability()`, `widths()`, `one_of(...)`): one
function, litgan.config.checks.check_ranges, reads them all. Only rules between keys (packs
dividing batches, a penalty with a BatchNorm D) are written by hand, in litgan.config.checks.

conf/train.yaml builds on `TrainConfig`, which types the groups `Any`: each option of the groups
data, model, loss, penalty, optim, metrics, trainer and callbacks names the schema of its kind
first in its defaults list (`- /mlp_model_schema@_here_`; a `_global_` option such as a penalty
places it with `@penalty`). The schemas register themselves (`@registered("mlp_model")`), and no
list names the options: a new option is a YAML that names an existing schema (a new game:
`- /game_schema@_here_` and its `_target_`), a new key of an option a field in its schema.
penalty=none (null) and metrics=none (empty) have none; an option that names no schema (a
user's own data set, say) is untyped, and its class checks its arguments.

Open by design (`OPEN`: typed keys, and further keys may be added): `trainer` (the keys litgan
sets are typed; any other pytorch_lightning.Trainer argument can be added:
`+trainer.gradient_clip_val=0.5`, and Lightning checks it), `callbacks` (`+callbacks.<name>...`
adds one), each player's optimizer (`lr`, `betas` are typed, and the optimizer's other arguments
can be added: `+optim.generator.weight_decay=1e-5`). Untyped: `logger`, `paths`.

No key is written twice: litgan.gan.GAN takes the groups `model`, `loss`, `optim`, `penalty`,
`metrics` and the top-level keys of its parameters' names as they are (litgan.run.fit.build).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, get_type_hints

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

# conf/ of the repository: Hydra composes every litgan command's config from it.
CONFIG_DIR = str(Path(__file__).resolve().parents[3] / "conf")

SCHEMA = "train_schema"  # the first entry of conf/train.yaml's defaults list
RANGE = "range"  # the metadata key of a field's range

# Metrics besides FID (metrics.extra): torch-fidelity's, and dc: density and coverage.
EXTRA_METRICS = ("kid", "prc", "isc", "dc")
FEATURE_LAYERS = ("64", "192", "768", "2048")  # Inception layers FID can use
AUGMENT_NAMES = ("translation", "cutout")  # the transforms of litgan.game.augment (model.augment)
SPLITS = ("train", "valid", "test", "all")  # of every data set (each checks its own)
MAX_SEED = 2**32 - 1  # Lightning's seed_everything replaces a seed outside [0, MAX_SEED] by 0
# Lightning 2.6's `precision` values (lightning_fabric.connector._PRECISION_INPUT).
PRECISIONS = (64, 32, 16, "64", "32", "16", "bf16", "16-true", "16-mixed", "bf16-true")
PRECISIONS += ("bf16-mixed", "32-true", "64-true", "transformer-engine")
PRECISIONS += ("transformer-engine-float16",)
ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps", "tpu")
# Upper ends of sizes, so that a mistyped huge number is refused instead of exhausting memory:
MAX_SAMPLES = 10**8  # samples or a batch held at once (10^8 2D points take 0.8 GB)
MAX_WIDTH = 2**14  # an MLP layer's width, nz (two 16,384-wide layers: 268M weights, 1 GB)
MAX_MAPS = 1024  # DCGAN's ngf, ndf (ngf=1024: a first layer of 8,192 maps, 2 GB of weights)
MAX_MODES = 10**4  # mixture modes (evaluation measures the distance of every point to each)
MAX_LABEL = 64  # a tag's characters: W&B refuses a longer run tag when the run starts


# Ranges: the values a key takes beyond its type, declared beside it.


class Range:
    """The values a key allows beyond its type; `words(noun)` reads as the end of "must be"."""

    def admits(self, value: Any) -> bool:
        raise NotImplementedError

    def words(self, noun: str, plural: bool = False) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Interval(Range):
    """Finite numbers from `low` to `high` (None: unbounded), or one of `also`."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    also: tuple[int, ...] = ()  # values outside the interval with a meaning of their own (-1)

    def admits(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if value in self.also:
            return True
        low_ok = self.low is None or (value > self.low if self.low_open else value >= self.low)
        high = self.high
        high_ok = high is None or (value < high if self.high_open else value <= high)
        return math.isfinite(value) and low_ok and high_ok

    def words(self, noun: str, plural: bool = False) -> str:
        nouns = f"{noun}s" if plural else noun
        if self.low == 0 and self.low_open and self.high is None:
            text = f"positive {nouns}"
        elif self.low == 0 and self.low_open and not self.high_open:
            text = f"positive {nouns} up to {self.high:,}"
        elif self.high is None:
            text = f"{nouns} of at least {self.low}"
        else:
            ends = "(" if self.low_open else "[", ")" if self.high_open else "]"
            text = f"{nouns} in {ends[0]}{self.low:,}, {self.high:,}{ends[1]}"
        text = text if plural else f"{'an' if text[0] in 'aeiou' else 'a'} {text}"
        return " or ".join([text, *map(str, self.also)])


@dataclass(frozen=True)
class Choice(Range):
    """One of `options`, of their type (true is not 1)."""

    options: tuple[Any, ...]

    def admits(self, value: Any) -> bool:
        return any(type(value) is type(o) and value == o for o in self.options)

    def words(self, noun: str, plural: bool = False) -> str:
        shown = (str(o).lower() if isinstance(o, bool) else str(o) for o in self.options)
        names = ", ".join(dict.fromkeys(shown))  # 16 and "16" read the same
        if plural:
            return f"values from {names}"
        return names if len(self.options) == 1 else f"one of {names}"


@dataclass(frozen=True)
class Items(Range):
    """A list whose items are in `item`, of `length` items (None: any number, none included)."""

    item: Range
    length: int | None = None

    def admits(self, value: Any) -> bool:
        if not isinstance(value, list) or self.length not in (None, len(value)):
            return False
        return all(self.item.admits(v) for v in value)

    def words(self, noun: str, plural: bool = False) -> str:
        count = f"{self.length} " if self.length else ""
        return f"a list of {count}{self.item.words(noun, plural=True)}"


@dataclass(frozen=True)
class Either(Range):
    """Any of `ranges`, described by `text`."""

    text: str
    ranges: tuple[Range, ...]

    def admits(self, value: Any) -> bool:
        return any(r.admits(value) for r in self.ranges)

    def words(self, noun: str, plural: bool = False) -> str:
        return self.text


@dataclass(frozen=True)
class FolderName(Range):
    """One folder's name: no path separator, not . or .., not empty."""

    def admits(self, value: Any) -> bool:
        return isinstance(value, str) and value not in ("", ".", "..") and "/" not in value

    def words(self, noun: str, plural: bool = False) -> str:
        return "a folder name (no /, not . or ..)"


@dataclass(frozen=True)
class Label(Range):
    """A run's label (a tag): not blank, no comma (litgan-report joins a run's tags with commas
    into its group's name), at most MAX_LABEL characters."""

    def admits(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        return bool(value.strip()) and "," not in value and len(value) <= MAX_LABEL

    def words(self, noun: str, plural: bool = False) -> str:
        if plural:
            return f"non-blank strings of at most {MAX_LABEL} characters, without commas"
        return f"a non-blank string of at most {MAX_LABEL} characters, without a comma"


@dataclass(frozen=True)
class Built(Range):
    """null, or a config that Hydra instantiates (a mapping with `_target_`)."""

    def admits(self, value: Any) -> bool:
        return value is None or (isinstance(value, Mapping) and "_target_" in value)

    def words(self, noun: str, plural: bool = False) -> str:
        return "null or a config with _target_"


def ranged(values: Range, default: Any = MISSING) -> Any:
    """A dataclass field whose values are in `values` (see `Range`)."""
    return field(default=default, metadata={RANGE: values})


def positive(default: Any = MISSING) -> Any:
    return ranged(Interval(low=0, low_open=True), default)


def size(high: int, default: Any = MISSING) -> Any:
    """A positive integer up to `high`."""
    return ranged(Interval(low=0, low_open=True, high=high), default)


def at_least(low: float, default: Any = MISSING, also: tuple[int, ...] = ()) -> Any:
    return ranged(Interval(low=low, also=also), default)


def between(low: float, high: float, below_high: bool = False, default: Any = MISSING) -> Any:
    """From `low` to `high`, `high` itself excluded with `below_high`."""
    return ranged(Interval(low=low, high=high, high_open=below_high), default)


def probability(default: Any = MISSING) -> Any:
    """A fraction in [0, 1]."""
    return between(0, 1, default=default)


def a_seed() -> Any:
    return between(0, MAX_SEED)


def one_of(*options: Any, default: Any = MISSING) -> Any:
    return ranged(Choice(options), default)


def widths(default: Any = MISSING) -> Any:
    """A list of layer widths, each in [1, MAX_WIDTH]; empty too."""
    return ranged(Items(Interval(low=0, low_open=True, high=MAX_WIDTH)), default)


def names_from(*options: str) -> Any:
    """A list of names from `options`; empty too."""
    return ranged(Items(Choice(options)))


# The registry: each schema by the name conf/'s defaults lists find it by (`schema_name`).
SCHEMAS: dict[str, type] = {}


def registered(kind: str) -> Callable[[type], type]:
    """Register a schema class as `<kind>_schema` for options of that kind to name."""

    def register(schema: type) -> type:
        SCHEMAS[schema_name(kind)] = schema
        return schema

    return register


def schema_name(kind: str) -> str:
    """The name an option's YAML finds its schema by: root-level, not in a group of its own,
    which `python train.py --help` would list among the config groups."""
    return f"{kind}_schema"


@functools.cache
def field_ranges(schema: type) -> dict[str, Range]:
    """The ranges `schema`'s fields declare, by field name."""
    return {f.name: f.metadata[RANGE] for f in fields(schema) if RANGE in f.metadata}


@functools.cache
def type_hints(schema: type) -> dict[str, Any]:
    """`schema`'s field types (typing.get_type_hints, which evaluates them anew each call)."""
    return get_type_hints(schema)


@dataclass
class Extras:
    print_config: bool = True


@dataclass
class TrainConfig:
    """The top-level keys of conf/train.yaml (their values and meanings are there)."""

    task_name: str = ranged(FolderName())
    tags: list[str] = ranged(Items(Label()), default=MISSING)
    extras: Extras = field(default_factory=Extras)
    seed: int = a_seed()
    d_steps: int = positive()
    early_batch_size: int | None = positive(default=None)
    sample_every: int = positive()
    pictures: bool = True
    val_every: int = positive()
    checkpoint_every: int = positive()
    ckpt_path: str | None = None
    stop_on_nonfinite: bool = True
    eval_seed: int = a_seed()
    compile: bool = False
    channels_last: bool = False
    steps_per_batch: int = positive()
    update: str = MISSING  # litgan.gan.updates.SCHEMES
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


# data: one schema per option (conf/data/<option>.yaml has the meanings).


@dataclass
class Data:
    _target_: str = MISSING
    batch_size: int = size(MAX_SAMPLES)


@registered("points_data")
@dataclass
class PointsData(Data):
    """ring, grid: litgan.data.GaussianMixtureDataModule."""

    layout: str = MISSING  # litgan.data.toy.LAYOUTS
    num_modes: int = size(MAX_MODES)
    scale: float = positive()  # 0 puts every mode on one point
    std: float = positive()
    num_samples: int = size(MAX_SAMPLES)
    seed: int = a_seed()
    on_device: bool = MISSING
    on_device_max_mb: float = positive()


@registered("point_file_data")
@dataclass
class PointFileData(Data):
    """points: litgan.data.PointFileDataModule, a file of 2D points."""

    path: str | None = MISSING
    val_fraction: float = between(0, 1, below_high=True)
    seed: int = a_seed()
    on_device: bool = MISSING
    on_device_max_mb: float = positive()


@registered("shape_data")
@dataclass
class ShapeData(Data):
    """moons, spiral, swiss_roll: litgan.data.ShapeDataModule."""

    shape_name: str = MISSING  # litgan.data.shapes.SHAPES
    num_samples: int = size(MAX_SAMPLES)
    noise: float = at_least(0)
    val_fraction: float = between(0, 1, below_high=True)
    seed: int = a_seed()
    on_device: bool = MISSING
    on_device_max_mb: float = positive()


@registered("dirac_data")
@dataclass
class DiracData(Data):
    """dirac: litgan.data.DiracDataModule."""

    num_samples: int = size(MAX_SAMPLES)
    on_device: bool = MISSING
    on_device_max_mb: float = positive()


@dataclass
class ImageData(Data):
    image_size: int = positive()
    channels: int = one_of(1, 3)


@registered("digits_data")
@dataclass
class DigitsData(ImageData):
    on_device: bool = MISSING
    on_device_max_mb: float = positive()


@dataclass
class LoaderData(ImageData):
    """Image sets read by DataLoader workers."""

    flip: bool = MISSING
    num_workers: int | None = at_least(0)
    pin_memory: bool | None = MISSING
    persistent_workers: bool = MISSING


@registered("mnist_5k_data")
@dataclass
class Mnist5kData(LoaderData):
    on_device: bool = MISSING
    on_device_max_mb: float = positive()


@registered("torchvision_data")
@dataclass
class TorchvisionData(Mnist5kData):
    """mnist, fashion_mnist, cifar10."""

    root: str = MISSING
    download: bool = MISSING


@registered("celeba_data")
@dataclass
class CelebAData(LoaderData):
    root: str = MISSING
    download: bool = MISSING
    crop_size: int | None = positive()


@registered("image_folder_data")
@dataclass
class ImageFolderData(LoaderData):
    path: str | None = MISSING
    crop_size: int | None = positive()


# model (conf/model/<option>.yaml has the meanings).


@dataclass
class MLPGenerator:
    _target_: str = "litgan.networks.MLPGenerator"
    nz: int = size(MAX_WIDTH)
    hidden: list[int] = widths()  # []: no hidden layer
    activation: str = MISSING  # litgan.networks.mlp.ACTIVATIONS
    batch_norm: bool = MISSING
    tanh_output: bool | None = MISSING


@dataclass
class MLPDiscriminator:
    _target_: str = "litgan.networks.MLPDiscriminator"
    hidden: list[int] = widths()
    activation: str = MISSING  # litgan.networks.mlp.ACTIVATIONS
    pack: int = positive()
    batch_norm: bool = MISSING
    spectral_norm: bool = MISSING


@dataclass
class DCGANGenerator:
    _target_: str = "litgan.networks.DCGANGenerator"
    nz: int = size(MAX_WIDTH)
    ngf: int = size(MAX_MAPS)


@dataclass
class DCGANDiscriminator:
    _target_: str = "litgan.networks.DCGANDiscriminator"
    ndf: int = size(MAX_MAPS)
    pack: int = positive()
    batch_norm: bool = MISSING
    spectral_norm: bool = MISSING


@dataclass
class Model:
    lr: float = positive()
    lr_decay: float = probability()
    ema_decay: float = between(0, 1, below_high=True)  # 1 would never move the average
    augment: list[str] = names_from(*AUGMENT_NAMES)
    cpu_threads: int | None = positive(default=None)


@registered("mlp_model")
@dataclass
class MLPModel(Model):
    generator: MLPGenerator = field(default_factory=MLPGenerator)
    discriminator: MLPDiscriminator = field(default_factory=MLPDiscriminator)


@registered("dcgan_model")
@dataclass
class DCGANModel(Model):
    generator: DCGANGenerator = field(default_factory=DCGANGenerator)
    discriminator: DCGANDiscriminator = field(default_factory=DCGANDiscriminator)


@dataclass
class DiracGenerator:
    _target_: str = "litgan.networks.DiracGenerator"
    theta: float = between(-1000, 1000)


@dataclass
class DiracDiscriminator:
    _target_: str = "litgan.networks.DiracDiscriminator"
    psi: float = between(-1000, 1000)
    batch_norm: bool = one_of(False)  # it has none; the penalties' options set it false


@registered("dirac_model")
@dataclass
class DiracModel(Model):
    # The start point (θ, ψ): any finite one; the equilibrium is (0, 0).
    theta: float = between(-1000, 1000)
    psi: float = between(-1000, 1000)
    generator: DiracGenerator = field(default_factory=DiracGenerator)
    discriminator: DiracDiscriminator = field(default_factory=DiracDiscriminator)


# loss, penalty, optim, metrics.


@registered("game")
@dataclass
class Game:
    """Every option of loss: a litgan.game.games.Game without arguments."""

    _target_: str = MISSING


@registered("penalty")
@dataclass
class Penalty:
    """r1, r2, gp: a litgan.game.penalties.Penalty (penalty=none is null)."""

    _target_: str = MISSING
    weight: float = at_least(0)
    every: int = positive()


@dataclass
class Optimizer:
    """A player's optimizer, called with its parameters: the keys every optimizer has (plain
    SGD's); open to the optimizer's other arguments (see `OPEN`)."""

    _target_: str = MISSING
    _partial_: bool = True
    lr: float = positive()


@dataclass
class AdamOptimizer(Optimizer):
    """A player's Adam (or another optimizer with its betas)."""

    betas: list[float] = ranged(Items(Interval(low=0, high=1, high_open=True), length=2))


@registered("optim")
@dataclass
class Optim:
    generator: AdamOptimizer = field(default_factory=AdamOptimizer)
    discriminator: AdamOptimizer = field(default_factory=AdamOptimizer)


@registered("sgd_optim")
@dataclass
class SGDOptim:
    generator: Optimizer = field(default_factory=Optimizer)
    discriminator: Optimizer = field(default_factory=Optimizer)


@dataclass
class FID:
    num_samples: int = between(2, MAX_SAMPLES)  # a covariance needs two
    batch_size: int = size(MAX_SAMPLES)
    feature_layer: int = one_of(*map(int, FEATURE_LAYERS))
    # litgan computes torch-fidelity's FID: its resizing, without antialiasing.
    resize: str = one_of("tf1_bilinear")
    antialias: bool = one_of(False)
    weights_path: str | None = MISSING


@dataclass
class PointMetrics:
    num_samples: int = between(2, MAX_SAMPLES)
    high_quality_stds: float = positive()
    divergences: bool = MISSING
    bandwidth: float = ranged(Interval(low=0, high=1, low_open=True))  # in data stds


@registered("metrics")
@dataclass
class Metrics:
    """metrics=default (metrics=none is empty)."""

    split: str = one_of(*SPLITS)
    cache_dir: str = MISSING
    fid: FID = field(default_factory=FID)
    points: PointMetrics = field(default_factory=PointMetrics)
    extra: list[str] = names_from(*EXTRA_METRICS)
    nearest_k: int = positive()


# trainer: the pytorch_lightning.Trainer arguments litgan sets (conf/trainer/*.yaml).


@registered("trainer")
@dataclass
class Trainer:
    _target_: str = MISSING
    accelerator: str = one_of(*ACCELERATORS)
    devices: Any = ranged(
        Either(
            "a positive integer, -1 (every device), auto or a list of device indices",
            (Interval(low=1, also=(-1,)), Choice(("auto",)), Items(Interval(low=0))),
        )
    )
    max_steps: int = at_least(1, also=(-1,))  # -1: max_epochs decides
    max_epochs: int | None = at_least(1, also=(-1,))
    val_check_interval: Any = ranged(Interval(low=0, low_open=True))
    check_val_every_n_epoch: int | None = positive()
    num_sanity_val_steps: int = at_least(-1)  # -1: all
    log_every_n_steps: int = positive()
    enable_progress_bar: bool = MISSING
    enable_checkpointing: bool = MISSING
    default_root_dir: str | None = MISSING
    deterministic: Any = one_of(True, False, "warn")
    precision: Any = one_of(*PRECISIONS)
    # Lightning's defaults; conf/debug/ sets them.
    detect_anomaly: bool = False
    profiler: Any = ranged(Built(), default=None)  # a pytorch_lightning.profilers.Profiler


@registered("ddp_trainer")
@dataclass
class DDPTrainer(Trainer):
    strategy: str = MISSING
    num_nodes: int = positive()
    sync_batchnorm: bool = MISSING


# callbacks (conf/callbacks/default.yaml).


@dataclass
class LastCheckpoint:
    _target_: str = MISSING
    dirpath: str = MISSING
    every_n_g_steps: int = positive()
    # Generator iterations whose checkpoint is kept as step=<N>.ckpt beside last.ckpt.
    keep: list[int] = ranged(Items(Interval(low=0, low_open=True)))


@dataclass
class BestCheckpoint:
    _target_: str = MISSING
    dirpath: str = MISSING
    monitor: str | None = MISSING  # null: the evaluator's (litgan.metrics.Evaluator.best_metric)
    mode: str = one_of("min", "max")


@dataclass
class SampleWriter:
    _target_: str = MISSING
    dirpath: str = MISSING
    every_n_g_steps: int = positive()
    num_images: int = positive()
    num_points: int = positive()
    manifold: bool | None = None  # G's image of its latent grid; null: where nz = 2 (2D data)
    enabled: bool = True  # conf: ${pictures}; false: draws nothing


@dataclass
class ProgressBar:
    _target_: str = MISSING
    enabled: bool = MISSING
    refresh_rate: int = positive()


@registered("callbacks")
@dataclass
class Callbacks:
    last_checkpoint: LastCheckpoint = field(default_factory=LastCheckpoint)
    best_checkpoint: BestCheckpoint = field(default_factory=BestCheckpoint)
    samples: SampleWriter = field(default_factory=SampleWriter)
    progress_bar: ProgressBar = field(default_factory=ProgressBar)
    # debug=overfit's (litgan.run.callbacks.RepeatFirstBatch).
    repeat_first_batch: Any = ranged(Built(), default=None)


# Typed keys, and further keys may be added.
OPEN = (Optimizer, AdamOptimizer, Trainer, DDPTrainer, Callbacks)


def store() -> None:
    """Register the schemas in Hydra's ConfigStore, where the defaults lists find them."""
    cs = ConfigStore.instance()
    cs.store(name=SCHEMA, node=TrainConfig)
    for name, schema in SCHEMAS.items():
        cs.store(name=name, node=_node(schema))


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
