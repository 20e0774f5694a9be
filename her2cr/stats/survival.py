"""Kaplan-Meier estimates, numbers at risk and the log-rank test.

Survival probabilities and Greenwood standard errors come from statsmodels `SurvfuncRight`; the
log-rank test from statsmodels `survdiff`. statsmodels has no pointwise interval for S(t), so the
interval here is R survival's default (conf.type = "log"): exp(log S +- z se(S)/S), upper limit
capped at 1. The median and its interval follow R's print.survfit: the median is the first time
S(t) <= 0.5 (the midpoint to the next event time when S equals 0.5 exactly); its lower (upper)
limit is the first time the lower (upper) pointwise limit is <= 0.5. Tested against R's `aml`
example.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

KM_METHOD = "Kaplan-Meier; Greenwood SE; log-transformed pointwise interval"
LOGRANK_METHOD = "log-rank test (chi-square, 1 df)"


@dataclass(frozen=True, eq=False)
class KMResult:
    """Kaplan-Meier curves for one or more groups, with the log-rank test between them."""

    # group, time, n_risk, n_event, n_censor, survival, std_err, ci_lower, ci_upper
    table: pd.DataFrame
    medians: pd.DataFrame  # group, n, events, median, ci_lower, ci_upper
    at_risk: pd.DataFrame  # group, time, n_risk
    logrank_chi2: float = math.nan
    logrank_p: float = math.nan
    ci_level: float = 0.95
    estimable: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        return self.table


def _first_time_at_or_below(times: np.ndarray, values: np.ndarray, level: float = 0.5) -> float:
    """R's rule for a quantile of a step function (values are on the left-closed steps)."""
    tol = 1e-10
    for i, v in enumerate(values):
        if np.isnan(v):
            continue
        if abs(v - level) < tol and i + 1 < len(times):
            # S stays at exactly 0.5 until the next event: R reports the midpoint.
            return float((times[i] + times[i + 1]) / 2.0)
        if v < level + tol:
            return float(times[i])
    return math.nan


def _one_group(time: np.ndarray, event: np.ndarray, level: float) -> pd.DataFrame:
    """Kaplan-Meier table at every distinct time (events and censorings)."""
    from statsmodels.duration.survfunc import SurvfuncRight

    out_times = np.unique(time)
    n_risk = np.array([(time >= t).sum() for t in out_times])
    n_event = np.array([((time == t) & event).sum() for t in out_times])
    n_censor = np.array([((time == t) & ~event).sum() for t in out_times])
    surv = np.ones(len(out_times))
    se = np.zeros(len(out_times))
    if event.any():
        sf = SurvfuncRight(time, event.astype(int))
        # carry the estimate at each event time forward to the censoring times that follow
        idx = np.searchsorted(sf.surv_times, out_times, side="right") - 1
        has = idx >= 0
        surv[has] = sf.surv_prob[idx[has]]
        se[has] = sf.surv_prob_se[idx[has]]
    z = stats.norm.ppf(0.5 + level / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        se_log = se / surv
        lower = np.where(surv > 0, surv * np.exp(-z * se_log), np.nan)
        upper = np.where(surv > 0, np.minimum(1.0, surv * np.exp(z * se_log)), np.nan)
    return pd.DataFrame({
        "time": out_times.astype(float), "n_risk": n_risk, "n_event": n_event,
        "n_censor": n_censor, "survival": surv, "std_err": se, "ci_lower": lower,
        "ci_upper": upper,
    })


def _logrank_uninformative(time: np.ndarray, event: np.ndarray, group: np.ndarray) -> str:
    """Why the log-rank test has no information on these data ("" when it has some).

    For two groups the log-rank variance is the sum over event times of
    n1 n2 d (n - d) / (n^2 (n - 1)) (hypergeometric variance; Collett, Modelling Survival Data in
    Medical Research, section 2.6): it is zero when no event happens while both groups are at
    risk and someone at risk survives it. R's survdiff then prints "Chisq = 0 on 0 degrees of
    freedom, p = 1"; statsmodels' survdiff raises LinAlgError (singular matrix).
    """
    labels = np.unique(group)
    for t in np.unique(time[event]):
        at_risk = time >= t
        both = sum(bool((at_risk & (group == g)).any()) for g in labels) >= 2
        if both and int(at_risk.sum()) > int((event & (time == t)).sum()):
            return ""
    return "no event while both groups were at risk (the test has no information)"


def kaplan_meier(
    time, event, group=None, level: float = 0.95, at_risk_times=None, groups=None
) -> KMResult:
    """Kaplan-Meier estimates by group and the log-rank test across groups.

    `groups` fixes the order (and includes groups with no participants, reported as not
    estimable); missing times are dropped. Never raises on empty or one-group data.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    group = (np.full(len(time), "all", dtype=object) if group is None
             else np.asarray(group, dtype=object))
    keep = ~np.isnan(time)
    time, event, group = time[keep], event[keep], group[keep]
    if groups is None:
        groups = sorted(set(group))
    notes = []
    tables, medians, risks = [], [], []
    for g in groups:
        sel = group == g
        t, e = time[sel], event[sel]
        if at_risk_times is not None:
            risks += [{"group": g, "time": float(s), "n_risk": int((t >= s).sum())}
                      for s in at_risk_times]
        if sel.sum() == 0:
            notes.append(f"no participants in group {g}")
            medians.append({"group": g, "n": 0, "events": 0, "median": math.nan,
                            "ci_lower": math.nan, "ci_upper": math.nan})
            continue
        tab = _one_group(t, e, level)
        tab.insert(0, "group", g)
        tables.append(tab)
        ev = tab[tab["n_event"] > 0]
        medians.append({
            "group": g, "n": int(sel.sum()), "events": int(e.sum()),
            "median": _first_time_at_or_below(ev["time"].to_numpy(), ev["survival"].to_numpy()),
            "ci_lower": _first_time_at_or_below(ev["time"].to_numpy(), ev["ci_lower"].to_numpy()),
            "ci_upper": _first_time_at_or_below(ev["time"].to_numpy(), ev["ci_upper"].to_numpy()),
        })
    chi2, p = math.nan, math.nan
    present = [g for g in groups if (group == g).sum() > 0]
    sel = np.isin(group, present)
    reason = ("fewer than two groups with participants" if len(present) < 2
              else "no events" if not event.any()
              else _logrank_uninformative(time[sel], event[sel], group[sel]))
    if not reason:
        from statsmodels.duration.survfunc import survdiff

        try:
            chi2, p = (float(v) for v in survdiff(time[sel], event[sel].astype(int), group[sel]))
        except np.linalg.LinAlgError:  # three or more groups, one without a shared risk set
            reason = "singular variance matrix (a group shares no event time's risk set)"
    if reason and len(groups) >= 2:
        notes.append("log-rank test not estimable: " + reason)
    table = (pd.concat(tables, ignore_index=True) if tables else
             pd.DataFrame(columns=["group", "time", "n_risk", "n_event", "n_censor", "survival",
                                   "std_err", "ci_lower", "ci_upper"]))
    risk = pd.DataFrame(risks, columns=["group", "time", "n_risk"])
    return KMResult(table=table, medians=pd.DataFrame(medians), at_risk=risk,
                    logrank_chi2=chi2, logrank_p=p, ci_level=level,
                    estimable=bool(tables), notes=tuple(notes))
