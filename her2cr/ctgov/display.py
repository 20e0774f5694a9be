"""The ClinicalTrials.gov results model laid out as the report shows it.

The report's participant flow, baseline and outcome tables are made from the very objects that
the PRS XML and the API JSON are written from, so the report and the posting files agree.
"""

from __future__ import annotations

import pandas as pd

from her2cr.ctgov.model import BaselineMeasure, OutcomeMeasure, ParticipantFlow, StatisticalAnalysis


def _cell(m) -> str:
    if m is None:
        return ""
    s = m.value
    if m.spread is not None:
        s += f" ({m.spread})"
    elif m.lower is not None and m.upper is not None:
        s += f" ({m.lower} to {m.upper})"
    if m.na_comment:
        s += f" [{m.na_comment}]"
    return s


def flow_table(flow: ParticipantFlow) -> pd.DataFrame:
    titles = [g.title for g in flow.groups]
    rows = [("STARTED", *[flow.started[g.key] for g in flow.groups]),
            ("COMPLETED", *[flow.completed[g.key] for g in flow.groups]),
            ("NOT COMPLETED", *[flow.not_completed[g.key] for g in flow.groups])]
    for r in flow.reasons:
        label = f"Reason not completed: {r.other_name or r.reason_type}"
        rows.append((label, *[r.counts.get(g.key, 0) for g in flow.groups]))
    return pd.DataFrame(rows, columns=[f"Period: {flow.period_title}", *titles])


def measure_table(m: BaselineMeasure | OutcomeMeasure, groups) -> pd.DataFrame:
    """Rows: number analysed (when given), then class / category; columns: the groups."""
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
            rows.append((label, *[_cell(by.get(k)) for k in keys]))
    return pd.DataFrame(rows, columns=header)


def baseline_ctgov_table(baseline) -> pd.DataFrame:
    """All baseline measures in one long table: measure, row, and one column per group."""
    frames = []
    keys = [g.key for g in baseline.groups]
    titles = [g.title for g in baseline.groups]
    frames.append(pd.DataFrame([("Overall Number of Baseline Participants", "", *[baseline.denoms[k] for k in keys])],
                               columns=["Measure", "Row", *titles]))
    for m in baseline.measures:
        t = measure_table(m, baseline.groups)
        t.columns = ["Row", *titles]
        stat = f"{m.param_type}" + (f" ({m.dispersion_type})" if m.dispersion_type not in ("Not Applicable", None) else "")
        t.insert(0, "Measure", f"{m.display_title} [{stat}, {m.unit}]")
        t["Measure"] = t["Measure"].where(~t["Measure"].duplicated(), "")
        frames.append(t)
    return pd.concat(frames, ignore_index=True)


def outcome_header(om: OutcomeMeasure) -> pd.DataFrame:
    rows = [("Type", om.measure_type), ("Title", om.title), ("Description", om.description),
            ("Time frame", om.time_frame), ("Analysis population", om.population_description),
            ("Measure type", om.param_type), ("Unit of measure", om.unit)]
    return pd.DataFrame(rows, columns=["Field", "Value"])


def analysis_table(a: StatisticalAnalysis, groups) -> pd.DataFrame:
    titles = {g.key: g.title for g in groups}
    rows = [("Comparison groups", ", ".join(titles.get(k, k) for k in a.group_keys)),
            ("Comments", a.group_description)]
    if a.p_value is not None:
        rows.append(("P-value", a.p_value + (f" ({a.p_value_comment})" if a.p_value_comment else "")))
        method = a.other_method_name if a.method == "Other" and a.other_method_name else a.method
        rows.append(("Method", (method or "") + (f" ({a.method_comment})" if a.method_comment else "")))
    rows += [("Estimation parameter", a.param_type), ("Estimated value", a.estimate),
             ("Confidence interval", f"({a.ci_pct}%) {a.ci_sides}: {a.ci_lower} to {a.ci_upper}"),
             ("Estimation comments", a.estimate_comment or "")]
    return pd.DataFrame(rows, columns=["Statistical analysis", "Value"])
