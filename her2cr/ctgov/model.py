"""Neutral, format-free description of the results that ClinicalTrials.gov posts.

The builders (`build.py`) fill these dataclasses from the project's DataFrames; the writers
(`prs_xml.py`, `api_json.py`) turn the same objects into the PRS upload XML and the API v2 JSON.
Every number is formatted once, here in the model, so that both files carry the very same text.

Vocabulary: the model stores the ClinicalTrials.gov *display* terms of the PRS pick-lists
("Count of Participants", "Risk Difference (RD)", "Fisher Exact", "2-Sided", ...). The PRS XML
uses them as they are; `api_json` maps the few that the API v2 spells as enumerations
(COUNT_OF_PARTICIPANTS, TWO_SIDED, ...). Groups are referred to by key ("continuing", "stopped",
"total"); the writers assign the element ids (FG000, BG000, OG000, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from her2cr.data.contract import ETHNICITIES, RACES  # the raw-data contract uses the same categories

# ---- ClinicalTrials.gov vocabulary (PRS pick-list display values) -------------------------------
# The RRS upload schema (2017.04.18) types these elements as xs:string and names the pick-list in a
# comment; the values below are the display values of those pick-lists (Results Data Element
# Definitions). Keep them in one place so that a renamed term is changed once.
PARAM_COUNT = "Count of Participants"  # MeasureParamTypeUtil
PARAM_MEAN = "Mean"
PARAM_MEDIAN = "Median"
DISP_NA = "Not Applicable"  # BaseMeasureDispersTypeUtil / MeasureDispersTypeUtil
DISP_SD = "Standard Deviation"
DISP_IQR = "Inter-Quartile Range"
UNIT_PARTICIPANTS = "Participants"

# BaselineMeasureTypeUtil
BASELINE_AGE_CONTINUOUS = "Age, Continuous"
BASELINE_AGE_CATEGORICAL = "Age, Categorical"
BASELINE_SEX = "Sex: Female, Male"
BASELINE_RACE = "Race (NIH/OMB)"
BASELINE_ETHNICITY = "Ethnicity (NIH/OMB)"
BASELINE_RACE_ETH_NOT_COLLECTED = "Race and Ethnicity Not Collected"
BASELINE_REGION = "Region of Enrollment"
BASELINE_STUDY_SPECIFIC = "Study-Specific Measure"  # its own title goes in otherTitle
STANDARD_BASELINE_TITLES = (
    BASELINE_AGE_CONTINUOUS,
    BASELINE_AGE_CATEGORICAL,
    BASELINE_SEX,
    BASELINE_RACE,
    BASELINE_ETHNICITY,
    BASELINE_RACE_ETH_NOT_COLLECTED,
    BASELINE_REGION,
)

# Pre-defined categories of the NIH/NLM baseline measures, in ClinicalTrials.gov order
# (AgeCategoricalNLM_CAT, GenderNIH_CAT, RaceNIH_CAT, EthnicityNIH_CAT). All are reported, zero
# counts included, as the PRS expects for these measures.
STANDARD_CATEGORIES = {
    BASELINE_AGE_CATEGORICAL: ("<=18 years", "Between 18 and 65 years", ">=65 years"),
    BASELINE_SEX: ("Female", "Male"),
    BASELINE_RACE: RACES,
    BASELINE_ETHNICITY: ETHNICITIES,
}

# OutcomeMeasureTypeUtil
OUTCOME_PRIMARY = "Primary"
OUTCOME_SECONDARY = "Secondary"
OUTCOME_OTHER = "Other Pre-specified"

# DropWithdrawReasonTypeUtil
REASON_WITHDRAWAL = "Withdrawal by Subject"
REASON_LOST = "Lost to Follow-up"
REASON_DEATH = "Death"
REASON_OTHER = "Other"

# EstimateParamTypeUtil, StatisticalMethodTypeUtil, StatisticalDistSidesUtil,
# StatisticalTestTypeUtil
EST_RISK_DIFFERENCE = "Risk Difference (RD)"
EST_ODDS_RATIO = "Odds Ratio (OR)"
METHOD_FISHER = "Fisher Exact"
METHOD_LOG_RANK = "Log Rank"
METHOD_OTHER = "Other"
CI_TWO_SIDED = "2-Sided"
TEST_TYPE_OTHER = "Other"

NA = "NA"  # how ClinicalTrials.gov writes a value that is not available; always with a comment


# ---- shared pieces ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Group:
    """A reporting group (arm/cohort, or the baseline total)."""

    key: str
    title: str
    description: str


@dataclass(frozen=True)
class Measurement:
    """One cell of a measure: a group's value (text, "NA" allowed) and its dispersion."""

    group: str
    value: str
    spread: str | None = None  # standard deviation
    lower: str | None = None  # IQR / CI lower limit
    upper: str | None = None
    na_comment: str | None = None  # required by ClinicalTrials.gov whenever a value is "NA"


