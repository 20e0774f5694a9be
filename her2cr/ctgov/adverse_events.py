"""Adverse Events module (ClinicalTrials.gov): all-cause mortality; adverse events not collected.

What the data contract holds: a death_date for every participant who died (subjects.csv), and no
adverse event export. So the module reports:
- all-cause mortality per cohort: participants with a death_date on or before the cut-off (the
  flow's 'died' count), over the participants at risk, i.e. every enrolled participant (consent
  on or before the cut-off), each followed from consent;
- serious and other adverse events as not collected. Neither RRSUploadSchema.xsd nor the API v2
  has an element that says "not collected": the tables are empty, with 0 affected of 0 at risk
  (no participant was assessed), and the Adverse Event Reporting Description says why.
"""

from __future__ import annotations

import pandas as pd

from her2cr.ctgov import model as m
from her2cr.ctgov.common import cohort_groups, step_counts

TIME_FRAME = (
    "All-cause mortality: from consent until the data cut-off (each participant from her own "
    "consent date). Serious and other adverse events: not collected."
)
DESCRIPTION = (  # Adverse Event Reporting Description (PRS limit: 500 characters)
    "Adverse events were not collected: the data of this observational study (case report form and "
    "Signatera laboratory exports) hold no adverse event records. Serious and other adverse events "
    "are therefore given as 0 affected of 0 at risk, with no events listed. All-cause mortality: "
    "deaths from any cause dated on or before the data cut-off among all enrolled participants."
)
MORTALITY_COMMENT = (
    "Deaths from any cause with a date of death on or before the data cut-off; participants at "
    "risk: all enrolled participants (consent on or before the cut-off)."
)
# Other adverse events: with none collected there is nothing to filter; 0 means that every other
# adverse event would have been reported.
FREQUENCY_THRESHOLD = "0"


def build_adverse_events(flow: pd.DataFrame) -> m.AdverseEvents:
    """The Adverse Events module from the participant flow: its 'died' step counts the deaths
    dated on or before the cut-off (validation requires a death_date exactly when the status is
    died), its 'enrolled' step the participants at risk."""
    groups = cohort_groups()
    deaths, at_risk = step_counts(flow, "died"), step_counts(flow, "enrolled")
    zeros = {g.key: 0 for g in groups}
    return m.AdverseEvents(
        groups=groups,
        deaths=deaths,
        deaths_at_risk=at_risk,
        serious_affected=dict(zeros),
        serious_at_risk=dict(zeros),
        other_affected=dict(zeros),
        other_at_risk=dict(zeros),
        time_frame=TIME_FRAME,
        description=DESCRIPTION,
        mortality_comment=MORTALITY_COMMENT,
        frequency_threshold=FREQUENCY_THRESHOLD,
    )
