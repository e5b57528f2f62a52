"""`summary.json`: what a run did and where it ended, for people and for sweep reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytorch_lightning as pl

from litgan.gan import GAN
from litgan.gan.validation import no_best_value
from litgan.networks.packing import pack_of
from litgan.records.history import read_overrides
from litgan.run.callbacks import BestCheckpoint


def build_summary(trainer: pl.Trainer, model: GAN, wall_time_s: float) -> dict[str, Any]:
    """Step counts, wall time, the last value of every logged scalar, the best checkpoint and
    the evaluation settings that its numbers depend on."""
    best = next((c.best for c in trainer.callbacks if isinstance(c, BestCheckpoint)), None)
    pack = pack_of(model.discriminator)
    return {
        "g_steps": model.g_steps,
        "d_steps": model.g_steps * model.hparams.d_steps,
        "world_size": trainer.world_size,
        "wall_time_s": round(wall_time_s, 3),
        "game": model.game.describe(),
        "final": {k: float(v) for k, v in sorted(trainer.callback_metrics.items())},
        "best": best,
        "evaluation": model.evaluator.settings if model.evaluator is not None else None,
        # Why val/value_best_d is missing where it is (None: it is logged for 2D data).
        "no_best_value": no_best_value(model.game, pack),
    }


def write_summary(summary: dict[str, Any], run_dir: Path) -> Path:
    """Write `summary.json` into the run directory."""
    path = run_dir / "summary.json"
    path.write_text(json.dumps(summary, indent=2) + "\n")
    return path


def format_summary(summary: dict[str, Any], run_dir: Path) -> str:
    """A few lines for the terminal: the value terms against the theory, and where things are."""
    final = summary["final"]
    lines = [f"litgan: {summary['g_steps']} generator steps in {summary['wall_time_s']:.1f} s"]
    if "train/value" in final:
        lines += _game_lines(final, summary["game"])
    if "val/value" in final:
        lines.append(_best_d_line(summary))
    if "val/fid" in final:
        lines.append(_evaluation_line(summary))
    if summary.get("dynamics"):
        lines += _dynamics_lines(summary["dynamics"])
    lines.append(f"  outputs: {run_dir}{_job_overrides(run_dir)}")
    return "\n".join(lines)


def _job_overrides(run_dir: Path) -> str:
    """A sweep job's overrides, which tell its summary from its siblings' (Hydra writes
    multirun.yaml into the sweep's folder); nothing for a single run."""
    if not (run_dir.parent / "multirun.yaml").is_file():
        return ""
    overrides = read_overrides(run_dir)
    return f" ({' '.join(overrides)})" if overrides else ""


def _game_lines(final: dict[str, float], game: dict[str, Any]) -> list[str]:
    """The value and its terms against the game's optimum, D's outputs, and the penalty."""
    optimum = game["optimum"]
    lines = [
        f"  {game['value']} = {final['train/value']:+.4f}  "
        f"(optimum {optimum['value_label']} = {optimum['value']:+.4f})  "
        f"= {_term(game['real'])} {final['train/value_real']:+.4f} "
        f"+ {_term(game['fake'])} {final['train/value_fake']:+.4f}",
        f"  D(x) = {final['train/d_real']:.3f}  D(G(z)) = {final['train/d_fake']:.3f}  "
        f"({optimum['note']})",
    ]
    if "train/penalty" in final:
        lines.append(f"  penalty = {final['train/penalty']:.4g} (weighted, added to D's loss)")
    return lines


DIVERGENCE_NAMES = {"jsd": "JSD", "tv": "TV", "triangular": "Δ", "w1": "W1"}


def _best_d_line(summary: dict[str, Any]) -> str:
    """The last validation's V with the trained D against V with the best D for this G."""
    final, game = summary["final"], summary["game"]
    trained = "critic" if game["name"] == "wasserstein" else "D"
    # "validation:" sets it apart from the line above, V on the last training batch.
    line = f"  validation: {game['value']} = {final['val/value']:+.4f} with the trained {trained}"
    divergence = game.get("divergence")
    measured = f"val/{divergence}"
    name = DIVERGENCE_NAMES.get(divergence, divergence)
    if "val/value_best_d" in final:
        line += (
            f", {final['val/value_best_d']:+.4f} with the best D for this G "
            f"({name} {final[measured]:.3g}); optimum {game['optimum']['value_label']}"
        )
    elif summary.get("no_best_value") and measured in final:
        line += f" ({name} {final[measured]:.3g}); no best-D value: {summary['no_best_value']}"
    return line


def _term(label: str) -> str:
    """A term's label, in parentheses when it carries its own minus sign."""
    return f"({label})" if label.startswith("-") else label


def _evaluation_line(summary: dict[str, Any]) -> str:
    """The last validation, and the best one when it was not the last."""
    final, best = summary["final"], summary["best"]
    line = f"  val/fid = {final['val/fid']:.4g}"
    if "val/modes" in final:
        num_modes = (summary["evaluation"] or {}).get("num_modes", "?")
        line += (
            f"  modes {final['val/modes']:.0f}/{num_modes}"
            f"  high quality {final['val/high_quality']:.1%}"
        )
        if "val/reverse_kl" in final:
            line += f"  reverse KL {final['val/reverse_kl']:.3f}"
    if best is not None:
        line += f"  (best {best['metric']} {best['value']:.4g} at generator step {best['g_step']})"
    return line


def _dynamics_lines(dynamics: dict[str, Any]) -> list[str]:
    """The Dirac-GAN's theory at (0, 0): the field's eigenvalues, the update's radius."""
    values = ", ".join(f"{re:+.4g}{im:+.4g}i" for re, im in dynamics["eigenvalues"])
    radius = dynamics["update_radius"]
    shown = "none" if radius is None else f"{radius:.6f}"
    return [
        f"  field's eigenvalues at (0, 0): {values}: {dynamics['field']}",
        f"  {dynamics['update']} update's spectral radius at (0, 0): {shown}: "
        f"{dynamics['updates']}",
    ]
