"""`python train.py data=points data.path=FILE`: a learner's own 2D points train end to end,
and every bad file ends in one line on stderr, exit status 2 and no run directory."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from litgan.data import PointFileDataModule
from tests.helpers.points import moons, point_file_run
from tests.helpers.runs import TINY_MLP, check_clean_failure, run_main


def write_csv(path, text: str):
    path.write_text(text)
    return path


BAD_FILES = {
    "missing": (
        lambda tmp: tmp / "nowhere.npy",
        ["cannot read points from data.path=", "nowhere.npy: no such file"],
    ),
    "unreadable": (
        lambda tmp: (tmp / "bad.npy").write_bytes(b"not an array") and tmp / "bad.npy",
        ["cannot read points from data.path=", "bad.npy"],
    ),
    "wrong shape": (
        lambda tmp: np.save(tmp / "three.npy", np.zeros((50, 3))) or tmp / "three.npy",
        ["shape (50, 3)", "need a numeric array of shape (N, 2)"],
    ),
    "non-numeric column": (
        lambda tmp: write_csv(tmp / "words.csv", "x,y\n1.0,a\n2.0,b\n"),
        ["words.csv: a value is not a number", "two numeric columns"],
    ),
    "nan": (
        lambda tmp: (
            np.save(tmp / "nan.npy", np.array([[0.0, 1.0], [np.nan, 2.0]] * 200)) or tmp / "nan.npy"
        ),
        ["holds 200 points with NaN or infinite coordinates"],
    ),
    "inf": (
        lambda tmp: write_csv(tmp / "inf.csv", "0,1\n" * 300 + "inf,2\n"),
        ["holds 1 points with NaN or infinite coordinates"],
    ),
    "fewer points than a batch": (
        lambda tmp: np.save(tmp / "few.npy", moons(100)) or tmp / "few.npy",
        ["has 90 training points", "a training batch needs 256", "lower data.batch_size"],
    ),
    "not a point file": (
        lambda tmp: write_csv(tmp / "points.txt", "0,1\n"),
        ["points.txt is neither .npy nor .csv"],
    ),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_point_file_is_refused_before_anything_is_written(
    case, monkeypatch, capsys, tmp_path
):
    make, messages = BAD_FILES[case]
    path = make(tmp_path)
    status, stderr = run_main(
        monkeypatch, capsys, tmp_path, "data=points", f"data.path={path}", base=tuple(TINY_MLP)
    )
    check_clean_failure(status, stderr, tmp_path, *messages)


def test_points_without_a_path_are_refused(monkeypatch, capsys, tmp_path):
    status, stderr = run_main(monkeypatch, capsys, tmp_path, "data=points", base=tuple(TINY_MLP))
    check_clean_failure(status, stderr, tmp_path, "data=points needs data.path=")


def test_csv_with_a_header_and_npy_give_the_same_split(tmp_path):
    points = moons(300)
    np.save(tmp_path / "m.npy", points)
    np.savetxt(tmp_path / "m.csv", points, delimiter=",", header="x,y", comments="")
    a = PointFileDataModule(str(tmp_path / "m.npy"), batch_size=32, val_fraction=0.2)
    b = PointFileDataModule(str(tmp_path / "m.csv"), batch_size=32, val_fraction=0.2)
    a.setup("fit")
    b.setup("fit")
    assert a.samples.shape == (240, 2) and a.valid.shape == (60, 2)
    torch.testing.assert_close(a.samples, b.samples)
    # The split is a partition of the file's points: none lost, none in both.
    both = torch.cat([a.samples, a.valid])
    expected = torch.from_numpy(points).float()
    assert torch.equal(both[both[:, 0].argsort()], expected[expected[:, 0].argsort()])


@pytest.mark.slow
def test_a_point_file_trains_on_the_device(monkeypatch, capsys, tmp_path):
    status, stderr = point_file_run(monkeypatch, capsys, tmp_path, 600, "trainer.max_steps=4")
    assert status == 0, stderr
    assert (tmp_path / "run" / "checkpoints" / "last.ckpt").is_file()
