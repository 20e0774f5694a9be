"""Small, realistic input frames for the ClinicalTrials.gov writers (tests only).

They follow the formats fixed in the project's interfaces file: data/flow.csv,
tables/baseline_tidy.csv and results/estimates.csv. 50 participants, 26 continuing and 24 stopped.

The estimates are those of real 2x2 tables, computed once with the libraries the project uses
(values pasted at full precision):
- zero-cell table, continuing 0/23 vs stopped 6/21 positive at baseline:
  statsmodels.stats.proportion.proportion_confint(method="beta") (Clopper-Pearson),
  confint_proportions_2indep(6, 21, 0, 23, method="newcomb", compare="diff") (Newcombe hybrid
  score), scipy.stats.fisher_exact (two-sided p = 0.007687...), and
  scipy.stats.contingency.odds_ratio(kind="conditional"): CMLE = inf, exact CI (1.509..., inf);
- table continuing 3/23 vs stopped 8/21 (all finite): same calls, OR 3.969..., CI (0.770, 27.57);
- any draw, continuing 2/24 vs stopped 11/23: RD 0.3949..., Newcombe (0.1395, 0.5962),
  Fisher p = 0.003351...
The tests check that these numbers travel unchanged into the files, not the statistics themselves.
"""

from __future__ import annotations

import math

import pandas as pd

INF = math.inf
NAN = math.nan

FLOW_STEPS = ["enrolled", "not_eligible", "eligible", "baseline_not_evaluable", "primary_set",
              "on_study", "completed", "withdrawn", "lost_to_follow_up", "died"]
FLOW_LABELS = {
    "enrolled": "Enrolled (consent on or before the cut-off)",
    "not_eligible": "Not eligible",
    "eligible": "Eligible",
    "baseline_not_evaluable": "No evaluable baseline sample",
    "primary_set": "Primary analysis set",
    "on_study": "On study at cut-off",
    "completed": "Completed",
    "withdrawn": "Withdrawn",
    "lost_to_follow_up": "Lost to follow-up",
    "died": "Died",
}
FLOW_COUNTS = {
    "continuing": [26, 2, 24, 1, 23, 20, 3, 1, 1, 1],
    "stopped": [24, 1, 23, 2, 21, 19, 4, 1, 0, 0],
}


def sample_flow() -> pd.DataFrame:
    counts = dict(FLOW_COUNTS)
    counts["overall"] = [a + b for a, b in zip(counts["continuing"], counts["stopped"])]
    rows = [
        {"cohort": cohort, "step": step, "label": FLOW_LABELS[step], "count": n}
        for cohort in ("continuing", "stopped", "overall")
        for step, n in zip(FLOW_STEPS, counts[cohort])
    ]
    return pd.DataFrame(rows)


GROUP_N = {"continuing": 26, "stopped": 24, "overall": 50}
_TIDY_COLUMNS = ["variable", "label", "measure_title", "var_type", "statistic", "unit", "level",
                 "level_order", "group", "group_N", "n", "denominator", "percent", "mean", "sd",
                 "median", "q1", "q3", "min", "max", "n_missing", "smd", "p_value", "test",
                 "collected", "applicable"]  # applicable: an addition the project's table makes


def _categorical(variable, label, title, levels, counts, collected=True, missing=None):
    """counts: {group: [n per level]}; missing: {group: n missing} (default none)."""
    rows = []
    for group, ns in counts.items():
        n_missing = (missing or {}).get(group, 0)
        denominator = GROUP_N[group] - n_missing
        for order, (level, n) in enumerate(zip(levels, ns), start=1):
            rows.append(dict(
                variable=variable, label=label, measure_title=title, var_type="categorical",
                statistic="n_pct", unit="Participants", level=level, level_order=order,
                group=group, group_N=GROUP_N[group], n=n, denominator=denominator,
                percent=100 * n / denominator if denominator else NAN, mean=NAN, sd=NAN,
                median=NAN, q1=NAN, q3=NAN, min=NAN, max=NAN, n_missing=n_missing, smd=0.1,
                p_value=NAN, test="", collected=collected, applicable=True))
    return rows


def _continuous(variable, label, title, statistic, unit, stats, not_applicable=()):
    """stats: {group: (n, mean, sd, median, q1, q3, min, max)}; groups in `not_applicable` get
    the project's not-applicable row (n = 0, nothing missing, applicable False)."""
    rows = []
    for group, (n, mean, sd, median, q1, q3, lo, hi) in stats.items():
        applicable = group not in not_applicable
        rows.append(dict(
            variable=variable, label=label, measure_title=title, var_type="continuous",
            statistic=statistic, unit=unit, level="", level_order=0, group=group,
            group_N=GROUP_N[group], n=n, denominator=NAN, percent=NAN, mean=mean, sd=sd,
            median=median, q1=q1, q3=q3, min=lo, max=hi,
            n_missing=GROUP_N[group] - n if applicable else 0,
            smd=0.2, p_value=NAN, test="", collected=True, applicable=applicable))
    return rows


