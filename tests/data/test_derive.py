"""Derivations on small frames whose answers are worked out by hand in the comments."""

from __future__ import annotations

import pandas as pd
import pytest

from her2cr.data.derive import analysis_datasets, eligibility, status_at_cutoff
from her2cr.data.flow import participant_flow

CUT = pd.Timestamp("2025-06-30")
D = pd.Timestamp


def subject(sid, **kw):
    base = dict(
        subject_id=sid, site="NCU", cohort="continuing", consent_date=D("2025-01-10"), age=60, sex="F",
        race="Asian", ethnicity="Not Hispanic or Latino", menopausal_status="post", ecog=0,
        hr_status="positive", presentation="recurrent", visceral_mets="no", brain_mets="no",
        prior_lines=0, anti_her2="trastuzumab+pertuzumab", best_response="CR",
        anti_her2_start=D("2019-01-01"), response_date=D("2019-06-01"), anti_her2_stop=pd.NaT,
        status="on_study", last_contact=D("2025-06-01"), progression_date=pd.NaT, death_date=pd.NaT,
    )
    base.update(kw)
    return base


def frame(rows):
    df = pd.DataFrame(rows)
    for c in ("age", "ecog", "prior_lines"):
        df[c] = df[c].astype("Int64")
    for c in df.columns:
        if c.endswith("_date") or c in ("anti_her2_start", "anti_her2_stop", "last_contact"):
            df[c] = pd.to_datetime(df[c])
    return df


def sample(sid, smp, visit, date, result, mtm=0.0, k=0, panel=16):
    return dict(subject_id=sid, sample_id=smp, visit=visit, collection_date=D(date), result=result,
                mtm_per_ml=mtm if result in ("POSITIVE", "NEGATIVE") else float("nan"),
                variants_detected=k if result in ("POSITIVE", "NEGATIVE") else pd.NA, panel_size=panel)


def samples(rows):
    df = pd.DataFrame(rows)
    df["variants_detected"] = df["variants_detected"].astype("Int64")
    df["panel_size"] = df["panel_size"].astype("Int64")
    return df


def test_eligibility_boundaries():
    s = frame([
        subject("HCR-001"),  # eligible
        subject("HCR-002", age=19),  # E1
        subject("HCR-003", sex="M"),  # E2
        # E3 boundary: response 2023-01-11 + 730 days = 2025-01-10 = consent: holds
        subject("HCR-004", response_date=D("2023-01-11"), anti_her2_start=D("2022-01-01")),
        # one day later: fails E3 (and E4: start 2023-01-11 + 730 = 2025-01-10 <= consent holds)
        subject("HCR-005", response_date=D("2023-01-12"), anti_her2_start=D("2023-01-11")),
        # stopped: start 2020-01-01 + 730 days = 2021-12-31 <= stop 2021-12-31: E4 holds
        subject("HCR-006", cohort="stopped", anti_her2_start=D("2020-01-01"), response_date=D("2020-06-01"),
                anti_her2_stop=D("2021-12-31")),
        # stopped one day short of 2 years of therapy: E4 fails
        subject("HCR-007", cohort="stopped", anti_her2_start=D("2020-01-01"), response_date=D("2020-06-01"),
                anti_her2_stop=D("2021-12-30")),
        # stopped without a stop date: E4 and E5 fail
        subject("HCR-008", cohort="stopped"),
        # continuing with a stop date: E5 fails
        subject("HCR-009", anti_her2_stop=D("2024-01-01")),
    ])
    e = eligibility(s)
    assert e["eligible"].tolist() == [True, False, False, True, False, True, False, False, False]
    assert e.loc[1, "ineligible_reasons"] == "E1: age < 20 years"
    assert e.loc[2, "ineligible_reasons"] == "E2: not female"
    assert e.loc[4, "ineligible_reasons"] == "E3: response lasted < 2 years at consent"
    assert e.loc[6, "ineligible_reasons"] == "E4: < 2 years of anti-HER2 therapy"
    assert e.loc[7, "ineligible_reasons"] == (
        "E4: < 2 years of anti-HER2 therapy; E5: anti-HER2 stop date does not match the cohort")
    assert e.loc[8, "ineligible_reasons"] == "E5: anti-HER2 stop date does not match the cohort"


def test_status_at_cutoff():
    s = frame([
        subject("HCR-001", status="died", death_date=D("2025-05-01"), last_contact=D("2025-05-01")),
        subject("HCR-002", status="died", death_date=D("2025-07-15"), last_contact=D("2025-07-15")),
        subject("HCR-003", status="withdrawn", last_contact=D("2025-03-01")),
        subject("HCR-004", status="completed", last_contact=D("2025-08-01")),
        subject("HCR-005", status="lost_to_follow_up", last_contact=D("2025-06-30")),
    ])
    # deaths and ends of participation after 2025-06-30 had not happened at the cut-off
    assert status_at_cutoff(s, CUT).tolist() == ["died", "on_study", "withdrawn", "on_study", "lost_to_follow_up"]


