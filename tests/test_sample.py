"""`litgan-sample`: pictures, image folders and latent walks from the checkpoints of tiny runs
trained here, in this process; and every user error as one line, exit status 2, nothing left."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from litgan.cli import fid
from litgan.cli.sample import main
from litgan.cli.sample_outputs import slerp
from litgan.metrics.features import to_uint8
from litgan.run.checkpoints import load_gan
from tests.helpers.runs import PICTURES, TINY_DCGAN, TINY_MLP, run_main

DIGITS = [*TINY_DCGAN, "data=digits", "data.batch_size=16", "trainer.max_steps=4"]


class _NoCapture:
    """run_main reads stderr through capsys, which a module-scoped fixture does not have."""

    def readouterr(self) -> SimpleNamespace:
        return SimpleNamespace(out="", err="")


def train(tmp_path: Path, *overrides: str, base: list[str]) -> Path:
    """A tiny run through train.py's main, in this process; its run directory."""
    with pytest.MonkeyPatch.context() as mp:
        status, _ = run_main(mp, _NoCapture(), tmp_path, *overrides, base=tuple(base))
    assert status == 0
    return tmp_path / "run"


@pytest.fixture(scope="module")
def ring_run(tmp_path_factory) -> Path:
    """2D points, with a weight average of G."""
    tmp = tmp_path_factory.mktemp("ring")
    return train(tmp, "trainer.max_steps=6", "model.ema_decay=0.5", PICTURES, base=TINY_MLP)


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory) -> Path:
    """32x32 grey images, G without a weight average."""
    return train(tmp_path_factory.mktemp("digits"), PICTURES, base=DIGITS)


def sample(capsys, *argv: str) -> tuple[int, str, str]:
    """litgan-sample's exit status, stdout and stderr."""
    try:
        main([str(a) for a in argv])
        status = 0
    except SystemExit as exit_:
        status = exit_.code
    out, err = capsys.readouterr()
    return status, out, err


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.array(image)


def test_slerp_keeps_the_ends_and_the_norms_of_gaussian_latents():
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(2, 6, 100, generator=gen)
    walk = slerp(a, b, 9)
    assert walk.shape == (6, 9, 100)
    assert torch.equal(walk[:, 0], a) and torch.equal(walk[:, -1], b)
    norms = walk.norm(dim=-1)
    ends = torch.stack([a.norm(dim=-1), b.norm(dim=-1)])
    low, high = ends.min(0).values, ends.max(0).values
    assert ((norms >= low[:, None] - 1e-4) & (norms <= high[:, None] + 1e-4)).all()
    # Equal steps of angle on the great circle through a and b.
    unit = walk / norms[..., None]
    angles = (unit[:, 1:] * unit[:, :-1]).sum(-1).clamp(-1, 1).acos()
    assert torch.allclose(angles, angles[:, :1].expand_as(angles), atol=1e-4)
    # The reason for it: a straight line's midpoint falls far inside the shell |z| ~ sqrt(nz).
    assert (walk[:, 4].norm(dim=-1) > 9).all() and (((a + b) / 2).norm(dim=-1) < 8.5).all()
    # Parallel ends have no great circle: the direction stays, the norm goes from one to other.
    line = slerp(a[:1], 3 * a[:1], 3)
    assert torch.allclose(line[0, 1], 2 * a[0], atol=1e-5)


def test_a_2d_run_gives_its_picture_and_latent_walks(ring_run, tmp_path, capsys, monkeypatch):
    # `last` in the run directory: the picture the run drew at its end, byte for byte (the
    # weight average's points over D's surface, the real points rebuilt from the run config).
    monkeypatch.chdir(ring_run)
    status, out, _ = sample(capsys, "last", "--out", tmp_path / "points.png")
    assert status == 0
    assert f"checkpoint: {ring_run / 'checkpoints' / 'last.ckpt'} (generator iteration 6)" in out
    assert "average of its weights (model.ema_decay=0.5)" in out
    assert f"real points from {ring_run / '.hydra' / 'config.yaml'}" in out
    drawn = ring_run / "samples" / "g_step_000006.png"
    assert (tmp_path / "points.png").read_bytes() == drawn.read_bytes()

    status, out, _ = sample(
        capsys, ring_run, "--interpolate", "--out", tmp_path / "walk.png", "--steps", "5"
    )
    assert status == 0 and "8 walks of 5 steps" in out
    assert pixels(tmp_path / "walk.png").shape[2] in (3, 4)

    # A checkpoint away from its run: the picture without real points, and a note why.
    alone = tmp_path / "alone.ckpt"
    shutil.copy(ring_run / "checkpoints" / "last.ckpt", alone)
    status, out, _ = sample(capsys, alone, "--out", tmp_path / "alone.png", "--seed", "3")
    assert status == 0 and "real points not drawn: no run config" in out
    assert (tmp_path / "alone.png").is_file()

    # A folder of images makes no sense for points.
    status, _, err = sample(capsys, ring_run, "--out-dir", tmp_path / "d", "--num-samples", "4")
    assert status == 2 and "2D points, not images" in err
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["alone.ckpt", "alone.png", "points.png", "walk.png"]


