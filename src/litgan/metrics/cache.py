"""An on-disk cache for real-data statistics, keyed by everything that changes them."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

CACHE_FORMAT = 1  # bump when what is stored, or how it is computed, changes


def cache_path(cache_dir: Path, key: Mapping[str, Any]) -> Path:
    """The file for `key`: a readable prefix and a hash of the whole key."""
    text = json.dumps({"format": CACHE_FORMAT, **key}, sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    readable = "-".join(str(key[k]) for k in ("dataset", "split", "kind") if k in key)
    return Path(cache_dir) / "fid" / f"{readable or 'stats'}-{digest}.pt"


def load_or_compute(
    cache_dir: Path, key: Mapping[str, Any], compute: Callable[[], dict[str, Tensor]]
) -> dict[str, Tensor]:
    """The tensors cached under `key`, or `compute()`'s, which are then stored for next time.

    The full key is stored with the tensors and compared on load, so a hash collision or a
    hand-edited file cannot pass for the statistics of something else. The file is written
    under a temporary name and renamed, so parallel jobs of a sweep never read a partial one.
    """
    path = cache_path(cache_dir, key)
    full_key = {"format": CACHE_FORMAT, **key}
    if path.is_file():
        stored = torch.load(path, map_location="cpu", weights_only=True)
        if stored.get("key") == json.dumps(full_key, sort_keys=True):
            return stored["tensors"]
    tensors = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    torch.save({"key": json.dumps(full_key, sort_keys=True), "tensors": tensors}, tmp)
    os.replace(tmp, path)
    return tensors
