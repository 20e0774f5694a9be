"""Participant flow (ClinicalTrials.gov) from data/flow.csv: one period, "Overall Study"."""

from __future__ import annotations

import pandas as pd

from her2cr import study
from her2cr.ctgov import model as m
from her2cr.ctgov.common import cohort_groups, require_columns
from her2cr.ctgov.formatting import fmt_count

PERIOD_TITLE = "Overall Study"

# status_at_cutoff of a participant who did not complete -> ClinicalTrials.gov reason, in the
# order the reasons are posted.
NOT_COMPLETED_REASONS = (
    ("withdrawn", m.REASON_WITHDRAWAL, None),
    ("lost_to_follow_up", m.REASON_LOST, None),
    ("died", m.REASON_DEATH, None),
    ("on_study", m.REASON_OTHER, "On study at data cut-off"),
)


def _flow_counts(flow: pd.DataFrame) -> dict[tuple[str, str], int]:
    require_columns(flow, ["cohort", "step", "count"], "flow")
    keys = list(zip(flow["cohort"].astype(str), flow["step"].astype(str)))
    if len(set(keys)) != len(keys):
        raise ValueError("flow has more than one row for a cohort and step")
    return {k: int(fmt_count(c)) for k, c in zip(keys, flow["count"])}


def build_participant_flow(flow: pd.DataFrame) -> m.ParticipantFlow:
    """One period, "Overall Study": STARTED = enrolled, COMPLETED = completed by the cut-off,
    NOT COMPLETED by status at the cut-off (withdrawn, lost to follow-up, died, still on study).

    Participants found not eligible stay in the flow: they were enrolled and are followed up.
    """
    counts = _flow_counts(flow)
    groups = cohort_groups()

    def get(cohort: str, step: str, required: bool = False) -> int:
        if (cohort, step) not in counts:
            if required:
                raise ValueError(f"flow has no '{step}' count for cohort '{cohort}'")
            return 0
        return counts[(cohort, step)]

    started = {g.key: get(g.key, "enrolled", required=True) for g in groups}
    completed = {g.key: get(g.key, "completed") for g in groups}
    reasons = []
    for status, reason_type, other_name in NOT_COMPLETED_REASONS:
        c = {g.key: get(g.key, status) for g in groups}
        if any(c.values()):
            reasons.append(m.DropWithdrawReason(reason_type, other_name, c))
    for g in groups:
        accounted = completed[g.key] + sum(r.counts[g.key] for r in reasons)
        if accounted != started[g.key]:
            raise ValueError(
                f"flow, cohort '{g.key}': completed + not completed = {accounted}, "
                f"but enrolled = {started[g.key]}"
            )

    sites = ", ".join(study.SITES.values())
    countries = sorted(set(study.SITE_COUNTRY.values()))
    recruitment = (
        f"Patients with HER2-positive metastatic breast cancer and a complete or partial "
        f"response to anti-HER2 therapy lasting more than 2 years were enrolled at "
        f"{len(study.SITES)} hospitals "
        f"in {' and '.join(countries)} ({sites}); the cohort was set by whether anti-HER2 "
        f"treatment was continuing or had stopped at consent. Counts are as of the data cut-off."
    )
    not_eligible = {g.key: get(g.key, "not_eligible") for g in groups}
    no_baseline = {g.key: get(g.key, "baseline_not_evaluable") for g in groups}

    def by_cohort(c: dict[str, int]) -> str:
        return "; ".join(f"{study.COHORT_SHORT[k].lower()} {c[k]}" for k in c)

    pre_assignment = (
        f"{sum(not_eligible.values())} enrolled participants ({by_cohort(not_eligible)}) did not "
        f"meet all eligibility criteria; they are counted as started, are followed up and are "
        f"included in the baseline characteristics, but not in the primary analysis set. "
        f"{sum(no_baseline.values())} eligible participants ({by_cohort(no_baseline)}) had no "
        f"evaluable baseline ctDNA result. Participants on study at the cut-off are reported as "
        f"not completed (reason: on study at data cut-off)."
    )
    return m.ParticipantFlow(
        groups=groups,
        period_title=PERIOD_TITLE,
        started=started,
        completed=completed,
        reasons=tuple(reasons),
        recruitment_details=recruitment,
        pre_assignment_details=pre_assignment,
    )
