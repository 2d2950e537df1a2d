"""The tutorial notebooks: stored without outputs, as built, and run top to bottom."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def _builder():
    spec = importlib.util.spec_from_file_location("build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notebooks_are_as_built_and_without_outputs(tmp_path):
    built = _builder().build(tmp_path)
    assert {p.name for p in built} == {p.name for p in NOTEBOOKS.glob("*.ipynb")}
    for path in built:
        assert (NOTEBOOKS / path.name).read_text() == path.read_text(), path.name
        notebook = nbformat.read(path, as_version=4)
        assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_notebook_runs_top_to_bottom(name, tmp_path, monkeypatch):
    # slow studies (notebook 08's Markov chains) run with small settings in the suite
    monkeypatch.setenv("DYNAMICS_QUICK", "1")
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, on failure
    # every story ends by asserting on the numbers it computed: each assert of its last cell
    # reads a name that the notebook assigned (not a constant that cannot fail)
    assert notebook.cells[-1].cell_type == "code"
    assigned = set()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    assigned.add(node.id)
    asserts = [node for node in ast.walk(ast.parse(notebook.cells[-1].source))
               if isinstance(node, ast.Assert)]
    assert asserts, "the last cell asserts nothing"
    for node in asserts:
        read = {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}
        assert read & assigned, f"{name}: `{ast.unparse(node.test)}` reads nothing computed"
