"""The ClinicalTrials.gov results model laid out as the report shows it.

The report's participant flow, baseline and outcome tables are made from the very objects that
the PRS XML and the API JSON are written from, so the report and the posting files agree.
"""

from __future__ import annotations

import pandas as pd

from her2cr.ctgov.model import BaselineMeasure, OutcomeMeasure, ParticipantFlow, StatisticalAnalysis
from her2cr.formatting import display_text
from her2cr.trace import Num, Traced, quote

# Every posted value and text of these tables is quoted from the upload file (her2cr.trace), so
# that the HTML report shows where it comes from.
POSTED = "results/prs-results.xml"


def posted(text, key: str):
    return quote(text, POSTED, key)


# Said under every table of posted values: the posted text keeps ClinicalTrials.gov's precision.
POSTED_PRECISION_NOTE = (
    "Values as posted: ClinicalTrials.gov stores each value as text, here to 4 significant digits "
    "(trailing zeros dropped), more than the report's other tables show (which round odds ratios to 2 "
    "decimals, percentages and percentage points to 1, other estimates to 3 significant digits).")
POSTED_PERCENT_NOTE = (
    "Percentages beside counts: those ClinicalTrials.gov computes from the posted count and the "
    "number of participants analysed (else in the column), written here to 1 decimal.")


def shown(text: str | None) -> str:
    """Posted text as the report writes it (formatting.display_text: U+2212, \u2264, \u2265)."""
    return display_text(text)


def _cell(m, denominator: int | None = None, key: str = "") -> str:
    """A posted measurement; with a denominator (counts of participants) the percentage
    ClinicalTrials.gov computes beside it."""
    if m is None:
        return ""
    parts = [posted(m.value, f"{key} | value")]
    if m.spread is not None:
        parts += [" (", posted(m.spread, f"{key} | spread"), ")"]
    elif m.lower is not None and m.upper is not None:
        parts += [" (", posted(m.lower, f"{key} | lower limit"), " to ", posted(m.upper, f"{key} | upper limit"), ")"]
    elif denominator and m.value.isdigit():
        parts += [" (", Num(int(m.value) / denominator, "percent", POSTED,
                            f"{key} | value / {denominator} (computed by ClinicalTrials.gov)"), "%)"]
    if m.na_comment:
        parts += [" [", posted(m.na_comment, f"{key} | NA comment"), "]"]
    return Traced(*parts)


def flow_table(flow: ParticipantFlow) -> pd.DataFrame:
    titles = [g.title for g in flow.groups]

    def n(value, key):
        return posted(str(value), f"participant flow | {key}")

    rows = [("STARTED", *[n(flow.started[g.key], f"STARTED | {g.key}") for g in flow.groups]),
            ("COMPLETED", *[n(flow.completed[g.key], f"COMPLETED | {g.key}") for g in flow.groups]),
            # not in the upload file: PRS computes it as STARTED minus COMPLETED
            ("NOT COMPLETED", *[Traced(Num(flow.not_completed[g.key], "count", POSTED,
                                           f"participant flow | STARTED - COMPLETED | {g.key}"))
                                for g in flow.groups])]
    for r in flow.reasons:
        label = f"Reason not completed: {r.other_name or r.reason_type}"
        rows.append((label, *[n(r.counts.get(g.key, 0), f"{label} | {g.key}") for g in flow.groups]))
    return pd.DataFrame(rows, columns=[f"Period: {flow.period_title}", *titles])


def measure_table(m: BaselineMeasure | OutcomeMeasure, groups, overall: dict | None = None) -> pd.DataFrame:
    """Rows: number analysed (when given), then class / category; columns: the groups. Counts of
    participants carry the percentage ClinicalTrials.gov computes (of the number analysed, else of
    `overall`, the participants of the column)."""
    keys = [g.key for g in groups]
    header = [f"{m.param_type}" + (f" ({m.dispersion_type})" if m.dispersion_type not in ("Not Applicable", None) else "")
              + f", {m.unit}", *[g.title for g in groups]]
    rows = []
    denoms = getattr(m, "denoms", None)
    title = m.display_title if isinstance(m, BaselineMeasure) else m.title
    if denoms:
        rows.append(("Number of participants analysed",
                     *[posted(str(denoms.get(k, "")), f"{title} | analysed | {k}") for k in keys]))
    for c in m.classes:
        for cat in c.categories:
            label = " / ".join(t for t in (c.title, cat.title) if t) or title
            by = {x.group: x for x in cat.measurements}
            base = denoms or overall or {}
            rows.append((posted(label, f"{title} | category"),
                         *[_cell(by.get(k), base.get(k) if m.calculate_pct else None,
                                 key=f"{title} | {label} | {k}") for k in keys]))
    return pd.DataFrame(rows, columns=header)


