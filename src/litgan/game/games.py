"""The GAN games: each one D's loss, G's loss, the value it logs and that value's optimum.

Every game here is written as a value V(D, G) = real term + fake term that D maximises, so D's
loss is always -V; the games differ in V, in G's loss and in what D's raw output means. D's
raw output is a real number per sample (a logit for the probability games). A new family is
one subclass, one `conf/loss/<name>.yaml` and its tests.

The theory of each game: V = ∫ p_data f(D) + p_G g(D) over x, so for a fixed G the best D
maximises p_data f(t) + p_G g(t) at every point (`best_output`), and V at that D is a
divergence between p_data and p_G (`divergence`, `value_at_best`):

    minimax, non_saturating   D* = p_d / (p_d + p_G)     V* = -log 4 + 2 JSD
    least_squares             D* = p_d / (p_d + p_G)     V* = -¼ + Δ/8 (triangular discrimination)
    hinge                     D* = sign(p_d - p_G)       V* = -2 + 2 TV
    wasserstein               a 1-Lipschitz potential    V* = W1, unbounded without the constraint

`litgan.metrics.divergences` estimates the four divergences on the 2D mixtures.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor


class ValueTerms(NamedTuple):
    """The two expectations of a game's value, estimated on a batch."""

    real: Tensor  # the term D's output on real data enters
    fake: Tensor  # the term D's output on G's samples enters

    @property
    def value(self) -> Tensor:
        return self.real + self.fake


@dataclass(frozen=True)
class Optimum:
    """Where a game's logged quantities sit at its equilibrium (p_G = p_data, D optimal).

    Args:
        value: the value V there.
        value_label: how that value is written, e.g. "-log 4".
        term: each of V's two terms there, when the game fixes them (None: only their sum is).
        d_output: D's output on every sample there, on the game's scale (None: not unique).
        d_band: the interval D's output lies in there, when only that is fixed.
        note: D's outputs there, in words, for the run's summary line.
    """

    value: float
    value_label: str
    term: float | None
    d_output: float | None
    d_band: tuple[float, float] | None = None
    note: str = ""


class Game(ABC):
    """A two-player game between G and D; D maximises `value_terms(...).value`."""

    name: str
    # How the logged quantities read in plots and summaries.
    value_label: str
    real_label: str
    fake_label: str
    output_label: str  # D's output on the game's scale, e.g. "D(x)"
    optimum: Optimum
    probability: bool = False  # D's output is a probability (the raw output is its logit)
    # The colour range of D's output in 2D pictures, when the game bounds it.
    output_range: tuple[float, float] | None = None
    # The key of the divergence V at the best D measures (litgan.metrics.divergences.KEYS).
    divergence: str

    @abstractmethod
    def value_terms(self, real_out: Tensor, fake_out: Tensor) -> ValueTerms:
        """Both terms of V from D's raw outputs on a real and a generated batch."""

    @abstractmethod
    def generator_loss(self, fake_out: Tensor) -> Tensor:
        """What G minimises, from D's raw outputs on G's samples."""

    def discriminator_loss(self, terms: ValueTerms) -> Tensor:
        """D maximises V, so it minimises -V."""
        return -terms.value

    def output(self, raw: Tensor) -> Tensor:
        """D's output on the game's scale (the probability for the probability games)."""
        return raw

    @abstractmethod
    def best_output(self, p_data: Tensor, p_g: Tensor) -> Tensor | None:
        """The best D's output for a fixed G on the game's scale, elementwise at points where
        the two densities are `p_data` and `p_g`; None where no pointwise best D exists."""

    @abstractmethod
    def value_at_best(self, divergences: Mapping[str, float]) -> float | None:
        """V at the best D for a fixed G, from the divergences between p_data and p_G (keys of
        `litgan.metrics.divergences.KEYS`); None where V has no maximum over D."""

    def level(self, real_out: Tensor, fake_out: Tensor) -> float:
        """The level of D's output (game scale) that separates real from generated in 2D
        pictures, given D's outputs on the pictured real and generated points."""
        return 0.0

    def describe(self) -> dict[str, Any]:
        """What summaries, plots and reports need, as plain data (no torch)."""
        return {
            "name": self.name,
            "value": self.value_label,
            "real": self.real_label,
            "fake": self.fake_label,
            "output": self.output_label,
            "probability": self.probability,
            "optimum": asdict(self.optimum),
            "divergence": self.divergence,
        }


