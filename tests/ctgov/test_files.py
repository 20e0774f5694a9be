"""write_results_files: the two files, byte-identical for the same inputs, free of dates and machine
details, readable from the pipeline's CSVs, and telling the same numbers in XML and JSON."""

import getpass
import json
import re
import socket
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
from tests.ctgov.ctgov_samples import round_trip_csv, sample_baseline_tidy, sample_estimates, sample_flow

from her2cr.ctgov import API_JSON_NAME, PRS_XML_NAME, write_results_files


def _inputs(case="zero_cell", race=False):
    return sample_flow(), sample_baseline_tidy(race), sample_estimates(case)


def test_writes_the_two_files(tmp_path):
    out = tmp_path / "results"  # created when missing
    paths = write_results_files(*_inputs(), out)
    assert [p.name for p in paths] == [PRS_XML_NAME, API_JSON_NAME]
    assert paths == [out / "prs-results.xml", out / "ctgov-results-section.json"]
    xml_bytes = paths[0].read_bytes()
    assert xml_bytes.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<rrs:result ")
    assert b'partialUpload="true"' in xml_bytes.split(b"\n")[1]
    json.loads(paths[1].read_text(encoding="utf-8"))
    for p in paths:
        data = p.read_bytes()
        assert data.endswith(b"\n") and b"\r" not in data
        data.decode("utf-8")


@pytest.mark.parametrize("case, race", [("zero_cell", False), ("not_estimable", True)])
def test_same_inputs_give_byte_identical_files(tmp_path, case, race):
    first = write_results_files(*_inputs(case, race), tmp_path / "a")
    second = write_results_files(*_inputs(case, race), tmp_path / "b")
    for p, q in zip(first, second):
        assert p.read_bytes() == q.read_bytes()


def test_row_order_of_flow_and_estimates_does_not_matter(tmp_path):
    flow, tidy, est = _inputs()
    first = write_results_files(flow, tidy, est, tmp_path / "a")
    second = write_results_files(flow.sample(frac=1, random_state=1), tidy,
                                 est.sample(frac=1, random_state=2), tmp_path / "b")
    for p, q in zip(first, second):
        assert p.read_bytes() == q.read_bytes()


def test_inputs_read_back_from_csv_give_the_same_files(tmp_path):
    # The pipeline reads the CSVs: "" levels come back as NaN, "inf" as float inf, booleans as bool.
    flow, tidy, est = _inputs("not_estimable")
    direct = write_results_files(flow, tidy, est, tmp_path / "direct")
    from_csv = write_results_files(round_trip_csv(flow, tmp_path, "flow"),
                                   round_trip_csv(tidy, tmp_path, "baseline_tidy"),
                                   round_trip_csv(est, tmp_path, "estimates"),
                                   tmp_path / "csv")
    for p, q in zip(direct, from_csv):
        assert p.read_bytes() == q.read_bytes()


def test_no_dates_or_machine_details(tmp_path):
    paths = write_results_files(*_inputs(), tmp_path / "results")
    for p in paths:
        text = p.read_text(encoding="utf-8")
        assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}", text)
        assert str(tmp_path) not in text
        for detail in {getpass.getuser(), socket.gethostname()}:
            # as a whole word: a short user name such as "root" may occur inside other words
            assert not re.search(rf"\b{re.escape(detail)}\b", text), detail


