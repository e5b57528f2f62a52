"""The 2D pictures: G's push is −∇ₓ of each point's own term of G's loss, through D in eval
mode; the arrows' scale; the best D panel against each game's formula; value.png's theory."""

from __future__ import annotations

import math

import pytest
import torch
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image
from torch import nn

from litgan.game.games import Hinge, LeastSquares, Minimax, NonSaturating, Wasserstein
from litgan.metrics.divergences import smoothed_densities
from litgan.networks import MLPDiscriminator
from litgan.pictures.plots import save_run_plots, value_figure
from litgan.pictures.push import DECADES, REACH, ArrowScale, arrow_heads, generator_push, nice
from litgan.pictures.samples import Mixture, best_d, best_d_width, save_samples_picture
from litgan.pictures.surface import Arrows, Frame, _arrows, _points
from litgan.pictures.ticks import plain, plain_log_ticks
from tests.helpers.gans import make_gan

W = torch.tensor([0.6, -0.8])


def linear_d(bias: float, dtype: torch.dtype = torch.float32) -> nn.Module:
    """D(x) = W·x + bias: its gradient in x is W everywhere."""
    d = nn.Linear(2, 1).to(dtype)
    with torch.no_grad():
        d.weight.copy_(W[None])
        d.bias.fill_(bias)
    return nn.Sequential(d, nn.Flatten(0))


def test_the_push_is_each_games_closed_form_gradient_for_a_linear_d():
    x = torch.tensor([[0.5, 0.2], [-1.0, 1.5], [2.0, -0.3]])
    d = linear_d(0.1)
    logit = (x @ W + 0.1)[:, None]
    # −∂ℓ/∂D times ∇ₓD = W, for each game's per-sample loss ℓ(D).
    expected = {
        Minimax(): torch.sigmoid(logit),  # ℓ = log(1 − σ(l))
        NonSaturating(): 1 - torch.sigmoid(logit),  # ℓ = −log σ(l)
        LeastSquares(): 1 - logit,  # ℓ = ½ (l − 1)²
        Hinge(): torch.ones_like(logit),  # ℓ = −D: the push is ∇D
        Wasserstein(): torch.ones_like(logit),
    }
    for game, factor in expected.items():
        torch.testing.assert_close(generator_push(d, game, x), factor * W, msg=game.name)


@pytest.mark.parametrize("game", [Minimax(), NonSaturating()], ids=lambda g: g.name)
def test_the_push_is_minus_the_finite_difference_of_one_points_loss_through_an_mlp(game):
    torch.manual_seed(0)
    d = make_gan().discriminator.double()
    x = torch.randn(5, 2, dtype=torch.float64)
    push = generator_push(d, game, x)

    assert_minus_finite_difference(push, d, game, x)
    assert push.abs().max() > 1e-3  # a real gradient, not zeros that match zeros


def assert_minus_finite_difference(push, d, game, x, pack: int = 1) -> None:
    """`push` at each point of `x` is −(central difference of that point's loss alone)."""
    d.eval()

    def loss(point: torch.Tensor) -> float:
        with torch.no_grad():
            return float(game.generator_loss(d(point.expand(pack, 2)).reshape(1)))

    h = 1e-6
    for i in range(len(x)):
        for k in range(2):
            step = torch.zeros(2, dtype=torch.float64)
            step[k] = h
            slope = (loss(x[i] + step) - loss(x[i] - step)) / (2 * h)
            assert push[i, k].item() == pytest.approx(-slope, rel=1e-6, abs=1e-9)


def test_the_push_of_a_point_does_not_depend_on_the_batch_and_leaves_d_as_it_was():
    gan = make_gan()
    d = gan.discriminator
    d.train()
    x = torch.randn(64, 2)
    push = generator_push(d, Minimax(), x)
    # Each point's own term, not the batch mean's 1/N share of it.
    torch.testing.assert_close(push[3:4], generator_push(d, Minimax(), x[3:4]))
    assert d.training  # eval mode only while the push is computed
    assert all(p.grad is None and p.requires_grad for p in d.parameters())


