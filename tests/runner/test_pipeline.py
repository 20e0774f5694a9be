"""End to end: the pipeline on the synthetic cut, as `make report` runs it (papermill kernels).

One session-wide run (conftest.pipeline_run) is shared by the read-only checks; the tests that
change notebooks, inputs or outputs work on their own copies.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from her2cr.runner.pipeline import PROJECT, run_cut
from her2cr.runner.verify import compare_manifests
from tests.ctdna.test_ctdna import REQUIRED_KEYS  # the keys QC double programming relies on

pytestmark = pytest.mark.slow
CUT = "2025-12-31"


def quiet(*_):
    pass


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_outputs_of_a_run(pipeline_run):
    v = pipeline_run.version_dir
    assert v.name == "v1" and (v.parent / "current").resolve() == v
    for rel in ("data/adsl.parquet", "data/adctdna.csv", "data/flow.csv", "data/data_issues.csv",
                "data/data_dictionary.md", "tables/baseline_tidy.csv", "tables/baseline.html",
                "results/estimates.csv", "results/prs-results.xml", "results/ctgov-results-section.json",
                "figures/consort.png", "figures/ctdna_positivity.svg", "report-preview.html", "manifest.json",
                "notebooks/01_clean.ipynb", "notebooks/report.ipynb"):
        assert (v / rel).is_file(), rel
    est = pd.read_csv(v / "results" / "estimates.csv")
    assert list(est.columns) == ["analysis", "parameter", "group", "n", "N", "estimate", "ci_lower",
                                 "ci_upper", "ci_level", "p_value", "method", "status", "note"]
    keys = set(est[["analysis", "parameter", "group"]].itertuples(index=False, name=None))
    assert set(REQUIRED_KEYS) <= keys


def test_primary_estimates_match_the_hand_count(pipeline_run):
    """4 of 22 continuing and 6 of 24 stopped are baseline-positive (tests/test_synthetic_cut.py)."""
    est = pd.read_csv(pipeline_run.version_dir / "results" / "estimates.csv")
    p = est.set_index(["analysis", "parameter", "group"])
    assert p.loc[("primary", "proportion", "continuing"), ["n", "N"]].tolist() == [4, 22]
    assert p.loc[("primary", "proportion", "stopped"), ["n", "N"]].tolist() == [6, 24]
    assert p.loc[("primary", "risk_difference", "stopped vs continuing"), "estimate"] == pytest.approx(6 / 24 - 4 / 22)


def test_manifest(pipeline_run):
    v = pipeline_run.version_dir
    m = json.loads((v / "manifest.json").read_text())
    assert set(m) >= {"inputs", "lock_file_sha256", "git", "parameters", "packages", "started", "ended", "files", "steps"}
    assert m["lock_file_sha256"] == sha(PROJECT / "requirements.lock")
    assert set(m["git"]) == {"commit", "dirty"}
    for rel, digest in m["files"].items():
        assert sha(v / rel) == digest, rel
    assert {s: r["status"] for s, r in m["steps"].items()} == {
        "01_clean": "ran", "02_baseline": "ran", "03_ctdna": "ran", "posting": "ran", "report": "ran"}


def test_raw_inputs_are_not_modified(pipeline_run, synthetic_raw):
    m = json.loads((pipeline_run.version_dir / "manifest.json").read_text())
    for name, digest in m["inputs"].items():
        assert sha(synthetic_raw / name) == digest


def _preview_text(v: Path) -> str:
    """The preview's text as a reader reads it (numbers sit in spans that carry their sources)."""
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", (v / "report-preview.html").read_text()))


