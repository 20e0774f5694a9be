"""Footnotes of the baseline table: every statistic, denominator and test shown is named.

Only what the table actually uses is listed, so a note never describes a number that is absent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from her2cr.baseline.pvalues import FISHER, FREEMAN_HALTON, WILCOXON_ASYMPTOTIC, WILCOXON_EXACT

_CONTINUOUS_TEXT = {
    "mean_sd": "mean (SD)",
    "median_iqr": "median (IQR: first quartile to third quartile)",
    "all": "mean (SD); median (IQR: first quartile to third quartile); range (minimum to maximum)",
}


def footnotes(
    rows: Sequence,
    tidy: pd.DataFrame,
    groups: Sequence[str],
    p_values: bool,
    labels: Mapping[str, str],
) -> list[str]:
    notes: list[str] = []
    used = {(r.type, r.statistic) for r in rows}
    if any(t == "categorical" for t, _ in used):
        notes.append(
            "Categorical characteristics: n (%), the denominator of each percentage being the "
            "participants in that column with a known value, written n/N (%) where it is not the "
            "column's N; a Missing row gives the number without one wherever any value is missing. Categories are listed in a fixed order "
            "and empty categories are shown as 0."
        )
    cont = [s for t, s in used if t == "continuous"]
    if cont:
        shown = sorted({s for s in cont}, key=list(_CONTINUOUS_TEXT).index)
        text = "; ".join(_CONTINUOUS_TEXT[s] for s in shown)
        notes.append(
            f"Continuous characteristics: {text}. SD: standard deviation (n - 1 divisor); "
            "IQR: interquartile range, quartiles by linear interpolation (Hyndman-Fan type 7)."
        )
    if len(groups) == 2:
        a, b = (labels.get(g, g) for g in groups)
        notes.append(
            f"SMD: absolute standardised mean difference between the {a.lower()} and "
            f"{b.lower()} cohorts. Continuous: difference in means divided by the pooled SD, "
            "sqrt((SD1^2 + SD2^2) / 2). Two categories: difference in proportions divided by "
            "sqrt((p1(1 - p1) + p2(1 - p2)) / 2). More than two categories: the multivariate "
            "SMD of Yang and Dalton (SAS Global Forum 2012, paper 335-2012), a Mahalanobis "
            "distance between the vectors of category proportions. Values of 0.1 or more are "
            "commonly read as a meaningful imbalance. — : not estimable or not applicable; "
            "∞ : the cohorts do not overlap."
        )
    if p_values:
        tests = set(tidy["test"].dropna()) - {""}
        named = []
        if tests & {WILCOXON_EXACT, WILCOXON_ASYMPTOTIC}:
            named.append(
                "Wilcoxon rank-sum (Mann-Whitney U) test for continuous characteristics (exact "
                "null distribution when a cohort has 8 or fewer values and there are no ties, "
                "otherwise the normal approximation with tie and continuity correction)"
            )
        if FISHER in tests:
            named.append("Fisher's exact test for characteristics with two categories")
        if FREEMAN_HALTON in tests:
            named.append(
                "the Fisher-Freeman-Halton exact test (full enumeration) for characteristics "
                "with more than two categories"
            )
        if named:
            notes.append(
                "p-values (two-sided, descriptive, not adjusted for multiple comparisons): "
                + "; ".join(named) + "."
            )
        else:
            notes.append("p-values: none could be computed (a cohort without data).")
    else:
        notes.append(
            "No p-values are shown: the cohorts are observational, not randomised, and are "
            "compared by the SMD."
        )
    for r in rows:
        if r.only_cohorts is not None:
            who = ", ".join(labels.get(g, g).lower() for g in r.only_cohorts)
            notes.append(
                f"{r.label}: applies to the {who} cohort only, and is shown under it alone (no "
                "Overall column)."
            )
    not_collected = tidy.loc[~tidy["collected"], "label"].unique().tolist()
    if not_collected:
        notes.append(f"Not collected in this study: {', '.join(not_collected)}.")
    return notes
