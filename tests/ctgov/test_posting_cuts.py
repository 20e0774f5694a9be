"""The results record on two cuts: the synthetic cut and a hand-made cut with no deaths and no
consent after the cut-off. Enrolment explained, analysis sets in the population descriptions,
all-cause mortality, adverse events not collected, limitations, point of contact and agreements;
the XML valid against RRSUploadSchema.xsd and the JSON against the API v2 components.

Expected numbers for the synthetic cut are counted in this file from the raw CSVs alone (enrolment,
deaths dated on or before the cut-off among those who consented by then, participants on study at
the cut-off, consents after the cut-off),
and agree with tests/test_synthetic_cut.py's hand count (2 deaths, both stopped; HCR-050 consented
after the cut-off). Baseline and estimates come from tests/ctgov_samples.py: this file checks the
flow-derived texts and the new modules, not the statistics.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from tests.ctgov.ctgov_samples import sample_baseline_tidy, sample_estimates
from tests.ctgov.test_api_json import _errors, _unknown_keys, components, validator  # noqa: F401

from her2cr.data.clean import clean_cut, write_clean_outputs
from her2cr.ctgov import write_results_files
from her2cr.ctgov.api_json import to_results_section
from her2cr.ctgov.build import build_results
from her2cr.ctgov.cut_facts import read_cut_facts
from her2cr.ctgov.prs_xml import to_prs_xml
from her2cr.ctgov.study_config import parse_study_config
from her2cr.data.cutinfo import SYNTHETIC_MARKER, write_cut_info

etree = pytest.importorskip("lxml.etree")

CUT = "2025-12-31"
XSD = Path(__file__).resolve().parents[2].parent / "shared" / "ctgov" / "RRSUploadSchema.xsd"

FILLED_IN = """
point_of_contact:
  name_or_title: "Director of Clinical Research"
  organization: "Nagoya City University"
  phone: "+81 52 000 0000"
  phone_extension: ""
  email: ""
certain_agreements:
  pi_sponsor_employee: no
  restrictive_agreement: yes
  restriction_type: LTE60
  other_details: ""
