"""A new game is one class and one YAML (README, "Extending litgan"): in litgan's games module
with a copy of a shipped YAML, or with a new 2D data set in a user's own package found through
hydra.searchpath; each trained in this process with no other edit."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch

from litgan.config.compose import CONFIG_DIR
from litgan.experiment import load, run
from litgan.game import games
from litgan.game.games import NonSaturating
from tests.helpers.runs import TINY_MLP

GAME = '''
from litgan.game.games import NonSaturating


class Scaled(NonSaturating):
    """The non-saturating game with G's loss doubled: the same fixed point."""

    name = "scaled"

    def generator_loss(self, d_fake):
        return 2 * super().generator_loss(d_fake)
'''

DATA = '''
import torch

from litgan.data.base import InMemoryDataModule


class Line(InMemoryDataModule):
    """Points spread along the diagonal y = x."""

    shape = (2,)
    name = "line"

    def __init__(self, batch_size: int, num_samples: int, seed: int = 0) -> None:
        super().__init__(batch_size)
        self.num_samples, self.seed = num_samples, seed

    def load(self):
        t = torch.rand(self.num_samples, 1, generator=torch.Generator().manual_seed(self.seed))
        return torch.cat([t, t], dim=1)
'''

LINE_YAML = """
_target_: my_gans.data.Line
batch_size: 64
num_samples: 1000
seed: ${seed}
"""


@pytest.fixture
def package(tmp_path, monkeypatch, run_in_process):
    """my_gans: a game, a data set and their conf/ on sys.path, as a user's package is."""
    root = tmp_path / "src" / "my_gans"
    (root / "conf" / "loss").mkdir(parents=True)
    (root / "conf" / "data").mkdir()
    (root / "__init__.py").write_text("")
    (root / "conf" / "__init__.py").write_text("")
    (root / "games.py").write_text(GAME)
    (root / "data.py").write_text(DATA)
    shipped = (Path(CONFIG_DIR) / "loss" / "non_saturating.yaml").read_text()
    game_yaml = shipped.replace("litgan.game.games.NonSaturating", "my_gans.games.Scaled")
    (root / "conf" / "loss" / "scaled.yaml").write_text(game_yaml)
    (root / "conf" / "data" / "line.yaml").write_text(textwrap.dedent(LINE_YAML))
    monkeypatch.syspath_prepend(str(root.parent))
    return "hydra.searchpath=[pkg://my_gans.conf]"


def test_a_game_and_a_data_set_from_a_users_package_train(package, tmp_path):
    result = run(
        package,
        "loss=scaled",
        "data=line",
        *TINY_MLP,
        "trainer.max_steps=30",
        "metrics=none",
        "trainer.enable_progress_bar=false",
        run_dir=tmp_path / "run",
    )
    assert result.summary["game"]["name"] == "scaled" and result.summary["g_steps"] == 30
    assert result.metrics["train/value"].notna().any()
    gan = load(result.run_dir)
    assert type(gan.game).__name__ == "Scaled"
    points = gan.generate(torch.randn(5, gan.nz))
    assert points.shape == (5, 2) and torch.isfinite(points).all()


class Doubled(NonSaturating):
    """The non-saturating game with G's loss doubled, as if written in litgan.game.games."""

    name = "doubled"

    def generator_loss(self, d_fake):
        return 2 * super().generator_loss(d_fake)


@pytest.mark.usefixtures("run_in_process")
def test_a_game_in_the_games_module_and_a_copy_of_a_shipped_yaml_train(monkeypatch, tmp_path):
    monkeypatch.setattr(games, "Doubled", Doubled, raising=False)
    conf = tmp_path / "conf" / "loss"
    conf.mkdir(parents=True)
    shipped = (Path(CONFIG_DIR) / "loss" / "non_saturating.yaml").read_text()
    (conf / "doubled.yaml").write_text(shipped.replace("NonSaturating", "Doubled"))
    quick = (*TINY_MLP, "trainer.max_steps=30", "trainer.log_every_n_steps=1", "metrics=none")
    searchpath = f"hydra.searchpath=[file://{conf.parent}]"
    doubled = run(searchpath, "loss=doubled", *quick, run_dir=tmp_path / "doubled")
    assert doubled.summary["game"]["name"] == "doubled" and doubled.summary["g_steps"] == 30
    # The same seed: G's first loss is computed before G's first update, doubled.
    shipped_run = run("loss=non_saturating", *quick, run_dir=tmp_path / "non_saturating")
    first = [r.metrics["train/g_loss"].dropna().iloc[0] for r in (doubled, shipped_run)]
    assert first[0] == pytest.approx(2 * first[1], rel=1e-6)