class CrossEntropyGame(Game):
    """Goodfellow et al. (2014): V = E_x[log D(x)] + E_z[log(1 - D(G(z)))], D = sigmoid(logit).

    For a fixed G the best D is p_data / (p_data + p_G) (their Prop. 1); at p_G = p_data that is
    ½ everywhere and V = 2 log ½ = -log 4 (their Thm. 1). log D = logsigmoid(l) and
    log(1 - D) = logsigmoid(-l) are computed from the logits: log(sigmoid(l)) underflows to
    -inf once D saturates, which is exactly the regime the minimax loss is about.
    """

    value_label = "V(D,G)"
    real_label = "E[log D(x)]"
    fake_label = "E[log(1-D(G(z)))]"
    output_label = "D(x)"
    optimum = Optimum(
        value=-math.log(4),
        value_label="-log 4",
        term=math.log(0.5),
        d_output=0.5,
        note="both ½ at the optimum",
    )
    probability = True
    output_range = (0.0, 1.0)
    divergence = "jsd"

    def value_terms(self, real_out: Tensor, fake_out: Tensor) -> ValueTerms:
        return ValueTerms(F.logsigmoid(real_out).mean(), F.logsigmoid(-fake_out).mean())

    def output(self, raw: Tensor) -> Tensor:
        return torch.sigmoid(raw)

    def best_output(self, p_data: Tensor, p_g: Tensor) -> Tensor:
        """p_d / (p_d + p_G): the maximiser of p_d log t + p_G log(1 - t) over t in (0, 1)."""
        return p_data / (p_data + p_g)

    def value_at_best(self, divergences: Mapping[str, float]) -> float:
        """-log 4 + 2 JSD (Goodfellow et al. 2014, Thm. 1)."""
        return -math.log(4) + 2 * divergences["jsd"]

    def level(self, real_out: Tensor, fake_out: Tensor) -> float:
        """½: where D is as likely to call a point real as generated."""
        return 0.5


class Minimax(CrossEntropyGame):
    """G minimises E_z[log(1 - D(G(z)))] exactly as V writes it (saturating: when D confidently
    rejects fakes, the gradient of log(1 - D) vanishes)."""

    name = "minimax"

    def generator_loss(self, fake_out: Tensor) -> Tensor:
        return F.logsigmoid(-fake_out).mean()


class NonSaturating(CrossEntropyGame):
    """G maximises E_z[log D(G(z))] (Goodfellow et al. 2014, sec. 3): the same fixed point as
    minimax, but a strong gradient exactly when D rejects G's samples easily."""

    name = "non_saturating"

    def generator_loss(self, fake_out: Tensor) -> Tensor:
        return -F.logsigmoid(fake_out).mean()


class Hinge(Game):
    """Lim & Ye (2017), Miyato et al. (2018): D minimises E[max(0, 1 - D(x))] +
    E[max(0, 1 + D(G(z)))], G minimises -E[D(G(z))]; V is minus D's loss.

    At p_G = p_data D's loss at a point is max(0, 1 - t) + max(0, 1 + t) for its output t,
    smallest (2) for any t in [-1, 1]: V = -2 there, and D's output is any constant in
    [-1, 1], so neither term nor D's output is fixed. The pictures draw the level 0, the middle
    of that margin, where D's classification by sign flips.
    """

    name = "hinge"
    value_label = "V_hinge"
    real_label = "-E[max(0,1-D(x))]"
    fake_label = "-E[max(0,1+D(G(z)))]"
    output_label = "D(x)"
    optimum = Optimum(
        value=-2.0,
        value_label="-2",
        term=None,
        d_output=None,
        d_band=(-1.0, 1.0),
        note="equal, anywhere in [-1, 1], at the optimum",
    )
    divergence = "tv"

    def value_terms(self, real_out: Tensor, fake_out: Tensor) -> ValueTerms:
        return ValueTerms(-F.relu(1 - real_out).mean(), -F.relu(1 + fake_out).mean())

    def best_output(self, p_data: Tensor, p_g: Tensor) -> Tensor:
        """sign(p_d - p_G): on [-1, 1] the pointwise value -(p_d + p_G) + t (p_d - p_G) is
        linear in t, and outside it only falls; where p_d = p_G any t in [-1, 1] is best (0)."""
        return torch.sign(p_data - p_g)

    def value_at_best(self, divergences: Mapping[str, float]) -> float:
        """-2 + ∫|p_d - p_G| = -2 + 2 TV."""
        return -2.0 + 2 * divergences["tv"]

    def generator_loss(self, fake_out: Tensor) -> Tensor:
        return -fake_out.mean()


