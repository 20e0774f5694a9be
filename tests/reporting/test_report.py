"""The Quarto project and the render step: what can be checked without Quarto, and with it."""

from __future__ import annotations

import os
import re
import shutil

import nbformat
import pytest
import yaml

from her2cr.reporting.display import Figure
from her2cr.settings import PROJECT
from her2cr.reporting.render import add_preview_captions, cell_options, page_typst, prepare_for_quarto

REPORT = PROJECT / "report" / "report.ipynb"


def test_quarto_project_converts_without_executing_and_hides_code():
    cfg = yaml.safe_load((PROJECT / "report" / "_quarto.yml").read_text())
    assert cfg["execute"]["enabled"] is False and cfg["execute"]["echo"] is False
    assert cfg["format"]["html"]["embed-resources"] is True and cfg["format"]["html"]["toc"] is True
    assert "typst" in cfg["format"]
    assert cfg["format"]["typst"]["papersize"] == "a4" and cfg["format"]["typst"]["toc"] is True
    assert cfg["project"]["output-dir"] == "_output"  # render.quarto_render checks that it applied
    for f in (cfg["format"]["html"]["include-before-body"], cfg["format"]["typst"]["include-in-header"],
              cfg["format"]["html"]["css"]):
        assert (PROJECT / "report" / f).is_file(), f


def test_report_notebook_is_clean_and_every_caption_has_a_unique_label():
    nb = nbformat.read(REPORT, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert "parameters" in code[0].metadata.get("tags", [])
    labels = [cell_options(c.source).get("label") for c in code if cell_options(c.source).get("label")]
    assert len(labels) == len(set(labels)) >= 8
    for c in code:
        opts = cell_options(c.source)
        if "tbl-cap" in opts:
            assert opts.get("label", "").startswith("tbl-")


def _executed_like():
    nb = nbformat.read(REPORT, as_version=4)
    fig = nbformat.v4.new_output("display_data", data={"text/html": "<figure><figcaption>Flow</figcaption></figure>",
                                                       "text/markdown": "::: {#fig-x}\n:::"},
                                 metadata={Figure.QUARTO_KEY: True})
    table = nbformat.v4.new_output("display_data", data={"text/html": "<table/>", "text/markdown": "|a|"})
    for c in nb.cells:
        if c.cell_type == "code" and "tbl-flow" in c.source:
            c.outputs = [table]
        if c.cell_type == "code" and "consort" in c.source:
            c.outputs = [fig]
    return nb


def test_prepare_for_quarto_sets_front_matter_and_gives_figures_as_cross_references():
    nb = prepare_for_quarto(_executed_like(), {"cut": "2025-12-31", "synthetic": True}, "v3", "2026-01-05")
    fm = yaml.safe_load(nb.cells[0].source.strip().strip("-"))
    assert fm["subtitle"] == "Data cut-off 2025-12-31 · report v3 · SYNTHETIC DATA"
    assert fm["date"] == "2026-01-05"
    # Quarto gets Markdown only: any text/html output makes it load require.js and jQuery from a
    # CDN; and each code cell becomes a Markdown cell (its headings are then sections like any
    # other, in the HTML's contents list as in the PDF's), captioned as its cell options say
    assert [c for c in nb.cells if c.cell_type == "code"] == []
    text = "\n".join(c.source for c in nb.cells)
    assert "::: {#fig-x}\n:::" in text and "<table/>" not in text
    assert "::: {#tbl-flow}\n\n|a|\n\nParticipant flow (ClinicalTrials.gov layout)\n:::" in text


def test_preview_numbers_the_table_captions():
    nb = add_preview_captions(_executed_like())
    html = "".join(o.data.get("text/html", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert re.search(r"Table 1: Participant flow \(ClinicalTrials.gov layout\)", html)
    assert "<figcaption><b>Figure 1:</b> Flow</figcaption>" in html


def test_pdf_pages_name_the_study_cut_and_version_and_say_synthetic_only_when_synthetic():
    synthetic = page_typst({"cut": "2025-12-31", "synthetic": True}, "v3")
    real = page_typst({"cut": "2026-06-30", "synthetic": False}, "v1")
    assert "#set page(" in synthetic and "header:" in synthetic and "footer:" in synthetic
    assert "NCT06663787" in synthetic and "data cut-off 2025-12-31" in synthetic and "report v3" in synthetic
    assert synthetic.count("SYNTHETIC DATA") == 2  # header and footer
    assert "SYNTHETIC" not in real and "data cut-off 2026-06-30" in real and "report v1" in real
    assert "breakable: true" in real  # long tables may run over pages


def test_tables_made_in_a_loop_are_captioned_and_cross_referenced():
    import pandas as pd

    from her2cr.reporting.display import Table

    bundle, meta = Table(pd.DataFrame({"a": [1]}), label="tbl-outcome-1", caption="Primary outcome")._repr_mimebundle_()
    assert bundle["text/markdown"].startswith("::: {#tbl-outcome-1}") and "Primary outcome\n:::" in bundle["text/markdown"]
    assert meta[Figure.QUARTO_KEY] and meta["her2cr-kind"] == "table"
    nb = _executed_like()
    for c in nb.cells:
        if c.cell_type == "code" and "outcome_blocks" in c.source:
            c.outputs = [nbformat.v4.new_output("display_data", data=bundle, metadata=meta)]
    html = "".join(o.data.get("text/html", "") for c in add_preview_captions(nb).cells
                   if c.cell_type == "code" for o in c.outputs)
    assert "Table 2: Primary outcome" in html  # after Table 1, the participant flow
    quarto = prepare_for_quarto(nb, {"cut": "2025-12-31"}, "v1", "2026-01-05")
    text = "\n".join(c.source for c in quarto.cells)
    assert "::: {#tbl-outcome-1}" in text and "<table" not in text.split("```{=html}")[0]


def test_a_quarto_setting_that_names_no_program_is_said_as_such(monkeypatch, tmp_path):
    from her2cr.reporting.render import QUARTO_MISSING, find_quarto, quarto_missing_note

    monkeypatch.setenv("QUARTO", str(tmp_path / "no-such-quarto"))
    assert find_quarto() is None
    note = quarto_missing_note()
    assert note.startswith(f"QUARTO={tmp_path / 'no-such-quarto'} is not an executable file")
    monkeypatch.delenv("QUARTO")
    assert quarto_missing_note() == QUARTO_MISSING


def test_preview_writes_cross_references_as_figure_and_table_numbers():
    nb = _executed_like()
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("See @fig-x and @tbl-flow; @fig-unknown stays."))
    cells = add_preview_captions(nb).cells
    assert cells[1].source == "See Figure 1 and Table 1; @fig-unknown stays."


def test_quarto_build_folders_of_a_killed_run_are_removed_by_the_next(tmp_path):
    # a run killed while Quarto converts (SIGKILL: no handler runs) leaves its build folders in
    # the temporary folder; they carry the run's process id, and the next render removes those
    # whose process is gone, never a live run's
    import subprocess
    import sys

    from her2cr.reporting.render import remove_stale_builds

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"her2cr-quarto-typst-{dead.pid}-abc123"
    live = tmp_path / f"her2cr-quarto-html-{os.getpid()}-def456"
    other = tmp_path / "her2cr-verify-xyz"
    for folder in (stale, live, other):
        (folder / "sub").mkdir(parents=True)
    assert remove_stale_builds(tmp_path) == [stale]
    assert not stale.exists() and live.exists() and other.exists()