def test_report_agrees_with_estimates_and_posting_files(pipeline_run):
    from her2cr.formatting import number

    v = pipeline_run.version_dir
    est = pd.read_csv(v / "results" / "estimates.csv").set_index(["analysis", "parameter", "group"])
    rd = est.loc[("primary", "risk_difference", "stopped vs continuing")]
    preview = _preview_text(v)
    assert "SYNTHETIC DATA" in preview
    # the summary sentence, in percentage points to one decimal (minus U+2212), from the unrounded
    # estimate
    assert f"was {100 * rd.estimate:.1f} percentage points" in preview
    assert f"{number('pp', rd.ci_lower)} to {number('pp', rd.ci_upper)}" in preview
    assert number("pp", rd.ci_lower) == f"\u2212{-100 * rd.ci_lower:.1f}"  # the synthetic limit is negative
    api = json.loads((v / "results" / "ctgov-results-section.json").read_text())
    primary = api["outcomeMeasuresModule"]["outcomeMeasures"][0]
    assert primary["type"] == "PRIMARY"
    rd_api = primary["analyses"][0]
    assert float(rd_api["paramValue"]) == pytest.approx(rd.estimate, rel=1e-3)
    assert float(rd_api["ciLowerLimit"]) == pytest.approx(rd.ci_lower, rel=1e-3)
    xml = (v / "results" / "prs-results.xml").read_text()
    assert f"<parameterValue>{rd_api['paramValue']}</parameterValue>" in xml


def test_posting_section_of_the_report_agrees_with_the_upload_file(pipeline_run):
    from lxml import etree

    v = pipeline_run.version_dir
    # the posting step used the project's study configuration and kept a copy of it
    assert (v / "results" / "study.yml").read_bytes() == (PROJECT / "report" / "study.yml").read_bytes()
    doc = etree.parse(str(v / "results" / "prs-results.xml")).getroot()
    preview = _preview_text(v)
    assert "Results posting" in preview and "replaces that whole module in PRS" in preview
    # all-cause mortality as the file has it (synthetic cut: 0/25 continuing, 2/24 stopped)
    groups = doc.findall("reportedEvents/interventionGroups/interventionGroup")
    shown = [f"{g.findtext('numDeaths')}/{g.findtext('partAtRiskAllCauseMort')}" for g in groups]
    assert shown == ["0/25", "2/24"]
    for text in shown:
        assert text in preview
    assert doc.findtext("limitationsAndCaveats/description") in preview
    # nothing filled in yet: no contact or agreement in the file, and the report lists them
    assert doc.find("pointOfContact") is None and doc.find("certainAgreement") is None
    assert "Results Point of Contact: Name or official title" in preview
    # the late consent (HCR-050) explained beside STARTED 49
    assert doc.findtext("participantFlow/recruitmentDetails").endswith(
        "50 participants consented; 1 consented after the data cut-off and is not analysed, so the "
        "flow starts with 49.")


def test_rerun_with_nothing_changed_is_up_to_date(pipeline_run, synthetic_raw):
    out = pipeline_run.version_dir.parent
    outcome = run_cut(synthetic_raw, CUT, out, echo=quiet)
    assert outcome.status == "up to date"
    assert sorted(p.name for p in out.iterdir()) == ["current", "v1"]


def test_up_to_date_check_imports_no_data_library_nor_runs_quarto(pipeline_run, synthetic_raw):
    """The check of an unchanged cut stays well under a second: no pandas, scipy or matplotlib is
    imported, and Quarto is identified by its file, not by running `quarto --version`."""
    import subprocess
    import sys

    out = pipeline_run.version_dir.parent
    code = (
        "import subprocess, sys\n"
        "ran = []\n"
        "real = subprocess.run\n"
        "subprocess.run = lambda args, *a, **k: (ran.append(list(args)), real(args, *a, **k))[1]\n"
        "from her2cr.runner.pipeline import run_cut\n"
        f"o = run_cut({str(synthetic_raw)!r}, {CUT!r}, {str(out)!r}, echo=lambda *_: None)\n"
        "heavy = [m for m in ('pandas', 'scipy', 'matplotlib', 'pyarrow') if m in sys.modules]\n"
        "print(o.status, heavy, any('--version' in a for a in ran))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "up to date [] False"


@pytest.fixture
def notebook_copies(tmp_path):
    nb = tmp_path / "notebooks"
    shutil.copytree(PROJECT / "notebooks", nb, ignore=shutil.ignore_patterns("9[0-9]_*.ipynb"))
    rep = tmp_path / "report"
    shutil.copytree(PROJECT / "report", rep)
    return nb, rep


def _edit_notebook(path: Path, code: str) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(code))
    nbformat.write(nb, path)


