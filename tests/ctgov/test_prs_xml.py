"""prs-results.xml: valid against ClinicalTrials.gov's RRS upload schema, partial upload, and
carrying the input numbers.

The schema (RRSUploadSchema.xsd, version 2017.04.18) lives in ../shared/ctgov; the validation tests
skip with a reason when ../shared is absent. Input numbers come from tests/ctgov_samples.py
(statsmodels/scipy results on the 2x2 tables stated there).
"""

import math
from pathlib import Path

import pytest
from tests.ctgov.ctgov_samples import (
    FLOW_COUNTS,
    FLOW_STEPS,
    sample_baseline_tidy,
    sample_estimates,
    sample_flow,
)

from her2cr import study
from her2cr.ctgov.build import build_results
from her2cr.ctgov.prs_xml import NAMESPACE, to_prs_xml

etree = pytest.importorskip("lxml.etree")

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
XSD = SHARED / "ctgov" / "RRSUploadSchema.xsd"
needs_xsd = pytest.mark.skipif(
    not XSD.is_file(), reason=f"ClinicalTrials.gov upload schema not available: {XSD} is absent"
)

CASES = [("zero_cell", False), ("finite", False), ("not_estimable", True)]
REL = 5e-4  # 4 significant digits: relative rounding error at most 5e-4


def _xml(case="zero_cell", race=False) -> bytes:
    return to_prs_xml(build_results(sample_flow(), sample_baseline_tidy(race),
                                    sample_estimates(case)))


def _doc(case="zero_cell", race=False):
    return etree.fromstring(_xml(case, race))


@pytest.fixture(scope="module")
def schema():
    if not XSD.is_file():
        pytest.skip(f"ClinicalTrials.gov upload schema not available: {XSD} is absent")
    return etree.XMLSchema(etree.parse(str(XSD)))


# ---- schema -------------------------------------------------------------------------------------
@needs_xsd
@pytest.mark.parametrize("case, race", CASES)
def test_validates_against_rrs_upload_schema(schema, case, race):
    doc = _doc(case, race)
    ok = schema.validate(doc)
    assert ok, "\n".join(str(e) for e in schema.error_log)


@needs_xsd
def test_schema_rejects_a_misspelled_element(schema):
    # guards against a validator that accepts anything
    doc = _doc()
    el = doc.find(".//subjectsAchieve")
    el.tag = "subjectAchieve"
    assert not schema.validate(doc)


@pytest.mark.parametrize("case, race", CASES)
def test_group_references_resolve_within_their_section(case, race):
    # libxml2's schema validation does not resolve xs:IDREF (checked: a dangling reference still
    # validates), so the references are checked here: ids unique, and every reference points to a
    # group of its own section (flow, baseline, or the same outcome measure).
    doc = _doc(case, race)
    all_ids = doc.xpath("//@id")
    assert len(all_ids) == len(set(all_ids))
    sections = [doc.find("participantFlow"), doc.find("baseline")]
    sections += doc.findall("outcomeMeasures/outcomeMeasure")
    n_refs = 0
    for sec in sections:
        ids = {e.get("id") for e in sec.xpath(".//*[@id]")}
        for ref in sec.xpath(".//reportingGroupId | .//outcomeReportingGroupId"):
            assert ref.text in ids, (sec.tag, ref.text)
            n_refs += 1
    assert n_refs == len(doc.xpath("//reportingGroupId | //outcomeReportingGroupId"))


def test_root_is_a_partial_upload():
    doc = _doc()
    assert doc.tag == f"{{{NAMESPACE}}}result"
    assert doc.get("partialUpload") == "true"
    # children are unqualified, as the schema's elementFormDefault="unqualified" requires
    # in the schema's order; without a study configuration there is no point of contact and no
    # certain agreement to post, so those sections are absent and PRS keeps what it holds
    assert [c.tag for c in doc] == ["baseline", "limitationsAndCaveats", "outcomeMeasures",
                                    "participantFlow", "reportedEvents"]


# ---- participant flow ---------------------------------------------------------------------------
def _flow_group_ids(doc):
    groups = doc.findall("participantFlow/participantFlowGroups/flowGroup")
    return {g.findtext("title"): g.get("id") for g in groups}


