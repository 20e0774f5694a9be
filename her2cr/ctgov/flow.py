"""Participant flow (ClinicalTrials.gov) from data/flow.csv: one period, "Overall Study"."""

from __future__ import annotations

import pandas as pd

from her2cr import study
from her2cr.ctgov import model as m
from her2cr.ctgov.common import cohort_groups, flow_counts, within_limit
from her2cr.ctgov.formatting import plural

PERIOD_TITLE = "Overall Study"
RECRUITMENT_MAX = 500  # PRS limit for Recruitment Details, in characters

# status_at_cutoff of a participant who did not complete -> ClinicalTrials.gov reason, in the
# order the reasons are posted.
NOT_COMPLETED_REASONS = (
    ("withdrawn", m.REASON_WITHDRAWAL, None),
    ("lost_to_follow_up", m.REASON_LOST, None),
    ("died", m.REASON_DEATH, None),
    ("on_study", m.REASON_OTHER, "On study at data cut-off"),
)


def enrolment_explanation(started_total: int, consented_after_cutoff: int) -> str:
    """Why the study's enrolment exceeds STARTED: consents dated after the cut-off ("" if none)."""
    if not consented_after_cutoff:
        return ""
    total = started_total + consented_after_cutoff
    verb = "is" if consented_after_cutoff == 1 else "are"
    return (
        f"{plural(total, 'participant')} consented; {consented_after_cutoff} consented after the "
        f"data cut-off and {verb} not analysed, so the flow starts with {started_total}."
    )


def build_participant_flow(flow: pd.DataFrame, consented_after_cutoff: int = 0) -> m.ParticipantFlow:
    """One period, "Overall Study": STARTED = enrolled, COMPLETED = completed by the cut-off,
    NOT COMPLETED by status at the cut-off (withdrawn, lost to follow-up, died, still on study).

    Participants found not eligible stay in the flow: they were enrolled and are followed up.
    `consented_after_cutoff`: participants whose consent is dated after the cut-off (listed in the
    data issues); when there are any, Recruitment Details say why enrolment exceeds STARTED.
    Analysis sets are explained where ClinicalTrials.gov puts them (baseline and outcome measure
    population descriptions), not in Pre-assignment Details, which stay empty: the cohort is set
    at consent, with no step between enrolment and assignment.
    """
    counts = flow_counts(flow)
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
        f"Enrolled at {len(study.SITES)} hospitals in {' and '.join(countries)} ({sites}): "
        f"HER2-positive metastatic breast cancer with a complete or partial response to anti-HER2 "
        f"therapy lasting more than 2 years; the cohort was set by whether anti-HER2 treatment was "
        f"continuing or had stopped at consent. Counts are as of the data cut-off."
    )
    explanation = enrolment_explanation(sum(started.values()), consented_after_cutoff)
    if explanation:
        recruitment += " " + explanation
    within_limit("Recruitment Details", recruitment, RECRUITMENT_MAX)
    return m.ParticipantFlow(
        groups=groups,
        period_title=PERIOD_TITLE,
        started=started,
        completed=completed,
        reasons=tuple(reasons),
        recruitment_details=recruitment,
        pre_assignment_details=None,
    )
