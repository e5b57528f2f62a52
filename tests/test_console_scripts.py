"""Every console script of pyproject.toml has a `python -m` form, and both answer --help (the
installed scripts in a process of their own)."""

from __future__ import annotations

import json
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# [project.scripts] of pyproject.toml (tomllib is not in Python 3.10, which litgan supports).
_SECTION = (REPO / "pyproject.toml").read_text().split("[project.scripts]\n", 1)[1].split("\n[")[0]
SCRIPTS = dict(re.findall(r'^([\w-]+) = "([\w.:]+)"', _SECTION, re.MULTILINE))


def test_every_console_script_is_found():
    assert {"litgan-train", "litgan-fid", "litgan-sample", "litgan-report"} <= set(SCRIPTS)


# runpy notes that tests/helpers imported the module before: it runs it afresh all the same.
@pytest.mark.filterwarnings("ignore:.*found in sys.modules after import of package")
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_python_m_runs_each_console_script(name, monkeypatch, capsys):
    module, function = SCRIPTS[name].split(":")
    assert function == "main"
    # What `python -m module --help` runs, in this process: runpy runs it as __main__.
    monkeypatch.setattr(sys, "argv", [module, "--help"])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    stdout = capsys.readouterr().out
    assert exit_.value.code in (0, None)
    # Hydra's help for litgan-train names the program; argparse's names its prog.
    assert name in stdout or "train" in stdout, stdout[:500]


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_the_installed_script_runs(name):
    script = Path(sys.executable).parent / name
    if not script.exists():
        pytest.skip(f"{name} is not installed beside {sys.executable} (pip install -e .)")
    proc = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


# What costs seconds to import: --help and a refused option must answer before any of it loads.
HEAVY = ("torch", "pytorch_lightning", "lightning", "matplotlib", "numpy", "PIL", "scipy")
# (module, argv, exit status, what stdout or stderr starts with)
LIGHT_CALLS = [
    ("litgan.cli.fid", ["--help"], 0, "usage: litgan-fid"),
    (
        "litgan.cli.fid",
        ["a", "b", "--num-samples", "many"],
        2,
        "litgan-fid: error: argument --num-samples: 'many' is not an integer",
    ),
    ("litgan.cli.fid", ["a"], 2, "litgan-fid: error: give two sources A B"),
    ("litgan.cli.fid", ["--floor", "mnsit"], 2, "litgan-fid: error: --floor needs a data set"),
    ("litgan.cli.sample", ["--help"], 0, "usage: litgan-sample"),
    (
        "litgan.cli.sample",
        ["run", "--out", "grid.png", "--num-samples", "0"],
        2,
        "litgan-sample: error: argument --num-samples: 0 is not a positive integer",
    ),
    ("litgan.cli.sample", ["run"], 2, "litgan-sample: error: one of the arguments --out"),
    ("litgan.cli.sample", ["run", "--out", "grid.txt"], 2, "litgan-sample: error: --out grid.txt"),
    ("litgan.cli.dynamics", ["--help"], 0, "usage: litgan-dynamics"),
    ("litgan.cli.dynamics", ["run", "--top", "x"], 2, "usage: litgan-dynamics"),
    ("litgan.cli.report", ["--help"], 0, "usage: litgan-report"),
    ("litgan.cli.report", ["absent"], 2, "litgan-report: error: absent does not exist"),
]


def test_help_and_refused_options_answer_before_torch_loads(tmp_path):
    """--help and an option refused before any model or run is read (argparse's errors, litgan's
    own checks) answer in a fraction of a second, not after seconds of importing torch.

    One fresh interpreter for all the calls: this one has torch loaded already."""
    child = f"""
import contextlib, importlib, io, json, sys
results = []
for module, argv, _, _ in {LIGHT_CALLS!r}:
    out, err, code = io.StringIO(), io.StringIO(), "returned"
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            importlib.import_module(module).main(argv)
        except SystemExit as exit_:
            code = exit_.code
    results.append([code, out.getvalue() + err.getvalue()])
print(json.dumps([results, sorted(m for m in {HEAVY!r} if m in sys.modules)]))
"""
    proc = subprocess.run(
        [sys.executable, "-c", child], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    results, heavy = json.loads(proc.stdout)
    for (module, argv, status, start), (code, text) in zip(LIGHT_CALLS, results, strict=True):
        assert (code, text[: len(start)]) == (status, start), (module, argv, text)
        if status == 2 and not start.startswith("usage:"):  # argparse's own: usage first
            assert text.count("\n") == 1, text
    assert heavy == [], f"imported by --help or a refused option: {heavy}"
