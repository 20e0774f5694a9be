"""Every notebook's parameters cell reads cleanly with papermill: no "Unable to parse line"
warning on a co-investigator's first run, and every parameter found by name."""

from __future__ import annotations

import ast
import json
import logging
from pathlib import Path

import pytest
from papermill.translators import PythonTranslator

PROJECT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(
    str(p.relative_to(PROJECT))
    for p in [*PROJECT.glob("notebooks/*.ipynb"), *PROJECT.glob("notebooks/templates/*.ipynb"),
              PROJECT / "report" / "report.ipynb"]
)


def parameters_source(notebook: str) -> str:
    nb = json.loads((PROJECT / notebook).read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"{notebook}: one cell tagged 'parameters' expected, found {len(cells)}"
    return "".join(cells[0]["source"])


def test_the_template_is_among_the_notebooks():
    assert "notebooks/templates/9N_subanalysis_template.ipynb" in NOTEBOOKS
    assert len(NOTEBOOKS) >= 5


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_papermill_reads_every_parameter_without_warning(notebook, caplog):
    source = parameters_source(notebook)
    assigned = [t.id for node in ast.parse(source).body if isinstance(node, ast.Assign) for t in node.targets]
    with caplog.at_level(logging.WARNING, logger="papermill"):
        found = [p.name for p in PythonTranslator.inspect({"source": source})]
    assert [r.getMessage() for r in caplog.records] == []
    assert assigned and found == assigned
