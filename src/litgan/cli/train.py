"""The train entry point: `python train.py [overrides]`, also installed as `litgan-train`.

Only Hydra, OmegaConf and the standard library load with this module (and so with every
`--help` and config error): torch, Lightning and the GAN are imported by `train`, from
`litgan.run.fit`, once the config has been composed and checked.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, JobStatus
from hydra.errors import HydraException
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig

from litgan.config.checks import (
    check_override_types,
    composition_error,
    user_error,
    validate_config,
)
from litgan.config.compose import CONFIG_DIR
from litgan.config.tree import config_tree
from litgan.errors import ConfigError, Interrupted, LitganError, first_line
from litgan.hydra_internals import composition_errors_to, full_error, unknown_flags
from litgan.run.claim import check_run_dir_value, claim_run_dir, guard_run_dir, release_run_dir
from litgan.run.failed_jobs import FailedJob, end_failed_sweep
from litgan.run.run_dir import (
    check_writable,
    discard_unstarted_run,
    note_missing_dirs,
    rank,
    remove_new_empty_dirs,
    requeued_ckpt_path,
    write_record,
)
from litgan.run.stop_record import StoppedAtOnce, early_signal, stop_signals_recorded


class OutputDirCheck(Callback):
    """Check that the run (or sweep) directory can be written before Hydra creates it.

    Hydra would fail on an unwritable directory with a traceback of its own. The directories
    about to be created are noted, so that a run refused later leaves none of them behind;
    then every check of a run directory is made, once (`guard_run_dir`).
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        try:
            run_dir = check_run_dir_value(config.hydra.run.dir)
            note_missing_dirs(run_dir)
            guard_run_dir(config, run_dir, requeued_ckpt_path(config.get("ckpt_path"), run_dir))
        except LitganError as err:
            release_run_dir()
            remove_new_empty_dirs()
            _refuse(err)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._sweep_pid, self._jobs, self._failed = os.getpid(), 0, []
        _stop_on_error(_check_sweep_dir, config.hydra.sweep.dir)

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        """Note a failed job of a sweep whose jobs run in this process (Hydra's launcher,
        hydra/launcher=local one at a time) and hand it to the sweeper as done: the sweeper
        would raise its error again, with a traceback, and hide the other failures.
        `on_multirun_end` reports them all; `litgan.run.parallel` does for jobs in processes
        of their own, where this copy of the callback finds another pid."""
        if getattr(self, "_sweep_pid", None) != os.getpid() or full_error():
            return
        self._jobs += 1
        if job_return.status == JobStatus.FAILED:
            run_dir = Path(str(config.hydra.runtime.output_dir))
            self._failed.append(FailedJob(config.hydra.job.num, run_dir))
            job_return.status, job_return.return_value = JobStatus.COMPLETED, None

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if getattr(self, "_sweep_pid", None) == os.getpid():
            end_failed_sweep(self._failed, self._jobs)


def _check_sweep_dir(value: object) -> None:
    """The sweep's directory: set, writable, and claimed for the sweep's life (its jobs claim
    their own), so that a second sweep into it at once is refused."""
    sweep_dir = check_run_dir_value(value, "hydra.sweep.dir")
    check_writable(sweep_dir, "hydra.sweep.dir")
    claim_run_dir(sweep_dir, "sweep", "hydra.sweep.dir")


def _stop_on_error(check: Callable[..., None], *args: Any) -> None:
    """Run `check`; a LitganError becomes one line on stderr and exit status 2, as in `main`."""
    try:
        check(*args)
    except LitganError as err:
        _refuse(err)


def _refuse_composition(err: HydraException) -> None:
    """A config that does not compose: one line, exit status 2 (HYDRA_FULL_ERROR=1: Hydra's)."""
    if not full_error():
        _refuse(ConfigError(composition_error(err)))


def check_no_flags_for_keys(argv: list[str]) -> None:
    """Refuse an option written as a flag (`--loss minimax`), saying how Hydra reads it
    (`loss=minimax`); Hydra's own flags pass."""
    flags = unknown_flags(argv)
    if not flags:
        return
    flag = flags[0]
    name, after = flag.lstrip("-"), argv[argv.index(flag) + 1 :]
    if "=" in name:
        written, meant = flag, name
    elif after and not after[0].startswith("-") and "=" not in after[0]:
        written, meant = f"{flag} {after[0]}", f"{name}={after[0]}"
    else:
        written, meant = flag, f"{name}=VALUE"
    raise ConfigError(f"options are written key=value: {meant}, not {written}")