@pytest.fixture
def small_cut():
    s = frame([
        subject("HCR-001"),
        subject("HCR-002", cohort="stopped", anti_her2_stop=D("2024-06-01"), progression_date=D("2025-04-10")),
        subject("HCR-003", cohort="stopped", anti_her2_stop=D("2024-06-01")),
        subject("HCR-004", age=19),  # not eligible
        subject("HCR-005", consent_date=D("2025-07-05"), last_contact=D("2025-07-05")),  # after cut-off
    ])
    c = samples([
        # 001: QNS then a repeat at baseline (the repeat is used), negative at month 3 and positive at month 6
        sample("HCR-001", "S1", "baseline", "2025-01-12", "QNS"),
        sample("HCR-001", "S2", "baseline", "2025-01-20", "NEGATIVE"),
        sample("HCR-001", "S3", "month_3", "2025-04-10", "NEGATIVE"),
        sample("HCR-001", "S4", "month_6", "2025-07-10", "POSITIVE", 1.5, 4),  # after the cut-off
        # 002: positive at baseline, repeat at the same visit ignored
        sample("HCR-002", "S5", "baseline", "2025-01-11", "POSITIVE", 0.8, 3),
        sample("HCR-002", "S6", "baseline", "2025-01-13", "NEGATIVE"),
        sample("HCR-002", "S7", "month_3", "2025-04-09", "POSITIVE", 2.0, 5),
        # 003: baseline draw 29 days after consent: not a baseline result; month_3 negative
        sample("HCR-003", "S8", "baseline", "2025-02-08", "POSITIVE", 0.4, 2),
        sample("HCR-003", "S9", "month_3", "2025-04-10", "NEGATIVE"),
        # 004: FAILED only
        sample("HCR-004", "S10", "baseline", "2025-01-15", "FAILED"),
        sample("HCR-005", "S11", "baseline", "2025-07-06", "NEGATIVE"),
    ])
    return s, c


def test_analysis_datasets_by_hand(small_cut):
    adsl, adctdna = analysis_datasets(*small_cut, CUT)
    a = adsl.set_index("subject_id")
    assert list(a.index) == ["HCR-001", "HCR-002", "HCR-003", "HCR-004"]  # 005 consented after the cut-off
    assert a["baseline_sample_id"].tolist()[:2] == ["S2", "S5"]
    assert a["baseline_result"].tolist()[:2] == ["NEGATIVE", "POSITIVE"]
    assert a["baseline_evaluable"].tolist() == [True, True, False, False]
    assert a["primary_set"].tolist() == [True, True, False, False]
    # any draw by the cut-off: 001 negative (its positive is after the cut-off), 002 positive,
    # 003 positive at its late baseline draw (day 29: a draw, not a baseline result)
    assert a["ever_positive"].tolist()[:3] == [False, True, True]
    assert a.loc["HCR-003", "ttpos_days"] == 29 and bool(a.loc["HCR-003", "ttpos_event"])
    assert pd.isna(a.loc["HCR-004", "ever_positive"])
    # time to first positive: 002 positive at day 1 (2025-01-11 - 2025-01-10);
    # 001 censored at the last evaluable negative draw, day 90 (2025-04-10)
    assert a.loc["HCR-002", "ttpos_days"] == 1 and bool(a.loc["HCR-002", "ttpos_event"])
    assert a.loc["HCR-001", "ttpos_days"] == 90 and not bool(a.loc["HCR-001", "ttpos_event"])
    # PFS: 002 progressed 2025-04-10 = day 90; 001 censored at last contact 2025-06-01 = day 142
    assert a.loc["HCR-002", "pfs_days"] == 90 and bool(a.loc["HCR-002", "pfs_event"])
    assert a.loc["HCR-001", "pfs_days"] == 142 and not bool(a.loc["HCR-001", "pfs_event"])
    # years since response: (2025-01-10 - 2019-06-01) = 2050 days / 365.25
    assert a.loc["HCR-001", "years_since_response"] == pytest.approx(2050 / 365.25)
    # months since stop for 002: (2025-01-10 - 2024-06-01) = 223 days / (365.25 / 12)
    assert a.loc["HCR-002", "months_since_stop"] == pytest.approx(223 / (365.25 / 12))
    assert pd.isna(a.loc["HCR-001", "months_since_stop"])
    used = adctdna.set_index("sample_id")["used"]
    # S8 (baseline on day 29) is analysed as a draw, but it is not a baseline result
    assert used[["S1", "S2", "S3", "S5", "S6", "S7", "S8", "S9", "S10"]].tolist() == [
        False, True, True, True, False, True, True, True, False]
    assert a.loc["HCR-003", "n_evaluable_draws"] == 2
    assert "S4" not in used.index and "S11" not in used.index


def test_flow_counts(small_cut):
    adsl, _ = analysis_datasets(*small_cut, CUT)
    flow = participant_flow(adsl).set_index(["cohort", "step"])["count"]
    assert flow[("continuing", "enrolled")] == 2 and flow[("stopped", "enrolled")] == 2
    assert flow[("overall", "not_eligible")] == 1
    assert flow[("stopped", "baseline_not_evaluable")] == 1
    assert flow[("overall", "primary_set")] == 2
    statuses = ["on_study", "completed", "withdrawn", "lost_to_follow_up", "died"]
    for g in ("continuing", "stopped", "overall"):
        assert sum(flow[(g, s)] for s in statuses) == flow[(g, "enrolled")]


def test_issue_counts_by_rule_put_errors_first():
    from her2cr.data.issues import ERROR, INFO, WARNING, DataIssue, counts_by_rule, to_frame

    issues = to_frame([
        DataIssue("subjects.csv", 3, "HCR-001", "cohort", "X", "respelled", INFO, "value normalised"),
        DataIssue("ctdna.csv", 5, "HCR-002", "result", "?", "not allowed", ERROR, "cut not analysed"),
        DataIssue("ctdna.csv", 9, "HCR-003", "result", "?", "not allowed", ERROR, "cut not analysed"),
        DataIssue("ctdna.csv", 7, "HCR-004", "variants_detected", "1", "disagrees", WARNING, "call stands"),
    ])
    counts = counts_by_rule(issues)
    assert counts[["Severity", "Rule", "Count"]].values.tolist() == [
        ["error", "not allowed", 2], ["warning", "disagrees", 1], ["info", "respelled", 1]]
    assert counts_by_rule(issues.iloc[0:0]).empty
