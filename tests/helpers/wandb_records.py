"""Read the records of an offline W&B run (`run-<id>.wandb`) to check what was logged.

The file is a LevelDB-style log: a 7-byte header (":W&B", magic 0xBEE1, version 0), then
32 KiB blocks of chunks, each with a CRC32, a 2-byte length and a type (full/first/middle/last),
carrying serialized `wandb.proto.wandb_internal_pb2.Record` messages.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import wandb
from wandb.proto import wandb_internal_pb2 as pb

BLOCK = 32 * 1024
CHUNK_HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def read_records(path: Path) -> list[pb.Record]:
    """All records of a .wandb file, in order.

    A run trained in this process may have records still on their way: wandb.finish() returns
    before W&B's service has written them (seen once: a file without its records), and the
    service writes them all when it stops, as it does when a training process exits.
    """
    wandb.teardown()
    data = path.read_bytes()
    assert data[:4] == b":W&B", f"{path} is not a W&B run file"
    pos, records, pending = 7, [], b""
    while pos + CHUNK_HEADER <= len(data):
        if BLOCK - pos % BLOCK < CHUNK_HEADER:  # too little room left: the block is padded
            pos += BLOCK - pos % BLOCK
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + CHUNK_HEADER])
        chunk = data[pos + CHUNK_HEADER : pos + CHUNK_HEADER + length]
        pos += CHUNK_HEADER + length
        if kind == 0 and length == 0:
            break
        pending = chunk if kind in (FULL, FIRST) else pending + chunk
        if kind in (FULL, LAST):
            record = pb.Record()
            record.ParseFromString(pending)
            records.append(record)
    return records


def history_keys(records: list[pb.Record]) -> set[str]:
    """Every key logged with wandb.log (Lightning's log_metrics and log_image)."""
    return {
        item.key or "/".join(item.nested_key)
        for r in records
        if r.WhichOneof("record_type") == "history"
        for item in r.history.item
    }


def run_info(records: list[pb.Record]) -> pb.RunRecord:
    """The run record: display name, group, config."""
    return next(r.run for r in records if r.WhichOneof("record_type") == "run")


def history_steps(records: list[pb.Record]) -> dict[str, list[int]]:
    """Each logged key against the `trainer/global_step`s it was logged at: the step W&B's
    charts and media panels show it at. An image counts once, under its own key (its record
    also holds `<key>/_type`, `<key>/width`, ...)."""
    steps: dict[str, list[int]] = {}
    for r in records:
        if r.WhichOneof("record_type") != "history":
            continue
        items = {item.key or "/".join(item.nested_key): item.value_json for item in r.history.item}
        step = int(json.loads(items.pop("trainer/global_step")))
        images = {key.removesuffix("/_type") for key in items if key.endswith("/_type")}
        for key in items:
            if key.startswith("_") or any(key.startswith(image + "/") for image in images):
                continue
            steps.setdefault(key, []).append(step)
        for image in images:
            steps.setdefault(image, []).append(step)
    return steps