@dataclass(frozen=True)
class Category:
    title: str | None
    measurements: tuple[Measurement, ...]


@dataclass(frozen=True)
class MeasureClass:
    """A row block of a measure (e.g. one country of Region of Enrollment); holds categories."""

    title: str | None
    categories: tuple[Category, ...]


# ---- participant flow ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DropWithdrawReason:
    reason_type: str  # DropWithdrawReasonTypeUtil value
    other_name: str | None  # the specified reason when reason_type is "Other"
    counts: dict[str, int]  # group key -> participants


@dataclass(frozen=True)
class ParticipantFlow:
    groups: tuple[Group, ...]
    period_title: str
    started: dict[str, int]
    completed: dict[str, int]
    reasons: tuple[DropWithdrawReason, ...]
    recruitment_details: str
    pre_assignment_details: str | None = None  # significant events before assignment

    @property
    def not_completed(self) -> dict[str, int]:
        return {g.key: self.started[g.key] - self.completed[g.key] for g in self.groups}


# ---- baseline characteristics -------------------------------------------------------------------
@dataclass(frozen=True)
class BaselineMeasure:
    title: str  # BaselineMeasureTypeUtil value
    other_title: str | None  # the study-specific title (title is then "Study-Specific Measure")
    param_type: str
    dispersion_type: str
    unit: str
    classes: tuple[MeasureClass, ...]
    denoms: dict[str, int] | None = None  # analysed per group, when it differs from the overall N
    description: str | None = None
    population_description: str | None = None
    calculate_pct: bool = False

    @property
    def display_title(self) -> str:
        return self.other_title or self.title


@dataclass(frozen=True)
class Baseline:
    groups: tuple[Group, ...]  # cohorts, then the total (last)
    total_key: str
    denoms: dict[str, int]  # overall number of baseline participants per group
    measures: tuple[BaselineMeasure, ...]
    population_description: str


# ---- outcome measures ---------------------------------------------------------------------------
@dataclass(frozen=True)
class StatisticalAnalysis:
    group_keys: tuple[str, ...]
    group_description: str
    param_type: str  # EstimateParamTypeUtil value
    estimate: str
    ci_pct: str
    ci_sides: str
    ci_lower: str
    ci_upper: str
    estimate_comment: str
    ci_lower_comment: str | None = None  # no PRS element: folded into estimateComment in the XML
    ci_upper_comment: str | None = None
    p_value: str | None = None
    p_value_comment: str | None = None
    method: str | None = None  # StatisticalMethodTypeUtil value; only with a p-value
    other_method_name: str | None = None
    method_comment: str | None = None
    test_type: str = TEST_TYPE_OTHER
    test_type_comment: str | None = None


@dataclass(frozen=True)
class OutcomeMeasure:
    measure_type: str  # OutcomeMeasureTypeUtil value
    title: str
    description: str
    time_frame: str
    population_description: str
    param_type: str
    dispersion_type: str
    unit: str
    groups: tuple[Group, ...]
    denoms: dict[str, int]  # participants analysed per group
    classes: tuple[MeasureClass, ...]
    analyses: tuple[StatisticalAnalysis, ...] = ()
    calculate_pct: bool = False


# ---- adverse events -----------------------------------------------------------------------------
@dataclass(frozen=True)
class AdverseEvents:
    """All-cause mortality by group; serious and other adverse events as tables of counts.

    A study that did not collect adverse events has empty event lists and 0 affected of 0 at risk
    for serious and other events (the upload formats have no element for "not collected": the
    description says it)."""

    groups: tuple[Group, ...]
    deaths: dict[str, int]  # all-cause mortality: participants who died
    deaths_at_risk: dict[str, int]
    serious_affected: dict[str, int]
    serious_at_risk: dict[str, int]
    other_affected: dict[str, int]
    other_at_risk: dict[str, int]
    time_frame: str
    description: str  # Adverse Event Reporting Description
    mortality_comment: str | None = None
    frequency_threshold: str | None = None  # percent, for other adverse events


