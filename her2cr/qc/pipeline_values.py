"""The pipeline's outputs of a version folder, read into the long format of the R program
(qc/qc.R): one value a row, keyed by table, row, column and field.

Only the files are read (adsl.csv, flow.csv, baseline_tidy.csv, estimates.csv, prs-results.xml),
never the code that wrote them."""

from __future__ import annotations

import csv
import math
import xml.etree.ElementTree as ET
from pathlib import Path

COLUMNS = ("table", "row", "column", "field", "value")

PARTICIPANT_FIELDS = (
    "e1_age", "e2_sex", "e3_response_2y", "e4_therapy_2y", "e5_stop_date", "eligible", "primary_set",
    "baseline_sample_id", "baseline_result", "baseline_evaluable", "baseline_positive",
    "n_evaluable_draws", "ever_positive", "ttpos_days", "ttpos_event", "pfs_days", "pfs_event",
    "status_at_cutoff", "years_since_response", "years_on_anti_her2", "months_since_stop",
)
ESTIMATE_FIELDS = ("n", "N", "estimate", "ci_lower", "ci_upper", "ci_level", "p_value", "status")
CONTINUOUS_FIELDS = ("n", "n_missing", "mean", "sd", "median", "q1", "q3", "min", "max")
CATEGORICAL_FIELDS = ("n", "denominator", "percent", "n_missing")
SMD_COLUMN = "continuing vs stopped"