def test_an_image_run_gives_grids_folders_and_walks(digits_run, tmp_path, capsys):
    status, out, _ = sample(capsys, digits_run, "--out", tmp_path / "grid.png")
    assert status == 0 and "its weights as trained (the run kept no weight average)" in out
    assert (tmp_path / "grid.png").read_bytes() == (
        digits_run / "samples" / "g_step_000004.png"
    ).read_bytes()

    gan = load_gan(digits_run / "checkpoints" / "last.ckpt")
    folder = tmp_path / "images"
    status, out, _ = sample(
        capsys, digits_run, "--out-dir", folder, "--num-samples", "10", "--batch-size", "4"
    )
    assert status == 0 and f"wrote {folder} (10 images)" in out
    files = sorted(folder.iterdir())
    assert [f.name for f in files] == [f"{i:06d}.png" for i in range(10)]
    expected = to_uint8(gan.generate(gan.fixed_noise(10)))[:, 0].numpy()  # grey PNGs
    assert np.array_equal(np.stack([pixels(f) for f in files]), expected)

    # A non-empty folder is refused and left as it was; --overwrite replaces it whole.
    before = {f.name: f.read_bytes() for f in files}
    args = ("--out-dir", folder, "--num-samples", "3", "--seed", "7")
    status, _, err = sample(capsys, digits_run, *args)
    assert status == 2 and "is not empty" in err and "--overwrite" in err
    assert {f.name: f.read_bytes() for f in folder.iterdir()} == before
    status, _, _ = sample(capsys, digits_run, *args, "--overwrite")
    assert status == 0
    z = torch.randn(3, gan.nz, generator=torch.Generator().manual_seed(7))
    seeded = to_uint8(gan.generate(z))[:, 0].numpy()
    assert np.array_equal(np.stack([pixels(f) for f in sorted(folder.iterdir())]), seeded)

    # Walks: 2 rows of 4 images, 2-pixel borders; each row starts at z_i, ends at z_(rows+i).
    status, _, _ = sample(
        capsys,
        digits_run,
        "--interpolate",
        "--out",
        tmp_path / "walk.png",
        "--rows",
        "2",
        "--steps",
        "4",
    )
    assert status == 0
    walk = pixels(tmp_path / "walk.png")
    assert walk.shape == (2 + 2 * 34, 2 + 4 * 34, 3)
    ends = to_uint8(gan.generate(gan.fixed_noise(4)))[:, 0].numpy()
    for row in range(2):
        top = 2 + 34 * row
        assert np.array_equal(walk[top : top + 32, 2:34, 0], ends[row])
        assert np.array_equal(walk[top : top + 32, 104:136, 0], ends[2 + row])
    assert not list(tmp_path.glob(".*"))  # no staging file or folder left


def test_a_folder_of_the_fixed_noise_scores_the_runs_own_validation_fid(
    tmp_path, capsys, monkeypatch, inception_weights
):
    fid_settings = [
        f"metrics.fid.weights_path={inception_weights}",
        "metrics.fid.num_samples=4",
        "metrics.fid.batch_size=4",
        # Equality of two paths, not FID's definition: 768 features, not pool3's 2048, whose
        # covariance square root costs about 5 s of CPU per FID.
        "metrics.fid.feature_layer=768",
    ]
    run = train(tmp_path, *fid_settings, "val_every=4", "model.ema_decay=0.9", base=DIGITS)
    best = load_gan(run / "checkpoints" / "best.ckpt")
    value = json.loads((run / "summary.json").read_text())["best"]["value"]

    folder = tmp_path / "samples4"
    status, out, _ = sample(
        capsys, run / "checkpoints" / "best.ckpt", "--out-dir", folder, "--num-samples", "4"
    )
    assert status == 0 and "average of its weights (model.ema_decay=0.9)" in out
    # The average's images, not those of the trained G.
    z = best.fixed_noise(4)
    assert not torch.equal(to_uint8(best.generate(z)), to_uint8(best.generator.eval()(z)))

    monkeypatch.chdir(tmp_path)  # the run's real-data statistics are cached under it
    fid.main([str(folder), "digits", *fid_settings])
    line = capsys.readouterr().out.strip().splitlines()[-1]
    print(f"validation's val/fid {value:.6f}; litgan-fid of litgan-sample's folder: {line}")
    # The same images through the same features: equal but for the printed 6 decimals and a
    # device's round-off. At 1%, noise shifted by one vector passed (0.6% off at 2048
    # features); here it is 0.16% off.
    assert float(line.removeprefix("FID: ")) == pytest.approx(value, rel=1e-4)


