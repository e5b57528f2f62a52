"""The keys a mistyped one may have meant: `max_steps` for `trainer.max_steps`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# Groups whose files set keys elsewhere (presets, Hydra's own): not where a key lives.
NOT_HOMES = {"experiment", "hparams_search", "hydra", "debug"}


def keys_ending_in(key: str, config_dir: str | Path) -> list[str]:
    """The config's full keys whose last part is `key`'s (itself left out), read from the
    group files of `config_dir`; keys that only repeat another by interpolation (`${...}`) are
    named only when no other is, shortest first, at most three."""
    last = key.rpartition(".")[2]
    own, copies = set(), set()
    for path in sorted(Path(config_dir).glob("*/*.yaml")):
        group = path.parent.name
        if group in NOT_HOMES:
            continue
        for name, value in _flat(yaml.safe_load(path.read_text()) or {}, f"{group}."):
            if name.rpartition(".")[2] == last and name != key:
                copied = isinstance(value, str) and value.startswith("${")
                (copies if copied else own).add(name)
    return sorted(own or copies, key=lambda name: (name.count("."), name))[:3]


def _flat(node: Any, prefix: str) -> list[tuple[str, Any]]:
    if not isinstance(node, dict):
        return [(prefix.rstrip("."), node)]
    return [
        pair
        for name, value in node.items()
        if name != "defaults"
        for pair in _flat(value, f"{prefix}{name}.")
    ]