def test_incremental_atomic_and_versioned(pipeline_run, synthetic_raw, raw_copy, notebook_copies, tmp_path):
    """One cut folder through its life: reuse, a failed run, a changed notebook, changed inputs."""
    nb, rep = notebook_copies
    out = tmp_path / "cut"
    shutil.copytree(pipeline_run.version_dir.parent, out, symlinks=True)
    # the same notebooks from another folder: nothing to do
    assert run_cut(synthetic_raw, CUT, out, notebooks_dir=nb, report_dir=rep, echo=quiet).status == "up to date"

    # a core notebook that fails: the run fails, v1 stays current and untouched, nothing left over
    before = {p: sha(p) for p in (out / "v1").rglob("*") if p.is_file()}
    _edit_notebook(nb / "03_ctdna.ipynb", "raise RuntimeError('deliberate failure')")
    failed = run_cut(synthetic_raw, CUT, out, notebooks_dir=nb, report_dir=rep, echo=quiet)
    assert failed.status == "failed" and "03_ctdna" in failed.message and "deliberate failure" in failed.message
    assert sorted(p.name for p in out.iterdir()) == ["current", "v1"]
    assert {p: sha(p) for p in (out / "v1").rglob("*") if p.is_file()} == before
    assert not list(out.parent.glob(".cut.staging-*"))

    # a change to one notebook re-runs only it and what depends on it
    shutil.copy2(PROJECT / "notebooks" / "03_ctdna.ipynb", nb / "03_ctdna.ipynb")
    _edit_notebook(nb / "02_baseline.ipynb", "# a comment added by a co-investigator")
    built = run_cut(synthetic_raw, CUT, out, notebooks_dir=nb, report_dir=rep, echo=quiet)
    assert built.status == "built" and built.version_dir.name == "v2"
    assert {r.name: r.status for r in built.results} == {
        "01_clean": "reused", "02_baseline": "ran", "03_ctdna": "reused", "posting": "ran", "report": "ran"}
    m1 = json.loads((out / "v1" / "manifest.json").read_text())
    m2 = json.loads((out / "v2" / "manifest.json").read_text())
    assert compare_manifests(m1, m2)[:3] == ([], [], [])  # same numbers, byte for byte

    # changed inputs: a new version; the earlier ones are kept, and the report names its version
    raw_copy.set("subjects.csv", 3, "age", "71")
    v3 = run_cut(raw_copy.dir, CUT, out, notebooks_dir=nb, report_dir=rep, echo=quiet)
    assert v3.status == "built" and v3.version_dir.name == "v3"
    assert sorted(p.name for p in out.iterdir()) == ["current", "v1", "v2", "v3"]
    assert (out / "current").resolve().name == "v3"
    assert {r.name: r.status for r in v3.results}["01_clean"] == "ran"
    assert "<td>v3</td>" in (out / "v3" / "report-preview.html").read_text()
    adsl = pd.read_parquet(out / "v3" / "data" / "adsl.parquet")
    assert adsl.loc[3, "age"] == 71


def test_a_change_to_the_report_s_look_renders_it_again(notebook_copies):
    """styles.css, _page.typ, _quarto.yml are part of the report step's key (an edited stylesheet
    once left `make report` "up to date"); the core steps' keys stay the same."""
    from her2cr.runner.pipeline import all_steps, plan

    nb, rep = notebook_copies
    raw = {"subjects.csv": "a", "ctdna.csv": "b", "synthetic.json": ""}

    def keys():
        return plan(all_steps(None, nb, rep), {"cut": CUT}, raw, {})

    before = keys()
    for name in ("styles.css", "_page.typ", "_quarto.yml"):
        with (rep / name).open("a", encoding="utf-8") as f:
            f.write("\n")
        after = keys()
        assert after["report"] != before["report"], name
        assert {k: v for k, v in after.items() if k != "report"} == \
            {k: v for k, v in before.items() if k != "report"}, name
        before = after


def test_same_inputs_give_byte_identical_outputs(pipeline_run, synthetic_raw, tmp_path):
    again = run_cut(synthetic_raw, CUT, tmp_path / "again", force=True, echo=quiet)
    assert again.status == "built"
    m1 = json.loads((pipeline_run.version_dir / "manifest.json").read_text())
    m2 = json.loads((again.version_dir / "manifest.json").read_text())
    differ, missing, extra, compared = compare_manifests(m1, m2)
    assert (differ, missing, extra) == ([], [], [])
    assert compared > 40


