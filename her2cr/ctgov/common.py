"""Pieces shared by the ClinicalTrials.gov builders: groups, input checks, flow counts."""

from __future__ import annotations

import pandas as pd

from her2cr import study
from her2cr.ctgov import model as m
from her2cr.ctgov.formatting import fmt_count

TOTAL_KEY = "total"
TOTAL_GROUP = m.Group(TOTAL_KEY, "Total", "Total of all reporting groups")


def cohort_groups() -> tuple[m.Group, ...]:
    """The two cohorts, with their registered titles and descriptions, in display order."""
    return tuple(
        m.Group(k, study.COHORT_TITLES[k], study.COHORT_DESCRIPTIONS[k]) for k in study.COHORTS
    )


def require_columns(df: pd.DataFrame, columns, name: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name}: no column(s) {', '.join(missing)}")


def within_limit(field: str, text: str, limit: int) -> str:
    """The text, or a ValueError if it is longer than PRS allows for that field."""
    if len(text) > limit:
        raise ValueError(f"{field} has {len(text)} characters; PRS allows {limit}: {text}")
    return text


FLOW_FILE = "data/flow.csv"


def flow_counts(flow: pd.DataFrame) -> dict[tuple[str, str], int]:
    """data/flow.csv as {(cohort, step): count}; one row per cohort and step. A bad count or a
    repeated row is named by its file row (the header is row 1)."""
    require_columns(flow, ["cohort", "step", "count"], FLOW_FILE)
    counts: dict[tuple[str, str], int] = {}
    for i, (cohort, step, count) in enumerate(zip(flow["cohort"].astype(str), flow["step"].astype(str),
                                                  flow["count"]), start=2):
        where = f"{FLOW_FILE}, row {i}"
        if (cohort, step) in counts:
            raise ValueError(f"{where}: a second row for cohort {cohort!r}, step {step!r}")
        try:
            counts[(cohort, step)] = int(fmt_count(count))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}, column count: {exc}") from None
    return counts


def step_counts(flow: pd.DataFrame, step: str) -> dict[str, int]:
    """The count of one flow step in each cohort, in display order. Every cohort has every step
    in the flow the pipeline writes: a missing one is an error, never a silent 0."""
    counts = flow_counts(flow)
    missing = [k for k in study.COHORTS if (k, step) not in counts]
    if missing:
        raise ValueError(f"{FLOW_FILE}: no row for step {step!r} of cohort(s) {', '.join(missing)}")
    return {k: counts[(k, step)] for k in study.COHORTS}