def test_the_push_is_zero_where_the_games_gradient_is():
    x = torch.tensor([[0.3, -0.2], [1.0, 1.0]])
    # D rejects both points with all confidence: log(1 − D) is flat there, −log D is not.
    confident = linear_d(-200.0)
    assert torch.equal(generator_push(confident, Minimax(), x), torch.zeros_like(x))
    torch.testing.assert_close(generator_push(confident, NonSaturating(), x), W.expand(2, 2))
    # Least squares: no push where D already says 1.
    at_one = torch.tensor([[1.0, 0.0]])  # W·x = 0.6
    assert torch.equal(generator_push(linear_d(0.4), LeastSquares(), at_one), torch.zeros(1, 2))
    # A D that does not depend on x gives no push in any game.
    flat = nn.Sequential(nn.Linear(2, 1), nn.Flatten(0))
    with torch.no_grad():
        flat[0].weight.zero_()
    assert torch.equal(generator_push(flat, Hinge(), x), torch.zeros_like(x))


def test_a_packing_d_judges_copies_of_each_point():
    torch.manual_seed(1)
    d = MLPDiscriminator(data_shape=[2], hidden=[16], pack=2).double()
    x = torch.randn(4, 2, dtype=torch.float64)
    push = generator_push(d, NonSaturating(), x)
    assert_minus_finite_difference(push, d, NonSaturating(), x, pack=2)


def test_the_key_arrow_is_a_round_number_near_the_first_pictures_long_arrows():
    assert [nice(v) for v in (0.013, 0.3, 1.0, 1.6, 3.3, 7.4, 80.0)] == [
        0.01,
        0.2,
        1.0,
        2.0,
        5.0,
        10.0,
        100.0,
    ]
    assert nice(0.0) == 1.0  # no push at all (a saturated minimax D): still a scale
    push = torch.zeros(101, 2)
    push[:, 0] = torch.linspace(0, 3.0, 101)  # median 1.5
    scale = ArrowScale.fit(push)
    assert scale.magnitude == 2.0
    assert (scale.low, scale.high) == pytest.approx((2.0 / 10**DECADES, 2.0 * 10**DECADES))
    assert ArrowScale.from_dict(scale.to_dict()) == scale
    # A checkpoint of an earlier litgan kept the key arrow's length too: its magnitude serves.
    assert ArrowScale.from_dict({"magnitude": 5.0, "length": 0.16}) == ArrowScale(5.0)
    assert ArrowScale.fit(torch.zeros(0, 2)).magnitude == 1.0


def bump_d(width: float) -> nn.Module:
    """D's logit −|x − (1, 0)|² / width²: one peak at (1, 0), as wide as `width`."""

    class Bump(nn.Module):
        def __init__(self):
            super().__init__()
            self.centre = nn.Parameter(torch.tensor([1.0, 0.0]))

        def forward(self, x):
            return -((x - self.centre) ** 2).sum(1) / width**2

    return Bump()


def test_an_arrow_runs_along_the_push_only_as_far_as_gs_loss_falls():
    d = bump_d(0.03)
    x = torch.tensor([[0.9, 0.0], [1.0, 0.05], [-1.0, 0.0], [1.0, 0.0]])
    push = generator_push(d, NonSaturating(), x)
    heads = arrow_heads(d, NonSaturating(), x, push, extent=2.0)
    longest = REACH * 2.0
    # Towards the peak, stopping within a step past it: never beyond, never back down.
    assert 0.99 - 0.02 < heads[0, 0] <= 1.0 + 0.02 and heads[0, 1] == 0.0
    assert heads[1, 0] == 1.0 and -0.02 < heads[1, 1] < 0.05
    # Far from the peak the loss falls all the way: the arrow is as long as any is drawn.
    assert heads[2].tolist() == pytest.approx([-1.0 + longest, 0.0])
    # On the peak there is no push: no arrow.
    assert torch.equal(heads[3], x[3])
    loss = lambda p: NonSaturating().generator_loss(d(p[None]).reshape(1))  # noqa: E731
    assert all(loss(h) < loss(t) for h, t in zip(heads[:3], x[:3], strict=True))
    # An arrow drawn in proportion to the push would overshoot the peak: the reason for this.
    assert loss(x[0] + 0.25 * push[0] / push[0].norm()) > loss(x[0])


RING = Mixture(
    centres=torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]]),
    std=0.05,
    weights=torch.full((4,), 0.25),
)


