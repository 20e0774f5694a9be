"""Names a reviewer reads for the machine keys of results/estimates.csv (analysis, parameter).

The keys stay in estimates.csv; the report shows these names, grouped by analysis."""

from __future__ import annotations

ANALYSIS_TITLES = {
    "primary": "Primary: baseline ctDNA positivity",
    "sensitivity_miettinen_nurminen": "Sensitivity: Miettinen-Nurminen interval",
    "sensitivity_boschloo": "Sensitivity: Boschloo's exact test",
    "sensitivity_worst_case": "Sensitivity: worst case (non-evaluable counted positive)",
    "sensitivity_best_case": "Sensitivity: best case (non-evaluable counted negative)",
    "exploratory_any_draw": "Exploratory: positivity at any draw up to the cut-off",
    "exploratory_firth": "Exploratory: Firth logistic regression of baseline positivity",
    "exploratory_mtm": "Exploratory: ctDNA level (MTM/mL) in positive baseline samples",
    "exploratory_ttpos": "Exploratory: time to first positive ctDNA",
    "exploratory_pfs": "Exploratory: progression-free survival by baseline ctDNA",
}

PARAMETER_NAMES = {
    "proportion": "Proportion positive",
    "risk_difference": "Difference in proportions",
    "odds_ratio": "Odds ratio",
    "median": "Median",
    "median_days": "Median, days",
    "logrank": "Log-rank test",
}

# Subgroup variables and their levels, as the subgroup estimates and the forest plot name them.
SUBGROUP_TITLES = {"best_response": "Best response", "hr_status": "Hormone receptor",
                   "presentation": "Presentation", "anti_her2": "Anti-HER2 regimen"}
LEVEL_LABELS = {"de_novo": "de novo", "positive": "positive", "negative": "negative"}

# Analyses in the order the report lists them; unknown keys follow in estimates.csv order.
_ORDER = ("primary", "sensitivity_", "subgroup_", "exploratory_")


def analysis_title(key: str) -> str:
    """'subgroup_best_response=CR' -> 'Subgroup: best response = CR'; unknown keys unchanged."""
    if key in ANALYSIS_TITLES:
        return ANALYSIS_TITLES[key]
    if key.startswith("subgroup_") and "=" in key:
        variable, level = key[len("subgroup_"):].split("=", 1)
        title = SUBGROUP_TITLES.get(variable, variable.replace("_", " "))
        return f"Subgroup: {title[:1].lower() + title[1:]} = {LEVEL_LABELS.get(level, level)}"
    return key


def parameter_name(key: str) -> str:
    return PARAMETER_NAMES.get(key, key.replace("_", " "))


def analysis_rank(key: str) -> int:
    """Primary, then sensitivity, subgroups and exploratory analyses."""
    for i, prefix in enumerate(_ORDER):
        if key.startswith(prefix):
            return i
    return len(_ORDER)
