"""What a resume may change: a resumed run is the same experiment, with the same history.

A run's first part wrote its config to `.hydra/config.yaml`; a resume in that directory must
compose the same values for every key but those in MAY_CHANGE_ON_RESUME (and their subkeys),
so that a key added to the config later is held fixed without being listed. The run's
metrics.csv must hold its history up to the checkpoint. Both are checked before anything is
written; nothing heavier than OmegaConf is imported (torch only to read a checkpoint's step).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from litgan.errors import LitganError

# Keys (with everything under them) that a resume may set anew: how long to train, what to
# log and evaluate, how often, where, and on which hardware. Every other key is the experiment.
MAY_CHANGE_ON_RESUME = (
    "ckpt_path",
    "trainer.max_steps",
    "trainer.max_epochs",
    "trainer.log_every_n_steps",
    "trainer.val_check_interval",
    "trainer.enable_progress_bar",
    "trainer.num_sanity_val_steps",
    "trainer.accelerator",
    "trainer.devices",
    "trainer.num_nodes",
    "trainer.strategy",
    "trainer.default_root_dir",
    "sample_every",
    "pictures",
    "val_every",
    "checkpoint_every",
    "eval_seed",
    "metrics",
    "logger",
    "callbacks",
    "paths",
    "compile",
    "channels_last",
    "stop_on_nonfinite",
    "model.cpu_threads",
    "data.num_workers",
    "data.pin_memory",
    "data.persistent_workers",
    "data.download",
    "data.on_device",
    "data.on_device_max_mb",
    # gan's nodes point at the keys above (${metrics}, ${eval_seed}, ...)
    "gan.metrics",
    "gan.eval_seed",
    "gan.compile",
    "gan.channels_last",
    "gan.stop_on_nonfinite",
)

_ABSENT = object()


def check_same_experiment(config: DictConfig, run_dir: Path) -> None:
    """Refuse a resume of the run in `run_dir` whose config differs from the run's first part
    outside MAY_CHANGE_ON_RESUME, naming the keys."""
    record = run_dir / ".hydra" / "config.yaml"
    if not record.is_file():
        return  # a new run started from another run's checkpoint
    try:
        before = _plain(OmegaConf.load(record))
    except Exception as err:  # any damage to the record: YAML, encoding, ...
        raise LitganError(
            f"{record} is unreadable ({type(err).__name__}): the run there cannot be checked "
            "for a resume; restore that file, or start a new run in a new hydra.run.dir"
        ) from err
    now = _plain(config)
    now.pop("hydra", None)
    found = list(_differences(before, now))
    if not found:
        return
    shown = "; ".join(f"{key}: {_shown(a)} there, {_shown(b)} here" for key, a, b in found[:3])
    more = f"; and {len(found) - 3} more" if len(found) > 3 else ""
    raise LitganError(
        f"the resumed run in {run_dir} is another experiment ({shown}{more}): resume it with "
        "its own settings (.hydra/config.yaml there), or start a new run in a new hydra.run.dir"
    )


def _differences(before: Any, now: Any, prefix: str = "") -> Any:
    """(key, before, now) for every key whose value differs, outside MAY_CHANGE_ON_RESUME."""
    if prefix.rstrip(".") and _may_change(prefix.rstrip(".")):
        return
    if isinstance(before, dict) and isinstance(now, dict):
        for key in [*before, *(k for k in now if k not in before)]:
            yield from _differences(
                before.get(key, _ABSENT), now.get(key, _ABSENT), f"{prefix}{key}."
            )
    elif before != now:
        yield prefix.rstrip("."), before, now


def _plain(node: Any, prefix: str = "") -> Any:
    """`node` as plain data, each value resolved where it can be here (the record may hold
    either form); Hydra's runtime values (${hydra:...}) stay as written."""
    if isinstance(node, DictConfig):
        raw = OmegaConf.to_container(node, resolve=False)
        plain = {}
        for key in raw:
            if _may_change(f"{prefix}{key}") or key == "hydra":
                continue
            try:
                value = node[key]
            except Exception:  # an interpolation only a running job resolves
                value = raw[key]
            plain[key] = _plain(value, f"{prefix}{key}.")
        return plain
    if isinstance(node, ListConfig):
        return [_plain(item) for item in node]
    return node


def _may_change(key: str) -> bool:
    return any(key == k or key.startswith(f"{k}.") for k in MAY_CHANGE_ON_RESUME)


def _shown(value: Any) -> str:
    if value is _ABSENT:
        return "absent"
    if isinstance(value, dict):
        target = value.get("_target_")
        return target.rsplit(".", 1)[-1] if isinstance(target, str) else "a group"
    if isinstance(value, bool) or value is None:
        return str(value).lower() if value is not None else "null"
    return repr(value) if isinstance(value, str) else str(value)


def check_history(run_dir: Path, checkpoint: Path) -> None:
    """The run's metrics.csv must be readable and reach the checkpoint's iteration (up to the
    logging interval): else the resume would restart or mix its history."""
    step = _checkpoint_step(checkpoint)
    if step is None or step == 0:
        return  # an unreadable checkpoint is refused when it is read
    path = run_dir / "metrics.csv"
    interval = max(_log_intervals(run_dir), default=1)
    way_out = (
        f"restore it from a copy; or, to resume without the history before iteration {step}, "
        f"move it aside and create it empty (: > {path})"
    )
    if not path.is_file():
        if step >= interval:
            raise LitganError(
                f"{path} is missing: the run's history up to iteration {step} would be lost; "
                + way_out
            )
        return
    last = _last_step(path, way_out)
    if last is not None and last + 2 * interval <= step:
        raise LitganError(
            f"{path} ends at iteration {last}, and the checkpoint is at {step}: it was truncated; "
            + way_out
        )


def _last_step(path: Path, way_out: str) -> int | None:
    """The largest step of the file's rows; None for an empty file (history given up)."""
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                return None
            if "step" not in header:
                raise ValueError("no step column")
            at = header.index("step")
            steps = []
            for line, row in enumerate(reader, start=2):
                if len(row) != len(header):
                    raise ValueError(f"line {line} has {len(row)} fields, the header {len(header)}")
                steps.append(int(row[at]))
    except (UnicodeDecodeError, csv.Error, ValueError) as err:
        reason = "not text" if isinstance(err, UnicodeDecodeError) else str(err).splitlines()[0]
        raise LitganError(f"{path} is damaged ({reason}): " + way_out) from err
    return max(steps, default=0)


def _log_intervals(run_dir: Path) -> list[int]:
    """trainer.log_every_n_steps of every part of the run, as its records give them."""
    intervals = []
    for record in run_dir.glob(".hydra/**/config.yaml"):
        try:
            value = OmegaConf.select(OmegaConf.load(record), "trainer.log_every_n_steps")
        except Exception:  # a damaged record is reported by check_same_experiment
            continue
        if isinstance(value, int):
            intervals.append(value)
    return intervals


def _checkpoint_step(path: Path) -> int | None:
    """The generator iteration a checkpoint holds, or None if it cannot be read here."""
    import torch

    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception:  # read_checkpoint reports it, with the way out
        return None
    step = checkpoint.get("g_steps") if isinstance(checkpoint, dict) else None
    return step if isinstance(step, int) else None