def baseline_ctgov_table(baseline) -> pd.DataFrame:
    """All baseline measures in one long table: measure, row, and one column per group."""
    frames = []
    keys = [g.key for g in baseline.groups]
    titles = [g.title for g in baseline.groups]
    frames.append(pd.DataFrame([("Overall Number of Baseline Participants", "",
                                 *[posted(str(baseline.denoms[k]), f"baseline | overall number | {k}") for k in keys])],
                               columns=["Measure", "Row", *titles]))
    for m in baseline.measures:
        t = measure_table(m, baseline.groups, overall=baseline.denoms)
        t.columns = ["Row", *titles]
        stat = f"{m.param_type}" + (f" ({m.dispersion_type})" if m.dispersion_type not in ("Not Applicable", None) else "")
        t.insert(0, "Measure", [Traced(posted(m.display_title, "baseline | measure title"),
                                       f" [{stat}, {m.unit}]")] + [""] * (len(t) - 1))
        frames.append(t)
    return pd.concat(frames, ignore_index=True)


def baseline_ctgov_notes(baseline) -> list[str]:
    """What the posted baseline module says beside the numbers: the population, and each measure's
    description and analysis population, then how the values are written."""
    notes = [Traced("Baseline analysis population: ",
                    posted(baseline.population_description, "baseline | population description"))]
    for m in baseline.measures:
        for text, what in ((m.description, "description"), (m.population_description, "population description")):
            if text:
                notes.append(Traced(posted(m.display_title, "baseline | measure title"), f" ({what}): ",
                                    posted(text, f"{m.display_title} | {what}")))
    return notes + [POSTED_PRECISION_NOTE, POSTED_PERCENT_NOTE]


def groups_table(groups) -> pd.DataFrame:
    """The reporting groups as posted: title and description."""
    return pd.DataFrame([(posted(g.title, f"group {g.key} | title"), posted(g.description, f"group {g.key} | description"))
                         for g in groups], columns=["Group", "Description"])


def outcome_header(om: OutcomeMeasure) -> pd.DataFrame:
    rows = [("Type", om.measure_type), ("Title", om.title), ("Description", om.description),
            ("Time frame", om.time_frame), ("Analysis population", om.population_description),
            ("Measure type", om.param_type), ("Unit of measure", om.unit)]
    return pd.DataFrame([(k, posted(v, f"{om.title} | {k}")) for k, v in rows], columns=["Field", "Value"])


def analysis_table(a: StatisticalAnalysis, groups, raw=None, raw_file: str = "results/estimates.csv") -> pd.DataFrame:
    """Every field of a posted statistical analysis, comments included. A risk difference, posted
    as a fraction, is also given in percentage points, by the report's rule from `raw` (its row of
    results/estimates.csv, when given)."""
    from her2cr.ctgov import model as mm

    titles = {g.key: g.title for g in groups}
    where = f"statistical analysis {a.param_type}"

    def p(text, field):
        return posted(text, f"{where} | {field}")

    def with_comment(value, field, comment):
        return Traced(p(value, field), *([" (", p(comment, f"{field} comment"), ")"] if comment else []))

    rows = [("Comparison groups", p(", ".join(titles.get(k, k) for k in a.group_keys), "groups")),
            ("Comments", p(a.group_description, "comments")),
            ("Type of statistical test", with_comment(a.test_type, "test type", a.test_type_comment))]
    if a.p_value is not None:
        rows.append(("P-value", with_comment(a.p_value, "p-value", a.p_value_comment)))
        method = a.other_method_name if a.method == "Other" and a.other_method_name else a.method
        rows.append(("Method", with_comment(method or "", "method", a.method_comment)))
    estimate = Traced(p(a.estimate, "estimated value"))
    ci = Traced(f"({a.ci_pct}%) {a.ci_sides}: ", p(a.ci_lower, "lower limit"), " to ", p(a.ci_upper, "upper limit"))
    if a.param_type == mm.EST_RISK_DIFFERENCE and raw is not None:
        key = f"{raw['analysis']} | {raw['parameter']} | {raw['group']}"
        n = {c: Num(raw[c], "pp", raw_file, f"{key} | {c}") for c in ("estimate", "ci_lower", "ci_upper")}
        estimate = Traced(estimate, " (posted as a fraction; ", n["estimate"], " percentage points)")
        ci = Traced(ci, " (", n["ci_lower"], " to ", n["ci_upper"], " percentage points)")
    rows += [("Estimation parameter", p(a.param_type, "parameter")), ("Estimated value", estimate),
             ("Confidence interval", ci)]
    for name, comment in (("Lower limit", a.ci_lower_comment), ("Upper limit", a.ci_upper_comment)):
        if comment:
            rows.append((f"{name} comment", p(comment, f"{name.lower()} comment")))
    rows.append(("Estimation comments", p(a.estimate_comment or "", "estimation comments")))
    return pd.DataFrame(rows, columns=["Statistical analysis", "Value"])
