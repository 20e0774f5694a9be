"""Outcome measures and statistical analyses (ClinicalTrials.gov) from results/estimates.csv."""

from __future__ import annotations

import pandas as pd

from her2cr import study
from her2cr.ctgov import model as m
from her2cr.ctgov.common import cohort_groups, require_columns
from her2cr.ctgov.formatting import (
    fmt_ci_pct,
    fmt_count,
    fmt_number,
    fmt_p_value,
    is_finite_number,
    is_missing,
)
from her2cr.ctgov.populations import eligible_population, primary_population

PRIMARY_TITLE = "Baseline ctDNA Positivity"
PRIMARY_TIME_FRAME = "At baseline (within 28 days after consent)"
PRIMARY_POPULATION = (
    "Primary analysis set: enrolled participants who met all eligibility criteria and had an "
    "evaluable (positive or negative) baseline Signatera result."
)
ANY_DRAW_TITLE = "ctDNA Positivity at Any Draw up to the Data Cut-off"
ANY_DRAW_TIME_FRAME = (
    "From consent up to the data cut-off (plasma draws at baseline and every 3 months)"
)
ANY_DRAW_POPULATION = (
    "Eligible participants with at least one evaluable (positive or negative) plasma sample up to "
    "the data cut-off."
)
# Exploratory in the study's analysis plan: posted as "Other Pre-specified", ClinicalTrials.gov's
# type for pre-specified outcome measures that are neither primary nor secondary.
ANY_DRAW_TYPE = m.OUTCOME_OTHER

_SIGNATERA = (
    "Signatera, a personalised tumour-informed ctDNA assay (about 16 patient-specific variants are "
    f"tracked; a sample is positive when at least {study.POSITIVITY_MIN_VARIANTS} are detected)"
)
PRIMARY_DESCRIPTION = (
    "Number of participants whose baseline plasma sample was ctDNA-positive by "
    f"{_SIGNATERA}. The percentage is of participants with an evaluable baseline result."
)
ANY_DRAW_DESCRIPTION = (
    "Number of participants with a ctDNA-positive result at any plasma draw (baseline or "
    f"follow-up) up to the data cut-off, by {_SIGNATERA}. Exploratory endpoint."
)

P_VALUE_COMMENT = "Two-sided; not adjusted for multiple comparisons."
EXPLORATORY_P_VALUE_COMMENT = "Exploratory; not adjusted for multiple comparisons."
TEST_TYPE_COMMENT = (
    "Test of no difference between the cohorts of an observational study; no "
    "superiority, non-inferiority or equivalence hypothesis was specified."
)
RD_TEXT = "Stopped minus continuing, as a fraction (0.10 = 10 percentage points)."
METHOD_TEXT_MAX = 120  # keeps comments within ClinicalTrials.gov's length limits

_ESTIMATE_COLUMNS = ["analysis", "parameter", "group", "n", "N", "estimate", "ci_lower",
                     "ci_upper", "ci_level", "p_value", "method"]
COMPARISON = "stopped vs continuing"


def _clean_estimates(estimates: pd.DataFrame) -> pd.DataFrame:
    require_columns(estimates, _ESTIMATE_COLUMNS, "results/estimates.csv")
    df = estimates.copy()
    for c in ("analysis", "parameter", "group"):
        df[c] = df[c].astype(str).str.strip()
    # A CSV read keeps "inf" as float inf; coerce in case the column arrived as text.
    for c in ("n", "N", "estimate", "ci_lower", "ci_upper", "ci_level", "p_value"):
        df[c] = pd.to_numeric(df[c], errors="coerce")
    return df


def _row(est: pd.DataFrame, analysis: str, parameter: str, group: str, required: bool):
    sub = est[(est["analysis"] == analysis) & (est["parameter"] == parameter)
              & (est["group"] == group)]
    if len(sub) > 1:
        raise ValueError(f"estimates: {len(sub)} rows for {analysis}, {parameter}, {group}")
    if sub.empty:
        if required:
            raise ValueError(f"estimates: no row for {analysis}, {parameter}, {group}")
        return None
    return sub.iloc[0]


