"""The notebooks: every jupytext percent-format source is paired with its .ipynb and both hold the same cells.

The notebooks themselves are executed by the default test run through nbmake (``--nbmake`` in pyproject's
pytest options, ``notebooks/`` in its test paths), on the reduced point sets of ``notebooks/conftest.py``.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9]*.py"))


def test_the_three_notebooks_exist() -> None:
    names = [p.stem for p in NOTEBOOKS]
    assert names == ["01-quickstart", "02-fpga-design-space", "03-fpga-vs-gpu-vs-pim"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_percent_source_and_ipynb_are_paired_and_in_sync(path: Path) -> None:
    ipynb = path.with_suffix(".ipynb")
    assert ipynb.exists(), f"{ipynb.name} missing: run `jupytext --sync {path}`"
    py, nb = jupytext.read(path), jupytext.read(ipynb)
    assert "ipynb,py:percent" in str(py.metadata.get("jupytext", {}).get("formats", ""))
    src = [(c.cell_type, c.source.strip()) for c in py.cells]
    dst = [(c.cell_type, c.source.strip()) for c in nb.cells]
    assert src == dst, f"{path.name} and {ipynb.name} differ: run `jupytext --sync {path}`"
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit notebooks without outputs"
