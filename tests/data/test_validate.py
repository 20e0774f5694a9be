"""Each rule of the raw-data contract, with a failing and a passing case.

The passing case of every rule is the unmodified synthetic cut (test_synthetic_cut_is_usable);
each failing case changes one cell of a copy and expects exactly that cell to be named.
"""

from __future__ import annotations

import pandas as pd
import pytest

from her2cr.data.validate import validate_cut

CUT = "2025-12-31"


def errors_of(raw_dir):
    return [i for i in validate_cut(raw_dir, CUT).issues if i.severity == "error"]


def issues_of(raw_dir, severity):
    return [i for i in validate_cut(raw_dir, CUT).issues if i.severity == severity]


def test_synthetic_cut_is_usable(synthetic_raw):
    v = validate_cut(synthetic_raw, CUT)
    assert v.ok
    assert [i for i in v.issues if i.severity == "error"] == []
    # the only warning planted by the generator: the lab call that disagrees with its variants
    warnings = [i for i in v.issues if i.severity == "warning"]
    assert [(w.file, w.column) for w in warnings] == [("ctdna.csv", "variants_detected")]


def _row_where(df, **conds):
    mask = pd.Series(True, index=df.index)
    for col, val in conds.items():
        mask &= df[col].str.strip().str.lower() == val.lower()
    return int(df.index[mask][0])


# (column, value, text expected in the rule, row selector)
SUBJECT_CASES = [
    ("subject_id", "HCR-12", "does not match", {}),
    ("subject_id", "XYZ-001", "does not match", {}),
    ("site", "NGY", "not an allowed value", {}),
    ("cohort", "paused", "not an allowed value", {}),
    ("consent_date", "2024-02-30", "is written YYYY-MM-DD but is not a date in the calendar", {}),
    ("consent_date", "31/12/2024", "is not a date written YYYY-MM-DD", {}),
    ("consent_date", "1500-01-01", "is written YYYY-MM-DD but is outside the dates the analysis can hold "
                                   "(1677-09-22 to 2262-04-11)", {}),
    ("consent_date", "", "a value is required", {}),
    ("age", "sixty", "not a whole number", {}),
    ("age", "61.5", "not a whole number", {}),
    ("age", "17", "out of range", {}),
    ("age", "111", "out of range", {}),
    ("sex", "X", "not an allowed value", {}),
    ("race", "Japanese", "not an allowed value", {}),
    ("ethnicity", "Asian", "not an allowed value", {}),
    ("menopausal_status", "peri", "not an allowed value", {}),
    ("ecog", "5", "out of range", {}),
    ("hr_status", "unknown", "not an allowed value", {}),
    ("presentation", "metastatic", "not an allowed value", {}),
    ("visceral_mets", "maybe", "not an allowed value", {}),
    ("brain_mets", "1", "not an allowed value", {}),
    ("prior_lines", "-1", "out of range", {}),
    ("anti_her2", "lapatinib", "not an allowed value", {}),
    ("best_response", "SD", "not an allowed value", {}),
    ("status", "alive", "not an allowed value", {}),
    ("last_contact", "2025-13-01", "is written YYYY-MM-DD but is not a date in the calendar", {}),
    ("response_date", "1999-01-01", "response_date is before anti_her2_start", {}),
    ("anti_her2_stop", "2099-01-01", "must not be after consent_date", {"cohort": "stopped"}),
    ("anti_her2_stop", "1990-01-01", "must be after anti_her2_start", {"cohort": "stopped"}),
    ("last_contact", "2020-01-01", "last_contact is before consent_date", {}),
    ("progression_date", "2020-01-01", "between consent_date and last_contact", {}),
    ("death_date", "2025-06-01", "must be empty unless status is died", {"status": "on_study"}),
]


def _error_at(raw_copy, file, default_row, column, value, where):
    """Set one cell of a raw file; the errors found at that very file, row and column, with the
    frame and the row changed."""
    df = raw_copy.read(file)
    row = _row_where(df, **where) if where else default_row
    sheet_row = raw_copy.set(file, row, column, value)
    errs = errors_of(raw_copy.dir)
    hits = [e for e in errs if e.file == file and e.row == sheet_row and e.column == column]
    assert hits, f"no error for {column}={value!r}; got {[e.message() for e in errs]}"
    return hits, df, row


@pytest.mark.parametrize("column,value,rule,where", SUBJECT_CASES)
def test_subject_rule_fails(raw_copy, column, value, rule, where):
    hits, df, row = _error_at(raw_copy, "subjects.csv", 3, column, value, where)
    assert rule in hits[0].rule
    assert hits[0].value == value
    assert hits[0].subject_id == df.loc[row, "subject_id"] or column == "subject_id"


def test_duplicate_subject_id(raw_copy):
    df = raw_copy.read("subjects.csv")
    raw_copy.set("subjects.csv", 4, "subject_id", df.loc[3, "subject_id"])
    errs = errors_of(raw_copy.dir)
    dup = [e for e in errs if e.column == "subject_id" and "duplicate" in e.rule]
    assert {e.row for e in dup} >= {6}


def test_died_without_death_date(raw_copy):
    df = raw_copy.read("subjects.csv")
    row = _row_where(df, status="on_study")
    raw_copy.set("subjects.csv", row, "status", "died")
    errs = errors_of(raw_copy.dir)
    assert any(e.column == "death_date" and e.row == row + 2 and "required when status is died" in e.rule for e in errs)