def _clip(text: str, limit: int = METHOD_TEXT_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _method_of(text: str) -> tuple[str, str | None]:
    """ClinicalTrials.gov method for a test named in free text (exploratory rows)."""
    t = text.lower()
    if "fisher" in t:
        return m.METHOD_FISHER, None
    if "log-rank" in t or "logrank" in t or "log rank" in t:
        return m.METHOD_LOG_RANK, None
    return m.METHOD_OTHER, _clip(text.strip()) or "Not stated"


def _limit(value, name: str, param_type: str):
    """(text, comment) for a confidence limit; infinite or missing limits become "NA"."""
    if is_finite_number(value):
        return fmt_number(value), None
    if not is_missing(value):  # +-inf
        if param_type == m.EST_ODDS_RATIO:
            return m.NA, (f"The {name} confidence limit is infinite: a cell of the 2x2 table is "
                          f"zero, so no finite limit exists.")
        return m.NA, f"The {name} confidence limit is infinite (no finite limit exists)."
    return m.NA, f"The {name} confidence limit is not estimable from the data."


def _analysis(row, param_type: str, estimate_text: str, group_description: str,
              method_comment: str | None, force_fisher: bool) -> m.StatisticalAnalysis:
    est = row["estimate"]
    notes = []
    if is_finite_number(est):
        estimate = fmt_number(est)
    elif is_missing(est):
        estimate = m.NA
        notes.append("Not estimable (NA) from these data.")
    else:
        estimate = m.NA
        notes.append("NA: the estimate is infinite (a zero cell in the 2x2 table).")
    ci_lower, lower_comment = _limit(row["ci_lower"], "lower", param_type)
    ci_upper, upper_comment = _limit(row["ci_upper"], "upper", param_type)

    p_value = p_comment = method = other_method = None
    if not is_missing(row["p_value"]):
        p_value = fmt_p_value(row["p_value"])
        p_comment = P_VALUE_COMMENT if force_fisher else EXPLORATORY_P_VALUE_COMMENT
        if force_fisher:
            method = m.METHOD_FISHER
        else:
            method, other_method = _method_of(str(row["method"]) if not is_missing(row["method"])
                                              else "")
    else:
        method_comment = None  # no test of hypothesis, so no method to comment on
    return m.StatisticalAnalysis(
        group_keys=tuple(study.COHORTS),
        group_description=group_description,
        param_type=param_type,
        estimate=estimate,
        ci_pct=fmt_ci_pct(row["ci_level"]),
        ci_sides=m.CI_TWO_SIDED,
        ci_lower=ci_lower,
        ci_upper=ci_upper,
        estimate_comment=" ".join([estimate_text] + notes),
        ci_lower_comment=lower_comment,
        ci_upper_comment=upper_comment,
        p_value=p_value,
        p_value_comment=p_comment,
        method=method,
        other_method_name=other_method,
        method_comment=method_comment if method else None,
        test_type=m.TEST_TYPE_OTHER,
        test_type_comment=TEST_TYPE_COMMENT if method else None,
    )


def _count_outcome(est, analysis, measure_type, title, description, time_frame, population,
                   analyses) -> m.OutcomeMeasure:
    groups = cohort_groups()
    denoms, cells = {}, []
    for g in groups:
        row = _row(est, analysis, "proportion", g.key, required=True)
        n, big_n = int(fmt_count(row["n"])), int(fmt_count(row["N"]))
        if n > big_n:
            raise ValueError(f"estimates: {analysis}, {g.key}: n = {n} > N = {big_n}")
        denoms[g.key] = big_n
        if big_n == 0:
            cells.append(m.Measurement(g.key, m.NA, na_comment="No participants analysed in this "
                                                               "cohort."))
        else:
            cells.append(m.Measurement(g.key, str(n)))
    return m.OutcomeMeasure(
        measure_type=measure_type,
        title=title,
        description=description,
        time_frame=time_frame,
        population_description=population,
        param_type=m.PARAM_COUNT,
        dispersion_type=m.DISP_NA,
        unit=m.UNIT_PARTICIPANTS,
        groups=groups,
        denoms=denoms,
        classes=(m.MeasureClass(None, (m.Category(None, tuple(cells)),)),),
        analyses=tuple(analyses),
        calculate_pct=True,
    )


def build_outcome_measures(
    estimates: pd.DataFrame, any_draw_population: str = ANY_DRAW_POPULATION,
    flow: pd.DataFrame | None = None,
) -> tuple[m.OutcomeMeasure, ...]:
    """Primary: baseline ctDNA positivity (count of participants, n of N) with two analyses,
    the risk difference (Newcombe hybrid score CI, Fisher's exact p) and the odds ratio
    (conditional MLE, exact CI). Other pre-specified: positivity at any draw, when estimated.
    `flow` (data/flow.csv), when given, adds who was not analysed, and why, to the population
    descriptions.
    """
    est = _clean_estimates(estimates)
    rd = _row(est, "primary", "risk_difference", COMPARISON, required=True)
    odds = _row(est, "primary", "odds_ratio", COMPARISON, required=True)
    rd_pct, or_pct = fmt_ci_pct(rd["ci_level"]), fmt_ci_pct(odds["ci_level"])
    primary_analyses = [
        _analysis(rd, m.EST_RISK_DIFFERENCE,
                  f"{RD_TEXT} {rd_pct}% CI: Newcombe hybrid score (Newcombe 1998, method 10).",
                  "Stopped vs continuing cohort: difference in the proportion ctDNA-positive.",
                  "Fisher's exact test, two-sided.", force_fisher=True),
        _analysis(odds, m.EST_ODDS_RATIO,
                  f"Odds ratio, stopped vs continuing: conditional maximum likelihood estimate; "
                  f"{or_pct}% CI: exact conditional interval.",
                  "Stopped vs continuing cohort: odds of ctDNA positivity.",
                  "Fisher's exact test, two-sided (the exact conditional test of odds ratio 1).",
                  force_fisher=True),
    ]
    outcomes = [_count_outcome(est, "primary", m.OUTCOME_PRIMARY, PRIMARY_TITLE,
                               PRIMARY_DESCRIPTION, PRIMARY_TIME_FRAME,
                               primary_population(PRIMARY_POPULATION, flow), primary_analyses)]

    any_rows = est[(est["analysis"] == "exploratory_any_draw") & (est["parameter"] == "proportion")]
    if not any_rows.empty:
        analyses = []
        rd_any = _row(est, "exploratory_any_draw", "risk_difference", COMPARISON, required=False)
        if rd_any is not None:
            method_text = "" if is_missing(rd_any["method"]) else str(rd_any["method"]).strip()
            analyses.append(_analysis(
                rd_any, m.EST_RISK_DIFFERENCE,
                f"{RD_TEXT} Methods: {_clip(method_text or 'not stated')}.",
                "Stopped vs continuing cohort: difference in the proportion ctDNA-positive.",
                None, force_fisher=False))
        outcomes.append(_count_outcome(est, "exploratory_any_draw", ANY_DRAW_TYPE, ANY_DRAW_TITLE,
                                       ANY_DRAW_DESCRIPTION, ANY_DRAW_TIME_FRAME,
                                       eligible_population(any_draw_population, flow),
                                       analyses))
    return tuple(outcomes)
