"""The laboratory file's visit column (lab.columns.visit with lab.visit_codes): compared with the
EDC draw's visit, never copied. Each error rule's exact message is in test_intake.py's CASES
(REC06, LAB07, LAB08, and MAP02/MAP03/MAP06 for the new keys); here: a visit column that agrees
changes nothing, words that name no visit, and the one-row-per-test file.
"""

from __future__ import annotations

import json

import pandas as pd

from tests.intake import export as X
from tests.intake.test_intake import errors, run_ok

LAB = X.LAB_NAME
OUTPUTS = ("subjects.csv", "ctdna.csv", "sources.csv", "intake_issues.csv")


def _same_cut(a, b) -> None:
    """Byte for byte the same cut, and the same origin of every column (intake.json)."""
    for name in OUTPUTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    cols = [json.loads((p / "intake.json").read_text(encoding="utf-8"))["columns"] for p in (a, b)]
    assert cols[0] == cols[1]
    assert cols[0]["ctdna.csv"]["visit"] == {"origin": "edc:draw", "file": X.RECORDS_NAME, "field": "draw_visit"}


def test_a_visit_column_that_agrees_gives_the_same_cut(tmp_path):
    """Words matched ignoring case and spaces ('Baseline', ' month 3'); ctdna.csv's visit is the
    EDC draw's, and nothing of the cut, its sources or its warnings changes."""
    plain, plain_warnings = run_ok(tmp_path / "plain")
    raw, warnings = run_ok(tmp_path / "visit", lab=X.visit_lab(), mapping=X.visit_mapping())
    assert "VISIT" in (tmp_path / "visit" / "export" / LAB).read_text(encoding="utf-8")
    _same_cut(raw, plain)
    assert warnings == plain_warnings


def test_a_one_row_per_test_file_with_a_visit_column_that_agrees_gives_the_same_cut(tmp_path):
    plain, _ = run_ok(tmp_path / "plain", lab="\n".join(X.per_test_lab()) + "\n", mapping=X.per_test_mapping())
    raw, _ = run_ok(tmp_path / "visit", lab=X.per_test_visit_lab(),
                    mapping=X.visit_mapping(X.per_test_mapping()))
    _same_cut(raw, plain)


def test_an_empty_cell_or_a_word_that_names_no_visit_is_not_compared(tmp_path):
    """UNSCHEDULED maps to '' (lab.visit_codes): like an empty cell, it says nothing to compare;
    the sample keeps the EDC draw's visit."""
    plain, _ = run_ok(tmp_path / "plain")
    raw, _ = run_ok(tmp_path / "visit", lab=X.visit_lab({"S-0002": "", "S-0003": "Unscheduled"}),
                    mapping=X.visit_mapping())
    assert (raw / "ctdna.csv").read_bytes() == (plain / "ctdna.csv").read_bytes()
    assert pd.read_csv(raw / "ctdna.csv", dtype=str)["visit"].tolist() == ["baseline", "baseline", "month_3"]


def test_one_row_per_test_a_row_without_a_visit_does_not_disagree(tmp_path):
    """A sample's test rows must agree on the visit they give; a row that gives none (empty, or
    a word mapped to '') takes no part."""
    quiet = {("S-0001", "SIG_MTM"): "", ("S-0003", "SIG_CALL"): "UNSCHEDULED"}
    raw, _ = run_ok(tmp_path, lab=X.per_test_visit_lab(lambda s, c: quiet.get((s, c), X.LAB_VISITS[s])),
                    mapping=X.visit_mapping(X.per_test_mapping()))
    assert pd.read_csv(raw / "ctdna.csv", dtype=str)["visit"].tolist() == ["baseline", "baseline", "month_3"]


def test_one_row_per_test_the_whole_sample_filed_under_another_visit_is_rec06_at_its_first_row(tmp_path):
    """S-0003's four test rows (rows 10-13) all say BASELINE; the EDC's draw is month_3: one REC06,
    at the row that gives the sample's visit, and no LAB08 (the rows agree with each other)."""
    got = errors(tmp_path, lab=X.per_test_visit_lab(lambda s, c: "BASELINE"),
                 mapping=X.visit_mapping(X.per_test_mapping()))
    assert got == [
        f"ERROR REC06: {LAB} row 10 (record HCR-001), field VISIT: sample S-0003 is filed under visit 'BASELINE' "
        f"(baseline) in the laboratory file but was drawn at month_3 by the EDC ({X.RECORDS_NAME} row 8, record "
        "1); find which is right: if the EDC is wrong, correct the draw's visit in the EDC; if the laboratory "
        "file is, ask the laboratory to correct it"]


def test_one_row_per_test_an_unknown_visit_word_is_named_once_per_sample(tmp_path):
    got = errors(tmp_path, lab=X.per_test_visit_lab(lambda s, c: "V1" if s == "S-0002" else X.LAB_VISITS[s]),
                 mapping=X.visit_mapping(X.per_test_mapping()))
    assert len(got) == 1 and got[0].startswith(
        f"ERROR LAB07: {LAB} row 6 (record HCR-002), field VISIT: visit 'V1' has no entry in lab.visit_codes")


def test_a_resent_result_is_compared_with_its_newest_visit(tmp_path):
    """A cumulative file (lab.corrections) that resends S-0003 with its visit corrected: the newest
    row's visit is the one compared, so the corrected file goes through."""
    lab = X.visit_lab({"S-0003": "BASELINE"}) + "HCR-001,S-0003,2024-08-01,DETECTED,<0.01,2,16,2024-09-01,MONTH 3\n"
    mapping = X.visit_mapping().replace("  mtm_qualifiers:", "  corrections: {keep: newest, by: REPORT_DATE}\n"
                                        "  mtm_qualifiers:")
    raw, warnings = run_ok(tmp_path, lab=lab, mapping=mapping)
    assert pd.read_csv(raw / "ctdna.csv", dtype=str)["visit"].tolist() == ["baseline", "baseline", "month_3"]
    assert any(w.startswith("WARNING LAB04: sample S-0003") for w in warnings)