def _xml_numbers(xml_bytes):
    """(section, measure, row, category, group title, field, value) from the PRS XML."""
    root = ET.fromstring(xml_bytes)
    out = Counter()
    flow = root.find("participantFlow")
    titles = {g.get("id"): g.findtext("title") for g in flow.iter("flowGroup")}
    period = flow.find("periods/period")
    for tag, kind in (("startedMilestone", "STARTED"), ("completedMilestone", "COMPLETED")):
        for a in period.find(tag).iter("milestoneAchievement"):
            out[("flow", kind, "", "", titles[a.findtext("reportingGroupId")], "n",
                 a.findtext("subjectsAchieve"))] += 1
    for r in period.iter("dropWithdrawReason"):
        for d in r.iter("reasonDetail"):
            out[("flow", r.findtext("otherReasonName") or r.findtext("reasonType"), "", "",
                 titles[d.findtext("reportingGroupId")], "n", d.findtext("subjectsAffected"))] += 1
    base = root.find("baseline")
    titles = {g.get("id"): g.findtext("title") for g in base.iter() if g.get("id")}
    for g in base.iter():
        if g.get("id"):
            out[("baseline", "overall", "", "", titles[g.get("id")], "n",
                 g.findtext("subjectsAnalyzed"))] += 1
    for me in base.iter("baselineMeasure"):
        title = me.findtext("otherTitle") or me.findtext("title")
        analysed = {}
        for row in me.iter("measureRow"):
            for rv in row.iter("reportedValue"):
                group = titles[rv.findtext("reportingGroupId")]
                if rv.find("subjectsAnalyzed") is not None:
                    analysed[group] = rv.findtext("subjectsAnalyzed")
                for e in rv.iter("reportedEntry"):
                    for xml_tag, field in (("parameterValue", "value"),
                                           ("dispersionSpread", "spread"),
                                           ("dispersionLowerLimit", "lower"),
                                           ("dispersionUpperLimit", "upper")):
                        if e.find(xml_tag) is not None:
                            out[("baseline", title, row.findtext("title") or "",
                                 e.findtext("catName") or "", group, field,
                                 e.findtext(xml_tag))] += 1
        for group, n in analysed.items():  # one per measure, repeated on each row in the XML
            out[("baseline", title, "analysed", "", group, "n", n)] += 1
    for om in root.iter("outcomeMeasure"):
        title = om.findtext("title")
        titles = {g.get("id"): g.findtext("title") for g in om.iter("outcomeReportingGroup")}
        for g in om.iter("outcomeReportingGroup"):
            out[("outcome", title, "analysed", "", g.findtext("title"), "n",
                 g.findtext("subjectsAnalyzed"))] += 1
        for rv in om.iter("reportedValue"):
            out[("outcome", title, "", "", titles[rv.findtext("reportingGroupId")], "value",
                 rv.findtext("reportedEntries/reportedEntry/parameterValue"))] += 1
        for a in om.iter("measureAnalysis"):
            groups = " vs ".join(titles[x.text] for x in a.iter("outcomeReportingGroupId"))
            for xml_tag, field in (("parameterValue", "estimate"), ("ciLowerLimit", "lower"),
                                   ("ciUpperLimit", "upper"), ("pValue", "p")):
                out[("outcome", title, a.findtext("parameterType"), "", groups, field,
                     a.findtext(xml_tag))] += 1
    return out


def _json_numbers(section):
    out = Counter()
    flow = section["participantFlowModule"]
    titles = {g["id"]: g["title"] for g in flow["groups"]}
    (period,) = flow["periods"]
    for m in period["milestones"]:
        if m["type"] in ("STARTED", "COMPLETED"):
            for a in m["achievements"]:
                out[("flow", m["type"], "", "", titles[a["groupId"]], "n", a["numSubjects"])] += 1
    for d in period["dropWithdraws"]:
        for r in d["reasons"]:
            out[("flow", d["type"], "", "", titles[r["groupId"]], "n", r["numSubjects"])] += 1
    base = section["baselineCharacteristicsModule"]
    titles = {g["id"]: g["title"] for g in base["groups"]}
    for c in base["denoms"][0]["counts"]:
        out[("baseline", "overall", "", "", titles[c["groupId"]], "n", c["value"])] += 1
    for me in base["measures"]:
        for c in (me["denoms"][0]["counts"] if me.get("denoms") and me["classes"] else []):
            out[("baseline", me["title"], "analysed", "", titles[c["groupId"]], "n",
                 c["value"])] += 1
        for cls in me["classes"]:
            for cat in cls["categories"]:
                for x in cat["measurements"]:
                    for key, field in (("value", "value"), ("spread", "spread"),
                                       ("lowerLimit", "lower"), ("upperLimit", "upper")):
                        if key in x:
                            out[("baseline", me["title"], cls.get("title", ""),
                                 cat.get("title", ""), titles[x["groupId"]], field, x[key])] += 1
    for om in section["outcomeMeasuresModule"]["outcomeMeasures"]:
        titles = {g["id"]: g["title"] for g in om["groups"]}
        for c in om["denoms"][0]["counts"]:
            out[("outcome", om["title"], "analysed", "", titles[c["groupId"]], "n",
                 c["value"])] += 1
        for x in om["classes"][0]["categories"][0]["measurements"]:
            out[("outcome", om["title"], "", "", titles[x["groupId"]], "value", x["value"])] += 1
        for a in om.get("analyses", []):
            groups = " vs ".join(titles[g] for g in a["groupIds"])
            for key, field in (("paramValue", "estimate"), ("ciLowerLimit", "lower"),
                               ("ciUpperLimit", "upper"), ("pValue", "p")):
                out[("outcome", om["title"], a["paramType"], "", groups, field,
                     a.get(key))] += 1
    return out


@pytest.mark.parametrize("case, race", [("zero_cell", False), ("finite", False),
                                        ("not_estimable", True)])
def test_xml_and_json_tell_the_same_numbers(tmp_path, case, race):
    xml_path, json_path = write_results_files(*_inputs(case, race), tmp_path)
    from_xml = _xml_numbers(xml_path.read_bytes())
    from_json = _json_numbers(json.loads(json_path.read_text(encoding="utf-8")))
    assert sum(from_xml.values()) > 90
    assert from_xml == from_json
