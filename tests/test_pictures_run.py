"""The pictures of a run, end to end through train.py's main in this process: one arrow scale
and one frame for all of a run's pictures (a resumed one too), arrowheads up D's slope on a
trained run, the logged median push, the run's animation, and litgan-sample's 2D picture and
arrows."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageSequence

import litgan.pictures.samples as samples_module
from litgan.cli.sample import main as sample_main
from litgan.pictures.animation import FRAME_MS, HOLD_MS, frame_ms, save_animation
from litgan.pictures.push import ArrowScale, generator_push
from litgan.records.history import read_series
from litgan.run.checkpoints import load_gan
from tests.helpers.runs import PICTURES, TINY_MLP, run_main
from tests.helpers.tensorboard_events import summaries

RING = [*TINY_MLP, PICTURES, "sample_every=100", "trainer.enable_progress_bar=false"]


class Drawn(list):
    """The arrows of each picture drawn, and for each whether that picture's D is higher at
    the arrow's head than at its tail (`uphill`)."""

    def __init__(self) -> None:
        super().__init__()
        self.uphill: list[torch.Tensor] = []


@pytest.fixture
def drawn(monkeypatch) -> Drawn:
    """The arrows of every 2D picture drawn, recorded on the way to the real drawing."""
    calls = Drawn()
    draw = samples_module.save_decision_surface

    def record(*args, **kwargs):
        arrows, d_output = kwargs["arrows"], args[2]
        calls.append(arrows)
        calls.uphill.append((d_output(arrows.heads) > d_output(arrows.points)).cpu())
        return draw(*args, **kwargs)

    monkeypatch.setattr(samples_module, "save_decision_surface", record)
    return calls


def frame_of(picture: Path) -> list[float]:
    """The x and y ranges a 2D picture was drawn with, as its PNG keeps them."""
    with Image.open(picture) as png:
        return [float(v) for v in png.text["Frame"].split()]


def test_one_arrow_scale_and_one_frame_hold_across_a_run_and_its_resume(
    drawn, monkeypatch, capsys, tmp_path
):
    status, err = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        *RING,
        "trainer.max_steps=300",
        "logger=tensorboard",
        base=(),
    )
    assert status == 0, err
    run = tmp_path / "run"
    assert len(drawn) == 3
    first = drawn[0].scale
    assert all(arrows.scale == first for arrows in drawn)
    assert all(len(arrows.points) == samples_module.ARROWS for arrows in drawn)
    # The checkpoint keeps the scale, and the resumed run draws on it.
    status, err = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        *RING,
        "trainer.max_steps=400",
        "ckpt_path=last",
        "logger=tensorboard",
        base=(),
    )
    assert status == 0, err
    assert len(drawn) == 4 and drawn[3].scale == first
    # One frame for every picture, around the training data (the ring: ±1, std 0.01), kept by
    # the checkpoint for the resumed run.
    frames = [frame_of(p) for p in sorted((run / "samples").glob("g_step_*.png"))]
    assert len(frames) == 4 and all(f == frames[0] for f in frames)
    assert frames[0] == pytest.approx([-1.35, 1.35, -1.35, 1.35], abs=0.03)

    # The logged median push is that of the last picture's points, through the final D.
    steps, medians = read_series(run / "metrics.csv")["samples/push_median"]
    pictures = sorted((run / "samples").glob("g_step_*.png"))
    assert steps == [int(p.stem.removeprefix("g_step_")) for p in pictures]
    assert steps[:3] == [100, 200, 300] and len(steps) == 4
    gan = load_gan(run / "checkpoints" / "last.ckpt", torch.device("cpu"))
    fake = gan.generate(gan.fixed_noise(1000))
    push = generator_push(gan.discriminator, gan.game, fake)
    assert medians[-1] == pytest.approx(float(push.norm(dim=1).median()), rel=1e-5)
    torch.testing.assert_close(drawn[-1].push, push[: samples_module.ARROWS])

    # The animation: one frame per sample picture, each the picture it was made from.
    gif = run / "plots" / "training.gif"
    with Image.open(gif) as animation:
        frames = list(ImageSequence.Iterator(animation))
        assert len(frames) == len(pictures) == 4
        durations = [frame.info["duration"] for frame in ImageSequence.Iterator(animation)]
        for frame, picture in zip(ImageSequence.Iterator(animation), pictures, strict=True):
            with Image.open(picture) as png:
                expected = np.asarray(png.convert("RGB"), dtype=float)
            got = np.asarray(frame.convert("RGB"), dtype=float)
            assert got.shape == expected.shape
            assert np.abs(got - expected).mean() < 3  # 256 colours: close, not equal
    assert durations == [frame_ms(4)] * 3 + [HOLD_MS]
    assert gif.stat().st_size < 4 * 200_000  # well under 10 MB for the default run's 21
    # TensorBoard has the GIF itself, as an image summary at the last iteration.
    assert ("plots/training", steps[-1], "image") in summaries(run / "tensorboard")
    assert gif.read_bytes() in b"".join(p.read_bytes() for p in run.rglob("events.*"))


