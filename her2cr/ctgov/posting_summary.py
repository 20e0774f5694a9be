"""What the upload file carries, laid out for the report's "Results posting" section.

Made from the same `model.ResultsSection` the PRS XML and the API JSON are written from, so the
report says exactly what the files hold: which modules are in the upload (each replaces that
module in PRS), all-cause mortality and adverse events, More Information, and what the sponsor
still has to fill in (study_config.CONFIG_SHOWN).
"""

from __future__ import annotations

import pandas as pd

from her2cr.ctgov import model as m
from her2cr.ctgov.study_config import CONFIG_SHOWN, RESTRICTION_WORDS, StudyConfig

PARTIAL_UPLOAD_NOTE = (
    "The upload file is a partial upload: each module present in the file "
    "replaces that whole module in PRS, including anything entered there by hand; modules absent "
    "from the file are kept as PRS holds them. A full upload would instead delete every module it "
    "does not contain."
)
# Said once, after the description above it (which already says "not collected" and why 0 of 0):
# only what the sponsor has to know beyond it.
NOT_COLLECTED_NOTE = (
    "For the sponsor: ClinicalTrials.gov records serious and other adverse events only as counts, "
    "so the Adverse Event Reporting Description above is the one place that says they were not "
    "collected; a PRS reviewer may still ask for the sponsor's wording."
)


# The sponsor's fields of the study configuration as PRS names them.
FIELD_LABELS = {
    "name_or_title": "Name or official title", "organization": "Organization",
    "phone": "Phone", "phone_extension": "Phone extension", "email": "E-mail",
    "pi_sponsor_employee": "All PIs are employees of the sponsor",
    "restrictive_agreement": "Results disclosure restriction on the PIs",
    "restriction_type": "Restriction type", "other_details": "Other details",
}
SECTION_LABELS = {"point_of_contact": "Results Point of Contact",
                  "certain_agreements": "Certain Agreements"}


def field_words(key: str) -> str:
    """'point_of_contact.phone or point_of_contact.email' -> 'Results Point of Contact: Phone or
    E-mail' (the words of the report's table; the keys stay in the configuration file)."""
    alternatives = [k.strip().split(".", 1) for k in key.split(" or ")]
    section = SECTION_LABELS.get(alternatives[0][0], alternatives[0][0])
    names = [FIELD_LABELS.get(f[-1], f[-1]) for f in alternatives]
    return f"{section}: " + " or ".join(names[:1] + [n[:1].lower() + n[1:] if n != "E-mail" else n
                                                      for n in names[1:]])


def _in_file(present: bool) -> str:
    return "yes" if present else "no"


def modules_table(r: m.ResultsSection) -> pd.DataFrame:
    """One row per ClinicalTrials.gov results module: in the upload file or not, and what."""
    flow, info, ae = r.participant_flow, r.more_info, r.adverse_events
    from her2cr.ctgov.display import POSTED
    from her2cr.trace import Num, Traced

    def count(n, key):
        return Num(n, "count", POSTED, f"{key} (counted in the file)")

    kept = "not in the file (the study configuration is incomplete): PRS keeps what it holds"
    measures = len(r.baseline.measures)
    rows = [
        ("Participant Flow", "yes",
         Traced(count(1, "participant flow | periods"), f" period ({flow.period_title}), ",
                count(len(flow.groups), "participant flow | groups"), " groups; STARTED ",
                count(sum(flow.started.values()), "participant flow | STARTED, all groups"))),
        ("Baseline Characteristics", "yes",
         Traced(count(measures, "baseline | measures"), " measure" if measures == 1 else " measures", ", ",
                count(len(r.baseline.groups), "baseline | groups"), " groups with the total")),
        ("Outcome Measures", "yes",
         "; ".join(f"{om.measure_type}: {om.title}" for om in r.outcome_measures)),
        ("Adverse Events", _in_file(ae is not None),
         "all-cause mortality; serious and other adverse events not collected" if ae else ""),
        ("More Information: Limitations and Caveats", _in_file(info is not None),
         "written from the data" if info else ""),
        ("More Information: Certain Agreements",
         _in_file(info is not None and info.certain_agreement is not None),
         "from the study configuration" if info and info.certain_agreement else kept),
        ("More Information: Results Point of Contact",
         _in_file(info is not None and info.point_of_contact is not None),
         "from the study configuration" if info and info.point_of_contact else kept),
    ]
    return pd.DataFrame(rows, columns=["Module", "In the upload file", "Content"])


