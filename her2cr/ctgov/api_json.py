"""The results in the shape of the ClinicalTrials.gov API v2 `resultsSection`.

Field names and enumerations follow the API's OpenAPI description (components ResultsSection,
ParticipantFlowModule, BaselineCharacteristicsModule, OutcomeMeasuresModule, AdverseEventsModule,
MoreInfoModule): enumerated fields use
the API's codes (COUNT_OF_PARTICIPANTS, TWO_SIDED, OTHER_PRE_SPECIFIED, ...); free-text fields keep
the ClinicalTrials.gov display terms, as the API returns them ("Risk Difference (RD)",
"Fisher Exact", "95% Confidence Interval"). All numbers are strings, as in the API.
"""

from __future__ import annotations

import json

from her2cr.ctgov import model as m

PARAM_TYPES = {  # MeasureParam
    m.PARAM_COUNT: "COUNT_OF_PARTICIPANTS",
    m.PARAM_MEAN: "MEAN",
    m.PARAM_MEDIAN: "MEDIAN",
}
BASELINE_DISPERSION = {  # MeasureDispersionType
    m.DISP_NA: "NA",
    m.DISP_SD: "STANDARD_DEVIATION",
    m.DISP_IQR: "INTER_QUARTILE_RANGE",
}
OUTCOME_TYPES = {  # OutcomeMeasureType
    m.OUTCOME_PRIMARY: "PRIMARY",
    m.OUTCOME_SECONDARY: "SECONDARY",
    m.OUTCOME_OTHER: "OTHER_PRE_SPECIFIED",
}
CI_SIDES = {m.CI_TWO_SIDED: "TWO_SIDED", "1-Sided": "ONE_SIDED"}  # ConfidenceIntervalNumSides
TEST_TYPES = {  # NonInferiorityType
    "Superiority": "SUPERIORITY",
    "Non-Inferiority": "NON_INFERIORITY",
    "Equivalence": "EQUIVALENCE",
    m.TEST_TYPE_OTHER: "OTHER",
}


def _put(d: dict, key: str, value) -> None:
    """Set an optional field: absent rather than null or empty."""
    if value is not None and value != "" and value != []:
        d[key] = value


def _ids(prefix: str, groups) -> dict[str, str]:
    return {g.key: f"{prefix}{i:03d}" for i, g in enumerate(groups)}


def _groups(groups, ids) -> list[dict]:
    return [{"id": ids[g.key], "title": g.title, "description": g.description} for g in groups]


def _denoms(counts: dict[str, int], ids) -> list[dict]:
    return [{"units": m.UNIT_PARTICIPANTS,
             "counts": [{"groupId": ids[k], "value": str(n)} for k, n in counts.items()]}]


def _classes(classes, ids) -> list[dict]:
    out = []
    for cls in classes:
        c: dict = {}
        _put(c, "title", cls.title)
        categories = []
        for cat in cls.categories:
            cd: dict = {}
            _put(cd, "title", cat.title)
            cells = []
            for x in cat.measurements:
                cell = {"groupId": ids[x.group], "value": x.value}
                _put(cell, "spread", x.spread)
                _put(cell, "lowerLimit", x.lower)
                _put(cell, "upperLimit", x.upper)
                _put(cell, "comment", x.na_comment)
                cells.append(cell)
            cd["measurements"] = cells
            categories.append(cd)
        c["categories"] = categories
        out.append(c)
    return out


def participant_flow_module(f: m.ParticipantFlow) -> dict:
    ids = _ids("FG", f.groups)

    def milestone(kind: str, counts: dict[str, int]) -> dict:
        return {"type": kind,
                "achievements": [{"groupId": ids[k], "numSubjects": str(counts[k])} for k in ids]}

    drops = []
    for r in f.reasons:
        # The API gives an "Other" reason under the name the sponsor specified.
        drops.append({"type": r.other_name or r.reason_type,
                      "reasons": [{"groupId": ids[k], "numSubjects": str(r.counts[k])}
                                  for k in ids]})
    d: dict = {}
    _put(d, "preAssignmentDetails", f.pre_assignment_details)
    return d | {
        "recruitmentDetails": f.recruitment_details,
        "groups": _groups(f.groups, ids),
        "periods": [{
            "title": f.period_title,
            "milestones": [milestone("STARTED", f.started),
                           milestone("COMPLETED", f.completed),
                           milestone("NOT COMPLETED", f.not_completed)],
            "dropWithdraws": drops,
        }],
    }


def baseline_characteristics_module(b: m.Baseline) -> dict:
    ids = _ids("BG", b.groups)
    measures = []
    for bm in b.measures:
        d: dict = {"title": bm.display_title}
        _put(d, "description", bm.description)
        _put(d, "populationDescription", bm.population_description)
        d["paramType"] = PARAM_TYPES[bm.param_type]
        if bm.param_type != m.PARAM_COUNT:
            d["dispersionType"] = BASELINE_DISPERSION[bm.dispersion_type]
        d["unitOfMeasure"] = bm.unit
        if bm.calculate_pct:
            d["calculatePct"] = True
        if bm.denoms:
            d["denoms"] = _denoms(bm.denoms, ids)
        d["classes"] = _classes(bm.classes, ids)
        measures.append(d)
    return {
        "populationDescription": b.population_description,
        "groups": _groups(b.groups, ids),
        "denoms": _denoms(b.denoms, ids),
        "measures": measures,
    }


