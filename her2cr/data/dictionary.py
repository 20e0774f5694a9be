"""The data dictionary of the analysis datasets, and the analysis choices the spec leaves open.

Written into each cut's output folder (data/data_dictionary.csv and .md) and quoted by the report.
"""

from __future__ import annotations

import pandas as pd

from her2cr.data import contract as C
from her2cr.settings import (BOSCHLOO_MAX_TABLES, DAYS_PER_YEAR, MTM_BINS_PER_DECADE, MTM_MAX_POINTS,
                             SWIMMER_MAX_ROWS)
from her2cr.study import POSITIVITY_MIN_VARIANTS

ADSL = [
    ("subject_id", "text", "Participant identifier (HCR-NNN)", "subjects.csv"),
    ("site", "text", "Enrolling site: NCU, ACC, JFCR", "subjects.csv"),
    ("cohort", "text", "continuing or stopped anti-HER2 treatment", "subjects.csv"),
    ("consent_date", "date", "Date of informed consent", "subjects.csv"),
    ("age", "integer", "Age in years at consent", "subjects.csv"),
    ("sex", "text", "F or M", "subjects.csv"),
    ("race", "text", "ClinicalTrials.gov race category; missing when not collected", "subjects.csv"),
    ("ethnicity", "text", "ClinicalTrials.gov ethnicity category; missing when not collected", "subjects.csv"),
    ("menopausal_status", "text", "pre or post", "subjects.csv"),
    ("ecog", "integer", "ECOG performance status 0-4", "subjects.csv"),
    ("hr_status", "text", "Hormone-receptor (ER and/or PgR) status: positive or negative", "subjects.csv"),
    ("presentation", "text", "de_novo (metastatic at diagnosis) or recurrent", "subjects.csv"),
    ("visceral_mets", "text", "Visceral metastases: yes or no", "subjects.csv"),
    ("brain_mets", "text", "Brain metastases: yes or no", "subjects.csv"),
    ("prior_lines", "integer", "Lines of systemic therapy for metastatic disease before the current anti-HER2 regimen", "subjects.csv"),
    ("anti_her2", "text", "Anti-HER2 regimen that produced the response", "subjects.csv"),
    ("best_response", "text", "CR or PR", "subjects.csv"),
    ("anti_her2_start", "date", "Start of the anti-HER2 regimen", "subjects.csv"),
    ("response_date", "date", "Date the CR/PR was first documented", "subjects.csv"),
    ("anti_her2_stop", "date", "Stop of anti-HER2 therapy (stopped cohort)", "subjects.csv"),
    ("status", "text", "Status as exported", "subjects.csv"),
    ("last_contact", "date", "Date of last contact", "subjects.csv"),
    ("progression_date", "date", "First progression after consent; missing if none or after the cut-off", "subjects.csv, cut-off applied"),
    ("death_date", "date", "Date of death; missing if none or after the cut-off", "subjects.csv, cut-off applied"),
    ("status_at_cutoff", "text", "Status as it stood at the cut-off: an end of participation dated after the cut-off counts as on_study", "derived"),
    ("e1_age", "boolean", f"E1 holds: age >= {C.MIN_AGE}", "derived"),
    ("e2_sex", "boolean", "E2 holds: sex F", "derived"),
    ("e3_response_2y", "boolean", f"E3 holds: response_date + {C.TWO_YEARS_DAYS} days <= consent_date", "derived"),
    ("e4_therapy_2y", "boolean", f"E4 holds: anti_her2_start + {C.TWO_YEARS_DAYS} days <= anti_her2_stop (stopped) or consent_date (continuing); fails for a stopped participant without a stop date", "derived"),
    ("e5_stop_date", "boolean", "E5 holds: stopped has an anti_her2_stop date, continuing has none", "derived"),
    ("eligible", "boolean", "E1-E5 all hold", "derived"),
    ("ineligible_reasons", "text", "Criteria not met, separated by '; '", "derived"),
    ("baseline_sample_id", "text", f"The baseline sample analysed: the first evaluable baseline draw within {C.BASELINE_WINDOW_DAYS} days after consent", "ctdna.csv"),
    ("baseline_result", "text", "POSITIVE or NEGATIVE (laboratory call); missing when no evaluable baseline draw", "ctdna.csv"),
    ("baseline_evaluable", "boolean", "Has an evaluable baseline result", "derived"),
    ("baseline_positive", "boolean", "Baseline ctDNA-positive; missing when not evaluable", "derived"),
    ("baseline_mtm_per_ml", "number", "Mean tumour molecules per mL of the baseline sample", "ctdna.csv"),
    ("primary_set", "boolean", "Primary analysis set: eligible and baseline_evaluable", "derived"),
    ("years_since_response", "number", f"(consent_date - response_date) in days / {DAYS_PER_YEAR:g}", "derived"),
    ("years_on_anti_her2", "number", f"(anti_her2_stop for stopped, consent_date for continuing) - anti_her2_start, in days / {DAYS_PER_YEAR:g}", "derived"),
    ("months_since_stop", "number", f"(consent_date - anti_her2_stop) in days / ({DAYS_PER_YEAR:g}/12); stopped cohort only", "derived"),
    ("n_evaluable_draws", "integer", "Visits with an evaluable result by the cut-off", "derived"),
    ("ever_positive", "boolean", "Any evaluable positive draw by the cut-off; missing when no evaluable draw", "derived"),
    ("ttpos_days", "number", "Days from consent to the first positive draw, or to the last evaluable negative draw (censored)", "derived"),
    ("ttpos_event", "boolean", "A positive draw was seen (else censored)", "derived"),
    ("pfs_days", "number", "Days from consent to progression or death, whichever first, else to min(last_contact, cut-off)", "derived"),
    ("pfs_event", "boolean", "Progression or death on or before the cut-off", "derived"),
]

