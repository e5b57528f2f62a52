"""The README is a newcomer's page that tells the truth: its summary block has the lines a run
prints today, every file a run writes is listed, and the next command works in a fresh shell."""

from __future__ import annotations

import json
import re

from litgan.run.summary import format_summary
from tests.helpers.runs import REPO, TINY_MLP, run_main

README = REPO / "README.md"


def shape(line: str) -> str:
    """A summary line without its numbers and paths: what any run's line shares."""
    line = re.sub(r"outputs: .*", "outputs: PATH", line)
    return re.sub(r"[-+]?\d[\d.,]*(e[-+]?\d+)?%?", "N", line)


def readme_summary() -> list[str]:
    """The README's example summary: the fenced block that starts with `litgan: `."""
    blocks = re.findall(r"```text\n(.*?)```", README.read_text(), re.S)
    [block] = [b for b in blocks if b.startswith("litgan: ")]
    return block.rstrip("\n").split("\n")


def test_the_readmes_summary_and_file_table_are_what_a_run_prints_and_writes(
    monkeypatch, capsys, tmp_path
):
    status, err = run_main(
        monkeypatch,
        capsys,
        tmp_path,
        *TINY_MLP,
        "trainer.max_steps=40",
        "val_every=20",
        "sample_every=20",
        "metrics=default",
        "trainer.enable_progress_bar=false",
        base=(),
    )
    assert status == 0, err
    run = tmp_path / "run"
    printed = format_summary(json.loads((run / "summary.json").read_text()), run).split("\n")
    assert [shape(line) for line in readme_summary()] == [shape(line) for line in printed]

    text = README.read_text()
    written = {p.relative_to(run).as_posix() for p in run.rglob("*") if p.is_file()}
    for path in written:
        listed = re.sub(r"g_step_\d+", "g_step_NNNNNN", path).split("/")
        # A file is listed by its own name or, for .hydra/, by its folder.
        name = "/".join(listed) if listed[0] != ".hydra" else ".hydra/"
        assert f"`{name}`" in text, path


def test_the_readme_is_a_page_and_says_how_to_reach_the_installed_commands():
    text = README.read_text()
    assert len(text.splitlines()) <= 300
    assert "source .venv/bin/activate" in text and ".venv/bin/python train.py" in text
    for heading in ("## Resuming", "## Extending litgan", "## Python API", "## The notebook"):
        assert heading in text
    # Every relative link points at a file of the repository.
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
        assert (REPO / target).exists(), target
