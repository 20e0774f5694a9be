"""More Information module (ClinicalTrials.gov): Limitations and Caveats, Results Point of Contact,
Certain Agreements.

Limitations and Caveats are written from the data (cohort sizes, the design, how many participants
were still on study at the cut-off, whether the data are synthetic). The point of contact and the
agreements come from the study configuration (`study_config`); a section that is not complete is
left out of the upload (None here) and named in `missing`.
"""

from __future__ import annotations

import pandas as pd

from her2cr import study
from her2cr.ctgov import model as m
from her2cr.ctgov.common import step_counts, within_limit
from her2cr.ctgov.formatting import plural
from her2cr.ctgov.study_config import StudyConfig, default_config

LIMITATIONS_MAX = 500  # PRS limit for Limitations and Caveats
SYNTHETIC_CAVEAT = f"{study.SYNTHETIC_LABEL}, made to test the analysis code: not study results, do not post."


def limitations_text(flow: pd.DataFrame, synthetic: bool = False) -> str:
    """Small cohorts, non-randomised design, interim cut (when anyone is still on study) and,
    for synthetic data, a warning first."""
    short = study.COHORT_SHORT
    enrolled = " and ".join(f"{n} {short[k].lower()}" for k, n in step_counts(flow, "enrolled").items())
    primary = " and ".join(str(n) for n in step_counts(flow, "primary_set").values())
    parts = [SYNTHETIC_CAVEAT] if synthetic else []
    parts.append(f"Small cohorts ({enrolled} enrolled; {primary} in the primary analysis): wide "
                 f"confidence intervals; not powered for a formal comparison.")
    parts.append("Not randomised: the cohorts reflect treatment decisions made before enrolment, so "
                 "differences between them may be confounded.")
    on_study = sum(step_counts(flow, "on_study").values())
    if on_study:
        parts.append(f"Interim results: {plural(on_study, 'participant')} "
                     f"{'was' if on_study == 1 else 'were'} still on study at the data cut-off; "
                     f"results may change with further follow-up.")
    return within_limit("Limitations and Caveats", " ".join(parts), LIMITATIONS_MAX)


def _none_if_empty(text: str) -> str | None:
    return text or None


def build_more_info(flow: pd.DataFrame, config: StudyConfig | None = None,
                    synthetic: bool = False) -> m.MoreInfo:
    config = config or default_config()
    c, a = config.point_of_contact, config.certain_agreements
    contact = None
    if c.complete:
        contact = m.PointOfContact(title=c.name_or_title, organization=c.organization,
                                   phone=_none_if_empty(c.phone),
                                   phone_ext=_none_if_empty(c.phone_extension),
                                   email=_none_if_empty(c.email))
    agreement = None
    if a.complete:
        # Answers after a "yes" that closes the questions are not posted (PRS skips them).
        restrictive = None if a.pi_sponsor_employee else a.restrictive_agreement
        restricted = bool(restrictive)
        agreement = m.CertainAgreement(
            pi_sponsor_employee=a.pi_sponsor_employee,
            restrictive_agreement=restrictive,
            restriction_type=_none_if_empty(a.restriction_type) if restricted else None,
            other_details=(_none_if_empty(a.other_details)
                           if restricted and a.restriction_type == "OTHER" else None),
        )
    return m.MoreInfo(limitations=limitations_text(flow, synthetic), point_of_contact=contact,
                      certain_agreement=agreement, missing=tuple(config.missing()))
