"""The composed config of the default run, of every preset and of every group option is the
one recorded in tests/snapshots/composed_configs.json: typing the config changes no value.

The snapshot was recorded before the groups got schemas, and recorded again when the speed work
changed defaults on purpose (steps_per_batch, model.cpu_threads, Adam's foreach, ring and grid
on the device; then model=mlp's widths, 3x128 to 3x64; every other value as before), and
again for new keys only: metrics.nearest_k (density and coverage, #42); task_name, tags,
extras.print_config, trainer.detect_anomaly, trainer.profiler,
callbacks.repeat_first_batch and the case metrics=fdr (debug configs, #42); pictures and
callbacks.samples.enabled (#37).
`python -m tests.test_config_snapshot` records it again (only for a deliberate change of a
default).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from litgan.config.compose import CONFIG_DIR, compose
from litgan.data.base import ON_DEVICE_MAX_MB

SNAPSHOT = Path(__file__).parent / "snapshots" / "composed_configs.json"
CONF = Path(CONFIG_DIR)
# Hydra's runtime values, which only a run has, and no environment variable.
FIXED = ["paths.root_dir=/ROOT", "paths.output_dir=/ROOT/run"]
ENV = ("LITGAN_DATA_DIR", "LITGAN_CACHE_DIR")


# Keys options gained after the snapshot, with the value their code took while they were absent:
# a schema refuses keys its option's file does not set, and ring and grid take
# data.on_device_max_mb (README, "On the device"; tests/test_on_device.py sets it with ++).
ADDED = [("data", "on_device_max_mb", ON_DEVICE_MAX_MB)]


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


def cases() -> dict[str, list[str]]:
    """Case name: the overrides that compose it."""
    found = {"default": []}
    for group in ("experiment", "data", "model", "loss", "penalty", "optim", "metrics"):
        found |= {f"{group}={o}": [f"{group}={o}"] for o in options(group)}
    for option in options("trainer") + options("logger"):
        group = "trainer" if option in options("trainer") else "logger"
        found[f"{group}={option}"] = [f"{group}={option}"]
    # Penalties reach into model; image data with DCGAN.
    for penalty in options("penalty"):
        found[f"model=dcgan,data=digits,penalty={penalty}"] = [
            "model=dcgan",
            "data=digits",
            f"penalty={penalty}",
        ]
    return found


def composed(overrides: list[str]) -> dict:
    """The resolved config of `overrides` as plain data."""
    cfg = compose([*overrides, *FIXED])
    return OmegaConf.to_container(cfg, resolve=True)


def same(a: object, b: object, where: str = "") -> str | None:
    """Where `a` and `b` differ (None: nowhere). Dicts compare by keys, not their order; an int
    and a float are the same when equal, a bool is only ever the same as a bool."""
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return f"{where}: keys {sorted(set(a) ^ set(b))}"
        return next((d for k in a if (d := same(a[k], b[k], f"{where}.{k}"))), None)
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{where}: {a} != {b}"
        return next(
            (
                d
                for i, (x, y) in enumerate(zip(a, b, strict=True))
                if (d := same(x, y, f"{where}[{i}]"))
            ),
            None,
        )
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers):
        if isinstance(a, bool) == isinstance(b, bool) and a == b:
            return None
        return f"{where}: {a!r} != {b!r}"
    return None if type(a) is type(b) and a == b else f"{where}: {a!r} != {b!r}"


@pytest.fixture
def no_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def recorded() -> dict:
    return json.loads(SNAPSHOT.read_text())


# The recorded cases: an option added since (a new game's YAML) has no earlier config to keep,
# and test_schema composes it.
@pytest.mark.parametrize("case", sorted(recorded()))
def test_composed_config_is_the_recorded_one(case, no_env):
    before = recorded()[case]
    now = composed(cases()[case])
    for group, key, default in added_to(now, before):
        assert now[group].pop(key) == default, f"{group}.{key}: not the value the code took"
    assert same(now, before) is None


def added_to(now: dict, before: dict) -> list[tuple[str, str, object]]:
    """The keys of ADDED that `now` has and `before` had not."""
    return [
        (group, key, default)
        for group, key, default in ADDED
        if key in (now.get(group) or {}) and key not in (before.get(group) or {})
    ]


def test_every_recorded_case_is_still_composed():
    assert set(recorded()) <= set(cases())


def record() -> None:
    for name in ENV:
        os.environ.pop(name, None)
    snapshot = {name: composed(overrides) for name, overrides in sorted(cases().items())}
    SNAPSHOT.parent.mkdir(exist_ok=True)
    SNAPSHOT.write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n")
    print(f"{len(snapshot)} configs written to {SNAPSHOT}", file=sys.stderr)


if __name__ == "__main__":
    record()