def sample_baseline_tidy(race_collected: bool = False) -> pd.DataFrame:
    """Enrolled set. Race/ethnicity are not collected unless `race_collected`."""
    rows = []
    rows += _continuous("age", "Age, years", "Age, Continuous", "all", "years", {
        "continuing": (26, 58.4230769230769, 10.21187, 59.0, 51.25, 66.0, 36.0, 79.0),
        "stopped": (24, 61.1666666666667, 9.87654, 62.5, 54.0, 68.25, 41.0, 81.0),
        "overall": (50, 59.74, 10.1123456, 60.5, 52.0, 67.0, 36.0, 81.0),
    })
    rows += _categorical("age_cat", "Age group", "Age, Categorical",
                         ["Between 18 and 65 years", ">=65 years"],
                         {"continuing": [18, 8], "stopped": [14, 10], "overall": [32, 18]})
    rows += _categorical("sex", "Sex", "Sex: Female, Male", ["Female", "Male"],
                         {"continuing": [25, 1], "stopped": [24, 0], "overall": [49, 1]})
    if race_collected:
        rows += _categorical("race", "Race", "Race (NIH/OMB)", ["Asian"],
                             {"continuing": [26], "stopped": [24], "overall": [50]})
        rows += _categorical("ethnicity", "Ethnicity", "Ethnicity (NIH/OMB)",
                             ["Not Hispanic or Latino"],
                             {"continuing": [26], "stopped": [24], "overall": [50]})
    else:
        rows += _categorical("race", "Race", "Race (NIH/OMB)", ["Unknown or Not Reported"],
                             {"continuing": [0], "stopped": [0], "overall": [0]}, collected=False)
        rows += _categorical("ethnicity", "Ethnicity", "Ethnicity (NIH/OMB)",
                             ["Unknown or Not Reported"],
                             {"continuing": [0], "stopped": [0], "overall": [0]}, collected=False)
    rows += _categorical("site_country", "Country", "Region of Enrollment", ["Japan"],
                         {"continuing": [26], "stopped": [24], "overall": [50]})
    rows += _categorical("menopausal_status", "Menopausal status", "Menopausal status",
                         ["Pre-menopausal", "Post-menopausal"],
                         {"continuing": [6, 20], "stopped": [4, 20], "overall": [10, 40]})
    # one stopped participant with unknown hormone-receptor status: analysed N differs
    rows += _categorical("hr_status", "Hormone-receptor status", "Hormone-receptor status",
                         ["Positive", "Negative"],
                         {"continuing": [15, 11], "stopped": [12, 11], "overall": [27, 22]},
                         missing={"stopped": 1, "overall": 1})
    rows += _continuous("prior_lines", "Prior lines of therapy", "Prior lines of therapy",
                        "median_iqr", "lines of therapy", {
                            "continuing": (26, 1.1, 0.9, 1.0, 0.0, 2.0, 0.0, 3.0),
                            "stopped": (24, 0.9, 0.8, 1.0, 0.0, 1.0, 0.0, 3.0),
                            "overall": (50, 1.0, 0.85, 1.0, 0.0, 2.0, 0.0, 3.0),
                        })
    rows += _continuous("years_since_response", "Years since response",
                        "Years since response", "mean_sd", "years", {
                            "continuing": (26, 4.81234, 2.0456, 4.5, 3.1, 6.2, 2.0, 11.3),
                            "stopped": (24, 5.50321, 2.4321, 5.1, 3.6, 7.0, 2.1, 12.0),
                            "overall": (50, 5.14396, 2.2501, 4.8, 3.3, 6.6, 2.0, 12.0),
                        })
    # does not apply to the continuing cohort (NA in the files)
    rows += _continuous("months_since_stop", "Months since stopping anti-HER2 therapy",
                        "Months since stopping anti-HER2 therapy", "all", "months", {
                            "continuing": (0, NAN, NAN, NAN, NAN, NAN, NAN, NAN),
                            "stopped": (24, 14.2, 8.1, 12.35, 6.4, 20.125, 0.5, 33.0),
                            "overall": (24, 14.2, 8.1, 12.35, 6.4, 20.125, 0.5, 33.0),
                        }, not_applicable=("continuing",))
    return pd.DataFrame(rows, columns=_TIDY_COLUMNS)


_EST_COLUMNS = ["analysis", "parameter", "group", "n", "N", "estimate", "ci_lower", "ci_upper",
                "ci_level", "p_value", "method"]
VS = "stopped vs continuing"


