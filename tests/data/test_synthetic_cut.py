"""The default synthetic cut (n = 50, seed 20251231, cut-off 2025-12-31) against a count by hand.

The expected numbers were counted independently of her2cr's derivation code, from the two CSV
files alone (a separate pandas script reading only subjects.csv and ctdna.csv, taking the first
evaluable baseline draw dated by the cut-off and the laboratory's call), and checked against the
generator's list of planted imperfections:
- HCR-050 consented 2026-01-11, after the cut-off (not enrolled); its baseline SIG-000197 is after it too;
- HCR-011's month_15 draw SIG-000196 (2026-01-04) is after the cut-off;
- HCR-036 (continuing) fails E3 only: response 2023-06-27, consent 2025-04-26 (669 days);
- HCR-032 (baseline QNS, no repeat) and HCR-038 (baseline FAILED, no repeat): eligible, no evaluable baseline;
- HCR-019's baseline SIG-000036 is POSITIVE with 1 variant: a query, the lab's call stands;
- respelled values: cohort " Continuing" (HCR-042), POST (HCR-047), "t-dxd " (HCR-043), Negative (HCR-003).
"""

from __future__ import annotations

import pandas as pd

from her2cr.data.clean import clean_cut

CUT = "2025-12-31"

EXPECTED_FLOW = {  # step: (continuing, stopped, overall)
    "enrolled": (25, 24, 49),
    "not_eligible": (1, 0, 1),
    "eligible": (24, 24, 48),
    "baseline_not_evaluable": (2, 0, 2),
    "primary_set": (22, 24, 46),
    "on_study": (21, 19, 40),
    "completed": (3, 2, 5),
    "withdrawn": (0, 1, 1),
    "lost_to_follow_up": (1, 0, 1),
    "died": (0, 2, 2),
}


def test_flow_matches_hand_count(synthetic_raw):
    flow = clean_cut(synthetic_raw, CUT).flow
    got = {step: tuple(int(flow.loc[(flow.step == step) & (flow.cohort == g), "count"].iloc[0])
                       for g in ("continuing", "stopped", "overall")) for step in EXPECTED_FLOW}
    assert got == EXPECTED_FLOW


def test_baseline_results_match_hand_count(synthetic_raw):
    adsl = clean_cut(synthetic_raw, CUT).adsl
    positive = sorted(adsl.loc[adsl["baseline_positive"].fillna(False), "subject_id"])
    assert positive == ["HCR-002", "HCR-009", "HCR-016", "HCR-018", "HCR-019", "HCR-023",
                        "HCR-026", "HCR-047", "HCR-048", "HCR-049"]
    primary = adsl.loc[adsl["primary_set"]]
    assert primary.groupby("cohort")["baseline_positive"].sum().to_dict() == {"continuing": 4, "stopped": 6}
    assert adsl.loc[adsl["eligible"] & ~adsl["baseline_evaluable"], "subject_id"].tolist() == ["HCR-032", "HCR-038"]
    assert adsl.loc[~adsl["eligible"], ["subject_id", "ineligible_reasons"]].values.tolist() == [
        ["HCR-036", "E3: response lasted < 2 years at consent"]]


def test_data_issues_listing_matches_hand_count(synthetic_raw):
    issues = clean_cut(synthetic_raw, CUT).data_issues
    got = set(issues[["severity", "file", "row", "subject_id", "column"]].itertuples(index=False, name=None))
    assert got == {
        ("warning", "ctdna.csv", 107, "HCR-019", "variants_detected"),
        ("info", "ctdna.csv", 17, "HCR-003", "result"),
        ("info", "ctdna.csv", 71, "HCR-011", "collection_date"),
        ("info", "ctdna.csv", 198, "HCR-050", "collection_date"),
        ("info", "subjects.csv", 43, "HCR-042", "cohort"),
        ("info", "subjects.csv", 44, "HCR-043", "anti_her2"),
        ("info", "subjects.csv", 48, "HCR-047", "menopausal_status"),
        ("info", "subjects.csv", 51, "HCR-050", "consent_date"),
    }
    assert list(issues.columns) == ["file", "row", "subject_id", "column", "value", "rule", "severity", "action"]


def test_samples_after_cutoff_are_not_analysed(synthetic_raw):
    adctdna = clean_cut(synthetic_raw, CUT).adctdna
    assert len(adctdna) == 195  # 197 samples, less SIG-000196 and SIG-000197 (after the cut-off)
    assert not adctdna["sample_id"].isin(["SIG-000196", "SIG-000197"]).any()
    assert (adctdna["collection_date"] <= pd.Timestamp(CUT)).all()
