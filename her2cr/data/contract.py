"""The raw-data contract of ../shared/spec/study-data.md, as data.

One declaration per column drives the validator, the normaliser and the data dictionary, so the
three cannot disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RACES = (
    "American Indian or Alaska Native",
    "Asian",
    "Native Hawaiian or Other Pacific Islander",
    "Black or African American",
    "White",
    "More than one race",
    "Unknown or Not Reported",
)
ETHNICITIES = ("Hispanic or Latino", "Not Hispanic or Latino", "Unknown or Not Reported")
STATUSES = ("on_study", "completed", "withdrawn", "lost_to_follow_up", "died")
RESULTS = ("POSITIVE", "NEGATIVE", "QNS", "FAILED")
EVALUABLE_RESULTS = ("POSITIVE", "NEGATIVE")
REGIMENS = ("trastuzumab", "trastuzumab+pertuzumab", "T-DM1", "T-DXd")

BASELINE_WINDOW_DAYS = 28
TWO_YEARS_DAYS = 730
MIN_AGE = 20  # eligibility E1: aged 20 or over at consent


@dataclass(frozen=True)
class Field:
    """One column of a raw export.

    kind: text, category, date, integer or number. required: "yes", "no", or a condition that the
    cross-field checks enforce ("stopped only", "died only", "POSITIVE/NEGATIVE").
    """

    name: str
    kind: str
    required: str
    rule: str
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    unique: bool = False


SUBJECTS: tuple[Field, ...] = (
    Field("subject_id", "text", "yes", "HCR- and 3 or more digits; unique",
          pattern=r"HCR-\d{3,}", unique=True),
    Field("site", "category", "yes", "one of NCU, ACC, JFCR", allowed=("NCU", "ACC", "JFCR")),
    Field("cohort", "category", "yes", "continuing or stopped", allowed=("continuing", "stopped")),
    Field("consent_date", "date", "yes", "date of informed consent (YYYY-MM-DD)"),
    Field("age", "integer", "yes", "years at consent, an integer 18-110", minimum=18, maximum=110),
    Field("sex", "category", "yes", "F or M", allowed=("F", "M")),
    Field("race", "category", "no", "a ClinicalTrials.gov race category", allowed=RACES),
    Field("ethnicity", "category", "no", "a ClinicalTrials.gov ethnicity category",
          allowed=ETHNICITIES),
    Field("menopausal_status", "category", "yes", "pre or post", allowed=("pre", "post")),
    Field("ecog", "integer", "yes", "ECOG performance status, an integer 0-4", minimum=0, maximum=4),
    Field("hr_status", "category", "yes", "positive or negative", allowed=("positive", "negative")),
    Field("presentation", "category", "yes", "de_novo or recurrent",
          allowed=("de_novo", "recurrent")),
    Field("visceral_mets", "category", "yes", "yes or no", allowed=("yes", "no")),
    Field("brain_mets", "category", "yes", "yes or no", allowed=("yes", "no")),
    Field("prior_lines", "integer", "yes", "an integer >= 0", minimum=0),
    Field("anti_her2", "category", "yes", "trastuzumab, trastuzumab+pertuzumab, T-DM1 or T-DXd",
          allowed=REGIMENS),
    Field("best_response", "category", "yes", "CR or PR", allowed=("CR", "PR")),
    Field("anti_her2_start", "date", "yes", "start of the anti-HER2 regimen (YYYY-MM-DD)"),
    Field("response_date", "date", "yes", "date CR/PR first documented; not before anti_her2_start"),
    Field("anti_her2_stop", "date", "stopped only",
          "required for cohort stopped, empty for continuing; after anti_her2_start, "
          "not after consent_date"),
    Field("status", "category", "yes", "on_study, completed, withdrawn, lost_to_follow_up or died",
          allowed=STATUSES),
    Field("last_contact", "date", "yes", "not before consent_date"),
    Field("progression_date", "date", "no", "between consent_date and last_contact"),
    Field("death_date", "date", "died only", "required when status is died, empty otherwise"),
)

# Follow-up draws are every VISIT_EVERY_MONTHS months after consent: visit month_N, N a multiple
VISIT_EVERY_MONTHS = 3

CTDNA: tuple[Field, ...] = (
    Field("subject_id", "text", "yes", "must be in subjects.csv", pattern=r"HCR-\d{3,}"),
    Field("sample_id", "text", "yes", "unique", unique=True),
    Field("visit", "category", "yes",
          "baseline, or month_N with N = 3, 6, 9, ... months after consent",
          pattern=r"baseline|month_[1-9]\d*"),
    Field("collection_date", "date", "yes",
          "not before consent_date; a baseline draw within 28 days after consent"),
    Field("result", "category", "yes", "POSITIVE, NEGATIVE, QNS or FAILED", allowed=RESULTS),
    Field("mtm_per_ml", "number", "POSITIVE/NEGATIVE",
          "required for POSITIVE/NEGATIVE; >= 0; 0 for NEGATIVE", minimum=0),
    Field("variants_detected", "integer", "POSITIVE/NEGATIVE",
          "required for POSITIVE/NEGATIVE; 0 <= variants_detected <= panel_size", minimum=0),
    Field("panel_size", "integer", "yes", "number of tracked variants, an integer 1-16",
          minimum=1, maximum=16),
)

FILES: dict[str, tuple[Field, ...]] = {"subjects.csv": SUBJECTS, "ctdna.csv": CTDNA}


def field_map(fields: tuple[Field, ...]) -> dict[str, Field]:
    return {f.name: f for f in fields}


def visit_allowed(word: str) -> bool:
    """A visit value of the contract: baseline, or month_N with N = 3, 6, 9, ... (the CTDNA visit
    field's pattern and the follow-up rule notebook 01 checks, her2cr/data/validate.py)."""
    if not re.fullmatch(field_map(CTDNA)["visit"].pattern, word):
        return False
    return word == "baseline" or int(word[len("month_"):]) % VISIT_EVERY_MONTHS == 0
