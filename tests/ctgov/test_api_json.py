"""ctgov-results-section.json: valid against the ClinicalTrials.gov API v2 component schemas, with
no field the API does not define, and carrying the input numbers.

The OpenAPI description (../shared/ctgov/ctgov-api-v2-openapi.yaml) is turned into a JSON Schema:
its `components/schemas` go under `$defs`, `#/components/schemas/X` refs become `#/$defs/X`, and
every object schema with `properties` gets `additionalProperties: false` (the API's schemas do
not say it, so without this a misspelled field would pass). Validation uses Draft 2020-12; the
component schemas only use keywords that mean the same there as in OpenAPI 3.0 (type,
properties, items, enum, $ref, format, minimum, minLength, description). The schema tests skip
with a reason when ../shared is absent.
"""

import copy
import json
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
from her2cr.ctgov.api_json import to_api_json, to_results_section
from her2cr.ctgov.build import build_results

jsonschema = pytest.importorskip("jsonschema")
yaml = pytest.importorskip("yaml")

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
OPENAPI = SHARED / "ctgov" / "ctgov-api-v2-openapi.yaml"
REF_PREFIX = "#/components/schemas/"
CASES = [("zero_cell", False), ("finite", False), ("not_estimable", True)]
REL = 5e-4


def _section(case="zero_cell", race=False) -> dict:
    return to_results_section(build_results(sample_flow(), sample_baseline_tidy(race),
                                            sample_estimates(case)))