def test_flow_numbers_equal_input():
    doc = _doc()
    ids = _flow_group_ids(doc)
    period = doc.find("participantFlow/periods/period")
    assert period.findtext("title") == "Overall Study"

    def achieved(milestone, gid):
        return int(period.xpath(f"{milestone}/milestoneAchievements/milestoneAchievement"
                                f"[reportingGroupId='{gid}']/subjectsAchieve")[0].text)

    def reason(kind, gid, other=None):
        cond = f"reasonType='{kind}'" + (f" and otherReasonName='{other}'" if other else "")
        return int(period.xpath(f"dropWithdrawReasons/dropWithdrawReason[{cond}]"
                                f"/dropWithdrawReasonDetails/reasonDetail"
                                f"[reportingGroupId='{gid}']/subjectsAffected")[0].text)

    for key in study.COHORTS:
        gid = ids[study.COHORT_TITLES[key]]
        counts = dict(zip(FLOW_STEPS, FLOW_COUNTS[key]))
        assert achieved("startedMilestone", gid) == counts["enrolled"]
        assert achieved("completedMilestone", gid) == counts["completed"]
        assert reason("Withdrawal by Subject", gid) == counts["withdrawn"]
        assert reason("Lost to Follow-up", gid) == counts["lost_to_follow_up"]
        assert reason("Death", gid) == counts["died"]
        assert reason("Other", gid, "On study at data cut-off") == counts["on_study"]


# ---- baseline -----------------------------------------------------------------------------------
def _baseline_ids(doc):
    base = doc.find("baseline")
    ids = {g.findtext("title"): g.get("id")
           for g in base.findall("baselineReportingGroups/baselineReportingGroup")}
    total = base.find("totalBaselineReportingGroup")
    ids[total.findtext("title")] = total.get("id")
    return ids


_TIDY_GROUP_TITLE = {**study.COHORT_TITLES, "overall": "Total"}


def _measure(doc, title):
    for me in doc.findall("baseline/baselineMeasures/baselineMeasure"):
        if (me.findtext("otherTitle") or me.findtext("title")) == title:
            return me
    raise AssertionError(f"no baseline measure {title!r}")


def _entries(me, gid, row_title=None):
    rows = me.findall("measureRows/measureRow")
    if row_title is not None:
        rows = [r for r in rows if r.findtext("title") == row_title]
    (row,) = rows
    (rv,) = row.xpath(f"reportedValues/reportedValue[reportingGroupId='{gid}']")
    return rv, rv.findall("reportedEntries/reportedEntry")


@pytest.mark.parametrize("race", [False, True])
def test_baseline_numbers_equal_input(race):
    tidy = sample_baseline_tidy(race)
    doc = _doc(race=race)
    ids = _baseline_ids(doc)
    for group, title in _TIDY_GROUP_TITLE.items():
        gid = ids[title]
        n = tidy.loc[tidy["group"] == group, "group_N"].iloc[0]
        assert int(doc.xpath(f"baseline//*[@id='{gid}']/subjectsAnalyzed")[0].text) == n
    checked = 0
    for _, r in tidy[tidy["collected"]].iterrows():
        gid = ids[_TIDY_GROUP_TITLE[r["group"]]]
        me = _measure(doc, r["measure_title"])
        if r["var_type"] == "categorical":
            region = r["measure_title"] == "Region of Enrollment"
            rv, entries = _entries(me, gid, r["level"] if region else None)
            entry = entries[0] if region else next(
                e for e in entries if e.findtext("catName") == r["level"])
            assert int(entry.findtext("parameterValue")) == r["n"]
        else:
            rv, (entry,) = _entries(me, gid)
            if r["n"] == 0:
                assert entry.findtext("parameterValue") == "NA"
                assert entry.findtext("naComment")
            elif me.findtext("parameterType") == "Mean":
                assert float(entry.findtext("parameterValue")) == pytest.approx(r["mean"], rel=REL)
                assert float(entry.findtext("dispersionSpread")) == pytest.approx(r["sd"], rel=REL)
            else:
                assert float(entry.findtext("parameterValue")) == pytest.approx(r["median"],
                                                                                rel=REL)
                assert float(entry.findtext("dispersionLowerLimit")) == pytest.approx(r["q1"],
                                                                                     rel=REL)
                assert float(entry.findtext("dispersionUpperLimit")) == pytest.approx(r["q3"],
                                                                                     rel=REL)
        checked += 1
    assert checked == int(tidy["collected"].sum())


def test_baseline_analysed_number_when_values_missing():
    doc = _doc()
    ids = _baseline_ids(doc)
    me = _measure(doc, "Hormone-receptor status")
    rv, _ = _entries(me, ids[study.COHORT_TITLES["stopped"]])
    assert rv.findtext("subjectsAnalyzed") == "23"
    assert me.findtext("populationAnalysisDescription")


def test_race_and_ethnicity_not_collected_is_stated():
    doc = _doc(race=False)
    me = _measure(doc, "Race and Ethnicity Not Collected")
    assert me.findtext("parameterType") == "Count of Participants"
    assert "not collected" in me.findtext("populationAnalysisDescription")
    assert not doc.xpath("//baselineMeasure[title='Race (NIH/OMB)']")


