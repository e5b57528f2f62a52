"""The Dirac-GAN (experiment=dirac) against its closed forms and a numpy reference, each update
scheme (update=...), the exact resume of each, and the refusals."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from litgan.cli import dynamics
from litgan.dynamics.dirac import field_eigenvalues, trajectory, update_radius
from tests.helpers.checkpoints import final_weights, max_abs_diff
from tests.helpers.runs import PICTURES, check_clean_failure, compose_train, run_main

# Without pictures (dynamics.png, the GIF and the run's plots: about 3 s of each short run);
# test_run_summary_and_pictures draws them.
DIRAC = ("experiment=dirac", "trainer.enable_progress_bar=false", "pictures=false")


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


ENDS = {  # where the numpy reference ends after 2,000 steps, as docs/dynamics.md's table says
    "spirals out to radius 3.2": lambda end: abs(end - 3.2) < 0.05,
    "drifts in to radius 0.20": lambda end: abs(end - 0.20) < 0.005,
    "converges to 0": lambda end: end < 1e-6,
    "explodes": lambda end: end > 1e4,
    "converges": lambda end: end < 1e-3,
}


@pytest.mark.parametrize(("loss", "update", "gamma", "what"), TRAJECTORIES)
def test_trajectory_matches_numpy_reference(
    monkeypatch, capsys, tmp_path, loss, update, gamma, what
):
    """A run through train.py against the reference, its first 300 steps (the real update's
    whole 2,000 are checked outside a Trainer, below: the Trainer adds no arithmetic)."""
    penalty = ["penalty=r1", f"penalty.weight={gamma}"] if gamma else []
    # Every 10th step logged: the logging costs more than the step.
    overrides = (*DIRAC, f"loss={loss}", f"update={update}", "trainer.log_every_n_steps=10")
    steps = ("trainer.max_steps=300", "sample_every=300", "val_every=300", "checkpoint_every=300")
    status, err = run_main(monkeypatch, capsys, tmp_path, *overrides, *steps, *penalty, base=())
    assert status == 0, err
    path = read_path(tmp_path / "run")
    reference = reference_path(reference_field(loss, gamma), update, steps=300)
    assert path.shape == (30, 2)
    reference = reference[9::10]
    # Within 2% of the reference's distance from the equilibrium at every step.
    error = np.linalg.norm(path - reference, axis=1)
    scale = np.linalg.norm(reference, axis=1)
    assert np.all(error <= 0.02 * scale + 1e-5), (what, error.max())


def _gan(*overrides: str):
    from litgan.gan import GAN
    from litgan.run.fit import gan_arguments

    return GAN(data_shape=[1], **gan_arguments(compose_train("experiment=dirac", *overrides)))


A = {"minimax": 0.5, "non_saturating": 0.5, "hinge": 1.0, "wasserstein": 1.0}  # a = |f'(0)|


@pytest.mark.parametrize("loss", list(A))
def test_field_eigenvalues_without_penalty_are_plus_minus_i_a(loss):
    values = field_eigenvalues(_gan(f"loss={loss}"))
    assert np.allclose(
        sorted(values, key=lambda v: v.imag), [-1j * A[loss], 1j * A[loss]], atol=1e-6
    )


@pytest.mark.parametrize("penalty", ["r1", "r2"])
@pytest.mark.parametrize("gamma", [1.0, 0.4, 2.5])
def test_field_eigenvalues_with_penalty(penalty, gamma):
    """−γ/2 ± √(γ²/4 − a²): a double root −½ at γ = 1 for the log-loss games."""
    values = field_eigenvalues(
        _gan("loss=minimax", f"penalty={penalty}", f"penalty.weight={gamma}")
    )
    root = np.sqrt(complex(gamma**2 / 4 - 0.25))
    expected = [-gamma / 2 - root, -gamma / 2 + root]
    key = lambda v: (round(v.real, 6), round(v.imag, 6))  # noqa: E731
    assert np.allclose(sorted(values, key=key), sorted(expected, key=key), atol=1e-6)


def _optimistic_radius(a: float, h: float) -> float:
    """Roots of λ² − (1 + 2hμ)λ + hμ for μ = ±ia: x_{t+1} = x_t + h(2Ax_t − Ax_{t−1})."""
    return max(abs(r) for mu in (1j * a, -1j * a) for r in np.roots([1, -(1 + 2 * h * mu), h * mu]))


def _alternating_radius(a: float, h: float, gamma: float) -> float:
    """D first, then G: the map [[1 − h²a², ha(1 − hγ)], [−ha, 1 − hγ]], determinant 1 − hγ."""
    trace, det = 2 - h * gamma - h**2 * a**2, 1 - h * gamma
    return max(abs(r) for r in np.roots([1, -trace, det]))


RADII = [  # (loss, update, R1 weight, closed form of the radius at rate h)
    ("minimax", "simultaneous", 0.0, lambda h: np.sqrt(1 + 0.25 * h**2)),
    ("wasserstein", "simultaneous", 0.0, lambda h: np.sqrt(1 + h**2)),
    ("non_saturating", "alternating", 0.0, lambda h: 1.0),
    ("non_saturating", "alternating", 1.0, lambda h: _alternating_radius(0.5, h, 1.0)),
    ("minimax", "alternating", 0.4, lambda h: _alternating_radius(0.5, h, 0.4)),
    ("wasserstein", "extragradient", 0.0, lambda h: np.sqrt(1 - h**2 + h**4)),
    ("minimax", "extragradient", 0.0, lambda h: np.sqrt(1 - 0.25 * h**2 + 0.0625 * h**4)),
    ("wasserstein", "optimistic", 0.0, lambda h: _optimistic_radius(1.0, h)),
    ("minimax", "optimistic", 0.0, lambda h: _optimistic_radius(0.5, h)),
]


@pytest.mark.parametrize("h", [0.1, 0.3])
@pytest.mark.parametrize(("loss", "update", "gamma", "closed_form"), RADII)
def test_update_radius_matches_closed_form(loss, update, gamma, closed_form, h):
    penalty = ["penalty=r1", f"penalty.weight={gamma}"] if gamma else []
    gan = _gan(f"loss={loss}", f"update={update}", f"model.lr={h}", *penalty)
    assert update_radius(gan) == pytest.approx(closed_form(h), abs=1e-6)


def test_issue_numbers():
    """The numbers the issue quotes: 0.96 at γ = 1, h = 0.1; extragradient 0.995."""
    assert _alternating_radius(0.5, 0.1, 1.0) == pytest.approx(0.96, abs=5e-4)
    assert np.sqrt(1 - 0.01 + 1e-4) == pytest.approx(0.995, abs=5e-4)


def test_adam_has_no_update_radius():
    assert update_radius(_gan("optim=adam")) is None


def test_run_summary_and_pictures(monkeypatch, capsys, tmp_path):
    overrides = (*DIRAC, "loss=wasserstein", "update=extragradient", "trainer.max_steps=30")
    status, err = run_main(monkeypatch, capsys, tmp_path, *overrides, PICTURES, base=())
    assert status == 0, err
    run = tmp_path / "run"
    dynamics = json.loads((run / "summary.json").read_text())["dynamics"]
    assert np.allclose(sorted(im for _, im in dynamics["eigenvalues"]), [-1, 1], atol=1e-6)
    assert dynamics["update_radius"] == pytest.approx(np.sqrt(1 - 0.01 + 1e-4), abs=1e-6)
    assert dynamics["updates"] == "the updates converge"
    assert (run / "plots" / "dynamics.png").stat().st_size > 0
    assert (run / "plots" / "training.gif").stat().st_size > 0
    assert not (run / "samples").exists()
    with open(run / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 30 and all(r["dirac/theta"] and r["dirac/psi"] for r in rows)
    # The run's path is the one the real update gives outside a Trainer (float32 against 64).
    path = trajectory(_gan(*overrides), 30)
    assert np.allclose(read_path(run), path, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("loss", "update", "gamma", "what"), TRAJECTORIES)
def test_the_real_updates_trajectory_is_the_numpy_reference(loss, update, gamma, what):
    penalty = ["penalty=r1", f"penalty.weight={gamma}"] if gamma else []
    path = trajectory(_gan(f"loss={loss}", f"update={update}", *penalty), 2000)
    reference = reference_path(reference_field(loss, gamma), update)
    assert np.allclose(path, reference, rtol=1e-9, atol=1e-12), what
    assert ENDS[what](np.linalg.norm(path[-1])), what


def _reference_jacobian(field, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    return np.stack([(field(x + e) - field(x - e)) / (2 * eps) for e in np.eye(2) * eps], axis=1)


def test_litgan_dynamics_on_a_dirac_checkpoint(monkeypatch, capsys, tmp_path):
    overrides = (
        *DIRAC,
        "loss=minimax",
        "penalty=r1",
        "penalty.weight=0.7",
        "model.theta=0.6",
        "model.psi=-0.4",
        "trainer.max_steps=20",
    )
    status, err = run_main(monkeypatch, capsys, tmp_path, *overrides, base=())
    assert status == 0, err
    with open(tmp_path / "run" / "metrics.csv") as f:
        last = list(csv.DictReader(f))[-1]
    point = np.array([float(last["dirac/theta"]), float(last["dirac/psi"])])
    dynamics.main([str(tmp_path / "run"), "--top", "2", "--json"])
    result = json.loads(capsys.readouterr().out)
    measured = np.array([complex(re, im) for re, im in result["eigenvalues"]])
    expected = np.linalg.eigvals(_reference_jacobian(reference_field("minimax", 0.7), point))
    key = lambda v: (round(v.real, 6), round(v.imag, 6))  # noqa: E731
    assert np.allclose(sorted(measured, key=key), sorted(expected, key=key), atol=1e-6)


def _rows_without_epoch(run_dir) -> list[dict[str, str]]:
    with open(run_dir / "metrics.csv") as f:
        return [{k: v for k, v in row.items() if k != "epoch"} for row in csv.DictReader(f)]


@pytest.mark.parametrize("update", ["alternating", "simultaneous", "extragradient", "optimistic"])
def test_resume_is_exact(monkeypatch, capsys, tmp_path, update):
    """Adam, so that the optimizers' state matters too; optimistic's previous gradients.

    Stopped at an epoch's end (1,024 samples, batches of 64): a run resumed with a raised
    trainer.max_steps from mid-epoch trains on to the epoch's end (so does main's ring), and one
    resumed at an epoch's end counts one more epoch in the `epoch` column; both are the lean
    loop's, not the schemes'.
    """
    common = (*DIRAC, "optim=adam", "loss=wasserstein", f"update={update}", "checkpoint_every=10")
    runs = {}
    for name, legs in (("straight", [(32, [])]), ("resumed", [(16, []), (32, ["ckpt_path=last"])])):
        runs[name] = tmp_path / name
        for steps, resume in legs:
            overrides = (*common, f"trainer.max_steps={steps}", *resume)
            status, err = run_main(
                monkeypatch, capsys, tmp_path, *overrides, f"hydra.run.dir={runs[name]}", base=()
            )
            assert status == 0, err
    assert max_abs_diff(final_weights(runs["straight"]), final_weights(runs["resumed"])) == 0
    rows = _rows_without_epoch(runs["straight"])
    assert len(rows) == 32 and rows == _rows_without_epoch(runs["resumed"])


def test_refusals(monkeypatch, capsys, tmp_path):
    status, err = run_main(monkeypatch, capsys, tmp_path, *DIRAC, "penalty=gp", base=())
    check_clean_failure(status, err, tmp_path, "penalty=gp", "model=dirac")
    status, err = run_main(
        monkeypatch, capsys, tmp_path, *DIRAC, "update=simultaneous", "d_steps=2", base=()
    )
    check_clean_failure(status, err, tmp_path, "update=simultaneous", "d_steps=1")
    status, err = run_main(monkeypatch, capsys, tmp_path, *DIRAC, "data=ring", base=())
    check_clean_failure(status, err, tmp_path, "model=dirac", "data=dirac")