def _refuse(err: LitganError) -> NoReturn:
    """Stop with `err` in one line on stderr and exit status 2 (HYDRA_FULL_ERROR=1: raise it)."""
    if full_error():
        raise err
    print(f"litgan: error: {err}", file=sys.stderr)
    sys.exit(2)


def train(cfg: DictConfig) -> dict[str, Any]:
    """Check `cfg`; then build data, GAN and Trainer from it, fit, write `summary.json` and
    return the summary."""
    validate_config(cfg)
    if HydraConfig.initialized():  # a sweep's job: its own overrides, as compose reads a run's
        check_override_types(HydraConfig.get().overrides.task, cfg)
    if cfg.extras.print_config and rank() == 0:
        choices = HydraConfig.get().runtime.choices if HydraConfig.initialized() else None
        print(config_tree(cfg, choices), flush=True)
    # Imported only now: --help and config errors do not wait for torch and Lightning.
    from litgan.run.fit import fit

    # A stop signal before training starts stops the run after its first iteration, with a
    # checkpoint; one at its last iteration or while it finishes lets it finish first.
    # A single run's directory was checked and claimed by OutputDirCheck; a sweep's job's is
    # checked and claimed by fit (Hydra creates it between the two).
    single_run = HydraConfig.initialized() and HydraConfig.get().mode == RunMode.RUN
    with stop_signals_recorded():
        summary = fit(cfg, guarded=single_run)
        late = early_signal()
    if late and rank() == 0:
        name = signal.Signals(late).name
        print(f"litgan: {name} came as the run finished; it is complete", file=sys.stderr)
    if late:
        sys.exit(128 + late)
    return summary


def main() -> None:
    """`python train.py [overrides]`, `litgan-train`: Hydra's command line, with a config that
    does not compose (a wrong type, an unknown key or option, an option written as a flag)
    refused in one line, exit status 2. Runs with Hydra's flags (-m, --help, --cfg, ...) are
    composed and checked by Hydra."""
    overrides = sys.argv[1:]
    try:
        with stop_signals_recorded():  # until training can stop with a checkpoint
            _stop_on_error(check_no_flags_for_keys, overrides)
            if any(arg.startswith("-") for arg in overrides):
                run_hydra()  # --help, --cfg, -m: Hydra's own reports
            else:
                with composition_errors_to(_refuse_composition):
                    run_hydra()
    except (KeyboardInterrupt, StoppedAtOnce):  # a second Ctrl-C before the run started
        remove_new_empty_dirs()
        print("litgan: stopped at once by SIGINT, before training started", file=sys.stderr)
        sys.exit(128 + signal.SIGINT)
    finally:
        release_run_dir()  # for a next run in this process (the kernel would at its exit)


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
    except (KeyboardInterrupt, StoppedAtOnce):
        _stopped_at_once(cfg)
    except Exception as err:
        refusal = user_error(err, cfg)
        multirun = HydraConfig.get().mode == RunMode.MULTIRUN
        if multirun:
            _record_failure(Path(cfg.paths.output_dir), cfg, refusal or err)
        else:
            remove_new_empty_dirs()  # a refused run leaves none; one that trained keeps its files
        if full_error() or (refusal is None and not multirun):
            raise
        if refusal is None:
            where = Path(cfg.paths.output_dir) / "error.txt"
            refusal = f"{type(err).__name__}: {first_line(err)} (its traceback: {where})"
        print(f"litgan: error: {refusal}", file=sys.stderr)
        if multirun:
            raise  # the sweep runs its other jobs, then ends in one line (end_failed_sweep)
        sys.exit(2)
    return best["value"] if best else None


def _stopped_at_once(cfg: DictConfig) -> NoReturn:
    """A second Ctrl-C: one line, the way to resume (or that there is nothing to), status 130."""
    run_dir = Path(cfg.paths.output_dir)
    checkpoint = run_dir / "checkpoints" / "last.ckpt"
    if rank() == 0:
        if checkpoint.is_file():
            resume = _resume_command(cfg, checkpoint)
            print(f"litgan: stopped at once by SIGINT; resume with: {resume}", file=sys.stderr)
        else:
            discard_unstarted_run(run_dir)  # a directory this run created, with no iteration
            remove_new_empty_dirs()
            print("litgan: stopped at once by SIGINT, before a checkpoint", file=sys.stderr)
    sys.exit(128 + signal.SIGINT)


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


if __name__ == "__main__":
    main()