def _analysis(a: m.StatisticalAnalysis, ids) -> dict:
    d: dict = {"groupIds": [ids[k] for k in a.group_keys]}
    _put(d, "groupDescription", a.group_description)
    if a.method:
        d["nonInferiorityType"] = TEST_TYPES[a.test_type]
        _put(d, "nonInferiorityComment", a.test_type_comment)
    _put(d, "pValue", a.p_value)
    _put(d, "pValueComment", a.p_value_comment)
    if a.method:
        # For "Other", the API shows the method under the name that was given.
        d["statisticalMethod"] = a.other_method_name or a.method
    _put(d, "statisticalComment", a.method_comment)
    d["paramType"] = a.param_type
    d["paramValue"] = a.estimate
    d["ciPctValue"] = a.ci_pct
    d["ciNumSides"] = CI_SIDES[a.ci_sides]
    d["ciLowerLimit"] = a.ci_lower
    d["ciUpperLimit"] = a.ci_upper
    _put(d, "ciLowerLimitComment", a.ci_lower_comment)
    _put(d, "ciUpperLimitComment", a.ci_upper_comment)
    _put(d, "estimateComment", a.estimate_comment)
    return d


def outcome_measures_module(outcomes) -> dict:
    out = []
    for om in outcomes:
        ids = _ids("OG", om.groups)
        d = {
            "type": OUTCOME_TYPES[om.measure_type],
            "title": om.title,
            "description": om.description,
            "populationDescription": om.population_description,
            "paramType": PARAM_TYPES[om.param_type],
            "unitOfMeasure": om.unit,
        }
        if om.param_type != m.PARAM_COUNT:
            d["dispersionType"] = om.dispersion_type
        if om.calculate_pct:
            d["calculatePct"] = True
        d["timeFrame"] = om.time_frame
        d["groups"] = _groups(om.groups, ids)
        d["denoms"] = _denoms(om.denoms, ids)
        d["classes"] = _classes(om.classes, ids)
        if om.analyses:
            d["analyses"] = [_analysis(a, ids) for a in om.analyses]
        out.append(d)
    return {"outcomeMeasures": out}


def adverse_events_module(ae: m.AdverseEvents) -> dict:
    """Counts are integers here (EventGroup), unlike the string values of the other modules."""
    ids = _ids("EG", ae.groups)
    d: dict = {}
    _put(d, "frequencyThreshold", ae.frequency_threshold)
    d["timeFrame"] = ae.time_frame
    d["description"] = ae.description
    _put(d, "allCauseMortalityComment", ae.mortality_comment)
    d["eventGroups"] = [{
        "id": ids[g.key], "title": g.title, "description": g.description,
        "deathsNumAffected": ae.deaths[g.key], "deathsNumAtRisk": ae.deaths_at_risk[g.key],
        "seriousNumAffected": ae.serious_affected[g.key],
        "seriousNumAtRisk": ae.serious_at_risk[g.key],
        "otherNumAffected": ae.other_affected[g.key], "otherNumAtRisk": ae.other_at_risk[g.key],
    } for g in ae.groups]
    # seriousEvents / otherEvents: none collected, so absent (the API leaves out empty lists)
    return d


def more_info_module(info: m.MoreInfo) -> dict:
    d: dict = {"limitationsAndCaveats": {"description": info.limitations}}
    a = info.certain_agreement
    if a is not None:
        ca: dict = {"piSponsorEmployee": a.pi_sponsor_employee}
        if a.restrictive_agreement is not None:
            ca["restrictiveAgreement"] = a.restrictive_agreement
        _put(ca, "restrictionType", a.restriction_type)
        _put(ca, "otherDetails", a.other_details)
        d["certainAgreement"] = ca
    c = info.point_of_contact
    if c is not None:
        pc: dict = {"title": c.title, "organization": c.organization}
        _put(pc, "email", c.email)
        _put(pc, "phone", c.phone)
        _put(pc, "phoneExt", c.phone_ext)
        d["pointOfContact"] = pc
    return d


def to_results_section(results: m.ResultsSection) -> dict:
    """The API v2 `resultsSection` object: participant flow, baseline, outcome measures, and,
    when built, adverse events and more information."""
    out = {
        "participantFlowModule": participant_flow_module(results.participant_flow),
        "baselineCharacteristicsModule": baseline_characteristics_module(results.baseline),
        "outcomeMeasuresModule": outcome_measures_module(results.outcome_measures),
    }
    if results.adverse_events is not None:
        out["adverseEventsModule"] = adverse_events_module(results.adverse_events)
    if results.more_info is not None:
        out["moreInfoModule"] = more_info_module(results.more_info)
    return out


def to_api_json(results: m.ResultsSection) -> str:
    """The `resultsSection` as JSON text: fixed key order, 2-space indent, final newline."""
    return json.dumps(to_results_section(results), indent=2, ensure_ascii=False) + "\n"
