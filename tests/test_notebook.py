"""docs/value_function.ipynb runs end to end: every cell, in a fresh kernel, as a learner
would run it (its own asserts check what it shows); it is committed executed, so that it can
be read without running it."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "value_function.ipynb"


@pytest.mark.slow
def test_the_value_function_notebook_runs_every_cell(monkeypatch, tmp_path):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the kernel's environment: shared cores
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    # Committed with the outputs of a run, small enough to read on GitHub.
    assert all(cell.get("outputs") for cell in code if "display(" in cell.source)
    assert NOTEBOOK.stat().st_size < 3_000_000
    for cell in code:
        cell.outputs = []
    client = NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback, if one fails
    errors = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    ]
    assert not errors
    images = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert len(images) == 10  # every picture the text talks about was drawn
    text = "".join(
        output.get("text", "") + output.get("data", {}).get("text/plain", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )
    assert "┏" not in text  # no Lightning model-summary table
