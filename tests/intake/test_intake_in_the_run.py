"""The intake in the run: its record travels into the manifest, the report's provenance and
data-issues appendices, and `make verify` re-runs it from the recorded export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from her2cr.data.cutinfo import write_cut_info
from her2cr.intake.run import intake, read_intake_record, verify_intake
from her2cr.reporting.context import intake_record, provenance_table
from her2cr.runner.pipeline import raw_inputs
from tests.intake import export as X

CUT = "2025-12-31"


@pytest.fixture
def taken_in(tmp_path) -> tuple[Path, Path, Path]:
    e, m = X.write_export(tmp_path)
    intake(e, m, CUT, tmp_path / "raw")
    return e, m, tmp_path / "raw"


def test_the_raw_cut_records_the_intake_and_the_run_hashes_it(taken_in):
    e, m, raw = taken_in
    record = read_intake_record(raw)
    assert record["export"] == str(e.resolve()) and record["mapping"]["file"] == str(m.resolve())
    assert [s["role"] for s in record["sources"]] == ["records", "dictionary", "lab"]
    inputs = raw_inputs(raw)
    assert list(inputs) == ["subjects.csv", "ctdna.csv", "synthetic.json", "intake.json", "intake_issues.csv",
                           "sources.csv"]
    assert inputs["synthetic.json"] == "" and len(inputs["intake.json"]) == 64
    assert read_intake_record(raw.parent) is None and "intake.json" not in raw_inputs(raw.parent)


def test_notebook_01_copies_the_intake_record_for_the_report(taken_in, tmp_path):
    _, _, raw = taken_in
    out = tmp_path / "out"
    write_cut_info(raw, CUT, out)
    assert (out / "intake" / "intake.json").read_bytes() == (raw / "intake.json").read_bytes()
    record, shown = intake_record(out)
    assert list(shown.columns) == ["Where", "Record", "Warning"]
    assert shown.iloc[0].tolist() == [
        f"{X.LAB_NAME}, row 4, MTM_PER_ML", "HCR-001",
        "LAB02: MTM/mL '<0.01' written as '0.01' (mtm_qualifiers.below_limit: limit)"]
    table = provenance_table(out, {"inputs": {"subjects.csv": "ab"}}, {}, "cd", {}, intake=record)
    items = dict(zip(table["Item"], table["Value"]))
    assert items[f"Export file {X.RECORDS_NAME} (records; SHA-256)"] == record["sources"][0]["sha256"]
    assert items["Mapping file mapping.yml (SHA-256)"] == record["mapping"]["sha256"]
    assert items["Raw cut written by"] == f"her2cr intake from the export folder {record['export']}"
    assert items["EDC records exported on"] == "2025-12-31"  # the day in X.RECORDS_NAME
    renamed = provenance_table(out, {"inputs": {}}, {}, "cd", {}, intake={**record, "records_exported": None})
    assert dict(zip(renamed["Item"], renamed["Value"]))["EDC records exported on"] == (
        "not known (the records file does not carry REDCap's date in its name)")
    plain = tmp_path / "plain"
    shutil.copytree(raw, plain, ignore=shutil.ignore_patterns("intake*"))
    write_cut_info(plain, CUT, tmp_path / "out2")
    assert not (tmp_path / "out2" / "intake").exists() and intake_record(tmp_path / "out2") == (None, None)


def test_verify_re_runs_the_intake_and_names_what_changed(taken_in):
    e, m, raw = taken_in
    record = read_intake_record(raw)
    assert verify_intake(record) == []
    lab = e / X.LAB_NAME
    lab.write_text(lab.read_text(encoding="utf-8").replace("0.35", "0.36"), encoding="utf-8")
    assert verify_intake(record) == [f"intake: export file {lab.resolve()} changed since the run"]
    m.write_text(m.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert verify_intake(record)[0] == f"intake: the mapping {m.resolve()} changed since the run"


def test_verify_finds_a_cut_that_the_intake_no_longer_makes(taken_in):
    e, m, raw = taken_in
    record = json.loads((raw / "intake.json").read_text(encoding="utf-8"))
    record["outputs"]["ctdna.csv"] = "0" * 64   # as if the code that wrote it had changed
    assert verify_intake(record) == ["intake: ctdna.csv differs when the intake is run again"]


@pytest.mark.slow
def test_a_run_from_an_export_records_it_in_the_manifest_and_verifies(tmp_path):
    """The synthetic export -> intake -> pipeline (no document conversion); verify re-runs both."""
    from her2cr.data.synth import generate
    from her2cr.data.cutinfo import write_synthetic_marker
    from her2cr.intake.synthetic import build_export, write_export
    from her2cr.runner.pipeline import run_cut

    export = tmp_path / "export"
    write_export(build_export(generate(n=50, cut=CUT)), export)
    write_synthetic_marker(export, n=50, seed=20251231, cut=CUT)
    intake(export, export / "mapping.yml", CUT, tmp_path / "raw")
    outcome = run_cut(tmp_path / "raw", CUT, tmp_path / "out", render=False, echo=lambda *_: None)
    assert outcome.status == "built", outcome.message
    manifest = json.loads((outcome.version_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["intake"] == read_intake_record(tmp_path / "raw")
    assert {s["file"] for s in manifest["intake"]["sources"]} == {
        p.name for p in export.iterdir() if p.name != "mapping.yml"}
    issues = pd.read_csv(outcome.version_dir / "intake" / "intake_issues.csv", dtype=str, keep_default_na=False)
    assert len(issues) == manifest["intake"]["counts"]["warnings"]


def test_make_verify_re_runs_the_intake_before_the_pipeline(taken_in, tmp_path, monkeypatch):
    """verify(): the intake's check comes first; a changed export stops it before any re-run."""
    import importlib

    V = importlib.import_module("her2cr.runner.verify")  # the module (her2cr.runner exports a function of that name)

    e, m, raw = taken_in
    version = tmp_path / "out" / "v1"
    version.mkdir(parents=True)
    stored = {"cut": CUT, "raw_dir": str(raw), "inputs": raw_inputs(raw), "intake": read_intake_record(raw),
              "files": {"data/x.csv": "1"}}
    (version / "manifest.json").write_text(json.dumps(stored), encoding="utf-8")

    class Built:
        status, message, version_dir = "built", "", version

    reruns = []
    monkeypatch.setattr(V, "run_cut", lambda *a, **k: reruns.append(a) or Built())
    v = V.verify(version)
    assert v.ok and reruns and v.lines() == [
        f"{version}: all 1 data, table, result and figure files reproduced byte for byte (the raw cut "
        f"re-made from the export {e.resolve()} first)."]
    (e / X.RECORDS_NAME).write_text(X.records_text().replace("61", "62"), encoding="utf-8")
    reruns.clear()
    v = V.verify(version)
    assert not v.ok and not reruns
    assert v.lines() == [f"intake: export file {(e / X.RECORDS_NAME).resolve()} changed since the run"]
