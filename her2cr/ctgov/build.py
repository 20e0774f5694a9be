"""Build the ClinicalTrials.gov results model from the project's DataFrames.

Inputs (formats fixed in the project's interfaces):
- `flow`: data/flow.csv (cohort, step, label, count);
- `baseline_tidy`: tables/baseline_tidy.csv (one row per variable x level x group);
- `estimates`: results/estimates.csv (analysis, parameter, group, n, N, estimate, ci_lower,
  ci_upper, ci_level, p_value, method);
- optional facts of the cut (`cut_facts.read_cut_facts`): the number who consented after the
  cut-off, whether the data are synthetic;
- optional study configuration (`study_config`, report/study.yml): point of contact, agreements.

The builders check what ClinicalTrials.gov would reject (flow counts that do not add up, unknown
categories of the NIH/OMB measures, a missing primary estimate) and raise ValueError with the reason
rather than posting something wrong.
"""

from __future__ import annotations

import pandas as pd

from her2cr.ctgov import model as m
from her2cr.ctgov.adverse_events import build_adverse_events
from her2cr.ctgov.baseline import build_baseline
from her2cr.ctgov.flow import build_participant_flow
from her2cr.ctgov.more_info import build_more_info
from her2cr.ctgov.outcomes import build_outcome_measures
from her2cr.ctgov.study_config import StudyConfig

__all__ = ["build_adverse_events", "build_baseline", "build_more_info", "build_outcome_measures",
           "build_participant_flow", "build_results"]


def build_results(flow: pd.DataFrame, baseline_tidy: pd.DataFrame, estimates: pd.DataFrame, *,
                  consented_after_cutoff: int = 0,
                  synthetic: bool = False, config: StudyConfig | None = None) -> m.ResultsSection:
    """The whole results section: participant flow, baseline, outcome measures, adverse events
    (all-cause mortality) and more information (limitations; contact and agreements when the
    study configuration has them)."""
    return m.ResultsSection(
        participant_flow=build_participant_flow(flow, consented_after_cutoff),
        baseline=build_baseline(baseline_tidy, flow),
        outcome_measures=build_outcome_measures(estimates, flow=flow),
        adverse_events=build_adverse_events(flow),
        more_info=build_more_info(flow, config, synthetic),
    )
