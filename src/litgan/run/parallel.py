"""A sweep's jobs as local processes, several at a time: `hydra/launcher=local`.

The launcher class is in `hydra_plugins.litgan_launcher` (Hydra finds launchers only there)
and hands its work to `launch`. Jobs run in joblib's loky processes, which are reused from one
job to the next: each job runs inside `_job_process`, which pins its threads, keeps its console
output to `console.log` in its run directory, and puts back what the job changed in the process
(environment, threads, random streams, signal handlers, logging, warning filters, matplotlib's
settings, working directory, argv). The terminal gets one line per finished job instead.

SIGTERM or SIGINT to the sweep reaches the running jobs only through `launch`: every worker
leaves the terminal's process group, so that Ctrl-C reaches each job once. No job starts after
the signal; each running one stops at its next iteration with a checkpoint.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import random
import shlex
import shutil
import signal
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, JobStatus, filter_overrides, run_job, setup_globals
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf, open_dict

from litgan import hydra_internals
from litgan.errors import LitganError, first_line
from litgan.run.failed_jobs import FailedJob, end_failed_sweep

# The thread pools of the libraries under torch and numpy read these when they start.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)  # litgan.run.signals', without loading torch
STOP_FILE = "stop"  # in the sweep's channel directory: a signal came, start no job


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity, as taskset or a cgroup sets it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def uses_accelerator(config: DictConfig) -> bool:
    """Whether the sweep's jobs train on a GPU (or another accelerator) of this machine."""
    accelerator = str(OmegaConf.select(config, "trainer.accelerator", default="auto"))
    if accelerator == "cpu":
        return False
    import torch

    mps = getattr(torch.backends, "mps", None)
    return torch.cuda.is_available() or (mps is not None and mps.is_available())