def test_user_errors_are_one_line_exit_2_and_leave_nothing(ring_run, tmp_path, capsys):
    ckpt = ring_run / "checkpoints" / "last.ckpt"
    work = tmp_path / "work"
    work.mkdir()
    truncated = work / "truncated.ckpt"
    truncated.write_bytes(ckpt.read_bytes()[: ckpt.stat().st_size // 2])
    foreign = work / "foreign.ckpt"
    torch.save({"state_dict": {"weight": torch.zeros(2)}, "hyper_parameters": {}}, foreign)
    text = work / "notes.txt"
    text.write_text("not a checkpoint")
    (work / "empty_run").mkdir()
    out = work / "out.png"
    cases = [
        ((work / "missing.ckpt", "--out", out), "does not exist"),
        ((work / "empty_run", "--out", out), "without checkpoints/last.ckpt"),
        ((truncated, "--out", out), "truncated or not a checkpoint"),
        ((text, "--out-dir", work / "d", "--num-samples", "2"), "truncated or not a checkpoint"),
        ((foreign, "--out", out), "not of a litgan GAN"),
        ((ckpt, "--out", out, "--num-samples", "0"), "0 is not a positive integer"),
        ((ckpt, "--out", out, "--num-samples", "many"), "'many' is not an integer"),
        ((ckpt, "--out-dir", work / "d", "--num-samples", "2", "--batch-size", "-1"), "-1 is"),
        ((ckpt, "--out-dir", work / "d"), "--out-dir needs --num-samples"),
        ((ckpt, "--interpolate", "--out", out, "--steps", "1"), "at least 2"),
        ((ckpt, "--out", out, "--rows", "2"), "go with --interpolate"),
        ((ckpt, "--out", text / "grid.png"), "is not a directory"),
        ((ckpt, "--out", work / "grid.gif"), "must end in .png"),
        ((ckpt, "--out-dir", text, "--num-samples", "2"), "exists and is not a directory"),
        ((ckpt, "--out", out, "--seed", "-1"), "--seed must be from 0"),
    ]
    if not torch.cuda.is_available():
        cases.append(((ckpt, "--out", out, "--device", "cuda"), "no CUDA GPU"))
    before = sorted(work.iterdir())
    for argv, message in cases:
        status, stdout, err = sample(capsys, *argv)
        assert status == 2, (argv, stdout, err)
        assert err.startswith("litgan-sample: error: ") and err.count("\n") == 1, err
        assert message in err, (message, err)
        assert sorted(work.iterdir()) == before, argv


def test_a_failed_write_leaves_no_partial_folder(digits_run, tmp_path, capsys, monkeypatch):
    save = Image.Image.save
    calls = []

    def full_disk(self, fp, *args, **kwargs):
        calls.append(fp)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return save(self, fp, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", full_disk)
    status, _, err = sample(capsys, digits_run, "--out-dir", tmp_path / "d", "--num-samples", "5")
    # The progress bar clears itself: the error is the one line that stays.
    assert status == 2 and err.splitlines()[-1].startswith("litgan-sample: error: cannot write")
    assert "No space left on device" in err and "Traceback" not in err
    assert len(calls) == 3 and list(tmp_path.iterdir()) == []


def test_a_2d_run_writes_gs_points_to_npy_and_csv(ring_run, digits_run, tmp_path, capsys):
    ckpt = ring_run / "checkpoints" / "last.ckpt"
    for name in ("a.npy", "b.npy", "a.csv"):
        status, _, err = sample(capsys, ckpt, "--out", tmp_path / name, "--num-samples", 300)
        assert status == 0, err
    points = np.load(tmp_path / "a.npy")
    assert points.shape == (300, 2) and points.dtype == np.float32
    np.testing.assert_array_equal(points, np.load(tmp_path / "b.npy"))  # the same every time
    np.testing.assert_allclose(np.loadtxt(tmp_path / "a.csv", delimiter=",", skiprows=1), points)
    # Without --seed: G's points of the run's fixed noise, those validation scores.
    gan = load_gan(ckpt)
    np.testing.assert_allclose(points, gan.generate(gan.fixed_noise(300)).numpy(), rtol=1e-6)
    for name in ("s.npy", "t.npy"):
        sample(capsys, ckpt, "--out", tmp_path / name, "--num-samples", 300, "--seed", 3)
    seeded = np.load(tmp_path / "s.npy")
    np.testing.assert_array_equal(seeded, np.load(tmp_path / "t.npy"))
    assert not np.allclose(seeded, points)
    status, _, err = sample(
        capsys, digits_run / "checkpoints" / "last.ckpt", "--out", tmp_path / "x.npy"
    )
    assert status == 2 and "is a G of images" in err
    assert not (tmp_path / "x.npy").exists()