class Wasserstein(Game):
    """Arjovsky et al. (2017): the critic D maximises E[D(x)] - E[D(G(z))], G minimises
    -E[D(G(z))]; V is the critic's estimate of the Wasserstein-1 distance (with a 1-Lipschitz
    D: penalty=gp, Gulrajani et al. 2017, or spectral norm), 0 at p_G = p_data.

    A critic is defined only up to an additive constant, so its output has no absolute level:
    the pictures centre it on the mean of its outputs over the pictured points: with as many
    real as generated points, the level halfway between how it scores the two.
    """

    name = "wasserstein"
    value_label = "W estimate"
    real_label = "E[D(x)]"
    fake_label = "-E[D(G(z))]"
    output_label = "D(x)"
    optimum = Optimum(
        value=0.0,
        value_label="0",
        term=None,
        d_output=None,
        note="equal at the optimum; a critic has no absolute level",
    )
    divergence = "w1"

    def value_terms(self, real_out: Tensor, fake_out: Tensor) -> ValueTerms:
        return ValueTerms(real_out.mean(), -fake_out.mean())

    def best_output(self, p_data: Tensor, p_g: Tensor) -> None:
        """None: the best critic is a Kantorovich potential, a property of both distributions
        as a whole, not of the two densities at a point."""
        return None

    def value_at_best(self, divergences: Mapping[str, float]) -> None:
        """None: the game puts no Lipschitz constraint on D, and without one V grows without
        bound wherever p_d ≠ p_G. Over 1-Lipschitz critics (what penalty=gp or spectral
        normalisation aim at) the maximum is W1 (Kantorovich–Rubinstein), `divergences["w1"]`;
        litgan logs it as the game's divergence, not as a bound on V."""
        return None

    def generator_loss(self, fake_out: Tensor) -> Tensor:
        return -fake_out.mean()

    def level(self, real_out: Tensor, fake_out: Tensor) -> float:
        return float(torch.cat([real_out, fake_out]).mean())


class LeastSquares(Game):
    """Mao et al. (2017), 0-1 coding: D minimises ½E[(D(x) - 1)²] + ½E[D(G(z))²], G minimises
    ½E[(D(G(z)) - 1)²]; V is minus D's loss.

    For a fixed G the best D is p_data / (p_data + p_G) (their Prop. 1 with a = 0, b = 1): ½
    everywhere at p_G = p_data, where each term is -½ · ¼ = -1/8 and V = -¼. At that D,
    V = -½∫p_d p_G / (p_d + p_G) = -¼ + Δ/8, Δ = ∫(p_d - p_G)² / (p_d + p_G) the triangular
    discrimination (Mao et al.'s Pearson χ² of p_d + p_G and 2 p_G, in their 0-1 coding).
    """

    name = "least_squares"
    value_label = "V_LS"
    real_label = "-½E[(D(x)-1)²]"
    fake_label = "-½E[D(G(z))²]"
    output_label = "D(x)"
    optimum = Optimum(
        value=-0.25,
        value_label="-¼",
        term=-0.125,
        d_output=0.5,
        note="both ½ at the optimum",
    )
    divergence = "triangular"

    def value_terms(self, real_out: Tensor, fake_out: Tensor) -> ValueTerms:
        return ValueTerms(-0.5 * (real_out - 1).square().mean(), -0.5 * fake_out.square().mean())

    def best_output(self, p_data: Tensor, p_g: Tensor) -> Tensor:
        """p_d / (p_d + p_G): where -½ p_d (t - 1)² - ½ p_G t² has zero derivative in t."""
        return p_data / (p_data + p_g)

    def value_at_best(self, divergences: Mapping[str, float]) -> float:
        """-¼ + Δ/8."""
        return -0.25 + divergences["triangular"] / 8

    def generator_loss(self, fake_out: Tensor) -> Tensor:
        return 0.5 * (fake_out - 1).square().mean()

    def level(self, real_out: Tensor, fake_out: Tensor) -> float:
        """½: the best D's output where real and generated data are equally dense."""
        return 0.5