# ---- more information ----------------------------------------------------------------------------
@dataclass(frozen=True)
class PointOfContact:
    title: str  # name or official title
    organization: str
    phone: str | None = None
    phone_ext: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class CertainAgreement:
    pi_sponsor_employee: bool
    restrictive_agreement: bool | None = None
    restriction_type: str | None = None  # LTE60, GT60, OTHER
    other_details: str | None = None


@dataclass(frozen=True)
class MoreInfo:
    """Limitations and Caveats, and the sponsor's facts when they are complete (else None)."""

    limitations: str
    point_of_contact: PointOfContact | None = None
    certain_agreement: CertainAgreement | None = None
    missing: tuple[str, ...] = ()  # study configuration fields still to fill in


# ---- the whole results section ------------------------------------------------------------------
@dataclass(frozen=True)
class ResultsSection:
    participant_flow: ParticipantFlow
    baseline: Baseline
    outcome_measures: tuple[OutcomeMeasure, ...] = field(default_factory=tuple)
    adverse_events: AdverseEvents | None = None
    more_info: MoreInfo | None = None

    def to_frame(self):
        """Every posted number as a long table (section, measure, row, group, field, value).

        Handy to check agreement with the report: one row per value, in posting order.
        """
        import pandas as pd

        rows: list[tuple[str, str, str, str, str, str]] = []
        flow = self.participant_flow
        for g in flow.groups:
            rows.append(("participant_flow", flow.period_title, "STARTED", g.key, "count",
                         str(flow.started[g.key])))
            rows.append(("participant_flow", flow.period_title, "COMPLETED", g.key, "count",
                         str(flow.completed[g.key])))
            rows.append(("participant_flow", flow.period_title, "NOT COMPLETED", g.key, "count",
                         str(flow.not_completed[g.key])))
        for r in flow.reasons:
            reason = f"NOT COMPLETED: {r.other_name or r.reason_type}"
            for key, n in r.counts.items():
                rows.append(("participant_flow", flow.period_title, reason, key, "count", str(n)))
        for key, n in self.baseline.denoms.items():
            rows.append(("baseline", "Overall Number of Baseline Participants", "", key, "count",
                         str(n)))
        for m in self.baseline.measures:
            rows.extend(_measure_rows("baseline", m.display_title, m.classes, m.denoms))
        for om in self.outcome_measures:
            rows.extend(_measure_rows("outcome", om.title, om.classes, om.denoms))
            for i, a in enumerate(om.analyses, start=1):
                label = f"analysis {i}: {a.param_type}"
                for fld, val in (("estimate", a.estimate), ("ci_lower", a.ci_lower),
                                 ("ci_upper", a.ci_upper), ("p_value", a.p_value)):
                    if val is not None:
                        rows.append(("outcome", om.title, label, " vs ".join(a.group_keys),
                                     fld, val))
        ae = self.adverse_events
        if ae is not None:
            for g in ae.groups:
                for row, counts in (("All-Cause Mortality", ae.deaths),
                                    ("Serious Adverse Events", ae.serious_affected),
                                    ("Other Adverse Events", ae.other_affected)):
                    rows.append(("adverse_events", row, "affected", g.key, "count",
                                 str(counts[g.key])))
                for row, counts in (("All-Cause Mortality", ae.deaths_at_risk),
                                    ("Serious Adverse Events", ae.serious_at_risk),
                                    ("Other Adverse Events", ae.other_at_risk)):
                    rows.append(("adverse_events", row, "at risk", g.key, "count",
                                 str(counts[g.key])))
        return pd.DataFrame(rows, columns=["section", "measure", "row", "group", "field", "value"])


def _measure_rows(section, title, classes, denoms):
    out = []
    if denoms:
        for key, n in denoms.items():
            out.append((section, title, "Number Analyzed", key, "count", str(n)))
    for c in classes:
        for cat in c.categories:
            row = " / ".join(t for t in (c.title, cat.title) if t)
            for m in cat.measurements:
                for fld, val in (("value", m.value), ("spread", m.spread), ("lower", m.lower),
                                 ("upper", m.upper)):
                    if val is not None:
                        out.append((section, title, row, m.group, fld, val))
    return out