def _strict(node):
    """Rewrite refs to $defs and forbid properties the schema does not name (in place)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            node["$ref"] = "#/$defs/" + ref[len(REF_PREFIX):]
        if node.get("type") == "object" and isinstance(node.get("properties"), dict):
            node.setdefault("additionalProperties", False)
        for value in node.values():
            _strict(value)
    elif isinstance(node, list):
        for value in node:
            _strict(value)


@pytest.fixture(scope="module")
def components() -> dict:
    if not OPENAPI.is_file():
        pytest.skip(f"ClinicalTrials.gov API description not available: {OPENAPI} is absent")
    spec = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    return spec["components"]["schemas"]


@pytest.fixture(scope="module")
def validator(components):
    defs = copy.deepcopy(components)
    _strict(defs)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": defs,
        "$ref": "#/$defs/ResultsSection",
    }
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _errors(validator, instance):
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(instance)]


def _unknown_keys(components, instance, schema_name="ResultsSection", path="$"):
    """Every key of `instance` that the OpenAPI component does not define (a second, independent
    check of the additionalProperties rewrite)."""
    schema = components[schema_name]
    out = []
    if isinstance(instance, dict):
        props = schema.get("properties", {})
        for key, value in instance.items():
            if key not in props:
                out.append(f"{path}.{key}")
                continue
            out += _unknown_in(components, value, props[key], f"{path}.{key}")
    return out


def _unknown_in(components, value, prop_schema, path):
    if "$ref" in prop_schema:
        return _unknown_keys(components, value, prop_schema["$ref"][len(REF_PREFIX):], path)
    if prop_schema.get("type") == "array" and isinstance(value, list):
        return [u for i, v in enumerate(value)
                for u in _unknown_in(components, v, prop_schema.get("items", {}), f"{path}[{i}]")]
    return []


# ---- schema -------------------------------------------------------------------------------------
@pytest.mark.parametrize("case, race", CASES)
def test_validates_against_api_components(validator, case, race):
    assert _errors(validator, _section(case, race)) == []


@pytest.mark.parametrize("case, race", CASES)
def test_every_key_is_defined_by_the_api(components, case, race):
    assert _unknown_keys(components, _section(case, race)) == []


def test_strict_schema_rejects_a_misspelled_field(validator, components):
    section = _section()
    achievement = section["participantFlowModule"]["periods"][0]["milestones"][0]["achievements"][0]
    achievement["numSubject"] = achievement.pop("numSubjects")
    assert _errors(validator, section)
    assert _unknown_keys(components, section) == [
        "$.participantFlowModule.periods[0].milestones[0].achievements[0].numSubject"]


def test_schema_rejects_a_wrong_enumeration(validator):
    section = _section()
    section["outcomeMeasuresModule"]["outcomeMeasures"][0]["analyses"][0]["ciNumSides"] = "2-Sided"
    assert _errors(validator, section)


def test_enumerated_fields_use_api_codes():
    s = _section()
    primary, any_draw = s["outcomeMeasuresModule"]["outcomeMeasures"]
    assert (primary["type"], any_draw["type"]) == ("PRIMARY", "OTHER_PRE_SPECIFIED")
    assert primary["paramType"] == "COUNT_OF_PARTICIPANTS"
    rd, odds = primary["analyses"]
    assert (rd["paramType"], odds["paramType"]) == ("Risk Difference (RD)", "Odds Ratio (OR)")
    assert rd["statisticalMethod"] == odds["statisticalMethod"] == "Fisher Exact"
    assert rd["ciNumSides"] == "TWO_SIDED" and rd["ciPctValue"] == "95"
    assert rd["nonInferiorityType"] == "OTHER" and rd["nonInferiorityComment"]
    measures = {m["title"]: m for m in s["baselineCharacteristicsModule"]["measures"]}
    assert measures["Age, Continuous"]["dispersionType"] == "STANDARD_DEVIATION"
    assert measures["Prior lines of therapy"]["dispersionType"] == "INTER_QUARTILE_RANGE"
    assert measures["Sex: Female, Male"]["paramType"] == "COUNT_OF_PARTICIPANTS"


# ---- numbers ------------------------------------------------------------------------------------
def test_flow_numbers_equal_input():
    flow = _section()["participantFlowModule"]
    ids = {g["title"]: g["id"] for g in flow["groups"]}
    (period,) = flow["periods"]
    milestones = {m["type"]: {a["groupId"]: int(a["numSubjects"]) for a in m["achievements"]}
                  for m in period["milestones"]}
    drops = {d["type"]: {r["groupId"]: int(r["numSubjects"]) for r in d["reasons"]}
             for d in period["dropWithdraws"]}
    for key in study.COHORTS:
        gid = ids[study.COHORT_TITLES[key]]
        c = dict(zip(FLOW_STEPS, FLOW_COUNTS[key]))
        assert milestones["STARTED"][gid] == c["enrolled"]
        assert milestones["COMPLETED"][gid] == c["completed"]
        assert milestones["NOT COMPLETED"][gid] == c["enrolled"] - c["completed"]
        assert drops["Withdrawal by Subject"][gid] == c["withdrawn"]
        assert drops["Lost to Follow-up"][gid] == c["lost_to_follow_up"]
        assert drops["Death"][gid] == c["died"]
        assert drops["On study at data cut-off"][gid] == c["on_study"]
        assert sum(d[gid] for d in drops.values()) == milestones["NOT COMPLETED"][gid]


_TIDY_GROUP_TITLE = {**study.COHORT_TITLES, "overall": "Total"}


@pytest.mark.parametrize("race", [False, True])
def test_baseline_numbers_equal_input(race):
    tidy = sample_baseline_tidy(race)
    base = _section(race=race)["baselineCharacteristicsModule"]
    ids = {g["title"]: g["id"] for g in base["groups"]}
    denoms = {c["groupId"]: int(c["value"]) for c in base["denoms"][0]["counts"]}
    measures = {m["title"]: m for m in base["measures"]}
    for _, r in tidy[tidy["collected"]].iterrows():
        gid = ids[_TIDY_GROUP_TITLE[r["group"]]]
        assert denoms[gid] == r["group_N"]
        measure = measures[r["measure_title"]]
        if r["var_type"] == "categorical":
            if r["measure_title"] == "Region of Enrollment":
                cls = next(c for c in measure["classes"] if c["title"] == r["level"])
                (cat,) = cls["categories"]
            else:
                cat = next(c for c in measure["classes"][0]["categories"]
                           if c["title"] == r["level"])
            cell = next(x for x in cat["measurements"] if x["groupId"] == gid)
            assert int(cell["value"]) == r["n"]
            if "denoms" in measure:
                counts = {c["groupId"]: int(c["value"]) for c in measure["denoms"][0]["counts"]}
                assert counts[gid] == r["denominator"]
        else:
            cell = next(x for x in measure["classes"][0]["categories"][0]["measurements"]
                        if x["groupId"] == gid)
            if r["n"] == 0:
                assert cell["value"] == "NA" and cell["comment"]
            elif measure["paramType"] == "MEAN":
                assert float(cell["value"]) == pytest.approx(r["mean"], rel=REL)
                assert float(cell["spread"]) == pytest.approx(r["sd"], rel=REL)
            else:
                assert float(cell["value"]) == pytest.approx(r["median"], rel=REL)
                assert float(cell["lowerLimit"]) == pytest.approx(r["q1"], rel=REL)
                assert float(cell["upperLimit"]) == pytest.approx(r["q3"], rel=REL)


def _limit_equals(text, value):
    if math.isfinite(value):
        return float(text) == pytest.approx(value, rel=REL, abs=1e-12)
    return text == "NA"


@pytest.mark.parametrize("case", ["zero_cell", "finite", "not_estimable"])
def test_outcome_numbers_equal_input(case):
    est = sample_estimates(case)
    outcomes = {o["title"]: o for o in _section(case)["outcomeMeasuresModule"]["outcomeMeasures"]}
    for title, analysis in [("Baseline ctDNA Positivity", "primary"),
                            ("ctDNA Positivity at Any Draw up to the Data Cut-off",
                             "exploratory_any_draw")]:
        o = outcomes[title]
        ids = {g["title"]: g["id"] for g in o["groups"]}
        denoms = {c["groupId"]: int(c["value"]) for c in o["denoms"][0]["counts"]}
        cells = {x["groupId"]: int(x["value"])
                 for x in o["classes"][0]["categories"][0]["measurements"]}
        sub = est[est["analysis"] == analysis].set_index(["parameter", "group"])
        for key in study.COHORTS:
            gid = ids[study.COHORT_TITLES[key]]
            assert cells[gid] == sub.loc[("proportion", key), "n"]
            assert denoms[gid] == sub.loc[("proportion", key), "N"]
        params = {"Risk Difference (RD)": "risk_difference", "Odds Ratio (OR)": "odds_ratio"}
        for a in o["analyses"]:
            row = sub.loc[(params[a["paramType"]], "stopped vs continuing")]
            assert a["groupIds"] == [ids[study.COHORT_TITLES[k]] for k in study.COHORTS]
            assert _limit_equals(a["paramValue"], row["estimate"])
            assert _limit_equals(a["ciLowerLimit"], row["ci_lower"])
            assert _limit_equals(a["ciUpperLimit"], row["ci_upper"])
            if a["ciUpperLimit"] == "NA":
                assert a["ciUpperLimitComment"]
            if math.isnan(row["p_value"]):
                assert "pValue" not in a and "statisticalMethod" not in a
            else:
                assert float(a["pValue"]) == pytest.approx(row["p_value"], rel=5e-3)


def test_json_text_is_stable_and_plain():
    results = build_results(sample_flow(), sample_baseline_tidy(), sample_estimates())
    text = to_api_json(results)
    assert text == to_api_json(results) and text.endswith("}\n")
    assert json.loads(text) == to_results_section(results)
    assert "NaN" not in text and "Infinity" not in text and "null" not in text