def test_the_best_d_panel_is_each_games_formula_on_the_smoothed_densities():
    # G covers two of the four modes, plus points where there is no data.
    torch.manual_seed(0)
    fake = torch.cat(
        [RING.centres[:2].repeat(100, 1) + 0.05 * torch.randn(200, 2), torch.zeros(50, 2)]
    )
    # A grid through a mode G covers, one it missed, G's points off the data and near misses.
    xs, ys = torch.tensor([-1.0, 0.0, 0.06, 1.0]), torch.tensor([-0.95, 0.0, 0.98])
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    at = torch.stack([gx.flatten(), gy.flatten()], 1)
    h = best_d_width(RING, extent=2.0)
    assert h == 0.05  # the data's std: wider than 2% of the extent
    p, q = smoothed_densities(RING.centres, RING.std, RING.weights, fake, at, h)
    p, q = p.view(3, 4), q.view(3, 4)
    # Blank (NaN) where neither density is: under a thousandth of their sum's peak on the grid.
    blank = p + q < 1e-3 * (p + q).max()
    assert 0 < int(blank.sum()) < 6

    def expect(formula):
        return formula.masked_fill(blank, math.nan)

    for game, formula in ((Minimax(), p / (p + q)), (LeastSquares(), p / (p + q))):
        torch.testing.assert_close(
            best_d(game, RING, fake, 2.0)(xs, ys), expect(formula), equal_nan=True
        )
    torch.testing.assert_close(
        best_d(Hinge(), RING, fake, 2.0)(xs, ys), expect(torch.sign(p - q)), equal_nan=True
    )
    best = best_d(NonSaturating(), RING, fake, 2.0)(xs, ys)
    assert best[1, 0] == pytest.approx(1.0)  # (-1, 0): a mode G missed, D* says real
    assert best[1, 1] == pytest.approx(0.0, abs=1e-6)  # (0, 0): G's points off the data, fake
    assert isinstance(best_d(Wasserstein(), RING, fake, 2.0), str)


def test_the_best_d_is_blank_where_neither_density_is_and_defined_far_out():
    fake = RING.centres[:1] + 0.05 * torch.randn(100, 2)
    best = best_d(Minimax(), RING, fake, 2.0)(torch.tensor([1.0, 30.0]), torch.tensor([0.0, 30.0]))
    assert math.isnan(best[1, 1]) and not math.isnan(best[0, 0])  # (30, 30) blank, (1, 0) not


@pytest.mark.parametrize(
    "loss", ["minimax", "non_saturating", "hinge", "least_squares", "wasserstein"]
)
def test_every_game_draws_its_2d_picture_with_arrows_and_best_d(loss, tmp_path):
    gan = make_gan(loss)
    path = tmp_path / "picture.png"
    real = RING.centres.repeat(25, 1) + 0.05 * torch.randn(100, 2)
    seen = save_samples_picture(gan, gan.fixed_noise(300), path, real, RING, title="t")
    assert seen.median == pytest.approx(
        float(
            generator_push(gan.discriminator, gan.game, gan.generate(gan.fixed_noise(300)))
            .norm(dim=1)
            .median()
        )
    )
    with Image.open(path) as picture:
        assert picture.size == (1100, 520)  # two panels: trained D, best D


def test_a_picture_spans_the_frame_it_is_given_whatever_g_draws(tmp_path):
    gan = make_gan("non_saturating")
    real = RING.centres.repeat(25, 1) + 0.01 * torch.randn(100, 2)
    frame = Frame.around(real)
    assert (frame.x0, frame.x1) == pytest.approx((-1.3, 1.3), abs=0.05)  # ±1, 15% of 2 more
    with torch.no_grad():  # G's points far out of the data's frame
        gan.generator.net[-1].bias.fill_(5.0)
    path = tmp_path / "picture.png"
    seen = save_samples_picture(gan, gan.fixed_noise(300), path, real, RING, frame=frame)
    assert seen.frame == pytest.approx(frame)
    with Image.open(path) as picture:  # the PNG says its ranges, as the axes held them
        assert [float(v) for v in picture.text["Frame"].split()] == pytest.approx(
            list(frame.to_dict().values())
        )


