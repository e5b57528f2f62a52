"""The one place litgan's config is composed outside a Hydra run: conf/train.yaml with
overrides, as `python train.py <overrides>` composes it. `litgan.experiment`, litgan-fid, the
benchmarks and the tests call `compose`; train.py's Hydra composes the same files itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hydra import compose as hydra_compose
from hydra.errors import HydraException
from omegaconf import DictConfig, open_dict

from litgan import hydra_internals
from litgan.config import schema
from litgan.config.checks import check_override_types, check_schema, composition_error
from litgan.errors import ConfigError

CONFIG_DIR = schema.CONFIG_DIR
schema.store()  # conf/train.yaml builds on the typed schema: registered for every use of CONFIG_DIR


def data_names() -> list[str]:
    """The data sets a run or a comparison may name: the options of conf/data."""
    return sorted(p.stem for p in (Path(CONFIG_DIR) / "data").glob("*.yaml"))


def quoted(value: str) -> str:
    """`value` as a quoted string of Hydra's override grammar: any character, `=` and
    non-ASCII ones included, reads as itself."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def compose(
    overrides: Sequence[str] = (), run_dir: str | Path | None = None, hydra: bool = False
) -> DictConfig:
    """conf/train.yaml composed with `overrides`; a one-line ConfigError for a wrong type, an
    unknown key or option, or an override Hydra cannot parse.

    Args:
        run_dir: compose as a run into this directory does: Hydra's runtime (`${hydra:...}`,
            paths.output_dir) set to it; the `hydra` node is dropped, as a task gets it.
        hydra: keep Hydra's own config under `hydra` (without `run_dir`).
    """
    given = list(overrides)
    overrides = list(given)
    if run_dir is not None:
        run_dir = Path(run_dir).absolute()
        overrides.append(f"hydra.run.dir={quoted(str(run_dir))}")
    try:
        with hydra_internals.config_dir_initialized(CONFIG_DIR):
            cfg = hydra_compose(
                "train", overrides=overrides, return_hydra_config=hydra or run_dir is not None
            )
    except HydraException as err:
        raise ConfigError(composition_error(err)) from err
    if run_dir is not None:
        with open_dict(cfg):
            cfg.hydra.runtime.output_dir = str(run_dir)
            cfg.hydra.runtime.cwd = str(Path.cwd())
        hydra_internals.set_runtime(cfg)
    with open_dict(cfg):
        hydra_cfg = cfg.pop("hydra", None)
    check_schema(cfg)  # the task's config, as a run gets it
    check_override_types(given, cfg)
    if hydra and run_dir is None:
        with open_dict(cfg):
            cfg.hydra = hydra_cfg
    return cfg