def _n_of(n: int, at_risk: int, key: str = "adverse events"):
    """"2/24 (8.3%)": the posted counts, and the percentage ClinicalTrials.gov shows beside them
    (by the report's rule)."""
    from her2cr.ctgov.display import POSTED, posted
    from her2cr.trace import Num, Traced

    parts = [posted(str(n), f"{key} | affected"), "/", posted(str(at_risk), f"{key} | at risk")]
    if at_risk:
        parts += [" (", Num(n / at_risk, "percent", POSTED, f"{key} | affected / at risk "
                                                              "(computed by ClinicalTrials.gov)"), "%)"]
    return Traced(*parts)


NOT_COLLECTED = "Not collected (posted as 0 affected of 0 at risk)"


def adverse_events_table(ae: m.AdverseEvents) -> pd.DataFrame:
    """Rows: all-cause mortality, serious and other adverse events; columns: the cohorts."""
    rows = [
        ("All-cause mortality (died / at risk)",
         *[_n_of(ae.deaths[g.key], ae.deaths_at_risk[g.key], f"all-cause mortality | {g.key}")
           for g in ae.groups]),
        ("Serious adverse events (affected / at risk)",
         *[_n_of(ae.serious_affected[g.key], ae.serious_at_risk[g.key], f"serious adverse events | {g.key}")
           if ae.serious_at_risk[g.key] else NOT_COLLECTED for g in ae.groups]),
        ("Other adverse events (affected / at risk)",
         *[_n_of(ae.other_affected[g.key], ae.other_at_risk[g.key], f"other adverse events | {g.key}")
           if ae.other_at_risk[g.key] else NOT_COLLECTED for g in ae.groups]),
    ]
    return pd.DataFrame(rows, columns=["", *[g.title for g in ae.groups]])


def adverse_events_notes(ae: m.AdverseEvents) -> list[str]:
    from her2cr.ctgov.display import POSTED_PERCENT_NOTE, posted
    from her2cr.trace import Traced

    return [Traced("Time frame: ", posted(ae.time_frame, "adverse events | time frame")),
            Traced("Adverse Event Reporting Description: ",
                   posted(ae.description, "adverse events | description")),
            Traced("All-cause mortality comment: ",
                   posted(ae.mortality_comment, "adverse events | all-cause mortality comment")),
            NOT_COLLECTED_NOTE, POSTED_PERCENT_NOTE]


def limitations_markdown(info: m.MoreInfo) -> str:
    return f"**Limitations and Caveats** (in the upload file): {info.limitations}"


def more_info_table(info: m.MoreInfo, config: StudyConfig) -> pd.DataFrame:
    """The sponsor's fields: the value in the study configuration and whether the upload carries it (a
    section goes into the file only when complete, and then without its empty fields)."""
    labels = FIELD_LABELS
    posted = {"point_of_contact": info.point_of_contact is not None,
              "certain_agreements": info.certain_agreement is not None}
    a = info.certain_agreement
    posted_agreement = {} if a is None else {
        "pi_sponsor_employee": True, "restrictive_agreement": a.restrictive_agreement is not None,
        "restriction_type": bool(a.restriction_type), "other_details": bool(a.other_details)}
    rows = []
    for r in config.to_frame().itertuples(index=False):
        value = r.value
        if r.field == "restriction_type" and value:
            value = f"{value}: {RESTRICTION_WORDS[value]}"
        if r.section == "certain_agreements":
            in_file = posted_agreement.get(r.field, False)
        else:
            in_file = posted[r.section] and r.value != ""
        section = ("Results Point of Contact" if r.section == "point_of_contact"
                   else "Certain Agreements")
        rows.append((section, labels[r.field], value or "(empty)", "yes" if in_file else "no"))
    return pd.DataFrame(rows, columns=["Element", "Field", "Study configuration",
                                       "In the upload file"])


def missing_markdown(info: m.MoreInfo) -> str:
    """What the sponsor still has to fill in, as Markdown."""
    if not info.missing:
        return ("Nothing is missing from the study configuration (" + CONFIG_SHOWN + "): the point "
                "of contact and the certain agreements are in the upload file.")
    items = "\n".join(f"- {field_words(f)}" for f in info.missing)
    return (f"**To fill in before posting**, in {CONFIG_SHOWN}. The sections that are not complete "
            "are left out of the upload file, so PRS keeps what it holds:\n\n" + items)