ADCTDNA = [
    ("subject_id", "text", "Participant identifier", "ctdna.csv"),
    ("sample_id", "text", "Sample identifier", "ctdna.csv"),
    ("cohort", "text", "Cohort of the participant", "subjects.csv"),
    ("visit", "text", "baseline or month_N", "ctdna.csv"),
    ("visit_month", "integer", "0 for baseline, N for month_N", "derived"),
    ("collection_date", "date", "Date of the draw", "ctdna.csv"),
    ("days_from_consent", "integer", "collection_date - consent_date in days", "derived"),
    ("result", "text", "POSITIVE, NEGATIVE, QNS or FAILED", "ctdna.csv"),
    ("evaluable", "boolean", "result is POSITIVE or NEGATIVE", "derived"),
    ("positive", "boolean", "result is POSITIVE (the laboratory's call stands); missing when not evaluable", "derived"),
    ("mtm_per_ml", "number", "Mean tumour molecules per mL; missing when not evaluable", "ctdna.csv"),
    ("variants_detected", "integer", "Tracked variants detected", "ctdna.csv"),
    ("panel_size", "integer", "Tracked variants in the panel", "ctdna.csv"),
    ("used", "boolean", "The sample analysed for its visit: the first evaluable one (by collection date, then file order)", "derived"),
    ("lab_call_query", "boolean", f"The laboratory call disagrees with the >= {POSITIVITY_MIN_VARIANTS} variants rule (a data query; the call stands)", "derived"),
    ("in_window", "boolean", f"False for a baseline draw more than {C.BASELINE_WINDOW_DAYS} days after consent: not a baseline result, still a draw", "derived"),
]

