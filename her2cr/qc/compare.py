"""The comparison of the pipeline's values with R's, keyed by what a value is.

Tolerances, one per kind of value:
- count: counts, flags, day counts, dates, identifiers, texts and statuses: exactly equal;
- estimate: estimates, limits, p-values, summary statistics: within 1e-6 (absolute, relative
  above 1);
- iterative: what an iteration finds (Firth's profile limits and penalised LR p-value,
  Boschloo's maximised p-value, the Miettinen-Nurminen limits, the conditional MLE odds ratio and
  its exact limits): within 1e-4, likewise;
- posted: a number in prs-results.xml, rounded for posting: within half a unit of its last digit
  (an infinite value is posted as NA).
A missing value ("not estimable") agrees only with a missing value; a value that only one side
has is a difference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from her2cr.qc.pipeline_values import as_float

TOLERANCE = {"count": 0.0, "estimate": 1e-6, "iterative": 1e-4}
COUNT_FIELDS = {"n", "N", "count", "n_missing", "denominator", "enrolled", "n_evaluable_draws",
                "ttpos_days", "pfs_days", "status", "ci_level"}
ITERATIVE = {
    ("exploratory_firth", "ci_lower"), ("exploratory_firth", "ci_upper"), ("exploratory_firth", "p_value"),
    ("sensitivity_boschloo", "p_value"),
    ("sensitivity_miettinen_nurminen", "ci_lower"), ("sensitivity_miettinen_nurminen", "ci_upper"),
}
ITERATIVE_PARAMETERS = {"odds_ratio|stopped vs continuing"}  # fisher.test's conditional MLE and limits

# Deliberately not double-programmed, with the reason (the summary names them).
NOT_DOUBLE_PROGRAMMED = [
    "figures (drawn from the tables and estimates compared here)",
    "wording (labels, methods and notes of estimates.csv, the report's prose)",
]


@dataclass(frozen=True)
class Compared:
    table: str
    row: str
    column: str
    field: str
    pipeline: str
    r: str
    kind: str
    tolerance: str
    agree: bool


def kind_of(table: str, row: str, column: str, field: str) -> str:
    if table == "prs-results.xml":
        return "posted"
    if table == "estimates":
        if (row, field) in ITERATIVE or (column in ITERATIVE_PARAMETERS and field in ("estimate", "ci_lower", "ci_upper")):
            return "iterative"
    if field in COUNT_FIELDS:
        return "count"
    return "estimate"


def _posted_tolerance(posted: str) -> float:
    s = posted.strip().lstrip("<>=")
    mantissa = s.lower().split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    exponent = int(s.lower().split("e")[1]) if "e" in s.lower() else 0
    return 0.5 * 10.0 ** (exponent - decimals) * (1 + 1e-9)


def agree(pipeline: str, r: str, kind: str) -> tuple[bool, str]:
    """(whether the two values agree, the tolerance applied, in words)."""
    if kind == "posted" and pipeline == "" and r in ("inf", "-inf"):
        # ClinicalTrials.gov takes finite numbers only: an infinite estimate or limit is posted as NA
        return True, "infinite, posted as NA"
    if pipeline == "" or r == "":
        return pipeline == r, "missing on both"
    if kind == "posted":
        tol = _posted_tolerance(pipeline)
        p, q = as_float(pipeline.lstrip("<>=")), as_float(r)
        if p is None or q is None:
            return pipeline == r, "exact"
        if pipeline.startswith("<"):
            return q < p, f"below {pipeline[1:]}"
        return abs(p - q) <= tol, f"{tol / (1 + 1e-9):g} (as posted)"
    p, q = as_float(pipeline), as_float(r)
    if p is None or q is None or kind == "count":
        if p is not None and q is not None:
            return p == q, "exact"
        return pipeline == r, "exact"
    if math.isinf(p) or math.isinf(q):
        return p == q, "exact"
    tol = TOLERANCE[kind]
    return abs(p - q) <= tol * max(1.0, abs(q)), f"{tol:g}"


def compare(pipeline_rows: list[tuple], r_rows: list[tuple]) -> list[Compared]:
    """pipeline_rows: (table, row, column, field, value) or, for prs-results.xml, with a sixth item:
    the key of the R value it posts. r_rows: (table, row, column, field, value)."""
    r_by = {tuple(r[:4]): r[4] for r in r_rows}
    used = set()
    out = []
    for p in pipeline_rows:
        key = tuple(p[:4])
        r_key = tuple(p[5]) if len(p) > 5 else key
        kind = kind_of(*key)
        if r_key not in r_by:
            out.append(Compared(*key, p[4], "(no R value)", kind, "", False))
            continue
        if len(p) <= 5:  # a posted value does not stand for the value it posts
            used.add(r_key)
        ok, tol = agree(p[4], r_by[r_key], kind)
        out.append(Compared(*key, p[4], r_by[r_key], kind, tol, ok))
    for k, v in r_by.items():
        if k not in used and k[0] not in ("ctgov_baseline", "ctgov_events"):
            out.append(Compared(*k, "(no pipeline value)", v, kind_of(*k), "", False))
    return out


TABLE_NAMES = {"participant": "participant data (adsl.csv)", "flow": "participant flow (flow.csv)",
               "table1": "Table 1 (baseline_tidy.csv)", "estimates": "estimates (estimates.csv)",
               "prs-results.xml": "ClinicalTrials.gov results (prs-results.xml)"}


def summary_line(results: list[Compared], r_version: str) -> str:
    differ = [c for c in results if not c.agree]
    return (f"QC (R {r_version}): {len(results)} values compared, {len(results) - len(differ)} agree, "
            f"{len(differ)} differ; not double-programmed: {'; '.join(NOT_DOUBLE_PROGRAMMED) or 'none'}")


def tables_that_differ(results: list[Compared]) -> list[str]:
    seen: list[str] = []
    for c in results:
        name = TABLE_NAMES.get(c.table, c.table)
        if not c.agree and name not in seen:
            seen.append(name)
    return seen


def describe(c: Compared) -> str:
    key = " / ".join(x for x in (c.table, c.row, c.column, c.field) if x)
    return f"{key}: pipeline {c.pipeline or '(missing)'}, R {c.r or '(missing)'}"
