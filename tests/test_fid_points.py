"""`litgan-fid POINTS ring|grid`: any sampler's 2D points scored as validation scores G's."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import torch

from litgan.cli.fid import main
from litgan.data.toy import mixture_modes
from tests.helpers.points import moons

KEYS = {"fid", "modes", "high_quality", "reverse_kl", "jsd", "tv", "triangular", "w1", "settings"}
KEYS |= {"density", "coverage"}


def ring_points(n: int, seed: int, modes=range(8)) -> np.ndarray:
    """n points of the ring's mixture (std 0.01) restricted to `modes`, from another seed."""
    gen = torch.Generator().manual_seed(seed)
    centres = mixture_modes("ring", 8, 1.0)[list(modes)]
    which = torch.randint(len(centres), (n,), generator=gen)
    return (centres[which] + 0.01 * torch.randn(n, 2, generator=gen)).double().numpy()


def score(capsys, *argv: str) -> dict:
    main([*argv, "--json"])
    return json.loads(capsys.readouterr().out)


def test_npy_and_csv_files_of_the_same_points_score_alike(tmp_path, capsys):
    points = ring_points(3000, seed=7)
    np.save(tmp_path / "g.npy", points)
    np.savetxt(tmp_path / "g.csv", points, delimiter=",", header="x,y", comments="")
    np.savetxt(tmp_path / "bare.csv", points, delimiter=",")
    from_npy = score(capsys, str(tmp_path / "g.npy"), "ring")
    assert set(from_npy) == KEYS
    assert from_npy["settings"]["num_points"] == 3000 and from_npy["settings"]["bandwidth"] == 0.01
    # Points of the data itself: every 2D score at its floor (tests/test_divergences.py).
    assert from_npy["modes"] == 8 and from_npy["high_quality"] > 0.98
    assert from_npy["fid"] < 1e-3 and from_npy["jsd"] < 0.004 and from_npy["tv"] < 0.08
    assert from_npy["triangular"] < 0.015 and from_npy["w1"] < 0.06
    # Two samples of one distribution, as many on each side: density 1, coverage 1 - 2^-k.
    assert from_npy["settings"]["nearest_k"] == 5
    assert from_npy["density"] == pytest.approx(1, abs=0.05)
    assert from_npy["coverage"] == pytest.approx(1 - 2**-5, abs=0.02)
    for name in ("g.csv", "bare.csv"):
        assert score(capsys, str(tmp_path / name), "ring") == from_npy


def test_points_on_four_alternate_modes_read_the_closed_forms(tmp_path, capsys):
    np.save(tmp_path / "half.npy", ring_points(4000, seed=8, modes=[0, 2, 4, 6]))
    result = score(capsys, "ring", str(tmp_path / "half.npy"))  # either order
    assert result["modes"] == 4
    assert result["jsd"] == pytest.approx(0.75 * math.log(4 / 3), rel=0.05)
    assert result["tv"] == pytest.approx(0.5, rel=0.05)
    assert result["triangular"] == pytest.approx(2 / 3, rel=0.05)
    assert result["w1"] == pytest.approx(math.sin(math.pi / 8), rel=0.05)
    # A point inside the data's support lies in k balls on average, however crowded: density 1.
    # Half the real points see none of G's; near the others G is twice as dense as the data,
    # so their k nearest real neighbours all come first with probability (1/3)^k.
    assert result["density"] == pytest.approx(1, abs=0.05)
    assert result["coverage"] == pytest.approx(0.5 * (1 - 3**-5), abs=0.02)


def test_the_text_output_names_every_score(tmp_path, capsys):
    np.save(tmp_path / "g.npy", ring_points(500, seed=9) * 2.0 + 4.0)  # far off the grid
    main([str(tmp_path / "g.npy"), "grid"])
    out = capsys.readouterr().out
    assert out.startswith("FID: ")
    for word in ("modes: ", "high quality: ", "reverse KL: ", "JSD: ", "TV: ", "triangular: "):
        assert word in out
    assert "W1: " in out and "(500 points; kernel 0.05 = 1 data std" in out
    assert re.search(r"\ndensity: \d\.\d{4}  coverage: \d\.\d{4}  \(k = 5\)\n", out)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("wide.npy", np.zeros((10, 3)), "shape (10, 3)"),
        ("flat.npy", np.zeros(10), "shape (10,)"),
        ("one.npy", np.zeros((1, 2)), "holds 1 points; scoring needs at least 2"),
        ("nan.npy", np.array([[0.0, 1.0], [np.nan, 0.0], [np.inf, 1.0]]), "2 points with NaN"),
        ("text.npy", b"not an array", "cannot read points from"),
        ("text.csv", b"x,y\na,b\n", "cannot read points from"),
        ("three.csv", b"1,2,3\n4,5,6\n", "shape (2, 3)"),
        ("missing.npy", None, "cannot read points from"),
    ],
)
def test_bad_points_files_are_refused_in_one_line(tmp_path, capsys, name, content, message):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        np.save(path, content)
    with pytest.raises(SystemExit) as exit_:
        main([str(path), "ring"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.startswith("litgan-fid: error: ") and err.count("\n") == 1, err
    assert message in err


def test_two_point_files_get_every_2d_score_with_b_as_the_reference(tmp_path, capsys):
    points = moons(2000)
    np.save(tmp_path / "a.npy", points)
    np.savetxt(tmp_path / "a.csv", points, delimiter=",", header="x,y", comments="")
    np.save(tmp_path / "moved.npy", points + np.array([0.3, 0.4]))
    np.save(tmp_path / "fewer.npy", moons(1500, seed=1))
    same = score(capsys, str(tmp_path / "a.npy"), str(tmp_path / "a.csv"))
    assert set(same) == {"fid", "jsd", "tv", "triangular", "w1", "settings"}
    for key in ("fid", "jsd", "tv", "triangular", "w1"):
        assert same[key] == pytest.approx(0, abs=1e-6), key
    assert same["settings"]["estimated"] == ["jsd", "tv", "triangular"]
    moved = score(capsys, str(tmp_path / "moved.npy"), str(tmp_path / "a.npy"))
    assert moved["w1"] == pytest.approx(0.5, rel=1e-6)  # the translation's length
    assert moved["fid"] == pytest.approx(0.25, rel=1e-6)  # |Δ mean|², the covariances equal
    assert moved["jsd"] > 0.3 and moved["tv"] > 0.6
    fewer = score(capsys, str(tmp_path / "a.npy"), str(tmp_path / "fewer.npy"))
    assert fewer["settings"]["num_reference"] == 1500  # B is the reference
    assert fewer["jsd"] < 0.05 and fewer["w1"] < 0.1  # two samples of one distribution
