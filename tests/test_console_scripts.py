"""Every console script of pyproject.toml has a `python -m` form, and both answer --help (the
installed scripts in a process of their own)."""

from __future__ import annotations

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
