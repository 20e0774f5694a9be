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
    "exploratory_mtm": "Exploratory: ctDNA level (MTM/mL) of positive draws, baseline and follow-up",
    "exploratory_ttpos": "Exploratory: time to first positive ctDNA",
    "exploratory_pfs": "Exploratory: progression-free survival by baseline ctDNA",
}

# With the unit the report writes them in (her2cr.formatting: percentages, percentage points,
# months = days / DAYS_PER_MONTH).
PARAMETER_NAMES = {
    "proportion": "Proportion positive",
    "risk_difference": "Difference in proportions",
    "odds_ratio": "Odds ratio",
    "median": "Median MTM/mL",
    "median_days": "Median time",
    "logrank": "Log-rank test",
}
PARAMETER_UNITS = {"proportion": "%", "risk_difference": "percentage points", "median_days": "months"}

# What n and N of an estimates.csv row count, by parameter (the analyses define them so:
# her2cr.ctdna.analyses): the report writes "5 of 22 positive", never a bare "5/22". A comparison
# counts both cohorts together (the estimates table's note says so).
COUNT_WORDS = {
    "proportion": "{n} of {N} positive",
    "risk_difference": "{n} of {N} positive",
    "odds_ratio": "{n} of {N} positive",
    "median": "{n} draws from {N} participants",
    "median_days": "{n} events among {N}",
    "logrank": "{n} events among {N}",
}



def count_words(parameter: str, n, N) -> str:
    """COUNT_WORDS for one row, in the singular where a count is 1 ("1 event among 16")."""
    words = COUNT_WORDS.get(parameter, "{n} of {N}")
    if n == 1:
        words = words.replace("{n} events", "{n} event").replace("{n} draws", "{n} draw")
    if N == 1:
        words = words.replace("{N} participants", "{N} participant")
    return words


# Parts of estimates.csv's method text that the report says once, in the table's note.
METHOD_SAID_ONCE = {
    "; median as in R survfit (n = events)":
        "Kaplan-Meier medians and their limits are computed as R's survfit computes them.",
    "; estimate = chi-square statistic":
        "Log-rank rows give the chi-square statistic (1 degree of freedom) in its own column.",
    " (n = draws, N = participants)": "",
}


def method_text(method: str) -> str:
    """estimates.csv's method without the parts the report says once (METHOD_SAID_ONCE)."""
    text = "" if method is None or method != method else str(method)
    for part in METHOD_SAID_ONCE:
        text = text.replace(part, "")
    return text

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


def parameter_name(key: str, unit: bool = False) -> str:
    """"Difference in proportions", with unit=True "Difference in proportions, percentage points"."""
    name = PARAMETER_NAMES.get(key, key.replace("_", " "))
    return f"{name}, {PARAMETER_UNITS[key]}" if unit and key in PARAMETER_UNITS else name


def analysis_rank(key: str) -> int:
    """Primary, then sensitivity, subgroups and exploratory analyses."""
    for i, prefix in enumerate(_ORDER):
        if key.startswith(prefix):
            return i
    return len(_ORDER)
