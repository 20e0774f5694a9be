"""ctDNA positivity in the stopped and continuing cohorts (issue 4): the analyses of the report.

Every function takes the analysis datasets (adsl, adctdna; columns in the shared interface) and
returns result objects from `her2cr.stats`; `estimates_table` stacks them into the
machine-readable `results/estimates.csv` that QC compares with an independent programming.

Populations (written into the methods text of the notebook):
- primary and subgroups: primary analysis set (eligible, evaluable baseline result);
- worst/best case: all eligible participants, non-evaluable baselines counted positive/negative;
- Firth regression and PFS by baseline status: primary analysis set;
- positivity at any draw and time to first positive draw: eligible participants with at least one
  evaluable draw by the cut-off;
- MTM/mL: the analysed (first evaluable) positive draws of eligible participants.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from her2cr.settings import DAYS_PER_MONTH
from her2cr.study import COHORTS
from her2cr.stats import (
    Estimate,
    FirthResult,
    KMResult,
    TwoByTwoComparison,
    compare_proportions,
    firth_logit,
    kaplan_meier,
    stack,
)
from her2cr.stats.firth import METHOD as FIRTH_METHOD
from her2cr.stats.firth import not_estimable as firth_not_estimable
from her2cr.stats.survival import KM_METHOD, LOGRANK_METHOD
from her2cr.ctdna.labels import LEVEL_LABELS, SUBGROUP_TITLES

LEVEL = 0.95
COMPARISON = ("stopped", "continuing")  # stopped minus continuing; odds of stopped over continuing
LABEL = "stopped vs continuing"
# status: "estimated" or "not estimable", so that a blank estimate, limit or p-value reads apart
# from one the analysis does not have (not applicable: no interval for a median of draws, no test
# for a proportion); note: why a value is missing (e.g. "upper limit not reached").
ESTIMATE_COLUMNS = ["analysis", "parameter", "group", "n", "N", "estimate", "ci_lower",
                    "ci_upper", "ci_level", "p_value", "method", "status", "note"]
ESTIMATED, NOT_ESTIMABLE = "estimated", "not estimable"

# Subgroup variables and their levels in the data contract's order; every level is reported, so
# the estimate keys do not depend on which levels happen to occur in a cut.
SUBGROUPS = {
    "best_response": ("CR", "PR"),
    "hr_status": ("positive", "negative"),
    "presentation": ("de_novo", "recurrent"),
    "anti_her2": ("trastuzumab", "trastuzumab+pertuzumab", "T-DM1", "T-DXd"),
}


# --- populations -----------------------------------------------------------------------------

def _bool(series: pd.Series) -> pd.Series:
    """Nullable boolean column as plain bool, missing counted False."""
    return series.astype("boolean").fillna(False).astype(bool)


def primary_population(adsl: pd.DataFrame) -> pd.DataFrame:
    return adsl[_bool(adsl["primary_set"])]


def eligible_population(adsl: pd.DataFrame) -> pd.DataFrame:
    return adsl[_bool(adsl["eligible"])]


def _counts(frame: pd.DataFrame, column: str) -> dict[str, tuple[int, int]]:
    """(positives, evaluable) by cohort for a nullable boolean column; missing values skipped."""
    out = {}
    for cohort in COHORTS:
        values = frame.loc[frame["cohort"] == cohort, column].astype("boolean").dropna()
        out[cohort] = (int(values.sum()), int(len(values)))
    return out


def _compare(counts: dict[str, tuple[int, int]], level: float, boschloo: bool = False,
             full: bool = False):
    """full: also the odds ratio and the Miettinen-Nurminen interval (primary analysis only)."""
    (x1, n1), (x2, n2) = counts[COMPARISON[0]], counts[COMPARISON[1]]
    return compare_proportions(x1, n1, x2, n2, names=COMPARISON, level=level, boschloo=boschloo,
                               full=full)


# --- analyses --------------------------------------------------------------------------------

def primary_analysis(adsl: pd.DataFrame, level: float = LEVEL) -> TwoByTwoComparison:
    """Baseline positivity by cohort and stopped minus continuing (with Boschloo's test)."""
    return _compare(_counts(primary_population(adsl), "baseline_positive"), level, boschloo=True,
                    full=True)


def imputed_analysis(adsl: pd.DataFrame, non_evaluable_positive: bool,
                     level: float = LEVEL) -> TwoByTwoComparison:
    """Worst case (non-evaluable eligible counted positive) or best case (counted negative)."""
    eligible = eligible_population(adsl)
    filled = eligible["baseline_positive"].astype("boolean").fillna(non_evaluable_positive)
    return _compare(_counts(eligible.assign(imputed=filled), "imputed"), level)


def any_draw_analysis(adsl: pd.DataFrame, level: float = LEVEL) -> TwoByTwoComparison:
    """Positivity at any evaluable draw up to the cut-off, by cohort."""
    return _compare(_counts(eligible_population(adsl), "ever_positive"), level)


def firth_analysis(adsl: pd.DataFrame, level: float = LEVEL) -> FirthResult:
    """Firth logistic regression of baseline positivity on cohort, best response (PR vs CR) and
    years since response, in the primary analysis set (complete cases)."""
    data = primary_population(adsl)
    data = data[data["years_since_response"].notna() & data["best_response"].isin(["CR", "PR"])]
    names = ["(Intercept)", "stopped vs continuing", "PR vs CR", "per year since response"]
    y = data["baseline_positive"].astype("boolean").astype(float).to_numpy()
    n, events = len(data), int(np.nansum(y))
    if data["cohort"].nunique() < 2:
        return firth_not_estimable(names, n, events, level,
                                   "not estimable: participants from only one cohort")
    X = np.column_stack([
        np.ones(n),
        (data["cohort"] == "stopped").astype(float),
        (data["best_response"] == "PR").astype(float),
        data["years_since_response"].astype(float),
    ])
    keep = [0, 1] + [j for j in (2, 3) if np.ptp(X[:, j]) > 0]
    dropped = [names[j] for j in (2, 3) if j not in keep]
    res = firth_logit(y, X[:, keep], [names[j] for j in keep], level=level)
    if dropped:
        note = "; ".join(filter(None, [res.note, "omitted (does not vary): " + ", ".join(dropped)]))
        res = FirthResult(**{**res.__dict__, "note": note})
    return res


def positive_draws(adsl: pd.DataFrame, adctdna: pd.DataFrame) -> pd.DataFrame:
    """The analysed positive draws of eligible participants (one per visit)."""
    eligible = set(eligible_population(adsl)["subject_id"])
    draws = adctdna[_bool(adctdna["used"]) & _bool(adctdna["positive"])]
    return draws[draws["subject_id"].isin(eligible)].copy()


def mtm_summary(adsl: pd.DataFrame, adctdna: pd.DataFrame) -> pd.DataFrame:
    """MTM/mL of positive draws by cohort: draws, participants, median, quartiles, range."""
    draws = positive_draws(adsl, adctdna)
    rows = []
    for cohort in COHORTS:
        values = draws.loc[draws["cohort"] == cohort, "mtm_per_ml"].dropna()
        q = values.quantile([0.25, 0.5, 0.75]) if len(values) else pd.Series([math.nan] * 3)
        rows.append({
            "cohort": cohort, "draws": len(values),
            "participants": draws.loc[draws["cohort"] == cohort, "subject_id"].nunique(),
            "median": float(q.iloc[1]), "q1": float(q.iloc[0]), "q3": float(q.iloc[2]),
            "min": float(values.min()) if len(values) else math.nan,
            "max": float(values.max()) if len(values) else math.nan,
        })
    return pd.DataFrame(rows)


def at_risk_grid(days: pd.Series, step_months: int = 3) -> list[float]:
    """Times (days) for numbers at risk: every `step_months` months up to the longest follow-up."""
    longest = float(np.nanmax(days)) if days.notna().any() else 0.0
    steps = int(longest // (step_months * DAYS_PER_MONTH)) + 1
    return [round(k * step_months * DAYS_PER_MONTH, 6) for k in range(steps)]


def time_to_positive(adsl: pd.DataFrame, level: float = LEVEL) -> KMResult:
    """Kaplan-Meier of days from consent to the first positive draw, by cohort (censored at the
    last evaluable negative draw)."""
    data = eligible_population(adsl)
    data = data[data["ttpos_days"].notna() & data["ttpos_event"].notna()]
    return kaplan_meier(data["ttpos_days"], _bool(data["ttpos_event"]), data["cohort"],
                        level=level, at_risk_times=at_risk_grid(data["ttpos_days"]),
                        groups=list(COHORTS))


def pfs_by_baseline(adsl: pd.DataFrame, level: float = LEVEL) -> KMResult:
    """Kaplan-Meier of progression-free survival by baseline ctDNA status (primary set)."""
    data = primary_population(adsl)
    data = data[data["pfs_days"].notna()]
    status = np.where(_bool(data["baseline_positive"]), "positive", "negative")
    return kaplan_meier(data["pfs_days"], _bool(data["pfs_event"]), status, level=level,
                        at_risk_times=at_risk_grid(data["pfs_days"]),
                        groups=["negative", "positive"])


def subgroup_analyses(adsl: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """Stopped minus continuing within each level of the subgroup variables (primary set)."""
    data = primary_population(adsl)
    rows = []
    for variable, levels in SUBGROUPS.items():
        for value in levels:
            sub = data[data[variable] == value]
            counts = _counts(sub, "baseline_positive")
            rd = _compare(counts, level).risk_difference
            rows.append({
                "variable": variable, "level": value,
                "label": f"{SUBGROUP_TITLES[variable]}: {LEVEL_LABELS.get(value, value)}",
                "stopped_n": counts["stopped"][0], "stopped_N": counts["stopped"][1],
                "continuing_n": counts["continuing"][0], "continuing_N": counts["continuing"][1],
                "estimate": rd.estimate, "ci_lower": rd.ci_lower, "ci_upper": rd.ci_upper,
                "ci_level": level, "p_value": rd.p_value, "method": rd.method,
                "estimable": rd.estimable, "note": rd.note,
            })
    return pd.DataFrame(rows)


# --- the machine-readable table --------------------------------------------------------------

def _tag(analysis: str, rows) -> pd.DataFrame:
    from her2cr.ctdna.labels import analysis_title

    if analysis_title(analysis) == analysis:  # every analysis is named where it is defined
        raise ValueError(f"analysis {analysis!r} has no title in her2cr.ctdna.labels")
    frame = stack(rows)
    frame.insert(0, "analysis", analysis)
    return frame


def _proportion_rows(cmp: TwoByTwoComparison) -> list[Estimate]:
    by_group = {cmp.group1.group: cmp.group1, cmp.group2.group: cmp.group2}
    return [by_group[c] for c in COHORTS]


def _firth_rows(res: FirthResult) -> list[Estimate]:
    rows = []
    for j, name in enumerate(res.names):
        if name == "(Intercept)":
            continue
        rows.append(Estimate(
            parameter="odds_ratio", group=name, n=res.events, N=res.n,
            estimate=float(np.exp(res.coef[j])), ci_lower=float(np.exp(res.ci_lower[j])),
            ci_upper=float(np.exp(res.ci_upper[j])), ci_level=res.ci_level,
            p_value=float(res.p_value[j]), method=FIRTH_METHOD, estimable=res.estimable,
            note=res.term_note(j)))
    # keep the cohort row even when the model could not be fitted, so the key is always there
    if not any(r.group == LABEL for r in rows):
        rows.insert(0, Estimate(parameter="odds_ratio", group=LABEL, n=res.events, N=res.n,
                                estimate=math.nan, ci_level=res.ci_level, method=FIRTH_METHOD,
                                estimable=False, note=res.note))
    return rows


def _km_rows(km: KMResult, label: str) -> list[Estimate]:
    rows = []
    for _, m in km.medians.iterrows():
        if int(m["n"]) == 0:
            note = "not estimable: no participants"
        elif math.isnan(m["median"]):
            note = "median not reached"
        elif math.isnan(m["ci_upper"]):
            note = "upper limit not reached"
        else:
            note = ""
        rows.append(Estimate(
            parameter="median_days", group=m["group"], n=int(m["events"]), N=int(m["n"]),
            estimate=m["median"], ci_lower=m["ci_lower"], ci_upper=m["ci_upper"],
            ci_level=km.ci_level, method=KM_METHOD + "; median as in R survfit (n = events)",
            estimable=int(m["n"]) > 0, note=note))
    events = int(km.medians["events"].sum())
    rows.append(Estimate(
        parameter="logrank", group=label, n=events, N=int(km.medians["n"].sum()),
        estimate=km.logrank_chi2, p_value=km.logrank_p,
        method=LOGRANK_METHOD + "; estimate = chi-square statistic",
        estimable=not math.isnan(km.logrank_p), note="; ".join(km.notes)))
    return rows


def _mtm_rows(summary: pd.DataFrame) -> list[Estimate]:
    return [Estimate(
        parameter="median", group=r["cohort"], n=int(r["draws"]), N=int(r["participants"]),
        estimate=r["median"],
        method="median MTM/mL of positive draws (n = draws, N = participants); descriptive, no "
               "interval (draws of one participant are not independent)",
        estimable=r["draws"] > 0, note="" if r["draws"] else "no positive draws")
        for _, r in summary.iterrows()]


def _subgroup_frames(subgroups: pd.DataFrame) -> list[pd.DataFrame]:
    frames = []
    for _, r in subgroups.iterrows():
        est = Estimate(parameter="risk_difference", group=LABEL,
                       n=r["stopped_n"] + r["continuing_n"], N=r["stopped_N"] + r["continuing_N"],
                       estimate=r["estimate"], ci_lower=r["ci_lower"], ci_upper=r["ci_upper"],
                       ci_level=r["ci_level"], p_value=r["p_value"], method=r["method"],
                       estimable=r["estimable"], note=r["note"])
        frames.append(_tag(f"subgroup_{r['variable']}={r['level']}", [est]))
    return frames


def all_results(adsl: pd.DataFrame, adctdna: pd.DataFrame, level: float = LEVEL) -> dict:
    """Every analysis of the ctDNA chapter, computed once (the notebook shows these)."""
    return {
        "primary": primary_analysis(adsl, level),
        "worst_case": imputed_analysis(adsl, True, level),
        "best_case": imputed_analysis(adsl, False, level),
        "firth": firth_analysis(adsl, level),
        "any_draw": any_draw_analysis(adsl, level),
        "mtm": mtm_summary(adsl, adctdna),
        "ttpos": time_to_positive(adsl, level),
        "pfs": pfs_by_baseline(adsl, level),
        "subgroups": subgroup_analyses(adsl, level),
    }


def estimates_long(results: dict) -> pd.DataFrame:
    """All estimate rows with `estimable` and `note`, in the fixed report order."""
    p = results["primary"]
    frames = [
        _tag("primary", _proportion_rows(p) + [p.risk_difference, p.odds_ratio]),
        _tag("sensitivity_miettinen_nurminen", [p.risk_difference_mn]),
        _tag("sensitivity_boschloo", [p.boschloo]),
    ]
    for key in ("worst_case", "best_case"):
        c = results[key]
        frames.append(_tag(f"sensitivity_{key}", _proportion_rows(c) + [c.risk_difference]))
    frames.append(_tag("exploratory_firth", _firth_rows(results["firth"])))
    a = results["any_draw"]
    frames.append(_tag("exploratory_any_draw", _proportion_rows(a) + [a.risk_difference]))
    frames.append(_tag("exploratory_mtm", _mtm_rows(results["mtm"])))
    frames.append(_tag("exploratory_ttpos", _km_rows(results["ttpos"], LABEL)))
    frames.append(_tag("exploratory_pfs", _km_rows(results["pfs"], "positive vs negative")))
    frames += _subgroup_frames(results["subgroups"])
    out = pd.concat(frames, ignore_index=True)
    for col in ("n", "N"):
        out[col] = out[col].astype("Int64")
    for col in ("estimate", "ci_lower", "ci_upper", "ci_level", "p_value"):
        out[col] = out[col].astype(float)
    estimated = out["estimable"].astype(bool) & out["estimate"].notna()
    out["status"] = estimated.map({True: ESTIMATED, False: NOT_ESTIMABLE})
    out["note"] = out["note"].fillna("").astype(str)
    return out


def estimates_table(adsl: pd.DataFrame, adctdna: pd.DataFrame, level: float = LEVEL,
                    results: dict | None = None) -> pd.DataFrame:
    """`results/estimates.csv`: one row per estimate, exactly the columns of the issue."""
    results = all_results(adsl, adctdna, level) if results is None else results
    return estimates_long(results)[ESTIMATE_COLUMNS]


def write_csv(frame: pd.DataFrame, path) -> None:
    """CSV as the project writes them: no index, full-precision floats, LF, UTF-8."""
    from pathlib import Path

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


# --- display -----------------------------------------------------------------------------------

def _pct(x: float) -> str:
    return "NA" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}"


def _p(p: float) -> str:
    from her2cr.formatting import p_text

    return p_text(p)


def summary_table(estimates: pd.DataFrame) -> pd.DataFrame:
    """Readable summary of the positivity comparisons (percent, percentage points)."""
    rows = []
    titles = {
        "primary": "Baseline (primary analysis)",
        "sensitivity_miettinen_nurminen": "Baseline, Miettinen-Nurminen interval",
        "sensitivity_boschloo": "Baseline, Boschloo's exact test",
        "sensitivity_worst_case": "Worst case (non-evaluable = positive)",
        "sensitivity_best_case": "Best case (non-evaluable = negative)",
        "exploratory_any_draw": "Any draw up to the cut-off (exploratory)",
    }
    for analysis, title in titles.items():
        part = estimates[estimates["analysis"] == analysis]
        prop = part[part["parameter"] == "proportion"].set_index("group")
        rd = part[part["parameter"] == "risk_difference"].iloc[0]
        row = {"analysis": title}
        for cohort in ("stopped", "continuing"):
            if cohort in prop.index:
                r = prop.loc[cohort]
                row[f"{cohort} n/N (%)"] = f"{r['n']}/{r['N']} ({_pct(r['estimate'])})"
            else:
                row[f"{cohort} n/N (%)"] = ""
        if math.isnan(rd["ci_lower"]):
            row["difference, % points (95% CI)"] = (_pct(rd["estimate"]) if
                                                    not math.isnan(rd["estimate"]) else "NE")
        else:
            row["difference, % points (95% CI)"] = (
                f"{_pct(rd['estimate'])} ({_pct(rd['ci_lower'])} to {_pct(rd['ci_upper'])})")
        row["p-value"] = _p(rd["p_value"])
        row["method"] = rd["method"]
        rows.append(row)
    return pd.DataFrame(rows)


def write_tables(results: dict, estimates: pd.DataFrame, out_dir) -> list:
    """Write results/estimates.csv and the chapter's tables under out_dir; return the paths."""
    from pathlib import Path

    out = Path(out_dir)
    files = {
        out / "results" / "estimates.csv": estimates[ESTIMATE_COLUMNS],
        out / "tables" / "primary.csv": estimates[estimates["analysis"] == "primary"],
        out / "tables" / "sensitivity.csv":
            estimates[estimates["analysis"].str.startswith("sensitivity_")],
        out / "tables" / "ctdna_summary.csv": summary_table(estimates),
        out / "tables" / "subgroups.csv": results["subgroups"],
        out / "tables" / "firth.csv": results["firth"].to_frame(),
        out / "tables" / "mtm.csv": results["mtm"],
        out / "tables" / "km_pfs.csv": results["pfs"].table,
        out / "tables" / "km_pfs_at_risk.csv": results["pfs"].at_risk,
        out / "tables" / "km_ttpos.csv": results["ttpos"].table,
        out / "tables" / "km_ttpos_at_risk.csv": results["ttpos"].at_risk,
    }
    for path, frame in files.items():
        write_csv(frame, path)
    return list(files)


def notes(estimates: pd.DataFrame) -> pd.DataFrame:
    """Rows that carry a note (not estimable, boundary estimates, omitted covariates)."""
    cols = ["analysis", "parameter", "group", "estimable", "note"]
    return estimates.loc[estimates["note"] != "", cols].reset_index(drop=True)
