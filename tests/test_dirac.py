"""The Dirac-GAN (experiment=dirac) against its closed forms and a numpy reference, each update
scheme (update=...), the exact resume of each, and the refusals."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from tests.helpers.runs import run_main

DIRAC = ("experiment=dirac", "trainer.enable_progress_bar=false")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def reference_field(game: str, gamma: float = 0.0):
    """(θ', ψ') = (−∂θ L_G, ∂ψ(V − R1)) for data δ₀, G = δ_θ, D(x) = ψx, written from the formulas:
    V = log σ(0) + log σ(−ψθ) (the log-loss games), V = −ψθ (wasserstein); R1 = (γ/2)ψ²."""

    def field(x: np.ndarray) -> np.ndarray:
        theta, psi = x
        if game == "minimax":  # L_G = log σ(−ψθ)
            v = np.array([psi * _sigmoid(psi * theta), -theta * _sigmoid(psi * theta)])
        elif game == "non_saturating":  # L_G = −log σ(ψθ)
            v = np.array([psi * _sigmoid(-psi * theta), -theta * _sigmoid(psi * theta)])
        else:  # wasserstein: L_G = −ψθ
            v = np.array([psi, -theta])
        return v - np.array([0.0, gamma * psi])

    return field


def reference_path(field, scheme: str, h: float = 0.1, steps: int = 2000) -> np.ndarray:
    """The (θ, ψ) after every step of `scheme` with SGD at rate h from (1, 1), shape (steps, 2)."""
    x, previous, path = np.array([1.0, 1.0]), None, []
    for _ in range(steps):
        if scheme == "alternating":  # D first, then G against the new D
            x = np.array([x[0], x[1] + h * field(x)[1]])
            x = np.array([x[0] + h * field(x)[0], x[1]])
        elif scheme == "simultaneous":
            x = x + h * field(x)
        elif scheme == "extragradient":
            x = x + h * field(x + h * field(x))
        else:  # optimistic, the first step a plain one
            now = field(x)
            x = x + h * (2 * now - (now if previous is None else previous))
            previous = now
        path.append(x)
    return np.array(path)


def read_path(run_dir) -> np.ndarray:
    with open(run_dir / "metrics.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["dirac/theta"]]
    return np.array([[float(r["dirac/theta"]), float(r["dirac/psi"])] for r in rows])


TRAJECTORIES = [  # (loss, update, R1 weight, where it ends from (1, 1) after 2,000 steps)
    ("minimax", "simultaneous", 0.0, "spirals out to radius 3.2"),
    ("non_saturating", "alternating", 0.0, "drifts in to radius 0.20"),
    ("non_saturating", "alternating", 1.0, "converges to 0"),
    ("wasserstein", "simultaneous", 0.0, "explodes"),
    ("wasserstein", "extragradient", 0.0, "converges"),
    ("wasserstein", "optimistic", 0.0, "converges"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("loss", "update", "gamma", "what"), TRAJECTORIES)
def test_trajectory_matches_numpy_reference(
    monkeypatch, capsys, tmp_path, loss, update, gamma, what
):
    penalty = ["penalty=r1", f"penalty.weight={gamma}"] if gamma else []
    # Every 10th step logged: the logging costs more than the step.
    overrides = (*DIRAC, f"loss={loss}", f"update={update}", "trainer.log_every_n_steps=10")
    status, err = run_main(monkeypatch, capsys, tmp_path, *overrides, *penalty, base=())
    assert status == 0, err
    path = read_path(tmp_path / "run")
    reference = reference_path(reference_field(loss, gamma), update)
    assert path.shape == (200, 2)
    reference = reference[9::10]
    # Within 2% of the reference's distance from the equilibrium at every step.
    error = np.linalg.norm(path - reference, axis=1)
    scale = np.linalg.norm(reference, axis=1)
    assert np.all(error <= 0.02 * scale + 1e-5), (what, error.max())
    end = np.linalg.norm(reference[-1])
    expected = {
        "spirals out to radius 3.2": abs(end - 3.2) < 0.05,
        "drifts in to radius 0.20": abs(end - 0.20) < 0.005,
        "converges to 0": end < 1e-6,
        "explodes": end > 1e4,
        "converges": end < 1e-3,
    }
    assert expected[what], end