def test_subanalyses_run_after_the_core_and_a_failure_does_not_block(pipeline_run, synthetic_raw,
                                                                      notebook_copies, tmp_path):
    nb, rep = notebook_copies
    shutil.copy2(PROJECT / "notebooks" / "templates" / "9N_subanalysis_template.ipynb", nb / "90_site.ipynb")
    shutil.copy2(PROJECT / "notebooks" / "templates" / "9N_subanalysis_template.ipynb", nb / "91_broken.ipynb")
    _edit_notebook(nb / "91_broken.ipynb", "raise ValueError('a bug in a sub-analysis')")
    out = tmp_path / "cut"
    shutil.copytree(pipeline_run.version_dir.parent, out, symlinks=True)
    built = run_cut(synthetic_raw, CUT, out, notebooks_dir=nb, report_dir=rep, echo=quiet)
    assert built.status == "built"
    status = {r.name: r.status for r in built.results}
    assert status["90_site"] == "ran" and status["91_broken"] == "failed" and status["report"] == "ran"
    assert status["01_clean"] == status["02_baseline"] == status["03_ctdna"] == "reused"
    v = built.version_dir
    table = pd.read_csv(v / "additional" / "90_site" / "tables" / "positivity_by_site.csv")
    adsl = pd.read_parquet(v / "data" / "adsl.parquet")
    primary = adsl.loc[adsl["primary_set"]]
    assert table.set_index("site")["N"].to_dict() == primary.groupby("site").size().to_dict()
    preview = (v / "report-preview.html").read_text()
    assert "Baseline ctDNA positivity by site (example sub-analysis)" in preview
    assert "91_broken failed in this run" in preview and "a bug in a sub-analysis" in preview
    m = json.loads((v / "manifest.json").read_text())
    assert m["steps"]["91_broken"]["status"] == "failed"

    # one notebook and what it needs, with a parameter from the command line, into scratch/
    only = run_cut(synthetic_raw, CUT, out, notebooks_dir=nb, report_dir=rep, echo=quiet, only=["90_site"],
                   step_params={"90_site": {"analysis_set": "eligible"}})
    assert only.status == "built" and only.version_dir.name == "scratch"
    assert (out / "current").resolve() == v
    eligible = pd.read_csv(only.version_dir / "additional" / "90_site" / "tables" / "positivity_by_site.csv")
    assert eligible["N"].sum() == adsl.loc[adsl["eligible"] & adsl["baseline_evaluable"]].shape[0]


def test_verify_reproduces_a_stored_cut(pipeline_run, synthetic_raw, tmp_path):
    from her2cr.runner.verify import verify

    out = tmp_path / "cut"
    shutil.copytree(pipeline_run.version_dir.parent, out, symlinks=True)
    v = verify(out)
    assert v.ok, v.lines()
    assert v.compared > 40 and "reproduced byte for byte" in v.lines()[-1]
    # a changed raw file is reported, not silently re-run
    m = json.loads((out / "current" / "manifest.json").read_text())
    m["inputs"]["subjects.csv"] = "0" * 64
    (out / "current" / "manifest.json").write_text(json.dumps(m))
    changed = verify(out)
    assert not changed.ok and "subjects.csv: input changed" in changed.lines()[0]


def test_a_failing_quarto_fails_the_report_step_with_its_message_and_publishes_nothing(
        synthetic_raw, tmp_path, monkeypatch):
    fake = tmp_path / "quarto"
    fake.write_text('#!/bin/sh\n[ "$1" = "--version" ] && { echo 0.0; exit 0; }\n'
                    'echo "ERROR: typst compile failed" >&2\nexit 3\n')
    fake.chmod(0o755)
    monkeypatch.setenv("QUARTO", str(fake))
    out = tmp_path / "reports" / CUT
    outcome = run_cut(synthetic_raw, CUT, out, echo=quiet)
    assert outcome.status == "failed"
    assert outcome.message.startswith("report failed: document conversion failed: quarto render")
    assert "ERROR: typst compile failed" in outcome.message
    assert not out.exists() or not any(out.iterdir())
