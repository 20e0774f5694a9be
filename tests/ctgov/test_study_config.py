"""report/study.yml: the project's file, what is missing from it, and a bad file stopping the run
with one clear message per problem, no traceback and nothing written."""

from __future__ import annotations

import subprocess
import sys

import pytest

from her2cr import study
from her2cr.ctgov.study_config import (
    DEFAULT_PATH,
    StudyConfigError,
    load_study_config,
    parse_study_config,
)

CUT = "2025-12-31"

# One problem of each kind the brief names, plus a second unknown key inside a section.
BAD = """\
point_of_contact:
  name_or_title: "Dr Jane Smith"
  organization: "Nagoya City University"
  phone: ""
  email:
  fax: "+81 52 000 0000"
certain_agreements:
  pi_sponsor_employee: "maybe"
  restrictive_agreement: no
sponsor: "Nagoya City University"
"""
BAD_MESSAGES = [
    "sponsor: unknown key (known: point_of_contact, certain_agreements)",
    "point_of_contact.fax: unknown key (known: name_or_title, organization, phone, "
    "phone_extension, email)",
    "certain_agreements.pi_sponsor_employee: must be yes or no (or left empty), got str ('maybe')",
    "point_of_contact.phone, point_of_contact.email: both are empty; give at least one, so that "
    "the results point of contact can be reached",
]


def test_project_file_has_the_sponsor_and_nothing_else_filled_in():
    c = load_study_config(DEFAULT_PATH)
    assert c.point_of_contact.organization == study.SPONSOR == "Nagoya City University"
    assert c.missing() == ["point_of_contact.name_or_title",
                           "point_of_contact.phone or point_of_contact.email",
                           "certain_agreements.pi_sponsor_employee"]
    assert "TO FILL IN" in DEFAULT_PATH.read_text(encoding="utf-8")


def test_bad_file_gives_one_message_per_problem():
    with pytest.raises(StudyConfigError) as e:
        parse_study_config(BAD, "report/study.yml")
    assert e.value.problems == BAD_MESSAGES
    assert str(e.value).splitlines()[0] == \
        "report/study.yml: 4 problems in the study configuration:"


@pytest.mark.parametrize("text, message", [
    ("point_of_contact:\n  phone: 528515511\n",
     "point_of_contact.phone: must be text (write it in quotes), got a number (528515511)"),
    ("certain_agreements:\n  restriction_type: LT60\n",
     "certain_agreements.restriction_type: must be one of LTE60, GT60, OTHER (or left empty), "
     "got 'LT60'"),
    ("point_of_contact:\n  email: jane.smith\n",
     "point_of_contact.email: 'jane.smith' is not an e-mail address"),
    ("point_of_contact: [a, b]\n", "point_of_contact: must be a section of fields, got a list"),
    ("point_of_contact:\n  phone: [\n", "line 3: not valid YAML"),
])
def test_each_kind_of_problem_is_named(text, message):
    with pytest.raises(StudyConfigError) as e:
        parse_study_config(text)
    assert len(e.value.problems) == 1 and e.value.problems[0].startswith(message)


def test_a_wrong_email_is_not_also_reported_as_missing():
    with pytest.raises(StudyConfigError) as e:
        parse_study_config("point_of_contact:\n  name_or_title: Jane Smith\n  email: jane.smith\n")
    assert e.value.problems == ["point_of_contact.email: 'jane.smith' is not an e-mail address"]


def test_agreements_ask_the_next_question_only_when_needed():
    def missing(text):
        return parse_study_config(text).certain_agreements.missing()

    assert missing("certain_agreements:\n  pi_sponsor_employee: yes\n") == []
    assert missing("certain_agreements:\n  pi_sponsor_employee: no\n") == ["restrictive_agreement"]
    assert missing("certain_agreements:\n  pi_sponsor_employee: no\n  restrictive_agreement: yes\n"
                   ) == ["restriction_type"]
    assert missing("certain_agreements:\n  pi_sponsor_employee: no\n  restrictive_agreement: yes\n"
                   "  restriction_type: OTHER\n") == ["other_details"]


def test_missing_file_is_named(tmp_path):
    with pytest.raises(StudyConfigError, match="file not found"):
        load_study_config(tmp_path / "study.yml")


def test_run_with_a_bad_study_config_writes_nothing(synthetic_raw, tmp_path):
    bad = tmp_path / "study.yml"
    bad.write_text(BAD, encoding="utf-8")
    out = tmp_path / "reports" / "cut"
    r = subprocess.run([sys.executable, "-m", "her2cr", "run", "--raw", str(synthetic_raw),
                        "--cut", CUT, "--out", str(out), "--study", str(bad)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert "no output was written" in r.stderr
    for message in BAD_MESSAGES:
        assert f"  - {message}" in r.stderr
    assert not (tmp_path / "reports").exists()


def test_study_config_is_part_of_the_posting_and_report_keys():
    # an edited report/study.yml must give new posting files and a new report, and nothing else
    from her2cr.runner.pipeline import all_steps, plan

    steps = all_steps()
    params = {"cut": CUT, "raw_dir": "raw"}
    a = plan(steps, params, {}, {}, render=False, study_config_sha="a")
    b = plan(steps, params, {}, {}, render=False, study_config_sha="b")
    changed = sorted(k for k in a if a[k] != b[k])
    assert changed == ["posting", "report"]


def test_a_key_given_twice_is_an_error_with_its_line():
    text = ("point_of_contact:\n  name_or_title: Director\n  organization: NCU\n"
            "  phone: '+81 52 000 0000'\n  phone: ''\n")
    with pytest.raises(StudyConfigError) as bad:
        parse_study_config(text, "report/study.yml")
    message = str(bad.value)
    assert "report/study.yml" in message
    assert "line 5: not valid YAML (phone is given twice (first on line 4))" in message
    assert "both are empty" not in message