@pytest.mark.parametrize("cohort,stop", [("continuing", "2021-01-01"), ("stopped", "")])
def test_stop_date_against_cohort_is_a_warning(raw_copy, cohort, stop):
    """E5 mismatch: a query, analysed as not eligible, not a fatal error."""
    df = raw_copy.read("subjects.csv")
    row = _row_where(df, cohort=cohort)
    raw_copy.set("subjects.csv", row, "anti_her2_stop", stop)
    v = validate_cut(raw_copy.dir, CUT)
    assert v.ok
    w = [i for i in v.issues if i.severity == "warning" and i.column == "anti_her2_stop"]
    assert [(i.row, i.action) for i in w] == [(row + 2, "participant not eligible (E5)")]


CTDNA_CASES = [
    ("subject_id", "HCR-999", "not in subjects.csv", {}),
    ("visit", "week_2", "does not match", {}),
    ("visit", "month_4", "N = 3, 6, 9", {}),
    ("visit", "month_0", "does not match", {}),
    ("collection_date", "2023-01-01", "before consent_date", {}),
    ("collection_date", "yesterday", "is not a date written YYYY-MM-DD", {}),
    ("collection_date", "2024-04-31", "is written YYYY-MM-DD but is not a date in the calendar", {}),
    ("result", "INCONCLUSIVE", "not an allowed value", {}),
    ("mtm_per_ml", "", "required for a POSITIVE or NEGATIVE", {"result": "POSITIVE"}),
    ("mtm_per_ml", "-0.5", "out of range", {"result": "POSITIVE"}),
    ("mtm_per_ml", "abc", "not a number", {"result": "POSITIVE"}),
    ("mtm_per_ml", "0.7", "must be 0 for a NEGATIVE", {"result": "NEGATIVE"}),
    ("variants_detected", "17", "exceeds panel_size", {"result": "POSITIVE"}),
    ("variants_detected", "", "required for a POSITIVE or NEGATIVE", {"result": "NEGATIVE"}),
    ("panel_size", "17", "out of range", {}),
    ("panel_size", "0", "out of range", {}),
    ("sample_id", "", "a value is required", {}),
]


@pytest.mark.parametrize("column,value,rule,where", CTDNA_CASES)
def test_ctdna_rule_fails(raw_copy, column, value, rule, where):
    hits, _, _ = _error_at(raw_copy, "ctdna.csv", 5, column, value, where)
    assert rule in hits[0].rule


def test_duplicate_sample_id(raw_copy):
    df = raw_copy.read("ctdna.csv")
    raw_copy.set("ctdna.csv", 8, "sample_id", df.loc[7, "sample_id"])
    errs = errors_of(raw_copy.dir)
    assert {e.row for e in errs if e.column == "sample_id" and "duplicate" in e.rule} >= {10}


def test_late_baseline_is_a_warning_and_not_a_baseline_result(raw_copy):
    subjects = raw_copy.read("subjects.csv")
    df = raw_copy.read("ctdna.csv")
    row = _row_where(df, visit="baseline", result="NEGATIVE")
    sid = df.loc[row, "subject_id"]
    consent = pd.Timestamp(subjects.loc[subjects.subject_id == sid, "consent_date"].iloc[0])
    raw_copy.set("ctdna.csv", row, "collection_date", (consent + pd.Timedelta(days=29)).strftime("%Y-%m-%d"))
    v = validate_cut(raw_copy.dir, CUT)
    assert v.ok
    w = [i for i in v.issues if i.severity == "warning" and i.column == "collection_date"]
    assert [(i.row, i.subject_id) for i in w] == [(row + 2, sid)]


def test_lab_call_disagreement_is_a_warning(raw_copy):
    df = raw_copy.read("ctdna.csv")
    row = _row_where(df, result="NEGATIVE")
    raw_copy.set("ctdna.csv", row, "variants_detected", "3")
    w = [i for i in issues_of(raw_copy.dir, "warning") if i.row == row + 2]
    assert [(i.column, i.action) for i in w] == [("variants_detected", "laboratory call stands in the analysis")]


def test_every_problem_is_listed_not_only_the_first(raw_copy):
    raw_copy.set("subjects.csv", 2, "age", "abc")
    raw_copy.set("subjects.csv", 9, "site", "XYZ")
    raw_copy.set("ctdna.csv", 4, "result", "MAYBE")
    errs = errors_of(raw_copy.dir)
    assert {(e.file, e.row, e.column) for e in errs} == {
        ("subjects.csv", 4, "age"), ("subjects.csv", 11, "site"), ("ctdna.csv", 6, "result")}


def test_records_after_cutoff_are_listed(synthetic_raw):
    notes = [i for i in validate_cut(synthetic_raw, CUT).issues if i.action == "after cut-off: not analysed"]
    assert {i.file for i in notes} == {"subjects.csv", "ctdna.csv"}
    assert all(pd.Timestamp(i.value) > pd.Timestamp(CUT) for i in notes)


def test_positive_with_zero_mtm_is_a_query(raw_copy):
    df = raw_copy.read("ctdna.csv")
    row = _row_where(df, result="POSITIVE")
    raw_copy.set("ctdna.csv", row, "mtm_per_ml", "0")
    v = validate_cut(raw_copy.dir, CUT)
    assert v.ok
    assert [(i.row, i.column) for i in v.issues if i.severity == "warning" and i.row == row + 2] == [
        (row + 2, "mtm_per_ml")]
