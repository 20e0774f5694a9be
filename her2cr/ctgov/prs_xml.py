"""The results as a PRS upload file (RRSUploadSchema.xsd, version 2017.04.18).

Layout rules taken from the schema:
- the root `result` is in the namespace http://clinicaltrials.gov/rrs and every element below it
  is unqualified (elementFormDefault="unqualified"), hence the prefixed root;
- `partialUpload="true"`: the PRS replaces each section present here as a whole (baseline,
  outcome measures, participant flow, reported events, limitations and caveats, and the point of
  contact and certain agreement when the study configuration has them) and keeps the sections
  that are absent, which a full upload would delete;
- child elements follow the schema's xs:sequence order (alphabetical within each type, base type
  first), and ids are xs:ID values, unique in the whole document: FG000 (flow), BG000 (baseline,
  total last), O1G000 (outcome measure 1), ...;
- the PRS groups numbers as measure row (class) -> reporting group -> entry (category), the
  transpose of the API's class -> category -> group.

Standard library only (xml.etree): the package does not depend on lxml.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from her2cr.ctgov import model as m

NAMESPACE = "http://clinicaltrials.gov/rrs"
_PREFIX = "rrs"


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    child = ET.SubElement(parent, tag, attrib)
    if text is not None:
        child.text = text
    return child


def _opt(parent: ET.Element, tag: str, text: str | None) -> None:
    """An optional element, written only when there is a value."""
    if text is not None and text != "":
        _el(parent, tag, text)


def _ids(prefix: str, groups) -> dict[str, str]:
    return {g.key: f"{prefix}{i:03d}" for i, g in enumerate(groups)}


# ---- measures (shared by baseline and outcome measures) -----------------------------------------
def _measure_rows(parent: ET.Element, classes, ids: dict[str, str], denoms) -> None:
    rows = _el(parent, "measureRows")
    for cls in classes:
        row = _el(rows, "measureRow")
        values = _el(row, "reportedValues")
        for key, gid in ids.items():
            rv = _el(values, "reportedValue")
            _el(rv, "reportingGroupId", gid)
            entries = _el(rv, "reportedEntries")
            for cat in cls.categories:
                cell = next(x for x in cat.measurements if x.group == key)
                entry = _el(entries, "reportedEntry")
                _opt(entry, "catName", cat.title)
                _opt(entry, "dispersionLowerLimit", cell.lower)
                _opt(entry, "dispersionSpread", cell.spread)
                _opt(entry, "dispersionUpperLimit", cell.upper)
                _opt(entry, "naComment", cell.na_comment)
                _el(entry, "parameterValue", cell.value)
            if denoms:
                _el(rv, "subjectsAnalyzed", str(denoms[key]))
        _opt(row, "title", cls.title)


def _measure_head(el: ET.Element, calculate_pct: bool, dispersion_type: str) -> None:
    if calculate_pct:
        _el(el, "calculatePct", "Yes")
    _el(el, "dispersionType", dispersion_type)


# ---- baseline -----------------------------------------------------------------------------------
def _baseline(parent: ET.Element, b: m.Baseline) -> None:
    ids = _ids("BG", b.groups)
    el = _el(parent, "baseline")
    measures = _el(el, "baselineMeasures")
    for bm in b.measures:
        me = _el(measures, "baselineMeasure")
        _measure_head(me, bm.calculate_pct, bm.dispersion_type)
        _measure_rows(me, bm.classes, ids, bm.denoms)
        _opt(me, "measureDescription", bm.description)
        _el(me, "parameterType", bm.param_type)
        _opt(me, "populationAnalysisDescription", bm.population_description)
        _el(me, "title", bm.title)
        _el(me, "unitOfMeasure", bm.unit)
        _opt(me, "otherTitle", bm.other_title)
    groups = _el(el, "baselineReportingGroups")
    total = None
    for g in b.groups:
        if g.key == b.total_key:
            total = g
            continue
        ge = _el(groups, "baselineReportingGroup", id=ids[g.key])
        _el(ge, "description", g.description)
        _el(ge, "subjectsAnalyzed", str(b.denoms[g.key]))
        _el(ge, "title", g.title)
    _el(el, "populationAnalysisDescription", b.population_description)
    if total is not None:
        te = _el(el, "totalBaselineReportingGroup", id=ids[total.key])
        _el(te, "description", total.description)
        _el(te, "subjectsAnalyzed", str(b.denoms[total.key]))
        _el(te, "title", total.title)


# ---- outcome measures ---------------------------------------------------------------------------
def _analysis(parent: ET.Element, a: m.StatisticalAnalysis, ids: dict[str, str]) -> None:
    el = _el(parent, "measureAnalysis")
    groups = _el(el, "outcomeReportingGroups")
    for key in a.group_keys:
        _el(groups, "outcomeReportingGroupId", ids[key])
    _el(el, "ciLowerLimit", a.ci_lower)
    _el(el, "ciNumSides", a.ci_sides)
    _el(el, "ciPctValue", a.ci_pct)
    _el(el, "ciUpperLimit", a.ci_upper)
    _opt(el, "ciUpperLimitNaComment", a.ci_upper_comment)
    # The schema has no comment element for a missing lower limit: say it in the estimate comment.
    comment = " ".join(x for x in (a.estimate_comment, a.ci_lower_comment) if x)
    _opt(el, "estimateComment", comment)
    _opt(el, "groupDescription", a.group_description)
    _opt(el, "nonInferiorityTestComment", a.test_type_comment)
    _opt(el, "otherMethodName", a.other_method_name)
    _el(el, "parameterType", a.param_type)
    _el(el, "parameterValue", a.estimate)
    _opt(el, "pValue", a.p_value)
    _opt(el, "pValueComment", a.p_value_comment)
    _opt(el, "statisticalMethod", a.method)
    _opt(el, "statisticalTestComment", a.method_comment)
    if a.method:  # the type of test belongs to a test of hypothesis
        _el(el, "statisticalTestType", a.test_type)


def _outcomes(parent: ET.Element, outcomes) -> None:
    el = _el(parent, "outcomeMeasures")
    for number, om in enumerate(outcomes, start=1):
        ids = _ids(f"O{number}G", om.groups)
        me = _el(el, "outcomeMeasure")
        _measure_head(me, om.calculate_pct, om.dispersion_type)
        _measure_rows(me, om.classes, ids, None)
        _el(me, "measureDescription", om.description)
        _el(me, "parameterType", om.param_type)
        _el(me, "populationAnalysisDescription", om.population_description)
        _el(me, "timeFrame", om.time_frame)
        _el(me, "title", om.title)
        _el(me, "unitOfMeasure", om.unit)
        _el(me, "measureType", om.measure_type)
        analyses = _el(me, "outcomeMeasureAnalyses")
        for a in om.analyses:
            _analysis(analyses, a, ids)
        groups = _el(me, "outcomeReportingGroups")
        for g in om.groups:
            ge = _el(groups, "outcomeReportingGroup", id=ids[g.key])
            _el(ge, "description", g.description)
            _el(ge, "subjectsAnalyzed", str(om.denoms[g.key]))
            _el(ge, "title", g.title)


# ---- participant flow ---------------------------------------------------------------------------
def _milestone(parent: ET.Element, tag: str, counts: dict[str, int], ids) -> None:
    el = _el(parent, tag)
    achievements = _el(el, "milestoneAchievements")
    for key, gid in ids.items():
        a = _el(achievements, "milestoneAchievement")
        _el(a, "reportingGroupId", gid)
        _el(a, "subjectsAchieve", str(counts[key]))


def _participant_flow(parent: ET.Element, f: m.ParticipantFlow) -> None:
    ids = _ids("FG", f.groups)
    el = _el(parent, "participantFlow")
    groups = _el(el, "participantFlowGroups")
    for g in f.groups:
        ge = _el(groups, "flowGroup", id=ids[g.key])
        _el(ge, "description", g.description)
        _el(ge, "title", g.title)
    period = _el(_el(el, "periods"), "period")
    _milestone(period, "completedMilestone", f.completed, ids)
    reasons = _el(period, "dropWithdrawReasons")
    for r in f.reasons:
        re_ = _el(reasons, "dropWithdrawReason")
        details = _el(re_, "dropWithdrawReasonDetails")
        for key, gid in ids.items():
            d = _el(details, "reasonDetail")
            _el(d, "reportingGroupId", gid)
            _el(d, "subjectsAffected", str(r.counts[key]))
        _opt(re_, "otherReasonName", r.other_name)
        _el(re_, "reasonType", r.reason_type)
    _el(period, "milestones")  # no milestones between STARTED and COMPLETED
    _milestone(period, "startedMilestone", f.started, ids)
    _el(period, "title", f.period_title)
    _opt(el, "preAssignmentDescription", f.pre_assignment_details)
    _el(el, "recruitmentDetails", f.recruitment_details)


# ---- adverse events -----------------------------------------------------------------------------
def _reported_events(parent: ET.Element, ae: m.AdverseEvents) -> None:
    ids = _ids("EG", ae.groups)
    el = _el(parent, "reportedEvents")
    _opt(el, "allCauseMortComment", ae.mortality_comment)
    _opt(el, "frequencyReportingThreshold", ae.frequency_threshold)
    _el(el, "frequentAdverseEvents")  # other adverse events: none collected
    groups = _el(el, "interventionGroups")
    for g in ae.groups:
        ge = _el(groups, "interventionGroup", id=ids[g.key])
        _el(ge, "description", g.description)
        _el(ge, "numDeaths", str(ae.deaths[g.key]))
        _el(ge, "numSubjectsFrequentEvents", str(ae.other_affected[g.key]))
        _el(ge, "numSubjectsSeriousEvents", str(ae.serious_affected[g.key]))
        _el(ge, "partAtRiskAllCauseMort", str(ae.deaths_at_risk[g.key]))
        _el(ge, "partAtRiskFrequentEvents", str(ae.other_at_risk[g.key]))
        _el(ge, "partAtRiskSeriousEvents", str(ae.serious_at_risk[g.key]))
        _el(ge, "title", g.title)
    _el(el, "notes", ae.description)
    _el(el, "seriousAdverseEvents")  # serious adverse events: none collected
    _el(el, "timeFrame", ae.time_frame)


# ---- more information ---------------------------------------------------------------------------
def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("Yes" if value else "No")


def _certain_agreement(parent: ET.Element, a: m.CertainAgreement) -> None:
    el = _el(parent, "certainAgreement")
    _opt(el, "otherDetails", a.other_details)
    _opt(el, "piSponsorEmployee", _yes_no(a.pi_sponsor_employee))
    _opt(el, "restrictionType", a.restriction_type)
    _opt(el, "restrictiveAgreement", _yes_no(a.restrictive_agreement))


def _point_of_contact(parent: ET.Element, c: m.PointOfContact) -> None:
    el = _el(parent, "pointOfContact")
    _opt(el, "email", c.email)
    _opt(el, "organizationName", c.organization)
    _opt(el, "phoneExtension", c.phone_ext)
    _opt(el, "phoneNumber", c.phone)
    _opt(el, "title", c.title)


def to_prs_xml(results: m.ResultsSection) -> bytes:
    """The PRS upload document (UTF-8 bytes, indented, ending with a newline)."""
    # A literal prefix keeps the root qualified and its children unqualified, as the schema
    # requires, without touching ElementTree's global namespace registry.
    root = ET.Element(f"{_PREFIX}:result", {f"xmlns:{_PREFIX}": NAMESPACE, "partialUpload": "true"})
    info = results.more_info
    _baseline(root, results.baseline)
    if info is not None and info.certain_agreement is not None:
        _certain_agreement(root, info.certain_agreement)
    if info is not None:
        _opt(_el(root, "limitationsAndCaveats"), "description", info.limitations)
    _outcomes(root, results.outcome_measures)
    _participant_flow(root, results.participant_flow)
    if info is not None and info.point_of_contact is not None:
        _point_of_contact(root, info.point_of_contact)
    if results.adverse_events is not None:
        _reported_events(root, results.adverse_events)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"