def _read(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def text(v) -> str:
    """The comparison's spelling of a cell: flags true/false, missing empty."""
    s = "" if v is None else str(v).strip()
    if s.lower() in ("true", "false"):
        return s.lower()
    if s.lower() in ("nan", "na", "none", "<na>"):
        return ""
    return s


def raw_subject_ids(raw_dir: Path) -> list[str]:
    rows = _read(raw_dir / "subjects.csv")
    key = {k.replace(" ", "").strip().lower(): k for k in (rows[0] if rows else {})}
    return [r[key["subject_id"]].strip() for r in rows] if "subject_id" in key else []


def participant_values(adsl_csv: Path, raw_ids: list[str]) -> list[tuple]:
    rows = _read(adsl_csv)
    enrolled = {r["subject_id"] for r in rows}
    out = [("participant", sid, "", "enrolled", "true" if sid in enrolled else "false") for sid in raw_ids]
    for r in rows:
        out += [("participant", r["subject_id"], "", f, text(r.get(f))) for f in PARTICIPANT_FIELDS]
    return out


def flow_values(flow_csv: Path) -> list[tuple]:
    return [("flow", r["step"], r["cohort"], "count", text(r["count"])) for r in _read(flow_csv)]


def table1_values(tidy_csv: Path) -> list[tuple]:
    out, seen_n, seen_smd = [], set(), set()
    for r in _read(tidy_csv):
        var, group = r["variable"], r["group"]
        if group not in seen_n and r.get("group_N", "") != "":
            seen_n.add(group)
            out.append(("table1", "N", group, "N", text(r["group_N"])))
        if r["var_type"] == "continuous":
            out += [("table1", var, group, f, text(r[f])) for f in CONTINUOUS_FIELDS]
        else:
            row = f"{var}|{r['level_value']}"
            out += [("table1", row, group, f, text(r[f])) for f in CATEGORICAL_FIELDS]
        if var not in seen_smd:
            seen_smd.add(var)
            out.append(("table1", var, SMD_COLUMN, "smd", text(r["smd"])))
    return out


def estimate_values(estimates_csv: Path) -> list[tuple]:
    out = []
    for r in _read(estimates_csv):
        key = f"{r['parameter']}|{r['group']}"
        out += [("estimates", r["analysis"], key, f, text(r[f])) for f in ESTIMATE_FIELDS]
    return out


# -- prs-results.xml: each posted number keyed by the value it posts ------------------------------

def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(e, name):
    for c in e:
        if _local(c.tag) == name:
            return c
    return None


def _children(e, name):
    return [c for c in e if _local(c.tag) == name]


def _find_all(e, name):
    return [c for c in e.iter() if _local(c.tag) == name]


def _txt(e, name) -> str:
    c = _child(e, name)
    return (c.text or "").strip() if c is not None else ""


def prs_values(xml_path: Path, tidy_csv: Path) -> list[tuple]:
    """Rows (table "prs-results.xml", row = where in the file, column = group, field, posted value,
    and in a sixth item the key of the R value it posts)."""
    root = ET.parse(xml_path).getroot()
    tidy = _read(tidy_csv)
    var_of = {}
    levels: dict[str, list[str]] = {}
    for r in tidy:
        var_of.setdefault(r["measure_title"], r["variable"])
        var_of.setdefault(r["label"], r["variable"])
        if r["var_type"] != "continuous" and r["group"] == "overall":
            levels.setdefault(r["variable"], [])
            if r["level_value"] not in levels[r["variable"]]:
                levels[r["variable"]].append(r["level_value"])
    out: list[tuple] = []
    base = _child(root, "baseline")
    if base is not None:
        out += _baseline(base, var_of, levels)
    for om in _find_all(root, "outcomeMeasure"):
        out += _outcome(om)
    flow = _child(root, "participantFlow")
    if flow is not None:
        out += _flow(flow)
    out = [(*r[:4], text(r[4]), r[5]) for r in out]
    for i, g in enumerate(_find_all(root, "interventionGroup")):
        cohort = ("continuing", "stopped")[i] if i < 2 else g.get("id", "")
        out.append(("prs-results.xml", "all-cause mortality", cohort, "numDeaths", _txt(g, "numDeaths"),
                    ("ctgov_events", "deaths", cohort, "count")))
        out.append(("prs-results.xml", "all-cause mortality", cohort, "partAtRiskAllCauseMort",
                    text(_txt(g, "partAtRiskAllCauseMort")), ("flow", "enrolled", cohort, "count")))
    return out


def _group_names(ids: list[str], total: str | None = None) -> dict[str, str]:
    names = dict(zip(ids, ("continuing", "stopped")))
    if total:
        names[total] = "overall"
    return names


def _baseline(base, var_of, levels) -> list[tuple]:
    out = []
    groups = [g.get("id") for g in _find_all(base, "baselineReportingGroup")]
    total = _child(base, "totalBaselineReportingGroup")
    names = _group_names(groups, total.get("id") if total is not None else None)
    for g in _find_all(base, "baselineReportingGroup") + ([total] if total is not None else []):
        out.append(("prs-results.xml", "baseline group", names[g.get("id")], "subjectsAnalyzed",
                    _txt(g, "subjectsAnalyzed"), ("table1", "N", names[g.get("id")], "N")))
    for bm in _find_all(base, "baselineMeasure"):
        title = _txt(bm, "otherTitle") or _txt(bm, "title")
        var = var_of.get(title, title)
        where = f"baseline measure {title}"
        ptype = _txt(bm, "parameterType")
        entries: dict[str, list] = {}
        for rv in _find_all(bm, "reportedValue"):
            g = names.get(_txt(rv, "reportingGroupId"), _txt(rv, "reportingGroupId"))
            if _child(rv, "subjectsAnalyzed") is not None:
                out.append(("prs-results.xml", where, g, "subjectsAnalyzed", _txt(rv, "subjectsAnalyzed"),
                            ("table1", var, g, "n")))
            entries.setdefault(g, []).extend(_find_all(rv, "reportedEntry"))
        for g, es in entries.items():
            for k, e in enumerate(es):
                if ptype == "Count of Participants":
                    lv = levels.get(var, [])
                    level = lv[k] if k < len(lv) else f"category {k + 1}"
                    out.append(("prs-results.xml", f"{where}: {_txt(e, 'catName') or level}", g, "parameterValue",
                                _txt(e, "parameterValue"), ("ctgov_baseline", f"{var}|{level}", g, "count")))
                    continue
                fields = {"parameterValue": "mean" if ptype == "Mean" else "median",
                          "dispersionSpread": "sd", "dispersionLowerLimit": "q1", "dispersionUpperLimit": "q3"}
                for tag, field in fields.items():
                    if _child(e, tag) is not None:
                        out.append(("prs-results.xml", where, g, tag, _txt(e, tag), ("table1", var, g, field)))
    return out


ANALYSIS_FIELDS = {"parameterValue": "estimate", "ciLowerLimit": "ci_lower", "ciUpperLimit": "ci_upper",
                   "pValue": "p_value"}
PARAMETERS = {"Risk Difference (RD)": "risk_difference", "Odds Ratio (OR)": "odds_ratio"}


def _outcome(om) -> list[tuple]:
    title = _txt(om, "title")
    analysis = ("primary" if _txt(om, "measureType") == "Primary"
                else "exploratory_any_draw" if "Any Draw" in title else title)
    where = f"outcome measure {title}"
    ids = [g.get("id") for g in _find_all(om, "outcomeReportingGroup")]
    names = _group_names(ids)
    out = []
    empty = set()
    for g in _find_all(om, "outcomeReportingGroup"):
        c = names[g.get("id")]
        if _txt(g, "subjectsAnalyzed") == "0":
            empty.add(c)
        out.append(("prs-results.xml", where, c, "subjectsAnalyzed", _txt(g, "subjectsAnalyzed"),
                    ("estimates", analysis, f"proportion|{c}", "N")))
    mr = _child(om, "measureRows")
    for rv in (_find_all(mr, "reportedValue") if mr is not None else []):
        c = names.get(_txt(rv, "reportingGroupId"), _txt(rv, "reportingGroupId"))
        # a group of no participant posts NA: what R's proportion of that group must be
        field = "estimate" if c in empty else "n"
        for e in _find_all(rv, "reportedEntry"):
            out.append(("prs-results.xml", where, c, "parameterValue", _txt(e, "parameterValue"),
                        ("estimates", analysis, f"proportion|{c}", field)))
    for ma in _find_all(om, "measureAnalysis"):
        param = PARAMETERS.get(_txt(ma, "parameterType"), _txt(ma, "parameterType"))
        key = f"{param}|stopped vs continuing"
        for tag, field in ANALYSIS_FIELDS.items():
            if _child(ma, tag) is not None:
                out.append(("prs-results.xml", f"{where}: {_txt(ma, 'parameterType')}", "stopped vs continuing",
                            tag, _txt(ma, tag), ("estimates", analysis, key, field)))
    return out


REASONS = {"Withdrawal by Subject": "withdrawn", "Lost to Follow-up": "lost_to_follow_up", "Death": "died",
           "Other": "on_study"}


def _flow(flow) -> list[tuple]:
    ids = [g.get("id") for g in _find_all(flow, "flowGroup")]
    names = _group_names(ids)
    out = []
    for milestone, step in (("startedMilestone", "enrolled"), ("completedMilestone", "completed")):
        for m in _find_all(flow, milestone):
            for a in _find_all(m, "milestoneAchievement"):
                c = names.get(_txt(a, "reportingGroupId"), "")
                out.append(("prs-results.xml", f"participant flow {milestone}", c, "subjectsAchieve",
                            _txt(a, "subjectsAchieve"), ("flow", step, c, "count")))
    for r in _find_all(flow, "dropWithdrawReason"):
        reason = _txt(r, "reasonType")
        step = REASONS.get(reason, reason)
        for d in _find_all(r, "reasonDetail"):
            c = names.get(_txt(d, "reportingGroupId"), "")
            out.append(("prs-results.xml", f"participant flow not completed: {reason}", c, "subjectsAffected",
                        _txt(d, "subjectsAffected"), ("flow", step, c, "count")))
    return out


def as_float(s: str) -> float | None:
    try:
        v = float(s)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v
