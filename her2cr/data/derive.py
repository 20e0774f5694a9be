"""Derivation of the analysis datasets from a validated cut.

`adctdna`: one row per plasma sample of an enrolled participant collected by the cut-off.
`adsl`: one row per enrolled participant with eligibility, analysis-set flags, baseline ctDNA
status and time-to-event variables. Definitions: ../shared/spec/study-data.md; the choices the
spec leaves open are stated in `dictionary.py` and in the report's methods.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from her2cr.data import contract as C
from her2cr.data.validate import lab_call_disagrees, visit_month
from her2cr.settings import DAYS_PER_MONTH, DAYS_PER_YEAR


ELIGIBILITY = {
    "e1_age": f"E1: age < {C.MIN_AGE} years",
    "e2_sex": "E2: not female",
    "e3_response_2y": "E3: response lasted < 2 years at consent",
    "e4_therapy_2y": "E4: < 2 years of anti-HER2 therapy",
    "e5_stop_date": "E5: anti-HER2 stop date does not match the cohort",
}


def enrolled(subjects: pd.DataFrame, cut: pd.Timestamp) -> pd.DataFrame:
    """Participants who consented on or before the cut-off."""
    return subjects.loc[subjects["consent_date"] <= cut].reset_index(drop=True)


def eligibility(s: pd.DataFrame) -> pd.DataFrame:
    """Flags E1-E5, `eligible`, and the failed criteria as text."""
    two_years = pd.Timedelta(days=C.TWO_YEARS_DAYS)
    stopped = s["cohort"] == "stopped"
    has_stop = s["anti_her2_stop"].notna()
    therapy_end = s["anti_her2_stop"].where(stopped, s["consent_date"])
    flags = pd.DataFrame(
        {
            "e1_age": (s["age"] >= C.MIN_AGE).fillna(False).astype(bool),
            "e2_sex": (s["sex"] == "F").fillna(False).astype(bool),
            "e3_response_2y": (s["response_date"] + two_years <= s["consent_date"]).fillna(False),
            # a stopped participant without a stop date cannot show 2 years of therapy
            "e4_therapy_2y": (s["anti_her2_start"] + two_years <= therapy_end).fillna(False),
            "e5_stop_date": (stopped & has_stop) | (~stopped & ~has_stop),
        },
        index=s.index,
    ).astype(bool)
    reasons = pd.Series("", index=s.index, dtype=object)
    for col, text in ELIGIBILITY.items():
        reasons = reasons.where(flags[col], reasons.where(reasons == "", reasons + "; ") + text)
    flags["eligible"] = flags[list(ELIGIBILITY)].all(axis=1)
    flags["ineligible_reasons"] = reasons
    return flags


def status_at_cutoff(s: pd.DataFrame, cut: pd.Timestamp) -> pd.Series:
    """Status as it stood at the cut-off.

    An end of participation (death, completion, withdrawal, loss to follow-up) dated after the
    cut-off had not happened yet at the cut-off: such a participant was on study.
    """
    status = s["status"].astype(object)
    end_date = s["death_date"].where(status == "died", s["last_contact"])
    ended = (status != "on_study") & (end_date <= cut)
    return status.where(ended, "on_study")


def sample_dataset(ctdna: pd.DataFrame, adsl_core: pd.DataFrame, cut: pd.Timestamp) -> pd.DataFrame:
    """adctdna: samples of enrolled participants collected by the cut-off, with analysis flags."""
    consent = adsl_core.set_index("subject_id")["consent_date"]
    cohort = adsl_core.set_index("subject_id")["cohort"]
    d = ctdna.loc[ctdna["subject_id"].isin(consent.index) & (ctdna["collection_date"] <= cut)].copy()
    d["_file_order"] = d.index
    d["cohort"] = d["subject_id"].map(cohort).astype(object)
    d["visit_month"] = visit_month(d["visit"])
    d["days_from_consent"] = (d["collection_date"] - d["subject_id"].map(consent)).dt.days.astype("Int64")
    d["evaluable"] = d["result"].isin(C.EVALUABLE_RESULTS).astype(bool)
    d["positive"] = pd.array(np.where(d["evaluable"], d["result"] == "POSITIVE", pd.NA), dtype="boolean")
    d["mtm_per_ml"] = d["mtm_per_ml"].where(d["evaluable"])
    d["lab_call_query"] = lab_call_disagrees(d)
    # A baseline draw outside the 28-day window is not a baseline result (it still counts as a
    # draw for positivity at any draw and time to first positive).
    in_window = (d["visit"] != "baseline") | (d["days_from_consent"] <= C.BASELINE_WINDOW_DAYS)
    d["in_window"] = in_window.fillna(False).astype(bool)
    # The first evaluable sample of a visit is the one analysed (repeat draws after QNS/FAILED).
    d = d.sort_values(["subject_id", "visit_month", "collection_date", "_file_order"], kind="stable")
    candidate = d["evaluable"]
    first = candidate & (candidate.astype(int).groupby([d["subject_id"], d["visit_month"]]).cumsum() == 1)
    d["used"] = first.astype(bool)
    cols = ["subject_id", "sample_id", "cohort", "visit", "visit_month", "collection_date",
            "days_from_consent", "result", "evaluable", "positive", "mtm_per_ml",
            "variants_detected", "panel_size", "used", "lab_call_query", "in_window"]
    extra = [c for c in ctdna.columns if c not in cols and c not in ("_file_order",)]
    out = d[cols + extra].reset_index(drop=True)
    for c in ("subject_id", "sample_id", "visit", "result"):
        out[c] = out[c].astype(object)
    return out


def _per_subject(adctdna: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    used = adctdna.loc[adctdna["used"]]
    base = used.loc[(used["visit"] == "baseline") & used["in_window"]].drop_duplicates("subject_id").set_index("subject_id")
    by = used.groupby("subject_id")
    n_eval = by.size()
    any_pos = by["positive"].any()
    first_pos = used.loc[used["positive"].fillna(False)].groupby("subject_id")["days_from_consent"].min()
    last_neg = used.loc[~used["positive"].fillna(True)].groupby("subject_id")["days_from_consent"].max()
    out = pd.DataFrame(index=pd.Index(ids, name="subject_id"))
    out["baseline_sample_id"] = base["sample_id"].reindex(out.index).astype(object)
    out["baseline_result"] = base["result"].reindex(out.index).astype(object)
    out["baseline_evaluable"] = out["baseline_result"].notna()
    out["baseline_positive"] = pd.array(
        np.where(out["baseline_evaluable"], out["baseline_result"] == "POSITIVE", pd.NA), dtype="boolean")
    out["baseline_mtm_per_ml"] = base["mtm_per_ml"].reindex(out.index).astype(float)
    out["n_evaluable_draws"] = n_eval.reindex(out.index).fillna(0).astype("Int64")
    has = out["n_evaluable_draws"] > 0
    out["ever_positive"] = pd.array(np.where(has, any_pos.reindex(out.index).fillna(False), pd.NA), dtype="boolean")
    fp = first_pos.reindex(out.index).astype(float)
    ln = last_neg.reindex(out.index).astype(float)
    out["ttpos_days"] = fp.where(fp.notna(), ln)
    out["ttpos_event"] = pd.array(np.where(has, fp.notna(), pd.NA), dtype="boolean")
    return out.reset_index()


def subject_dataset(subjects: pd.DataFrame, adctdna: pd.DataFrame | None, cut: pd.Timestamp,
                    core: pd.DataFrame | None = None) -> pd.DataFrame:
    """adsl: one row per enrolled participant."""
    s = enrolled(subjects, cut) if core is None else core
    s = s.copy()
    # Progression and death after the cut-off are not analysed.
    for col in ("progression_date", "death_date"):
        s[col] = s[col].where(s[col] <= cut)
    s["status_at_cutoff"] = status_at_cutoff(s, cut)
    s = pd.concat([s, eligibility(s)], axis=1)
    if adctdna is not None:
        s = s.merge(_per_subject(adctdna, s["subject_id"]), on="subject_id", how="left", validate="1:1")
    s["primary_set"] = (s["eligible"] & s["baseline_evaluable"]).astype(bool)
    s["years_since_response"] = (s["consent_date"] - s["response_date"]).dt.days / DAYS_PER_YEAR
    therapy_end = s["anti_her2_stop"].where(s["cohort"] == "stopped", s["consent_date"])
    s["years_on_anti_her2"] = (therapy_end - s["anti_her2_start"]).dt.days / DAYS_PER_YEAR
    s["months_since_stop"] = ((s["consent_date"] - s["anti_her2_stop"]).dt.days / DAYS_PER_MONTH).where(
        s["cohort"] == "stopped")
    event_date = s[["progression_date", "death_date"]].min(axis=1)
    censor_date = s["last_contact"].where(s["last_contact"] <= cut, cut)
    s["pfs_event"] = event_date.notna()
    s["pfs_days"] = (event_date.where(s["pfs_event"], censor_date) - s["consent_date"]).dt.days.astype(float)
    for c in ("subject_id", "site", "cohort", "sex", "race", "ethnicity", "menopausal_status",
              "hr_status", "presentation", "visceral_mets", "brain_mets", "anti_her2",
              "best_response", "status"):
        s[c] = s[c].astype(object).where(s[c].notna(), None)
    return s


def analysis_datasets(subjects: pd.DataFrame, ctdna: pd.DataFrame, cut: pd.Timestamp):
    """(adsl, adctdna) for a validated cut."""
    core = enrolled(subjects, cut)
    adctdna = sample_dataset(ctdna, core, cut)
    adsl = subject_dataset(subjects, adctdna, cut, core=core)
    return adsl, adctdna
