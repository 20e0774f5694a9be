"""The change report's tables (her2cr.reporting.cutdiff_tables): names for keys, words for codes,
each number by its rule and traced to its row of diff/<table>.csv.

Expected texts are written by hand from the hand-made rows; no statistics are computed here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from her2cr.data import contract as C
from her2cr.reporting.cutdiff import TABLE_COLUMNS, CutOutputs, compare_cuts
from her2cr.reporting.cutdiff_tables import (
    EMPTY,
    FIELD_LABELS,
    RECORD_SPECS,
    change_cell,
    change_tables,
    record_table,
    record_value,
)
from her2cr.trace import Num, Quote, Traced
from tests.reporting.test_cutdiff import adctdna, adsl, sample, subject

CODES = ("on_study", "lost_to_follow_up", "de_novo", "POSITIVE", "NEGATIVE", "True", "False",
         "month_3", "subject_id", "mtm_per_ml", "status_at_cutoff")


def test_the_estimates_table_the_change_note_names_is_the_report_s():
    from her2cr.reporting.cutdiff_tables import ESTIMATES_TABLE
    from tests.conftest import PROJECT

    notebook = (PROJECT / "report" / "report.ipynb").read_text(encoding="utf-8")
    assert f'#| tbl-cap: \\"{ESTIMATES_TABLE}\\"' in notebook


def test_every_contract_column_has_a_name_and_every_record_table_a_spec():
    assert {f.name for f in C.SUBJECTS + C.CTDNA} <= set(FIELD_LABELS)
    for name, (title, spec) in RECORD_SPECS.items():
        assert title and {c for c, _ in spec} <= set(TABLE_COLUMNS[name]), name


@pytest.mark.parametrize("column, value, text, source", [
    ("status", "lost_to_follow_up", "lost to follow-up", None),
    ("old_status", "on_study", "on study", None),
    ("baseline_result", "POSITIVE", "positive", None),
    ("eligible", True, "yes", None),
    ("new_participant", "False", "no", None),
    ("presentation", "de_novo", "de novo", None),
    ("last_contact", "2025-05-01", "2025-05-01", None),
    ("consent_date", pd.Timestamp("2025-08-07"), "2025-08-07", None),
    ("death_date", None, EMPTY, None),
    ("mtm_per_ml", float("nan"), EMPTY, None),
    ("age", "", EMPTY, None),
    # MTM/mL by the measure rule (3 significant digits), traced as a number
    ("mtm_per_ml", "0.25", "0.250", ("measure", "0.25")),
    ("mtm_per_ml", 0.0, "0.00", ("measure", "0.0")),
    # anything else as recorded, traced as a quote; a visit as readers say it
    ("age", "67", "67", ("quote", "67")),
    ("visit", "month_3", "Month 3", ("visit", "month_3")),
    ("visit", "baseline", "Baseline", ("visit", "baseline")),
])
def test_record_values_in_words_and_numbers_with_their_source(column, value, text, source):
    shown = record_value(column, value, "diff/x.csv", "row 2 | new")
    assert str(shown) == text
    if source is None:
        assert not isinstance(shown, Traced)
    else:
        (part,) = shown.sources
        assert (part.kind, str(float(part.value)) if isinstance(part, Num) else part.value) == \
            (source[0], str(float(source[1])) if isinstance(part, Num) else source[1])
        assert (part.file, part.key) == ("diff/x.csv", "row 2 | new")


def _est(parameter: str, change, status: str = "changed") -> pd.Series:
    return pd.Series({"analysis": "primary", "parameter": parameter, "group": "g", "status": status,
                      "estimate_change": change})


@pytest.mark.parametrize("parameter, change, status, text", [
    ("proportion", 0.015151515, "changed", "+1.5 percentage points"),
    ("risk_difference", -0.0551, "changed", "\u22125.5 percentage points"),
    ("proportion", 0.0, "changed", "0.0 percentage points"),  # no sign on a zero
    ("proportion", -0.0001, "changed", "0.0 percentage points"),  # nor on one that rounds to it
    ("median_days", 36.525, "changed", "+1.2 months"),
    ("median", 0.05, "changed", "+0.0500"),
    ("odds_ratio", 0.16, "changed", ""),  # a difference of odds ratios has no meaning
    ("logrank", 20.8, "changed", ""),  # nor one of chi-square statistics
    ("proportion", np.nan, "added", "new in this cut"),
    ("proportion", np.nan, "removed", "not in this cut"),
    ("median_days", np.nan, "changed", ""),  # NE at either cut
])
def test_change_of_an_estimate(parameter, change, status, text):
    assert str(change_cell(_est(parameter, change, status))) == text


def test_tables_of_a_hand_made_diff_name_things_and_trace_rows():
    """Removal, withdrawal, an eligibility change and a corrected death date (hand-made), with
    more samples added than a table shows."""
    old = adsl(subject("HCR-001"), subject("HCR-012", cohort="stopped"),
               subject("HCR-040", death_date=pd.Timestamp("2025-04-01"), status="died",
                       status_at_cutoff="died"))
    new = adsl(subject("HCR-001", eligible=False, primary_set=False,
                       ineligible_reasons="E3: response lasted < 2 years at consent"),
               subject("HCR-040", death_date=pd.NaT, status="died", status_at_cutoff="died"))
    s_old = adctdna(sample("SIG-000001", "HCR-001"))
    s_new = adctdna(sample("SIG-000001", "HCR-001"),
                    *[sample(f"SIG-{i:06d}", "HCR-001", visit=f"month_{i}", date="2025-07-01")
                      for i in range(2, 8)])
    d = compare_cuts(CutOutputs(old, s_old, {"cut": "2025-06-30"}, version="v1"),
                     CutOutputs(new, s_new, {"cut": "2025-12-31"}, version="v1"))
    tables = {t.name: t for t in change_tables(d, max_rows=4)}
    assert set(tables) >= {"participants_removed", "field_changes", "eligibility_changes",
                           "primary_set_changes", "samples_added"}  # no flow files given
    for t in tables.values():
        text = t.frame.astype(str).to_string() + " ".join(t.frame.columns)
        assert not [c for c in CODES if c in text], (t.name, text)

    el = tables["eligibility_changes"].frame
    assert el.values.tolist() == [["HCR-001", "continuing", "yes", "no", EMPTY,
                                   "E3: response lasted < 2 years at consent"]]
    (reason,) = el.iloc[0, 5].sources
    assert isinstance(reason, Quote) and reason.key == "row 2 | new_reasons"
    assert tables["field_changes"].frame.values.tolist() == [
        ["HCR-040", "Death date", "2025-04-01", EMPTY, "correction"]]

    added = tables["samples_added"]
    assert len(added.frame) == 4 and added.frame["Visit"].tolist()[:2] == ["Month 2", "Month 3"]
    # the note counts the file's rows, traced; the visit of row 3 of the file is its second sample
    assert str(added.notes[0]) == "The first 4 rows of 6; all in diff/samples_added.csv."
    assert added.notes[0].sources[0].key == "rows (counted)"
    assert added.frame["Visit"].iloc[1].sources[0].key == "row 3 | visit"
    assert record_table(d, "samples_removed") is None  # no rows, no table
