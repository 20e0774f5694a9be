"""Pieces shared by the ClinicalTrials.gov builders: groups and input checks."""

from __future__ import annotations

import pandas as pd

from her2cr import study
from her2cr.ctgov import model as m

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