def test_study_specific_measures_use_other_title():
    doc = _doc()
    me = _measure(doc, "Menopausal status")
    assert me.findtext("title") == "Study-Specific Measure"
    assert [e.findtext("catName") for e in _entries(me, "BG000")[1]] == [
        "Pre-menopausal", "Post-menopausal"]


# ---- outcome measures ---------------------------------------------------------------------------
def _outcome(doc, title):
    (om,) = doc.xpath(f"outcomeMeasures/outcomeMeasure[title='{title}']")
    ids = {g.findtext("title"): g.get("id")
           for g in om.findall("outcomeReportingGroups/outcomeReportingGroup")}
    return om, ids


def _input_row(est, analysis, parameter, group):
    sel = est[(est["analysis"] == analysis) & (est["parameter"] == parameter)
              & (est["group"] == group)]
    assert len(sel) == 1
    return sel.iloc[0]


def _assert_limit(text, value):
    if math.isfinite(value):
        assert float(text) == pytest.approx(value, rel=REL, abs=1e-12)
    else:
        assert text == "NA"


@pytest.mark.parametrize("case", ["zero_cell", "finite", "not_estimable"])
def test_outcome_numbers_equal_input(case):
    est = sample_estimates(case)
    doc = _doc(case)
    for title, analysis, measure_type in [
        ("Baseline ctDNA Positivity", "primary", "Primary"),
        ("ctDNA Positivity at Any Draw up to the Data Cut-off", "exploratory_any_draw",
         "Other Pre-specified"),
    ]:
        om, ids = _outcome(doc, title)
        assert om.findtext("measureType") == measure_type
        assert om.findtext("parameterType") == "Count of Participants"
        for key in study.COHORTS:
            row = _input_row(est, analysis, "proportion", key)
            gid = ids[study.COHORT_TITLES[key]]
            (g,) = om.xpath(f"outcomeReportingGroups/outcomeReportingGroup[@id='{gid}']")
            assert int(g.findtext("subjectsAnalyzed")) == row["N"]
            (value,) = om.xpath(f"measureRows/measureRow/reportedValues/reportedValue"
                                f"[reportingGroupId='{gid}']/reportedEntries/reportedEntry"
                                f"/parameterValue")
            assert int(value.text) == row["n"]
        params = {"Risk Difference (RD)": "risk_difference", "Odds Ratio (OR)": "odds_ratio"}
        for a in om.findall("outcomeMeasureAnalyses/measureAnalysis"):
            row = _input_row(est, analysis, params[a.findtext("parameterType")],
                             "stopped vs continuing")
            assert a.findtext("ciPctValue") == "95" and a.findtext("ciNumSides") == "2-Sided"
            _assert_limit(a.findtext("parameterValue"), row["estimate"])
            _assert_limit(a.findtext("ciLowerLimit"), row["ci_lower"])
            _assert_limit(a.findtext("ciUpperLimit"), row["ci_upper"])
            if math.isnan(row["p_value"]):
                assert a.find("pValue") is None and a.find("statisticalMethod") is None
            else:
                p = a.findtext("pValue")
                assert float(p) == pytest.approx(row["p_value"], rel=5e-3)  # 3 significant digits
                assert a.findtext("statisticalMethod") == "Fisher Exact"
                assert a.findtext("statisticalTestType") == "Other"
            assert [x.text for x in a.findall("outcomeReportingGroups/outcomeReportingGroupId")] \
                == [ids[study.COHORT_TITLES[k]] for k in study.COHORTS]


def test_na_values_always_carry_a_comment():
    doc = _doc("not_estimable")
    for entry in doc.xpath("//reportedEntry[parameterValue='NA']"):
        assert entry.findtext("naComment")
    for a in doc.xpath("//measureAnalysis"):
        if a.findtext("ciUpperLimit") == "NA":
            assert a.findtext("ciUpperLimitNaComment")
        if "NA" in (a.findtext("parameterValue"), a.findtext("ciLowerLimit")):
            assert "NA" in a.findtext("estimateComment") or "not estimable" in \
                a.findtext("estimateComment")
    # the infinite odds ratio of the zero-cell table
    om, _ = _outcome(doc, "Baseline ctDNA Positivity")
    (odds,) = om.xpath("outcomeMeasureAnalyses/measureAnalysis[parameterType='Odds Ratio (OR)']")
    assert odds.findtext("parameterValue") == "NA"
    assert "infinite" in odds.findtext("ciUpperLimitNaComment")
