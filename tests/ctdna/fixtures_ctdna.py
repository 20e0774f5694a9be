"""Small synthetic analysis datasets (adsl, adctdna) with the columns of the shared interface.

Used by tests/test_ctdna.py and to try notebooks/03_ctdna.ipynb before 01_clean exists:

    .venv/bin/python tests/fixtures_ctdna.py /tmp/cut

writes /tmp/cut/data/adsl.parquet and /tmp/cut/data/adctdna.parquet.

The ctDNA-derived adsl columns are computed from adctdna the way the interface defines them, so
the two frames agree with each other. Deterministic for a given seed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

CUT = pd.Timestamp("2025-12-31")
REGIMENS = ("trastuzumab", "trastuzumab+pertuzumab", "T-DM1", "T-DXd")


def _draws(rng, subject_id, cohort, consent, end, p_pos, counter, baseline_fails=False):
    """Plasma samples of one participant: baseline and every 3 months until `end`."""
    rows = []
    month = 0
    positive_state = rng.random() < p_pos
    while True:
        offset = rng.integers(0, 15) if month == 0 else month * 30 + rng.integers(-7, 8)
        date = consent + pd.Timedelta(days=int(offset))
        if date > end:
            break
        visit = "baseline" if month == 0 else f"month_{month}"
        attempts = 2 if rng.random() < 0.08 else 1  # a failed first sample, then a repeat
        failed_visit = baseline_fails and month == 0  # no evaluable baseline at all
        attempts = 1 if failed_visit else attempts
        for attempt in range(attempts):
            counter[0] += 1
            if failed_visit or (attempt == 0 and attempts == 2):
                result = "QNS" if rng.random() < 0.5 else "FAILED"
            else:
                if month > 0 and not positive_state and rng.random() < 0.12:
                    positive_state = True
                result = "POSITIVE" if positive_state else "NEGATIVE"
            evaluable = result in ("POSITIVE", "NEGATIVE")
            mtm = (float(np.round(rng.lognormal(0.0, 1.5), 3)) if result == "POSITIVE"
                   else 0.0 if result == "NEGATIVE" else np.nan)
            variants = (int(rng.integers(2, 10)) if result == "POSITIVE" else
                        0 if result == "NEGATIVE" else pd.NA)
            rows.append({
                "subject_id": subject_id, "sample_id": f"S{counter[0]:04d}", "cohort": cohort,
                "visit": visit, "visit_month": month,
                "collection_date": date + pd.Timedelta(days=attempt * 3),
                "days_from_consent": int(offset) + attempt * 3, "result": result,
                "evaluable": evaluable, "positive": (result == "POSITIVE") if evaluable else pd.NA,
                "mtm_per_ml": mtm, "variants_detected": variants, "panel_size": 16,
                "lab_call_query": False,
            })
        month += 3
    return rows


def make_datasets(n: int = 40, seed: int = 20251231, cut: pd.Timestamp = CUT):
    """Return (adsl, adctdna) for n enrolled participants."""
    rng = np.random.default_rng(seed)
    subjects, samples = [], []
    counter = [0]
    for i in range(n):
        sid = f"HCR-{i + 1:03d}"
        cohort = "stopped" if i % 2 else "continuing"
        consent = pd.Timestamp("2024-04-01") + pd.Timedelta(days=int(rng.integers(0, 540)))
        start = consent - pd.Timedelta(days=int(rng.integers(900, 3000)))
        response = start + pd.Timedelta(days=int(rng.integers(60, 200)))
        stop = (consent - pd.Timedelta(days=int(rng.integers(30, 400)))
                if cohort == "stopped" else pd.NaT)
        followup_end = min(cut, consent + pd.Timedelta(days=int(rng.integers(120, 640))))
        last_contact = followup_end
        progression = (consent + pd.Timedelta(days=int(rng.integers(60, 500)))
                       if rng.random() < 0.25 else pd.NaT)
        if pd.notna(progression) and progression > last_contact:
            progression = pd.NaT
        age = int(rng.integers(35, 80)) if i != 5 else 19  # one ineligible by age
        p_pos = 0.35 if cohort == "stopped" else 0.15
        samples += _draws(rng, sid, cohort, consent, followup_end, p_pos, counter,
                          baseline_fails=i in (7, 20))
        subjects.append({
            "subject_id": sid, "site": ("NCU", "ACC", "JFCR")[i % 3], "cohort": cohort,
            "consent_date": consent, "anti_her2_start": start, "response_date": response,
            "anti_her2_stop": stop, "last_contact": last_contact,
            "progression_date": progression, "death_date": pd.NaT,
            "age": age, "sex": "F", "race": "Asian", "ethnicity": "Not Hispanic or Latino",
            "menopausal_status": "post" if age >= 50 else "pre", "ecog": int(rng.integers(0, 2)),
            "hr_status": "positive" if rng.random() < 0.6 else "negative",
            "presentation": "de_novo" if rng.random() < 0.4 else "recurrent",
            "visceral_mets": "yes" if rng.random() < 0.5 else "no", "brain_mets": "no",
            "prior_lines": int(rng.integers(0, 3)),
            "anti_her2": REGIMENS[int(rng.integers(0, 4))],
            "best_response": "CR" if rng.random() < 0.5 else "PR",
            "status": "on_study", "status_at_cutoff": "on_study",
        })
    adsl = pd.DataFrame(subjects)
    adct = pd.DataFrame(samples)
    # the first evaluable sample of each visit is the one analysed
    adct["used"] = False
    first = adct[adct["evaluable"]].groupby(["subject_id", "visit"]).head(1).index
    adct.loc[first, "used"] = True
    adct = _types_adctdna(adct)
    return _derive_adsl(adsl, adct, cut), adct


def _types_adctdna(adct: pd.DataFrame) -> pd.DataFrame:
    adct = adct.copy()
    for col in ("visit_month", "days_from_consent", "variants_detected", "panel_size"):
        adct[col] = adct[col].astype("Int64")
    adct["positive"] = adct["positive"].astype("boolean")
    adct["collection_date"] = pd.to_datetime(adct["collection_date"])
    return adct


def _derive_adsl(adsl: pd.DataFrame, adct: pd.DataFrame, cut: pd.Timestamp) -> pd.DataFrame:
    adsl = adsl.copy()
    for col in ("age", "ecog", "prior_lines"):
        adsl[col] = adsl[col].astype("Int64")
    adsl["race"] = adsl["race"].astype("string")
    adsl["e1_age"] = (adsl["age"] >= 20).astype(bool)
    adsl["e2_sex"] = adsl["sex"] == "F"
    adsl["e3_response_2y"] = adsl["response_date"] + pd.Timedelta(days=730) <= adsl["consent_date"]
    therapy_end = adsl["anti_her2_stop"].fillna(adsl["consent_date"])
    adsl["e4_therapy_2y"] = adsl["anti_her2_start"] + pd.Timedelta(days=730) <= therapy_end
    adsl["e5_stop_date"] = (adsl["cohort"] == "stopped") == adsl["anti_her2_stop"].notna()
    crit = ["e1_age", "e2_sex", "e3_response_2y", "e4_therapy_2y", "e5_stop_date"]
    adsl["eligible"] = adsl[crit].all(axis=1).astype(bool)
    adsl["ineligible_reasons"] = np.where(adsl["e1_age"], "", "E1: age < 20")
    used = adct[adct["used"]]
    base = used[used["visit"] == "baseline"].set_index("subject_id")
    adsl["baseline_sample_id"] = adsl["subject_id"].map(base["sample_id"]).astype("string")
    adsl["baseline_result"] = adsl["subject_id"].map(base["result"]).astype("string")
    adsl["baseline_evaluable"] = adsl["baseline_result"].notna()
    adsl["baseline_positive"] = (adsl["baseline_result"] == "POSITIVE").astype("boolean")
    adsl.loc[~adsl["baseline_evaluable"], "baseline_positive"] = pd.NA
    adsl["baseline_mtm_per_ml"] = adsl["subject_id"].map(base["mtm_per_ml"]).astype(float)
    adsl["primary_set"] = (adsl["eligible"] & adsl["baseline_evaluable"]).astype(bool)
    days = 365.25
    adsl["years_since_response"] = (adsl["consent_date"] - adsl["response_date"]).dt.days / days
    adsl["years_on_anti_her2"] = (therapy_end - adsl["anti_her2_start"]).dt.days / days
    since_stop = (adsl["consent_date"] - adsl["anti_her2_stop"]).dt.days
    adsl["months_since_stop"] = since_stop / (days / 12)
    per = used.groupby("subject_id")
    adsl["n_evaluable_draws"] = adsl["subject_id"].map(per.size()).fillna(0).astype("Int64")
    ever = per["positive"].any()
    adsl["ever_positive"] = adsl["subject_id"].map(ever).astype("boolean")
    positives = used[used["positive"].fillna(False)]
    first_pos = positives.groupby("subject_id")["days_from_consent"].min()
    last_neg = per["days_from_consent"].max()
    adsl["ttpos_event"] = adsl["subject_id"].map(first_pos).notna().astype("boolean")
    adsl.loc[adsl["n_evaluable_draws"] == 0, "ttpos_event"] = pd.NA
    adsl["ttpos_days"] = adsl["subject_id"].map(first_pos).fillna(
        adsl["subject_id"].map(last_neg)).astype(float)
    end = adsl[["progression_date", "death_date"]].min(axis=1)
    adsl["pfs_event"] = end.notna() & (end <= cut)
    censor = adsl["last_contact"].where(adsl["last_contact"] <= cut, cut)
    pfs_end = end.where(adsl["pfs_event"], censor)
    adsl["pfs_days"] = (pfs_end - adsl["consent_date"]).dt.days.astype(float)
    return adsl


def write_datasets(out_dir, n: int = 40, seed: int = 20251231) -> Path:
    """Write data/adsl.parquet and data/adctdna.parquet under out_dir (for trying the notebook)."""
    out = Path(out_dir)
    (out / "data").mkdir(parents=True, exist_ok=True)
    adsl, adct = make_datasets(n, seed)
    adsl.to_parquet(out / "data" / "adsl.parquet", index=False)
    adct.to_parquet(out / "data" / "adctdna.parquet", index=False)
    return out


if __name__ == "__main__":
    print(write_datasets(sys.argv[1] if len(sys.argv) > 1 else "/tmp/her2cr-ctdna-cut"))
