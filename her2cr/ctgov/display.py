"""The ClinicalTrials.gov results model laid out as the report shows it.

The report's participant flow, baseline and outcome tables are made from the very objects that
the PRS XML and the API JSON are written from, so the report and the posting files agree.
"""

from __future__ import annotations

import pandas as pd

from her2cr.ctgov.model import BaselineMeasure, OutcomeMeasure, ParticipantFlow, StatisticalAnalysis
from her2cr.formatting import MINUS, number


# Said under every table of posted values: the posted text keeps ClinicalTrials.gov's precision.
POSTED_PRECISION_NOTE = (
    "Values as posted: ClinicalTrials.gov stores each value as text, here with 4 significant digits "
    "(trailing zeros dropped), which is more than the report's tables show; percentages beside counts "
    "are the ones ClinicalTrials.gov computes from the count and the number of participants in the "
    "column (or analysed), written here to 1 decimal.")


def shown(text: str | None) -> str:
    """Posted text as the report writes it: the minus sign U+2212, and \u2264 / \u2265 for the
    category labels ClinicalTrials.gov spells "<=" and ">="."""
    if not text:
        return text or ""
    import re

    text = text.replace("<=", "\u2264").replace(">=", "\u2265")
    return re.sub(r"(?<![\w.])-(?=\d)", MINUS, text)


def _cell(m, denominator: int | None = None) -> str:
    """A posted measurement; with a denominator (counts of participants) the percentage
    ClinicalTrials.gov computes beside it."""
    if m is None:
        return ""
    s = m.value
    if m.spread is not None:
        s += f" ({m.spread})"
    elif m.lower is not None and m.upper is not None:
        s += f" ({m.lower} to {m.upper})"
    elif denominator and m.value.isdigit():
        s += f" ({number('percent', int(m.value) / denominator)}%)"
    if m.na_comment:
        s += f" [{m.na_comment}]"
    return shown(s)


def flow_table(flow: ParticipantFlow) -> pd.DataFrame:
    titles = [g.title for g in flow.groups]
    rows = [("STARTED", *[flow.started[g.key] for g in flow.groups]),
            ("COMPLETED", *[flow.completed[g.key] for g in flow.groups]),
            ("NOT COMPLETED", *[flow.not_completed[g.key] for g in flow.groups])]
    for r in flow.reasons:
        label = f"Reason not completed: {r.other_name or r.reason_type}"
        rows.append((label, *[r.counts.get(g.key, 0) for g in flow.groups]))
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
    if denoms:
        rows.append(("Number of participants analysed", *[denoms.get(k, "") for k in keys]))
    for c in m.classes:
        for cat in c.categories:
            label = " / ".join(t for t in (c.title, cat.title) if t) or (m.display_title if isinstance(m, BaselineMeasure) else m.title)
            by = {x.group: x for x in cat.measurements}
            base = denoms or overall or {}
            rows.append((shown(label), *[_cell(by.get(k), base.get(k) if m.calculate_pct else None)
                                         for k in keys]))
    return pd.DataFrame(rows, columns=header)


def baseline_ctgov_table(baseline) -> pd.DataFrame:
    """All baseline measures in one long table: measure, row, and one column per group."""
    frames = []
    keys = [g.key for g in baseline.groups]
    titles = [g.title for g in baseline.groups]
    frames.append(pd.DataFrame([("Overall Number of Baseline Participants", "", *[baseline.denoms[k] for k in keys])],
                               columns=["Measure", "Row", *titles]))
    for m in baseline.measures:
        t = measure_table(m, baseline.groups, overall=baseline.denoms)
        t.columns = ["Row", *titles]
        stat = f"{m.param_type}" + (f" ({m.dispersion_type})" if m.dispersion_type not in ("Not Applicable", None) else "")
        t.insert(0, "Measure", f"{m.display_title} [{stat}, {m.unit}]")
        t["Measure"] = t["Measure"].where(~t["Measure"].duplicated(), "")
        frames.append(t)
    return pd.concat(frames, ignore_index=True)


def baseline_ctgov_notes(baseline) -> list[str]:
    """What the posted baseline module says beside the numbers: the population, and each measure's
    description and analysis population, then how the values are written."""
    notes = [f"Baseline analysis population: {baseline.population_description}"]
    for m in baseline.measures:
        said = " ".join(t for t in (m.description, m.population_description) if t)
        if said:
            notes.append(f"{m.display_title}: {said}")
    return notes + [POSTED_PRECISION_NOTE]


def groups_table(groups) -> pd.DataFrame:
    """The reporting groups as posted: title and description."""
    return pd.DataFrame([(g.title, g.description) for g in groups], columns=["Group", "Description"])


def outcome_header(om: OutcomeMeasure) -> pd.DataFrame:
    rows = [("Type", om.measure_type), ("Title", om.title), ("Description", om.description),
            ("Time frame", om.time_frame), ("Analysis population", om.population_description),
            ("Measure type", om.param_type), ("Unit of measure", om.unit)]
    return pd.DataFrame(rows, columns=["Field", "Value"])


def _in_points(text: str) -> str:
    """A posted risk difference (a fraction) in the report's percentage points."""
    try:
        return number("pp", float(text))
    except ValueError:
        return text


def analysis_table(a: StatisticalAnalysis, groups) -> pd.DataFrame:
    """Every field of a posted statistical analysis, comments included; a risk difference, posted
    as a fraction, also in percentage points."""
    from her2cr.ctgov import model as mm

    titles = {g.key: g.title for g in groups}
    rows = [("Comparison groups", ", ".join(titles.get(k, k) for k in a.group_keys)),
            ("Comments", a.group_description),
            ("Type of statistical test", a.test_type + (f" ({a.test_type_comment})" if a.test_type_comment else ""))]
    if a.p_value is not None:
        rows.append(("P-value", a.p_value + (f" ({a.p_value_comment})" if a.p_value_comment else "")))
        method = a.other_method_name if a.method == "Other" and a.other_method_name else a.method
        rows.append(("Method", (method or "") + (f" ({a.method_comment})" if a.method_comment else "")))
    estimate = a.estimate
    ci = f"({a.ci_pct}%) {a.ci_sides}: {a.ci_lower} to {a.ci_upper}"
    if a.param_type == mm.EST_RISK_DIFFERENCE:
        estimate += f" (as a fraction: {_in_points(a.estimate)} percentage points)"
        ci += f" ({_in_points(a.ci_lower)} to {_in_points(a.ci_upper)} percentage points)"
    rows += [("Estimation parameter", a.param_type), ("Estimated value", estimate),
             ("Confidence interval", ci)]
    for name, comment in (("Lower limit", a.ci_lower_comment), ("Upper limit", a.ci_upper_comment)):
        if comment:
            rows.append((f"{name} comment", comment))
    rows.append(("Estimation comments", a.estimate_comment or ""))
    return pd.DataFrame([(k, shown(v)) for k, v in rows], columns=["Statistical analysis", "Value"])
