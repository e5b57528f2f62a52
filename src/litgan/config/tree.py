"""The composed config as a tree for the console: top-level keys, then each group under its
option's name, one line per key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omegaconf import DictConfig, OmegaConf

BRANCH, LAST, PIPE, SPACE = "├── ", "└── ", "│   ", "    "


def config_tree(cfg: DictConfig, choices: Mapping[str, Any] | None = None) -> str:
    """`cfg` resolved (Hydra's own node left out), groups after the top-level keys and named
    with the option chosen for them (`choices`: Hydra's runtime.choices)."""
    plain = {k: _plain(cfg, k) for k in cfg if k != "hydra"}
    leaves = [(k, v) for k, v in plain.items() if not isinstance(v, dict)]
    groups = [(k, v) for k, v in plain.items() if isinstance(v, dict)]
    choices = choices or {}
    labels = {k: f"{k} ({choices[k]})" if choices.get(k) else k for k, _ in groups}
    lines = ["config"]
    _branch(lines, leaves + groups, "", labels)
    return "\n".join(lines)


def _plain(cfg: DictConfig, key: str) -> Any:
    node = cfg[key]
    return OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else node


def _branch(lines: list[str], items: list[tuple[str, Any]], indent: str, labels: dict) -> None:
    for i, (key, value) in enumerate(items):
        last = i == len(items) - 1
        head = indent + (LAST if last else BRANCH)
        if isinstance(value, dict) and value:
            lines.append(head + labels.get(key, key))
            _branch(lines, list(value.items()), indent + (SPACE if last else PIPE), {})
        else:
            lines.append(f"{head}{key}: {_shown(value)}")


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[" + ", ".join(map(_shown, value)) + "]"
    return str(value)
