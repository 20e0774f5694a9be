"""Build the ClinicalTrials.gov results model from the project's DataFrames.

Inputs (formats fixed in the project's interfaces):
- `flow`: data/flow.csv (cohort, step, label, count);
- `baseline_tidy`: tables/baseline_tidy.csv (one row per variable x level x group);
- `estimates`: results/estimates.csv (analysis, parameter, group, n, N, estimate, ci_lower,
  ci_upper, ci_level, p_value, method).

The builders check what ClinicalTrials.gov would reject (flow counts that do not add up, unknown
categories of the NIH/OMB measures, a missing primary estimate) and raise ValueError with the reason
rather than posting something wrong.
"""

from __future__ import annotations

import pandas as pd

from her2cr.ctgov import model as m
from her2cr.ctgov.baseline import build_baseline
from her2cr.ctgov.flow import build_participant_flow
from her2cr.ctgov.outcomes import build_outcome_measures

__all__ = ["build_baseline", "build_outcome_measures", "build_participant_flow", "build_results"]


def build_results(flow: pd.DataFrame, baseline_tidy: pd.DataFrame,
                  estimates: pd.DataFrame) -> m.ResultsSection:
    """The whole results section (participant flow, baseline, outcome measures)."""
    return m.ResultsSection(
        participant_flow=build_participant_flow(flow),
        baseline=build_baseline(baseline_tidy),
        outcome_measures=build_outcome_measures(estimates),
    )