# Choices the spec leaves open, in the words the methods section uses.
DECISIONS = [
    "Records dated after the cut-off (consent, sample collection, progression, death) are excluded "
    "from the analysis and listed in the data-issues listing as 'after cut-off'.",
    "Status at the cut-off: a death, completion, withdrawal or loss to follow-up dated after the "
    "cut-off (the date of death for deaths, the date of last contact otherwise) had not happened at "
    "the cut-off; the participant is counted as on study.",
    "Progression-free survival counts progression or death, whichever comes first, as the event; "
    "participants without an event are censored at their last contact or at the cut-off, "
    "whichever is earlier.",
    f"A baseline draw more than {C.BASELINE_WINDOW_DAYS} days after consent is not a baseline result (warning in the "
    "data-issues listing): the participant has no evaluable baseline result, but the draw counts "
    "for positivity at any draw, time to first positive draw and MTM/mL.",
    "Repeat draws at the same visit: the first evaluable sample (earliest collection date, then "
    "file order) is the one analysed; QNS and FAILED samples are not evaluable.",
    f"The laboratory's call defines positivity, also where it disagrees with the rule of \u2265 "
    f"{POSITIVITY_MIN_VARIANTS} detected variants; such samples are listed as data queries.",
    "A stopped-cohort participant without a date of stopping anti-HER2 therapy, or a continuing "
    "one with such a date, is a data query (warning) and is analysed as not eligible (E5); E4 then "
    "uses the consent date for continuing and fails for stopped without a stop date.",
    "Categorical values are matched ignoring case and surrounding spaces and stored in the spelling "
    "of the data specification; column names are matched ignoring case and spaces.",
    f"Years are {DAYS_PER_YEAR:g} days and months {DAYS_PER_YEAR:g}/12 days.",
    "Changes between cuts: a later last contact, a newly recorded progression or death, or a status "
    "changing from on study to an end of participation is follow-up; any other change to an "
    "existing record (an earlier last contact, an erased date, any baseline field) is listed as a "
    "correction.",
    f"Boschloo's exact test is computed when the product of the cohort sizes is at most "
    f"{BOSCHLOO_MAX_TABLES:,} (always for this study); beyond that it is reported as not computed. "
    "Its two-sided p-value is twice the smaller one-sided p-value, at most 1 (as scipy's "
    "boschloo_exact defines it), with the cohorts as the two binomial samples.",
    f"The swimmer plot shows every participant up to {SWIMMER_MAX_ROWS} per cohort; larger "
    f"(synthetic) cuts show the first {SWIMMER_MAX_ROWS} per cohort by identifier, as its caption says.",
    f"The MTM/mL plot shows each positive draw as a point up to {MTM_MAX_POINTS:,} draws; larger "
    f"(synthetic) cuts show each cohort's draws as a histogram in bins of 1/{MTM_BINS_PER_DECADE} of a power "
    "of ten, as its caption says.",
    "ClinicalTrials.gov all-cause mortality: deaths with a date of death on or before the cut-off, over "
    "all enrolled participants of the cohort (each at risk from consent). The data specification has no adverse "
    "event export: serious and other adverse events are posted as not collected (0 affected of 0 at "
    "risk, empty event tables, the reason in the description).",
]


def data_dictionary() -> pd.DataFrame:
    rows = [("adsl", *r) for r in ADSL] + [("adctdna", *r) for r in ADCTDNA]
    for fname, fields in C.FILES.items():
        rows += [(f"raw:{fname}", f.name, f.kind, f.rule, f"required: {f.required}") for f in fields]
    return pd.DataFrame(rows, columns=["dataset", "column", "type", "definition", "source"])


def data_dictionary_markdown() -> str:
    dd = data_dictionary()
    lines = ["# Data dictionary", ""]
    for ds, g in dd.groupby("dataset", sort=False):
        lines += [f"## {ds}", "", "| column | type | definition | source |", "|---|---|---|---|"]
        lines += [f"| {r.column} | {r.type} | {r.definition} | {r.source} |" for r in g.itertuples()]
        lines.append("")
    lines += ["## Analysis choices where the specification is silent", ""]
    lines += [f"- {d}" for d in DECISIONS]
    return "\n".join(lines) + "\n"