@pytest.mark.slow
def test_on_a_trained_default_run_arrowheads_sit_up_ds_slope(drawn, monkeypatch, capsys, tmp_path):
    # The default ring run, shortened: by iteration 1500 D's peaks are a few hundredths wide
    # (arrows drawn in proportion to |push| overshot them, 91% downhill at iteration 10,000).
    status, err = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        "trainer.max_steps=1500",
        "sample_every=300",
        "trainer.enable_progress_bar=false",
        base=(),
    )
    assert status == 0, err
    assert len(drawn) == 5
    for arrows, uphill in zip(drawn, drawn.uphill, strict=True):
        moved = (arrows.heads - arrows.points).norm(dim=1) > 0
        assert moved.float().mean() >= 0.5  # most points get an arrow, not a dot
        assert uphill[moved].float().mean() >= 0.9
    # Colours mean the same all run long: one scale, which the pushes stay within.
    assert len({arrows.scale for arrows in drawn}) == 1
    strength = torch.cat([arrows.push.norm(dim=1) for arrows in drawn])
    assert (strength < drawn[0].scale.high).all()


def test_an_animation_lasts_a_few_seconds_whatever_the_number_of_pictures(tmp_path):
    low, high = FRAME_MS
    assert frame_ms(1) == high and frame_ms(500) == low and frame_ms(20) == 250
    pictures = []
    for i, size in enumerate([(40, 30), (40, 30), (50, 20)]):
        pictures.append(tmp_path / f"g_step_{i:06d}.png")
        Image.new("RGB", size, (80 * i, 10, 200)).save(pictures[-1])
    path = save_animation(pictures, tmp_path / "walk.gif")
    with Image.open(path) as gif:
        assert gif.n_frames == 3 and gif.info["loop"] == 0
        gif.seek(2)
        assert gif.size == (40, 30)  # a picture of another size takes the first one's
        assert gif.convert("RGB").getpixel((5, 5)) == (160, 10, 200)
    assert not list(tmp_path.glob(".*partial"))


def test_litgan_sample_draws_g_push_on_a_2d_checkpoint(drawn, monkeypatch, capsys, tmp_path):
    status, err = run_main(
        monkeypatch, capsys, tmp_path, *RING, "trainer.max_steps=100", "loss=minimax", base=()
    )
    assert status == 0, err
    out, table = tmp_path / "picture.png", tmp_path / "arrows.csv"
    run = tmp_path / "run"
    sample_main([str(run), "--out", str(out), "--arrows", str(table), "--device", "cpu"])
    assert out.is_file()
    arrows = drawn[-1]
    # The run's own colour scale, that of its sample picture.
    assert len(drawn) == 2 and arrows.scale == drawn[0].scale
    gan = load_gan(run / "checkpoints" / "last.ckpt", torch.device("cpu"))
    fake = gan.generate(gan.fixed_noise(1000))
    push = generator_push(gan.discriminator, gan.game, fake)[:200]
    torch.testing.assert_close(arrows.push, push)
    with Image.open(out) as picture:
        assert picture.size[0] > 500
    assert Path(run / "plots" / "training.gif").is_file()

    # The CSV holds the drawn arrows; with the GAN's d_output a learner checks their heads.
    with table.open() as rows:
        records = list(csv.DictReader(rows))
    assert list(records[0]) == ["x", "y", "head_x", "head_y", "push"]
    values = torch.tensor([[float(v) for v in r.values()] for r in records])
    torch.testing.assert_close(values[:, :2], fake[:200])
    torch.testing.assert_close(values[:, 2:4], arrows.heads)
    torch.testing.assert_close(values[:, 4], push.norm(dim=1))
    moved = (values[:, 2:4] - values[:, :2]).norm(dim=1) > 0
    assert (gan.d_output(values[moved, 2:4]) > gan.d_output(values[moved, :2])).all()

    # The run's own frame, that of its sample picture.
    assert frame_of(out) == frame_of(run / "samples" / "g_step_000100.png")

    # Another scale on request: two runs drawn with the same one compare.
    sample_main([str(run), "--out", str(out), "--push-scale", "0.5", "--device", "cpu"])
    assert drawn[-1].scale == ArrowScale(0.5)
    assert capsys.readouterr().out.count("wrote") == 3
