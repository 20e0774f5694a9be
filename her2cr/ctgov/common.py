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
        raise ValueError(f"{name} lacks columns {missing}")


def flow_counts(flow: pd.DataFrame) -> dict[tuple[str, str], int]:
    """data/flow.csv as {(cohort, step): count}; one row per cohort and step."""
    require_columns(flow, ["cohort", "step", "count"], "flow")
    keys = list(zip(flow["cohort"].astype(str), flow["step"].astype(str)))
    if len(set(keys)) != len(keys):
        raise ValueError("flow has more than one row for a cohort and step")
    return {k: int(fmt_count(c)) for k, c in zip(keys, flow["count"])}


def step_counts(flow: pd.DataFrame, step: str) -> dict[str, int]:
    """The count of one flow step in each cohort, in display order (0 where the flow has none)."""
    counts = flow_counts(flow)
    return {k: counts.get((k, step), 0) for k in study.COHORTS}
