"""The train entry point: `python train.py [overrides]`, also installed as `litgan-train`.

Only Hydra, OmegaConf and the standard library load with this module (and so with every
`--help` and config error): torch, Lightning and the GAN are imported by `train`, from
`litgan.run.fit`, once the config has been composed and checked.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import InstantiationException
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from litgan.config.checks import CONFIG_DIR, check_composes, validate_config
from litgan.config.tree import config_tree
from litgan.errors import ConfigError, Interrupted, LitganError
from litgan.run.run_dir import (
    check_writable,
    note_missing_dirs,
    rank,
    refuse_to_overwrite,
    remove_new_empty_dirs,
    requeued_ckpt_path,
    write_record,
)


class OutputDirCheck(Callback):
    """Check the run (or sweep) directory before Hydra creates it.

    Hydra would fail on an unwritable directory with a traceback of its own. The directories
    about to be created are noted, so that a run refused later leaves none of them behind.
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        run_dir = Path(config.hydra.run.dir)
        note_missing_dirs(run_dir)
        try:
            resuming = requeued_ckpt_path(config.get("ckpt_path"), run_dir) is not None
            refuse_to_overwrite(run_dir, resuming)
            check_writable(run_dir, "hydra.run.dir")
        except LitganError as err:
            remove_new_empty_dirs()
            _refuse(err)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        _stop_on_error(check_writable, Path(config.hydra.sweep.dir), "hydra.sweep.dir")


def _stop_on_error(check: Callable[..., None], *args: Any) -> None:
    """Run `check`; a LitganError becomes one line on stderr and exit status 2, as in `main`."""
    try:
        check(*args)
    except LitganError as err:
        _refuse(err)


def _refuse(err: LitganError) -> NoReturn:
    """Stop with `err` in one line on stderr and exit status 2 (HYDRA_FULL_ERROR=1: raise it)."""
    if os.environ.get("HYDRA_FULL_ERROR") == "1":
        raise err
    print(f"litgan: error: {err}", file=sys.stderr)
    sys.exit(2)


def train(cfg: DictConfig) -> dict[str, Any]:
    """Check `cfg`; then build data, GAN and Trainer from it, fit, write `summary.json` and
    return the summary."""
    validate_config(cfg)
    if cfg.extras.print_config and rank() == 0:
        choices = HydraConfig.get().runtime.choices if HydraConfig.initialized() else None
        print(config_tree(cfg, choices), flush=True)
    # Imported only now: --help and config errors do not wait for torch and Lightning.
    from litgan.run.fit import fit

    return fit(cfg)


def main() -> None:
    """`python train.py [overrides]`, `litgan-train`: Hydra's command line, with a config that
    does not compose (a wrong type, an unknown key or option) refused in one line, exit status
    2. Runs with Hydra's flags (-m, --help, --cfg, ...) are composed and checked by Hydra."""
    overrides = sys.argv[1:]
    if not any(arg.startswith("-") for arg in overrides):
        _stop_on_error(check_composes, overrides)
    run_hydra()


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="train")
def run_hydra(cfg: DictConfig) -> float | None:
    """Hydra's task; returns the best monitored metric for sweepers (Optuna minimises it).

    A LitganError becomes one line on stderr and exit status 2.
    """
    try:
        best = train(cfg)["best"]
    except Interrupted as stop:
        if rank() == 0:
            resume = _resume_command(cfg, stop.path)
            print(f"litgan: {stop}; resume with: {resume}", file=sys.stderr)
        sys.exit(stop.exit_status)
    except Exception as err:
        user_error = _user_error(err, cfg)
        multirun = HydraConfig.get().mode == RunMode.MULTIRUN
        if multirun:
            _record_failure(Path(cfg.paths.output_dir), cfg, user_error or err)
        else:
            remove_new_empty_dirs()  # a refused run leaves none; one that trained keeps its files
        if user_error is None or os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        print(f"litgan: error: {user_error}", file=sys.stderr)
        if multirun:
            raise  # Hydra runs the sweep's other jobs, then fails the sweep
        sys.exit(2)
    return best["value"] if best else None


def _resume_command(cfg: DictConfig, checkpoint: Path) -> str:
    """This command line again, continuing from `checkpoint` in the same run directory."""
    run_dir = Path(cfg.paths.output_dir)
    ckpt = "last" if checkpoint == run_dir / "checkpoints" / "last.ckpt" else str(checkpoint)
    kept = [
        o
        for o in HydraConfig.get().overrides.task
        if not o.startswith(("hydra.run.dir=", "ckpt_path=", "-m", "--multirun"))
    ]
    program = f"python {sys.argv[0]}" if sys.argv[0].endswith(".py") else Path(sys.argv[0]).name
    words = [*kept, f"hydra.run.dir={run_dir}", f"ckpt_path={ckpt}"]
    return " ".join([program, *(shlex.quote(w) for w in words)])


def _record_failure(run_dir: Path, cfg: DictConfig, err: BaseException) -> None:
    """Write the job's error to `<run_dir>/error.txt` and, if the job failed before writing it,
    its .hydra/ record: litgan-report finds the job by the one and reports the other."""
    text = str(err) if isinstance(err, LitganError) else "".join(traceback.format_exception(err))
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        if not (run_dir / ".hydra" / "config.yaml").exists():
            write_record(run_dir, cfg)
        (run_dir / "error.txt").write_text(text.rstrip() + "\n")
    except OSError:
        pass  # the directory is what failed: stderr still has the error


def _user_error(err: BaseException | None, cfg: DictConfig) -> LitganError | None:
    """The LitganError behind `err`, also when Hydra's instantiate wrapped it; any other error
    raised while instantiating a part of `cfg` becomes a ConfigError naming that part."""
    chain = []
    while err is not None and not isinstance(err, LitganError):
        chain.append(err)
        err = err.__cause__
    built = [e for e in chain if isinstance(e, InstantiationException)]
    if err is None and built:
        return _not_built(built[-1], cfg)  # the innermost: the part that failed
    return err


def _not_built(err: InstantiationException, cfg: DictConfig) -> ConfigError:
    """One line for Hydra's several: which part of `cfg` could not be built, and why."""
    message = str(err)
    target = re.search(r"target '([^']*)'", message)
    key = re.search(r"full_key: (\S+)", message)
    found = key.group(1) if key else _key_of(OmegaConf.to_container(cfg), target and target[1])
    cause = err.__cause__ or err
    why = (str(cause).strip().splitlines() or [""])[0][:300]
    part = f"{found} ({target[1]})" if found and target else found or (target and target[1])
    group = f"; check the {found.split('.')[0]} settings" if found else ""
    return ConfigError(f"could not build {part}: {type(cause).__name__}: {why}{group}")


def _key_of(node: object, target: str | None, prefix: str = "") -> str | None:
    """The key of the first node of `node` (gan's copies aside) whose _target_ names the class
    `target` (Hydra reports it by its module's path, the config may by its package's)."""
    if not isinstance(node, dict) or target is None:
        return None
    if prefix and str(node.get("_target_")).rsplit(".", 1)[-1] == target.rsplit(".", 1)[-1]:
        return prefix.rstrip(".")
    for key, value in node.items():
        found = None if prefix + key == "gan" else _key_of(value, target, f"{prefix}{key}.")
        if found:
            return found
    return None


if __name__ == "__main__":
    main()
