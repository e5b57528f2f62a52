"""G's latent manifold (litgan.pictures.manifold): its geometry against a G known in closed
form, the switch in callbacks.samples, and its refusal where the latent space is not 2-D."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from litgan.pictures.manifold import LINES, REACH, latent_manifold, shoelace, why_no_manifold
from tests.helpers.runs import PICTURES, TINY_MLP, check_clean_failure, run_main


def test_a_linear_g_maps_the_grid_to_a_grid_of_its_determinant_times_the_area():
    a = torch.tensor([[2.0, 0.5], [0.0, 3.0]])  # x = A z + b: |det A| = 6
    manifold = latent_manifold(lambda z: z @ a.T + torch.tensor([1.0, -1.0]), torch.device("cpu"))
    side = 2 * REACH / (LINES - 1)
    np.testing.assert_allclose(shoelace(manifold.cells), 6 * side**2, rtol=1e-5)
    # G's density in each cell: the latent mass there over the area, the mass from N(0, I).
    ticks = np.linspace(-REACH, REACH, LINES)
    cdf = 0.5 * (1 + np.vectorize(math.erf)(ticks / math.sqrt(2)))
    mass = np.outer(np.diff(cdf), np.diff(cdf)).reshape(-1)
    np.testing.assert_allclose(manifold.density, mass / (6 * side**2), rtol=1e-5)
    assert mass.sum() == pytest.approx(math.erf(REACH / math.sqrt(2)) ** 2)
    # Lines of constant z₁ are straight: every point on the image of z₁ = -REACH.
    first = manifold.lines[0]
    expected = np.stack([np.full(len(first), -REACH), np.linspace(-REACH, REACH, len(first))], 1)
    np.testing.assert_allclose(first, expected @ a.numpy().T + [1.0, -1.0], rtol=1e-5, atol=1e-5)


def test_the_grid_is_drawn_for_2d_latents_and_2d_data_only():
    assert why_no_manifold(2, (2,)) is None
    assert "model.generator.nz=3" in why_no_manifold(3, (2,))
    assert "shape (1, 32, 32)" in why_no_manifold(2, (1, 32, 32))


def test_forcing_the_grid_with_a_latent_space_not_2d_is_refused(monkeypatch, capsys, tmp_path):
    status, stderr = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        "experiment=manifold",
        "model.generator.nz=3",
        base=tuple(TINY_MLP),
    )
    check_clean_failure(
        status, stderr, tmp_path, "callbacks.samples.manifold=true", "model.generator.nz=3"
    )


@pytest.mark.slow
def test_the_manifold_preset_draws_g_s_grid_and_the_switch_turns_it_off(
    monkeypatch, capsys, tmp_path
):
    pictures = {}
    for switch in ("null", "false"):
        run = tmp_path / switch
        status, stderr = run_main(
            monkeypatch,
            capsys,
            tmp_path,
            "experiment=manifold",
            f"callbacks.samples.manifold={switch}",
            "trainer.max_steps=2",
            "data.num_samples=2000",
            f"hydra.run.dir={run}",
            base=(*TINY_MLP, PICTURES),
        )
        assert status == 0, stderr
        with Image.open(run / "samples" / "g_step_000002.png") as image:
            pictures[switch] = np.asarray(image.convert("RGB")).astype(int)
    # The same run, G and D: only the grid and the paler surface under it tell them apart.
    assert pictures["null"].shape == pictures["false"].shape
    assert np.abs(pictures["null"] - pictures["false"]).sum(-1).astype(bool).mean() > 0.05