"""


def _outputs(raw: Path, out: Path) -> Path:
    """What notebook 01 writes (data/), enough for the posting facts."""
    write_clean_outputs(clean_cut(raw, CUT), out)
    write_cut_info(raw, CUT, out)
    return out


@pytest.fixture(scope="module")
def synthetic_out(synthetic_raw, tmp_path_factory) -> Path:
    return _outputs(synthetic_raw, tmp_path_factory.mktemp("synthetic_out"))


@pytest.fixture(scope="module")
def handmade_out(synthetic_raw, tmp_path_factory) -> Path:
    """The synthetic cut with the late consent removed and the two deaths undone (those
    participants on study at the cut-off), marked as study data (no synthetic marker)."""
    from tests.conftest import RawCopy

    raw = RawCopy(synthetic_raw, tmp_path_factory.mktemp("handmade") / "raw")
    (raw.dir / SYNTHETIC_MARKER).unlink()
    subjects = raw.read("subjects.csv")
    late = subjects["consent_date"] > CUT
    assert late.sum() == 1  # HCR-050
    ctdna = raw.read("ctdna.csv")
    raw.write("ctdna.csv", ctdna[~ctdna["subject_id"].isin(subjects.loc[late, "subject_id"])])
    subjects = subjects[~late].copy()
    died = subjects["status"].str.strip().str.lower() == "died"
    assert died.sum() == 2
    subjects.loc[died, "status"] = "on_study"
    subjects.loc[died, "death_date"] = ""
    raw.write("subjects.csv", subjects)
    return _outputs(raw.dir, tmp_path_factory.mktemp("handmade_out"))


def _results(out: Path, config_text: str | None = None):
    facts = read_cut_facts(out)
    if config_text is not None:
        facts["config"] = parse_study_config(config_text)
    flow = pd.read_csv(out / "data" / "flow.csv")
    return build_results(flow, sample_baseline_tidy(), sample_estimates(), **facts)


def _on_study_at_cut(raw: Path) -> int:
    """Consented by the cut-off and still on study then: status on_study, or an end dated after the
    cut-off (death_date for deaths, last_contact otherwise), counted from subjects.csv alone."""
    s = pd.read_csv(raw / "subjects.csv", dtype=str, keep_default_na=False)
    s = s[s["consent_date"] <= CUT]
    status = s["status"].str.strip().str.lower()
    ended_on = s["death_date"].where(status == "died", s["last_contact"])
    return int(((status == "on_study") | (ended_on > CUT)).sum())


def _raw_counts(raw: Path):
    s = pd.read_csv(raw / "subjects.csv", dtype=str, keep_default_na=False)
    s["cohort"] = s["cohort"].str.strip().str.lower()
    enrolled = s[s["consent_date"] <= CUT]
    deaths = enrolled[(enrolled["death_date"] != "") & (enrolled["death_date"] <= CUT)]
    return (deaths.groupby("cohort").size().to_dict(), enrolled.groupby("cohort").size().to_dict(),
            int((s["consent_date"] > CUT).sum()))


# ---- 1. enrolment vs STARTED ----------------------------------------------------------------
def test_synthetic_recruitment_details_explain_the_late_consent(synthetic_out, synthetic_raw):
    _, enrolled, late = _raw_counts(synthetic_raw)
    assert late == 1 and sum(enrolled.values()) == 49
    flow = _results(synthetic_out).participant_flow
    assert sum(flow.started.values()) == 49
    assert flow.recruitment_details.endswith(
        " 50 participants consented; 1 consented after the data cut-off and is not analysed, so "
        "the flow starts with 49.")


def test_an_issues_listing_without_its_rule_column_is_an_error_not_none(handmade_out, tmp_path):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(handmade_out, out)
    issues = pd.read_csv(out / "data" / "data_issues.csv", dtype=str, keep_default_na=False)
    issues.drop(columns="rule").to_csv(out / "data" / "data_issues.csv", index=False)
    with pytest.raises(ValueError, match="data/data_issues.csv: no column rule"):
        read_cut_facts(out)


def test_handmade_cut_has_no_enrolment_explanation(handmade_out):
    assert read_cut_facts(handmade_out)["consented_after_cutoff"] == 0
    flow = _results(handmade_out).participant_flow
    assert "consented after" not in flow.recruitment_details
    assert flow.recruitment_details.endswith("Counts are as of the data cut-off.")


# ---- 2. analysis sets out of Pre-assignment Details -----------------------------------------
@pytest.mark.parametrize("which", ["synthetic_out", "handmade_out"])
def test_analysis_sets_are_in_the_population_descriptions(which, request):
    out = request.getfixturevalue(which)
    r = _results(out)
    assert r.participant_flow.pre_assignment_details is None
    xml = to_prs_xml(r).decode()
    assert "preAssignmentDescription" not in xml
    assert "1 enrolled participants" not in xml and "1 participants" not in xml
    # synthetic and hand-made cut: HCR-036 (continuing) not eligible; HCR-032 and HCR-038
    # (continuing) eligible without an evaluable baseline (tests/test_synthetic_cut.py)
    primary = r.outcome_measures[0].population_description
    assert primary.endswith("Not analysed: 1 participant (continuing 1; stopped 0) not eligible and "
                            "2 eligible participants (continuing 2; stopped 0) without an "
                            "evaluable baseline result.")
    assert "including the 1 participant (continuing 1; stopped 0) who did not meet all " \
           "eligibility criteria and is therefore" in r.baseline.population_description


# ---- 3. all-cause mortality and adverse events ----------------------------------------------
def test_synthetic_mortality_counts_deaths_up_to_the_cutoff(synthetic_out, synthetic_raw):
    deaths, enrolled, _ = _raw_counts(synthetic_raw)
    assert deaths == {"stopped": 2}
    ae = _results(synthetic_out).adverse_events
    assert ae.deaths == {"continuing": deaths.get("continuing", 0), "stopped": 2}
    assert ae.deaths_at_risk == enrolled


def test_handmade_mortality_is_zero(handmade_out, synthetic_raw):
    _, enrolled, _ = _raw_counts(synthetic_raw)  # the hand-made cut has the same enrolment
    ae = _results(handmade_out).adverse_events
    assert ae.deaths == {"continuing": 0, "stopped": 0}
    assert ae.deaths_at_risk == enrolled


@pytest.mark.parametrize("which", ["synthetic_out", "handmade_out"])
def test_adverse_events_are_stated_as_not_collected(which, request):
    r = _results(request.getfixturevalue(which))
    doc = etree.fromstring(to_prs_xml(r))
    ev = doc.find("reportedEvents")
    assert ev.find("seriousAdverseEvents").findall("*") == []
    assert ev.find("frequentAdverseEvents").findall("*") == []
    for g in ev.findall("interventionGroups/interventionGroup"):
        for tag in ("numSubjectsSeriousEvents", "partAtRiskSeriousEvents",
                    "numSubjectsFrequentEvents", "partAtRiskFrequentEvents"):
            assert g.findtext(tag) == "0"
    assert ev.findtext("notes").startswith("Adverse events were not collected")
    assert "data cut-off" in ev.findtext("timeFrame")
    api = to_results_section(r)["adverseEventsModule"]
    assert api["description"] == ev.findtext("notes")
    assert "seriousEvents" not in api and "otherEvents" not in api
    # the mortality table agrees with the flow's "Death" reason
    death = next((x for x in r.participant_flow.reasons if x.reason_type == "Death"), None)
    flow_deaths = [death.counts[k] if death else 0 for k in ("continuing", "stopped")]
    assert [g["deathsNumAffected"] for g in api["eventGroups"]] == flow_deaths


# ---- 4. more information --------------------------------------------------------------------
def test_limitations_name_small_cohorts_design_interim_and_synthetic(synthetic_out, handmade_out,
                                                                     synthetic_raw):
    from her2cr.ctgov.more_info import LIMITATIONS_MAX

    deaths, enrolled, _ = _raw_counts(synthetic_raw)
    on_study = _on_study_at_cut(synthetic_raw)
    assert on_study == 40  # tests/test_synthetic_cut.py's hand count
    syn = _results(synthetic_out).more_info.limitations
    real = _results(handmade_out).more_info.limitations
    assert syn.startswith("SYNTHETIC DATA") and "SYNTHETIC" not in real
    for text in (syn, real):
        assert (f"Small cohorts ({enrolled['continuing']} continuing and {enrolled['stopped']} "
                "stopped enrolled") in text
        assert "Not randomised" in text
        assert len(text) <= LIMITATIONS_MAX
    assert f"Interim results: {on_study} participants were still on study" in syn
    # the hand-made cut undoes the deaths: those participants are on study at the cut-off
    assert f"Interim results: {on_study + sum(deaths.values())} participants were still on study" in real


def test_unfilled_contact_and_agreements_are_left_out_and_listed(synthetic_out):
    r = _results(synthetic_out)  # no results/study.yml here: nothing filled in
    doc = etree.fromstring(to_prs_xml(r))
    assert doc.find("pointOfContact") is None and doc.find("certainAgreement") is None
    api = to_results_section(r)["moreInfoModule"]
    assert set(api) == {"limitationsAndCaveats"}
    assert r.more_info.missing == ("point_of_contact.name_or_title",
                                   "point_of_contact.phone or point_of_contact.email",
                                   "certain_agreements.pi_sponsor_employee")


def test_filled_in_contact_and_agreements_are_posted_without_empty_elements(handmade_out):
    r = _results(handmade_out, FILLED_IN)
    doc = etree.fromstring(to_prs_xml(r))
    poc = doc.find("pointOfContact")
    assert [c.tag for c in poc] == ["organizationName", "phoneNumber", "title"]
    assert poc.findtext("phoneNumber") == "+81 52 000 0000"
    ca = doc.find("certainAgreement")
    assert [(c.tag, c.text) for c in ca] == [("piSponsorEmployee", "No"),
                                             ("restrictionType", "LTE60"),
                                             ("restrictiveAgreement", "Yes")]
    api = to_results_section(r)["moreInfoModule"]
    assert api["pointOfContact"] == {"title": "Director of Clinical Research",
                                     "organization": "Nagoya City University",
                                     "phone": "+81 52 000 0000"}
    assert api["certainAgreement"] == {"piSponsorEmployee": False, "restrictiveAgreement": True,
                                       "restrictionType": "LTE60"}
    assert r.more_info.missing == ()


# ---- validation against ClinicalTrials.gov's schemas ----------------------------------------
@pytest.fixture(scope="module")
def schema():
    if not XSD.is_file():
        pytest.skip(f"ClinicalTrials.gov upload schema not available: {XSD} is absent")
    return etree.XMLSchema(etree.parse(str(XSD)))


@pytest.mark.parametrize("which", ["synthetic_out", "handmade_out"])
@pytest.mark.parametrize("config", [None, FILLED_IN])
def test_xml_and_json_validate(which, config, request, schema, validator, components):  # noqa: F811
    r = _results(request.getfixturevalue(which), config)
    doc = etree.fromstring(to_prs_xml(r))
    assert schema.validate(doc), "\n".join(str(e) for e in schema.error_log)
    ids = doc.xpath("//@id")
    assert len(ids) == len(set(ids))
    for ref in doc.xpath("//reportingGroupId/text()"):
        assert ref in ids
    section = to_results_section(r)
    assert _errors(validator, section) == []
    assert _unknown_keys(components, section) == []


def test_files_from_a_cut_are_byte_identical(synthetic_out, tmp_path):
    flow = pd.read_csv(synthetic_out / "data" / "flow.csv")
    facts = read_cut_facts(synthetic_out)
    a = write_results_files(flow, sample_baseline_tidy(), sample_estimates(), tmp_path / "a", **facts)
    b = write_results_files(flow, sample_baseline_tidy(), sample_estimates(), tmp_path / "b",
                            **read_cut_facts(synthetic_out))
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    json.loads(a[1].read_text(encoding="utf-8"))


# ---- 5. the report's posting section --------------------------------------------------------
def test_posting_summary_lists_modules_and_what_is_missing(synthetic_out, handmade_out, synthetic_raw):
    from her2cr.ctgov import posting_summary as P

    empty = _results(synthetic_out)
    table = P.modules_table(empty).set_index("Module")["In the upload file"].to_dict()
    assert table == {"Participant Flow": "yes", "Baseline Characteristics": "yes",
                     "Outcome Measures": "yes", "Adverse Events": "yes",
                     "More Information: Limitations and Caveats": "yes",
                     "More Information: Certain Agreements": "no",
                     "More Information: Results Point of Contact": "no"}
    # the modules the report says are in the file are the file's sections
    doc = etree.fromstring(to_prs_xml(empty))
    assert [c.tag for c in doc] == ["baseline", "limitationsAndCaveats", "outcomeMeasures",
                                    "participantFlow", "reportedEvents"]
    assert "replaces that whole module in PRS" in P.PARTIAL_UPLOAD_NOTE
    # the reader's words, not the configuration's keys
    shown = P.missing_markdown(empty.more_info)
    assert "- Results Point of Contact: Name or official title" in shown
    assert "- Results Point of Contact: Phone or E-mail" in shown and "point_of_contact" not in shown
    ae = P.adverse_events_table(empty.adverse_events)
    deaths, enrolled, _ = _raw_counts(synthetic_raw)
    assert ae.iloc[0, 1:].tolist() == [
        f"{deaths.get(k, 0)}/{enrolled[k]} ({100 * deaths.get(k, 0) / enrolled[k]:.1f}%)"
        for k in ("continuing", "stopped")]

    filled = _results(handmade_out, FILLED_IN)
    table = P.modules_table(filled).set_index("Module")["In the upload file"]
    assert table["More Information: Results Point of Contact"] == "yes"
    assert table["More Information: Certain Agreements"] == "yes"
    rows = P.more_info_table(filled.more_info, parse_study_config(FILLED_IN)).set_index("Field")
    assert rows.loc["Phone", "In the upload file"] == "yes"
    assert rows.loc["E-mail", "In the upload file"] == "no"  # empty: left out
    assert P.missing_markdown(filled.more_info).startswith("Nothing is missing")
