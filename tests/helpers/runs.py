"""Run `train.py` the way a user does: in a process of its own (`run_train`) or in this process
(`train_here`, `run_main`), in a scratch directory."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch

from litgan.cli.train import main
from litgan.config.compose import compose
from litgan.run.parallel import logging_state, restore_logging
from tests.helpers import warm_python

REPO = Path(__file__).resolve().parents[2]

# Small networks and short runs keep the end-to-end tests to a few seconds each. Without their
# pictures: drawing them took about 1.6 s of a tiny 2D run's 2.9 s; a test that looks at
# pictures adds PICTURES after these.
PICTURES = "pictures=true"
TINY_MLP = [
    "model.generator.hidden=[32,32]",
    "model.discriminator.hidden=[32,32]",
    "pictures=false",
]
TINY_DCGAN = ["model=dcgan", "model.generator.ngf=8", "model.discriminator.ndf=8", "pictures=false"]
UNREACHABLE_URL = "http://127.0.0.1:9/weights.pth"  # the discard port: refused at once


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    run_dir: Path

    @property
    def summary(self) -> dict:
        return json.loads((self.run_dir / "summary.json").read_text())


@contextmanager
def run_state_restored(monkeypatch) -> Iterator[None]:
    """A run in this process, with what it changes in the process put back afterwards:
    seed_everything's variables and torch's threads; one thread meanwhile, as `run_train`'s
    OMP_NUM_THREADS=1 (on shared cores more make tiny models slower)."""
    for name in ("PL_GLOBAL_SEED", "PL_SEED_WORKERS"):  # setenv: monkeypatch restores them
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def run_train(
    cwd: Path,
    *overrides: str,
    run_dir: Path | None = None,
    env: dict[str, str] | None = None,
    fresh: bool = False,
) -> Run:
    """`python train.py <overrides>` from `cwd` in a process of its own, with the run (or sweep)
    directory pinned.

    With `-m` among the overrides, `run_dir` is the sweep directory. Validation is off
    (`metrics=none`) unless an override mentions `metrics`: Inception FID on CPU would cost
    minutes per image run. The process is forked from a warm interpreter
    (`tests.helpers.warm_python`); `fresh`: a new interpreter, imports and all.
    """
    run_dir = run_dir or cwd / "run"
    if not any(o.lstrip("+~").startswith("metrics") for o in overrides):
        overrides = (*overrides, "metrics=none")
    dir_key = "hydra.sweep.dir" if "-m" in overrides else "hydra.run.dir"
    env = warm_python.run_env(**(env or {}))
    proc = warm_python.run(
        [str(REPO / "train.py"), *overrides, f"{dir_key}={run_dir}"],
        cwd=cwd,
        env=env,
        timeout=600,
        fresh=fresh,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr, run_dir)


def train_here(
    monkeypatch,
    capfd,
    cwd: Path,
    *overrides: str,
    run_dir: Path | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """`run_train` in this process: `main()` with the same command line, directory, environment
    and Hydra logging (train.log, the console), without the 8-12 s interpreter start per run.

    Logging, threads and the environment are put back afterwards. stdout and stderr are the
    run's, read from `capfd` (None: not captured, ""). A `hydra.run.dir`/`hydra.sweep.dir`
    among the overrides is kept, as the one `run_dir` names.
    """
    run_dir = run_dir or cwd / "run"
    if not any(o.lstrip("+~").startswith("metrics") for o in overrides):
        overrides = (*overrides, "metrics=none")
    dir_key = "hydra.sweep.dir" if "-m" in overrides else "hydra.run.dir"
    if not any(o.startswith(f"{dir_key}=") for o in overrides):
        overrides = (*overrides, f"{dir_key}={run_dir}")
    monkeypatch.chdir(cwd)
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", [str(REPO / "train.py"), *overrides])
    if capfd is not None:
        capfd.readouterr()  # what the test printed before is not the run's
    logging_before = logging_state()
    status = 0
    with run_state_restored(monkeypatch):
        try:
            main()
        except SystemExit as exit_:
            # As the interpreter would end: None is 0, any other non-integer 1.
            status = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
        finally:
            restore_logging(logging_before)  # closes Hydra's train.log and console handlers
    out, err = capfd.readouterr() if capfd is not None else ("", "")
    return Run(status, out, err, run_dir)


def run_main(
    monkeypatch, capsys, tmp_path, *overrides: str, base: tuple[str, ...] = tuple(TINY_DCGAN)
) -> tuple[int, str]:
    """`main()` with `base` and these overrides, in this process: the same code as
    `python train.py` without an interpreter start per case. Returns the exit status (0 when
    main returns) and stderr. An override of hydra.run.dir replaces the default
    `<tmp_path>/run`."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    run_dir = f"hydra.run.dir={tmp_path / 'run'}"
    argv = [
        "train.py",
        *base,
        f"paths.data_dir={tmp_path / 'datasets'}",
        *overrides,
        *([] if any(o.startswith("hydra.run.dir=") for o in overrides) else [run_dir]),
        # As run_train does: no Inception set-up in a run meant to fail early.
        *([] if any(o.startswith("metrics") for o in overrides) else ["metrics=none"]),
        "hydra/job_logging=none",  # leave the test process's logging alone
        "hydra/hydra_logging=none",
    ]
    monkeypatch.setattr(sys, "argv", argv)
    # Logging put back: a run's handlers (debug=default's verbose loggers) would write to this
    # test's captured streams after they close.
    logging_before = logging_state()
    with run_state_restored(monkeypatch):
        try:
            main()
        except SystemExit as exit_:
            return exit_.code, capsys.readouterr().err
        finally:
            restore_logging(logging_before)
    return 0, capsys.readouterr().err


def check_clean_failure(status: int, stderr: str, tmp_path, *messages: str) -> None:
    assert status == 2
    assert stderr.startswith("litgan: error: ") and stderr.count("\n") == 1, stderr
    for message in messages:
        assert message in stderr
    assert "Traceback" not in stderr
    assert not (tmp_path / "run").exists()  # a refused run leaves no directory


def compose_train(*overrides: str):
    """The train config with these overrides and Hydra's own, as a run composes it."""
    return compose(overrides, hydra=True)