def test_gs_points_outside_the_frame_are_drawn_at_its_edge_and_counted():
    frame = Frame(-1.0, 1.0, -2.0, 2.0)
    fake = torch.tensor([[0.0, 0.0], [5.0, 0.5], [-0.5, -9.0], [0.25, 0.75]])
    ax = Figure().subplots()
    _points(ax, torch.zeros(0, 2), fake, None, frame)
    _, inside, edge = ax.collections  # the real points, G's inside, G's outside
    assert inside.get_offsets().tolist() == [[0.0, 0.0], [0.25, 0.75]]
    assert edge.get_offsets().tolist() == [[1.0, 0.5], [-0.5, -2.0]]
    assert edge.get_label() == "G(z) outside: 2, at the edge"
    assert ax.get_xlim() == (-1.0, 1.0) and ax.get_ylim() == (-2.0, 2.0)


def test_value_png_draws_v_at_the_best_d_the_gap_and_the_divergences(tmp_path):
    steps = list(range(10, 1001, 10))
    series = {
        "train/value": (steps, [-1.0 - s / 2000 for s in steps]),
        "train/value_real": (steps, [-0.5] * len(steps)),
        "train/value_fake": (steps, [-0.6] * len(steps)),
        "train/d_real": (steps, [0.6] * len(steps)),
        "train/d_fake": (steps, [0.4] * len(steps)),
        "val/value": ([500, 1000], [-1.30, -1.35]),
        "val/value_best_d": ([500, 1000], [-1.10, -1.30]),
        "val/jsd": ([500, 1000], [0.14, 0.04]),
        "val/tv": ([500, 1000], [0.4, 0.2]),
    }
    game = {**Minimax().describe()}
    fig = value_figure(series, game)
    top, _, divergences = fig.axes
    labels = [line.get_label() for line in top.get_lines()]
    assert "V with the trained D (validation):\na lower bound of V at the best D" in labels
    assert "V at the best D for this G" in labels
    [gap] = top.collections
    low, high = gap.get_paths()[0].vertices[:, 1].min(), gap.get_paths()[0].vertices[:, 1].max()
    assert (low, high) == pytest.approx((-1.35, -1.10))
    lines = {line.get_label(): line for line in divergences.get_lines()}
    assert set(lines) == {"Jensen-Shannon (this game's)", "total variation"}
    assert lines["Jensen-Shannon (this game's)"].get_linewidth() == 2
    # Without validation's theory: the two panels as before.
    assert len(value_figure({k: v for k, v in series.items() if k[:4] == "train"}, game).axes) == 2
    save_run_plots(series, tmp_path, game)
    assert (tmp_path / "value.png").is_file()


def test_arrows_end_at_their_heads_coloured_by_the_push_on_the_runs_log_scale():
    scale = ArrowScale(magnitude=1.0)
    points = torch.zeros(3, 2)
    heads = torch.tensor([[0.1, 0.0], [0.0, -0.2], [0.0, 0.0]])
    push = torch.tensor([[0.5, 0.0], [0.0, -2.0], [0.0, 0.0]])  # the last: no push at all
    fig = Figure()
    ax = fig.subplots()
    frame = Frame(-1, 1, -1, 1)
    _arrows(ax, Arrows(points, heads, push, scale), fig.add_axes((0, 0, 1, 0.1)), frame)
    [quiver] = ax.collections
    assert quiver.scale == 1 and quiver.U.tolist() == pytest.approx([0.1, 0.0, 0.0])
    assert quiver.V.tolist() == pytest.approx([0.0, -0.2, 0.0])
    assert quiver.norm.vmin == scale.low and quiver.norm.vmax == scale.high
    assert quiver.get_array().tolist() == pytest.approx([0.5, 2.0, scale.low])


@pytest.mark.parametrize(
    ("game", "why"), [(Wasserstein(), "unbounded"), (Minimax(), "packs of samples")]
)
def test_value_png_says_why_it_has_no_v_at_the_best_d(game, why):
    steps = [500, 1000]
    series = {
        key: (steps, [0.5, 0.4])
        for key in ("train/value", "train/value_real", "train/value_fake", "train/d_real")
    }
    series |= {"train/d_fake": (steps, [0.3, 0.3]), "val/value": (steps, [0.2, 0.1])}
    top = value_figure(series, game.describe()).axes[0]
    assert why in top.get_title(loc="left")
    series["val/value_best_d"] = (steps, [0.3, 0.2])
    top = value_figure(series, game.describe()).axes[0]
    assert "no V at the best D" not in top.get_title(loc="left")


