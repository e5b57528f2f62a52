"""The run as an animation: its sample pictures, in order, as one looping GIF.

Frames are read and written one at a time (each with its own palette, through Pillow's
frame-by-frame GIF functions), so a run with many pictures never holds them all in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import GifImagePlugin, Image

SECONDS = 5.0  # the whole animation, before its last frame's hold
FRAME_MS = (100, 1000)  # the shortest and longest time one frame is shown
HOLD_MS = 2000  # the last frame, the run's end, stays this long before the loop restarts


def frame_ms(frames: int) -> int:
    """How long each frame but the last is shown: SECONDS over all of them, within FRAME_MS."""
    low, high = FRAME_MS
    return int(min(high, max(low, 1000 * SECONDS / max(frames, 1))))


def save_animation(frames: Sequence[Path], path: Path) -> Path:
    """Write the pictures `frames` to `path` as a looping GIF; return `path`.

    Every frame takes the first one's size (pictures of an earlier version of a resumed run
    may differ).
    """
    if not frames:
        raise ValueError("an animation needs at least one frame")
    duration = frame_ms(len(frames))
    tmp = path.with_name(f".{path.name}.partial")
    with tmp.open("wb") as out:
        size = None
        for i, frame_path in enumerate(frames):
            with Image.open(frame_path) as picture:
                rgb = picture.convert("RGB")
            size = size or rgb.size
            if rgb.size != size:
                rgb = rgb.resize(size)
            # Fast octree: 0.35 s for 20 frames against median cut's 0.89 s, no visible change.
            frame = rgb.quantize(colors=256, method=Image.Quantize.FASTOCTREE)
            last = i == len(frames) - 1
            if i == 0:
                header, _ = GifImagePlugin.getheader(frame, info={"loop": 0, "duration": 1})
                out.write(b"".join(header))
            data = GifImagePlugin.getdata(
                frame, duration=HOLD_MS if last else duration, include_color_table=True
            )
            out.write(b"".join(data))
        out.write(b";")  # the GIF trailer
    tmp.replace(path)
    return path


def save_run_animation(samples_dir: Path, plots_dir: Path) -> Path | None:
    """`plots_dir/training.gif` from a run's sample pictures, `samples_dir/g_step_*.png` in
    order; None when the run has none."""
    frames = sorted(samples_dir.glob("g_step_*.png"))
    if not frames:
        return None
    plots_dir.mkdir(parents=True, exist_ok=True)
    return save_animation(frames, plots_dir / "training.gif")