def sample_estimates(case: str = "zero_cell") -> pd.DataFrame:
    """case "zero_cell": no positive in the continuing cohort (OR infinite, upper limit inf);
    "finite": every estimate finite; "not_estimable": as zero_cell, and the any-draw risk
    difference not estimable (NaN estimate and limits, no p-value)."""
    if case == "finite":
        primary = [
            ("primary", "proportion", "continuing", 3, 23, 3 / 23, 0.027751507422793194,
             0.33588913753712096, 0.95, NAN, "Clopper-Pearson"),
            ("primary", "proportion", "stopped", 8, 21, 8 / 21, 0.18107162554017314,
             0.6156456096213541, 0.95, NAN, "Clopper-Pearson"),
            ("primary", "risk_difference", VS, NAN, NAN, 0.25051759834368525,
             -0.007362491963889328, 0.47733165936842226, 0.95, 0.08347494053676695,
             "Newcombe hybrid score CI; Fisher exact two-sided p"),
            ("primary", "odds_ratio", VS, NAN, NAN, 3.9692653013593957, 0.7700218122015396,
             27.570647861601138, 0.95, 0.08347494053676695, "conditional MLE, exact CI"),
        ]
    else:
        primary = [
            ("primary", "proportion", "continuing", 0, 23, 0.0, 0.0, 0.1481851289152244, 0.95,
             NAN, "Clopper-Pearson"),
            ("primary", "proportion", "stopped", 6, 21, 6 / 21, 0.11280940392194078,
             0.5217511182471137, 0.95, NAN, "Clopper-Pearson"),
            ("primary", "risk_difference", VS, NAN, NAN, 0.2857142857142857,
             0.08013962585198989, 0.49956380716085597, 0.95, 0.007687151192539734,
             "Newcombe hybrid score CI; Fisher exact two-sided p"),
            ("primary", "odds_ratio", VS, NAN, NAN, INF, 1.5094890997876669, INF, 0.95,
             0.007687151192539734, "conditional MLE, exact CI"),
        ]
    others = [
        ("sensitivity_miettinen_nurminen", "risk_difference", VS, NAN, NAN, 0.2857, 0.07, 0.5,
         0.95, NAN, "Miettinen-Nurminen"),
        ("sensitivity_boschloo", "risk_difference", VS, NAN, NAN, 0.2857, 0.08, 0.5, 0.95, 0.004,
         "Boschloo exact test"),
        ("sensitivity_worst_case", "risk_difference", VS, NAN, NAN, 0.30, 0.09, 0.51, 0.95, 0.01,
         "worst case"),
        ("sensitivity_best_case", "risk_difference", VS, NAN, NAN, 0.25, 0.06, 0.46, 0.95, 0.02,
         "best case"),
        ("exploratory_firth", "odds_ratio", VS, NAN, NAN, 14.2, 1.6, 1900.0, 0.95, 0.01,
         "Firth penalised logistic regression"),
        ("exploratory_any_draw", "proportion", "continuing", 2, 24, 2 / 24,
         0.010256341281250149, 0.2699728015576036, 0.95, NAN, "Clopper-Pearson"),
        ("exploratory_any_draw", "proportion", "stopped", 11, 23, 11 / 23, 0.26819618617555346,
         0.694121998508626, 0.95, NAN, "Clopper-Pearson"),
        ("exploratory_any_draw", "risk_difference", VS, NAN, NAN, 0.3949275362318841,
         0.13951807070255523, 0.5962429599470527, 0.95, 0.0033513630935819907,
         "Newcombe hybrid score CI; Fisher exact two-sided p"),
        ("exploratory_mtm", "median", "continuing", 0, 0, NAN, NAN, NAN, NAN, NAN, "median"),
        ("exploratory_mtm", "median", "stopped", 6, 6, 0.41, NAN, NAN, NAN, NAN, "median"),
        ("exploratory_pfs", "logrank", "positive vs negative", NAN, NAN, NAN, NAN, NAN, NAN,
         0.21, "log-rank"),
        ("subgroup_best_response=CR", "risk_difference", VS, NAN, NAN, 0.2, -0.1, 0.5, 0.95,
         0.3, "Newcombe"),
    ]
    if case == "not_estimable":
        others = [r for r in others
                  if not (r[0] == "exploratory_any_draw" and r[1] == "risk_difference")]
        others.append(("exploratory_any_draw", "risk_difference", VS, NAN, NAN, NAN, NAN, NAN,
                       0.95, NAN, "Newcombe hybrid score CI; not estimable"))
    return pd.DataFrame(primary + others, columns=_EST_COLUMNS)


def round_trip_csv(df: pd.DataFrame, tmp_path, name: str) -> pd.DataFrame:
    """Write as the pipeline does (CSV, index=False) and read back: "" -> NaN, inf -> inf."""
    path = tmp_path / f"{name}.csv"
    df.to_csv(path, index=False, lineterminator="\n")
    return pd.read_csv(path)