def test_no_plot_reads_as_better_than_optimal_and_every_axis_says_what_it_shows(
    tmp_path, monkeypatch
):
    steps = [250, 500, 750]
    series = {
        "train/value": (steps, [-1.2, -1.45, -1.3]),  # the trained D's V below -log 4
        "train/value_real": (steps, [-0.6] * 3),
        "train/value_fake": (steps, [-0.7] * 3),
        "train/d_real": (steps, [0.6] * 3),
        "train/d_fake": (steps, [0.4] * 3),
        "train/g_grad_norm": (steps, [0.1, 0.2, 0.3]),
        "train/d_grad_norm": (steps, [1.0, 2.0, 3.0]),
        "val/value": (steps, [-1.3, -1.45, -1.4]),
        "val/value_best_d": (steps, [-1.1, -1.2, -1.3]),
        "val/jsd": (steps, [0.2, 0.1, 0.05]),
        "val/fid": (steps, [0.3, 0.2, 0.1]),
        "val/modes": (steps, [6.0, 7.0, 8.0]),
        "val/high_quality": (steps, [0.5, 0.8, 0.9]),
    }
    fig = value_figure(series, Minimax().describe())
    top = fig.axes[0]
    assert "lower bound of V at the best D" in top.get_title(loc="left")
    assert "only V at the best D is ≥ -log 4" in top.get_title(loc="left")
    assert all(ax.get_ylabel() for ax in fig.axes)
    # Legends beside the axes, not over the curves.
    fig.canvas.draw()
    for ax in fig.axes:
        assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1
    # Wasserstein has no bounded best critic: no such claim.
    critic = value_figure(series, Wasserstein().describe()).axes[0]
    assert "the value of the game" in critic.get_title(loc="left")
    assert "lower bound" not in critic.get_title(loc="left")
    # Every text inside the figure, for hinge too: its wide legend narrows the axes, and its
    # centred titles once ran off the figure's left edge (with such values as these).
    hinge = series | {
        "train/value": (steps, [-1.9, -1.3, -1.5]),
        "train/value_real": (steps, [-0.2, -0.5, -0.5]),
        "train/value_fake": (steps, [-1.7, -0.8, -1.0]),
        "val/jsd": (steps, [0.6, 0.3, 0.09]),
        "val/triangular": (steps, [1.8, 1.0, 0.5]),
    }
    for game, curves in ((Minimax(), series), (Hinge(), hinge)):
        fig = value_figure(curves, game.describe())
        fig.draw_without_rendering()  # lays the figure out as saving it does
        for text in fig.findobj(lambda artist: isinstance(artist, Text) and artist.get_text()):
            box = text.get_window_extent()
            assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1, (game.name, text)

    figures = {}
    savefig = Figure.savefig

    def keep(fig, path, *args, **kwargs):
        figures[path.name] = fig
        return savefig(fig, path, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    for game in (Minimax(), NonSaturating()):
        save_run_plots(series, tmp_path / game.name, game.describe())
        [grad] = figures["grad_norm.png"].axes
        assert grad.get_title().startswith(f"{game.name}:") and grad.get_ylabel()
        assert ("saturates" in grad.get_title()) == (game.name == "minimax")
        assert figures["fid.png"].axes[0].get_ylabel() == "FID"
        modes, quality = figures["modes.png"].axes
        assert modes.get_ylabel() and quality.get_ylabel()
        assert all(float(t).is_integer() for t in modes.get_yticks())


def test_log_axes_are_labelled_in_plain_text_with_the_same_values():
    fig = Figure()
    ax = fig.subplots()
    ax.set_yscale("log")
    ax.set_ylim(1e-4, 1e2)
    plain_log_ticks(ax.yaxis)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert "10⁻⁴" in labels and "10²" in labels and "10⁰" in labels
    assert not any("$" in label for label in labels)  # no math notation to parse
    assert plain(r"$\mathdefault{2\times10^{-1}}$") == "2×10⁻¹"
    assert plain(r"$\mathdefault{10^{12}}$") == "10¹²"
    assert plain("0.5") == "0.5"
