"""Read the summaries of TensorBoard event files (TFRecord framing around tensorboardX's
protobuf `Event`), to check what a run logged."""

from __future__ import annotations

import struct
from pathlib import Path

from tensorboardX.proto.event_pb2 import Event


def summaries(log_dir: Path) -> list[tuple[str, int, str]]:
    """(tag, step, kind) of every summary value under `log_dir`, kind "image" or "scalar"."""
    found = []
    for path in sorted(log_dir.rglob("events.*")):
        data, pos = path.read_bytes(), 0
        while pos + 12 <= len(data):
            (length,) = struct.unpack("<Q", data[pos : pos + 8])
            record = data[pos + 12 : pos + 12 + length]  # after the length and its CRC
            pos += 12 + length + 4  # the record and its CRC
            event = Event()
            event.ParseFromString(record)
            for value in event.summary.value:
                kind = "image" if value.HasField("image") else "scalar"
                found.append((value.tag, event.step, kind))
    return found


def steps_by_tag(log_dir: Path, kind: str) -> dict[str, list[int]]:
    """The steps each tag of this kind ("image" or "scalar") was logged at, in order."""
    steps: dict[str, list[int]] = {}
    for tag, step, found in summaries(log_dir):
        if found == kind:
            steps.setdefault(tag, []).append(step)
    return steps