def jobs_at_a_time(
    n_jobs: Any, cpu_threads: int | None, cores: int, accelerator: bool
) -> tuple[int, int]:
    """How many jobs run at once, and the torch threads of each.

    n_jobs: the launcher's `n_jobs`; None: the cores over the job's threads (one job on an
      accelerator, which the jobs would share).
    cpu_threads: the job's `model.cpu_threads`; None: the cores over the jobs.
    """
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, int)):
        raise LitganError(f"hydra.launcher.n_jobs={n_jobs!r}: give a whole number >= 1, or null")
    if n_jobs is not None and n_jobs < 1:
        raise LitganError(
            f"hydra.launcher.n_jobs={n_jobs}: give a whole number >= 1, or null for "
            "the cores over model.cpu_threads"
        )
    if n_jobs is None:
        n_jobs = 1 if accelerator or not cpu_threads else max(1, cores // cpu_threads)
    return n_jobs, cpu_threads or max(1, cores // n_jobs)


def program() -> str:
    """How the user started this sweep: `python train.py` or the console script's name."""
    return f"python {sys.argv[0]}" if sys.argv[0].endswith(".py") else Path(sys.argv[0]).name


@dataclass
class JobResult:
    """What a job sends back to the sweep: its status, Hydra's record and its console."""

    idx: int
    overrides: list[str]
    status: str  # ok, failed, interrupted, stopped (a second Ctrl-C), not started
    job_return: JobReturn | None = None
    output: str = ""
    seconds: float = 0.0
    run_dir: str | None = None
    message: str = ""


@dataclass
class _Sweep:
    """Everything a job needs from the sweep's process, sent with each job."""

    hydra_context: HydraContext
    config: DictConfig
    task_function: TaskFunction
    singleton_state: dict[Any, Any]
    channel: Path  # a scratch directory: the running jobs' process ids, the stop file
    threads: int
    argv: list[str]


class _Stop:
    """The sweep's SIGTERM/SIGINT handler: remember the signal, start no more jobs, and pass it
    on to every running job."""

    def __init__(self, channel: Path) -> None:
        self.channel = channel
        self.signum: int | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
            (self.channel / STOP_FILE).write_text(str(signum))
        # Written before the pids are read: a job either finds the stop file or is signalled.
        for pid_file in self.channel.glob("*.pid"):
            with contextlib.suppress(ValueError, OSError):
                os.kill(int(pid_file.read_text()), signum)


def launch(
    launcher: Any, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
) -> Sequence[JobReturn]:
    """Run the jobs, `n_jobs` at a time, and return Hydra's records in the jobs' order; exit
    with 128 + the signal's number when a signal stopped the sweep."""
    config = launcher.config
    n_jobs, threads = jobs_at_a_time(
        launcher.n_jobs,
        OmegaConf.select(config, "model.cpu_threads", default=None),
        usable_cores(),
        launcher.n_jobs is None and uses_accelerator(config),
    )
    if n_jobs == 1:  # one at a time, in this process: Hydra's own launcher
        basic = hydra_internals.basic_launcher()
        basic.setup(
            hydra_context=launcher.hydra_context,
            task_function=launcher.task_function,
            config=config,
        )
        return basic.launch(job_overrides, initial_job_idx)

    sweep_dir = Path(str(config.hydra.sweep.dir))
    sweep_dir.mkdir(parents=True, exist_ok=True)
    total = len(job_overrides)
    print(
        f"litgan: {total} jobs, {n_jobs} at a time, {threads} torch thread"
        f"{'s' if threads > 1 else ''} each, in {sweep_dir} (each job's output: its console.log)",
        flush=True,
    )
    channel = Path(tempfile.mkdtemp(prefix="litgan-sweep-"))
    sweep = _Sweep(
        hydra_context=launcher.hydra_context,
        config=config,
        task_function=launcher.task_function,
        singleton_state=Singleton.get_state(),
        channel=channel,
        threads=threads,
        argv=list(sys.argv),
    )
    stop = _Stop(channel)
    previous = {s: signal.signal(s, stop) for s in STOP_SIGNALS}
    results: dict[int, JobResult] = {}

    def jobs() -> Iterator[Any]:
        from joblib import delayed

        for i, overrides in enumerate(job_overrides):
            if stop.signum is not None:
                return
            yield delayed(_run_job)(initial_job_idx + i, list(overrides), sweep)

    try:
        from joblib import Parallel, parallel_config

        # Loky sets the thread variables in the processes it starts; batch_size=1 and
        # pre_dispatch=n_jobs hand a job over only when a process is free, so that no job
        # waits in a queue when a signal comes.
        with parallel_config(backend="loky", inner_max_num_threads=threads):
            done = Parallel(
                n_jobs=n_jobs,
                batch_size=1,
                pre_dispatch="n_jobs",
                return_as="generator_unordered",
            )(jobs())
            for result in done:
                results[result.idx] = result
                print(_job_line(result, len(results), total), flush=True)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        shutil.rmtree(channel, ignore_errors=True)

    if stop.signum is not None:
        _report_stop(stop.signum, results, job_overrides, initial_job_idx, sweep)
        sys.exit(128 + stop.signum)
    ok = sum(r.status == "ok" for r in results.values())
    print(f"litgan: {ok} of {total} jobs ok, in {sweep_dir}", flush=True)
    failed = [
        FailedJob(r.idx, Path(r.run_dir) if r.run_dir else None)
        for r in sorted(results.values(), key=lambda r: r.idx)
        if r.status == "failed"
    ]
    if not hydra_internals.full_error():
        end_failed_sweep(failed, total)
    return [results[initial_job_idx + i].job_return for i in range(total)]


def _job_line(result: JobResult, finished: int, total: int) -> str:
    """One line for a finished job, with the sweep's count; an interrupted job's resume
    command follows it."""
    width = len(str(total))
    overrides = " ".join(filter_overrides(result.overrides))
    line = (
        f"[{finished:>{width}}/{total}] {result.status:<11} #{result.idx} {overrides} "
        f"({result.seconds:.1f} s)"
    )
    if result.message:
        line += f": {result.message}"
    resume = [s for s in result.output.splitlines() if "resume with:" in s]
    return "\n".join([line, *(f"  {s}" for s in resume)])


def _report_stop(
    signum: int,
    results: dict[int, JobResult],
    job_overrides: Sequence[Sequence[str]],
    initial_job_idx: int,
    sweep: _Sweep,
) -> None:
    """Say how the sweep stopped and the command that runs each job it did not start."""
    name = signal.Signals(signum).name
    interrupted = sum(r.status == "interrupted" for r in results.values())
    waiting = [
        i
        for i in range(len(job_overrides))
        if initial_job_idx + i not in results
        or results[initial_job_idx + i].status == "not started"
    ]
    print(
        f"litgan: {name} stopped the sweep: {interrupted} jobs interrupted (resume each with "
        f"the command above), {len(waiting)} not started"
        + (" (run each with):" if waiting else ""),
        file=sys.stderr,
        flush=True,
    )
    for i in waiting:
        run_dir = _job_dir(sweep, initial_job_idx + i, list(job_overrides[i]))
        words = [*job_overrides[i], f"hydra.run.dir={run_dir}"]
        print(f"  {program()} {' '.join(shlex.quote(w) for w in words)}", file=sys.stderr)


def _job_config(sweep: _Sweep, idx: int, overrides: list[str]) -> DictConfig:
    """Job `idx`'s config, as Hydra's launchers compose it."""
    config = sweep.hydra_context.config_loader.load_sweep_config(sweep.config, overrides)
    with open_dict(config):
        config.hydra.job.id = f"{config.hydra.job.name}_{idx}"
        config.hydra.job.num = idx
    return config


def _job_dir(sweep: _Sweep, idx: int, overrides: list[str]) -> Path:
    """Job `idx`'s run directory: the sweep's directory and subdir, as run_job makes it."""
    config = _job_config(sweep, idx, overrides)
    HydraConfig.instance().set_config(config)
    return Path(str(config.hydra.sweep.dir)) / str(config.hydra.sweep.subdir)


def _run_job(idx: int, overrides: list[str], sweep: _Sweep) -> JobResult:
    """Run job `idx` in this (reused) process and send back its result."""
    from litgan.run.signals import early_signal, stop_signals_recorded

    start = time.perf_counter()
    result = JobResult(idx, overrides, "not started")
    pid_file = sweep.channel / f"{idx}.pid"
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)  # out of the terminal's group: Ctrl-C reaches the job through launch
    with stop_signals_recorded():
        pid_file.write_text(str(os.getpid()))
        try:
            if (sweep.channel / STOP_FILE).exists() or early_signal() is not None:
                return result
            setup_globals()
            Singleton.set_state(sweep.singleton_state)
            config = _job_config(sweep, idx, overrides)
            # Bars of several processes would garble the terminal: _job_line reports instead.
            if OmegaConf.select(config, "trainer.enable_progress_bar"):
                config.trainer.enable_progress_bar = False
            HydraConfig.instance().set_config(config)
            output = sweep.channel / f"{idx}.out"
            with _job_process(sweep, output):
                try:
                    result.job_return = run_job(
                        hydra_context=sweep.hydra_context,
                        config=config,
                        task_function=sweep.task_function,
                        job_dir_key="hydra.sweep.dir",
                        job_subdir_key="hydra.sweep.subdir",
                    )
                    failed = result.job_return.status == JobStatus.FAILED
                    result.status = "failed" if failed else "ok"
                    if failed:
                        error = hydra_internals.job_error(result.job_return)
                        result.message = _job_error(error)
                        result.job_return.return_value = _picklable(error)
                except SystemExit as exit_:
                    # train.py's exit for a signal: 128 + its number, after the checkpoint
                    code = exit_.code if isinstance(exit_.code, int) else 1
                    result.status = "interrupted" if code - 128 in STOP_SIGNALS else "failed"
                    if result.status == "failed":
                        result.message = f"exit status {code}"
                except KeyboardInterrupt:
                    result.status = "stopped"
                    result.message = "a second Ctrl-C stopped it without a checkpoint"
            result.output = output.read_text(errors="replace")
            output.unlink()
            result.run_dir = OmegaConf.select(config, "hydra.runtime.output_dir")
            if result.run_dir and Path(result.run_dir).is_dir():
                with open(Path(result.run_dir) / "console.log", "a") as log:
                    log.write(result.output)
        except Exception as err:  # composing the job's config: the job failed, not the sweep
            result.status = "failed"
            result.message = _job_error(err)
            result.job_return = JobReturn(overrides=overrides, status=JobStatus.FAILED)
            result.job_return.return_value = _picklable(err)
        finally:
            pid_file.unlink(missing_ok=True)
            result.seconds = time.perf_counter() - start
    return result


def _job_error(err: BaseException) -> str:
    """A failed job's line: a LitganError's own message, any other error's with its type."""
    return (
        first_line(err)
        if isinstance(err, LitganError)
        else f"{type(err).__name__}: {first_line(err)}"
    )


def _picklable(err: BaseException) -> BaseException:
    """`err`, or a RuntimeError with its text where it cannot travel back to the sweep."""
    try:
        pickle.loads(pickle.dumps(err))
    except Exception:
        return RuntimeError("".join(traceback.format_exception(err)))
    return err


@contextlib.contextmanager
def _job_process(sweep: _Sweep, output: Path) -> Iterator[None]:
    """The process as a job needs it, and back as it was afterwards: the job's threads pinned,
    its console (file descriptors 1 and 2) in `output`."""
    import matplotlib
    import numpy as np
    import pytorch_lightning  # noqa: F401  its loggers exist before the job, with their handlers
    import torch

    environ, cwd, argv = dict(os.environ), os.getcwd(), sys.argv
    threads = torch.get_num_threads()
    rng = random.getstate(), np.random.get_state(), torch.get_rng_state()
    handlers = _signal_handlers()
    loggers = logging_state()
    filters = list(warnings.filters)
    os.environ.update({name: str(sweep.threads) for name in THREAD_VARIABLES})
    torch.set_num_threads(sweep.threads)
    sys.argv = list(sweep.argv)  # train.py's resume command and DDP's ranks read it
    try:
        with matplotlib.rc_context(), _console_to(output):
            yield
    finally:
        os.chdir(cwd)
        sys.argv = argv
        os.environ.clear()
        os.environ.update(environ)
        torch.set_num_threads(threads)
        random.setstate(rng[0])
        np.random.set_state(rng[1])
        torch.set_rng_state(rng[2])
        for signum, handler in handlers.items():
            if signal.getsignal(signum) is not handler:
                signal.signal(signum, handler)
        restore_logging(loggers)
        warnings.filters[:] = filters
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            pyplot.close("all")


@contextlib.contextmanager
def _console_to(path: Path) -> Iterator[None]:
    """Send everything written to stdout and stderr, by Python or by C code, to `path`."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "wb") as file:
        os.dup2(file.fileno(), 1)
        os.dup2(file.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _signal_handlers() -> dict[int, Any]:
    """This process's Python signal handlers, those that can be set again."""
    handlers = {}
    for signum in signal.valid_signals():
        with contextlib.suppress(OSError, ValueError):
            handler = signal.getsignal(signum)
            if handler is not None:
                handlers[signum] = handler
    return handlers


def logging_state() -> dict[logging.Logger | None, tuple[Any, ...]]:
    """Every existing logger's handlers, filters, level and switches (None: logging.disable's
    level)."""
    loggers = [logging.getLogger()]
    loggers += [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    state: dict[logging.Logger | None, tuple[Any, ...]] = {
        lg: (list(lg.handlers), list(lg.filters), lg.level, lg.propagate, lg.disabled)
        for lg in loggers
    }
    state[None] = (logging.root.manager.disable,)
    return state


def restore_logging(state: dict[logging.Logger | None, tuple[Any, ...]]) -> None:
    """Put every logger back as `state` holds it, closing the handlers the job added. Loggers
    the job created keep only NullHandlers, which is what libraries give theirs on import."""
    before = {id(h) for lg, (handlers, *_) in state.items() if lg is not None for h in handlers}
    for lg in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        if not isinstance(lg, logging.Logger):
            continue
        added = [h for h in lg.handlers if id(h) not in before]
        if lg in state:
            for handler in added:
                handler.close()
            handlers, filters, level, propagate, disabled = state[lg]
            lg.handlers[:], lg.filters[:] = handlers, filters
            lg.level, lg.propagate, lg.disabled = level, propagate, disabled
        else:
            for handler in added:
                if not isinstance(handler, logging.NullHandler):
                    handler.close()
                    lg.removeHandler(handler)
    logging.disable(state[None][0])
