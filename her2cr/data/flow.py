"""Participant flow counts per cohort, as in a CONSORT diagram and ClinicalTrials.gov's flow."""

from __future__ import annotations

import pandas as pd

from her2cr.study import COHORTS, OVERALL

STEPS = {
    "enrolled": "Enrolled (consented by the cut-off)",
    "not_eligible": "Not eligible (E1-E5)",
    "eligible": "Eligible",
    "baseline_not_evaluable": "Eligible, no evaluable baseline ctDNA result",
    "primary_set": "Primary analysis set (eligible, evaluable baseline result)",
    "on_study": "On study at the cut-off",
    "completed": "Completed",
    "withdrawn": "Withdrawn",
    "lost_to_follow_up": "Lost to follow-up",
    "died": "Died",
}
STATUS_STEPS = ("on_study", "completed", "withdrawn", "lost_to_follow_up", "died")


def participant_flow(adsl: pd.DataFrame) -> pd.DataFrame:
    """Counts per cohort and overall: columns cohort, step, label, count (long form)."""
    rows = []
    for group in (*COHORTS, OVERALL):
        g = adsl if group == OVERALL else adsl.loc[adsl["cohort"] == group]
        counts = {
            "enrolled": len(g),
            "not_eligible": int((~g["eligible"]).sum()),
            "eligible": int(g["eligible"].sum()),
            "baseline_not_evaluable": int((g["eligible"] & ~g["baseline_evaluable"]).sum()),
            "primary_set": int(g["primary_set"].sum()),
        }
        status = g["status_at_cutoff"].value_counts()
        counts.update({s: int(status.get(s, 0)) for s in STATUS_STEPS})
        rows += [(group, step, STEPS[step], counts[step]) for step in STEPS]
    return pd.DataFrame(rows, columns=["cohort", "step", "label", "count"])


def flow_wide(flow: pd.DataFrame) -> pd.DataFrame:
    """One row per step, one column per cohort: for display."""
    wide = flow.pivot(index=["step", "label"], columns="cohort", values="count")
    wide = wide.reindex(columns=[*COHORTS, OVERALL])
    order = {s: i for i, s in enumerate(STEPS)}
    wide = wide.reset_index().sort_values("step", key=lambda s: s.map(order))
    return wide.drop(columns="step").rename(columns={"label": "Step"}).reset_index(drop=True)
