"""Read the summaries of TensorBoard event files (TFRecord framing around tensorboardX's
protobuf `Event`), to check what a run logged."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

from tensorboardX.proto.event_pb2 import Event
from tensorboardX.proto.plugin_hparams_pb2 import HParamsPluginData
from tensorboardX.proto.summary_pb2 import Summary


def events(log_dir: Path) -> Iterator[Event]:
    """Every event of every event file under `log_dir`, file by file."""
    for path in sorted(log_dir.rglob("events.*")):
        data, pos = path.read_bytes(), 0
        while pos + 12 <= len(data):
            (length,) = struct.unpack("<Q", data[pos : pos + 8])
            record = data[pos + 12 : pos + 12 + length]  # after the length and its CRC
            pos += 12 + length + 4  # the record and its CRC
            event = Event()
            event.ParseFromString(record)
            yield event


def kind_of(value: Summary.Value) -> str:
    if value.HasField("image"):
        return "image"
    return "hparams" if value.metadata.plugin_data.plugin_name == "hparams" else "scalar"


def summaries(log_dir: Path) -> list[tuple[str, int, str]]:
    """(tag, step, kind) of every summary value under `log_dir`, kind "image", "hparams" (the
    HParams tab's) or "scalar"."""
    return [
        (value.tag, event.step, kind_of(value))
        for event in events(log_dir)
        for value in event.summary.value
    ]


def steps_by_tag(log_dir: Path, kind: str) -> dict[str, list[int]]:
    """The steps each tag of this kind ("image" or "scalar") was logged at, in order."""
    steps: dict[str, list[int]] = {}
    for tag, step, found in summaries(log_dir):
        if found == kind:
            steps.setdefault(tag, []).append(step)
    return steps


def scalars(log_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """(step, value) of each scalar tag, in the order logged."""
    found: dict[str, list[tuple[int, float]]] = {}
    for event in events(log_dir):
        for value in event.summary.value:
            if kind_of(value) == "scalar":
                found.setdefault(value.tag, []).append((event.step, value.simple_value))
    return found


def hparams_data(log_dir: Path) -> dict[str, HParamsPluginData]:
    """The HParams tab's summaries by tag (_hparams_/experiment, .../session_start_info, ...)."""
    found = {}
    for event in events(log_dir):
        for value in event.summary.value:
            if kind_of(value) == "hparams":
                data = HParamsPluginData()
                data.ParseFromString(value.metadata.plugin_data.content)
                found[value.tag] = data
    return found
