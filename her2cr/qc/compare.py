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
    "fixed entries of prs-results.xml (95% level, adverse events not collected: 0 of 0)",
]


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


RESULT_COLUMNS = ["table", "row", "column", "field", "pipeline", "r", "kind", "tolerance", "agree"]
NO_R, NO_PIPELINE = "(no R value)", "(no pipeline value)"


def compare(pipeline_rows: list[tuple], r_rows: list[tuple]):
    """Every value compared, as a DataFrame (RESULT_COLUMNS).

    pipeline_rows: (table, row, column, field, value) or, for prs-results.xml, with a sixth item:
    the key of the R value it posts. r_rows: (table, row, column, field, value).
    The bulk (counts and estimates with a number or a text on both sides, or a missing value) is
    decided with whole columns at once, by the same rules as agree(); the rest (posted values)
    one by one by agree(): 2.2 million values of 100,000 participants take seconds, not minutes."""
    import numpy as np
    import pandas as pd

    r_by = {tuple(r[:4]): r[4] for r in r_rows}
    keys = [tuple(p[:4]) for p in pipeline_rows]
    r_keys = [tuple(p[5]) if len(p) > 5 else k for p, k in zip(pipeline_rows, keys)]
    df = pd.DataFrame(keys, columns=["table", "row", "column", "field"], dtype=object)
    df["pipeline"] = [p[4] for p in pipeline_rows]
    r_values = [r_by.get(k) for k in r_keys]
    df["r"] = [NO_R if v is None else v for v in r_values]
    df["kind"] = [kind_of(*k) for k in keys]
    has_r = np.array([v is not None for v in r_values], dtype=bool)
    p, r, kind = df["pipeline"].to_numpy(object), df["r"].to_numpy(object), df["kind"].to_numpy(object)
    agree_ = np.zeros(len(df), dtype=bool)
    tol = np.full(len(df), "", dtype=object)
    posted = kind == "posted"
    p_missing, r_missing = p == "", r == ""
    missing = has_r & ~posted & (p_missing | r_missing)
    agree_[missing] = p_missing[missing] & r_missing[missing]
    tol[missing] = "missing on both"
    rest = has_r & ~posted & ~missing
    pf = pd.to_numeric(pd.Series(p[rest]), errors="coerce").to_numpy(float)
    rf = pd.to_numeric(pd.Series(r[rest]), errors="coerce").to_numpy(float)
    k = kind[rest]
    both = ~np.isnan(pf) & ~np.isnan(rf)
    exact = (k == "count") | ~both | np.isinf(pf) | np.isinf(rf)
    limit = np.where(k == "iterative", TOLERANCE["iterative"], TOLERANCE["estimate"])
    with np.errstate(invalid="ignore"):
        close = np.abs(pf - rf) <= limit * np.maximum(1.0, np.abs(rf))
    same = np.where(both, pf == rf, p[rest] == r[rest])
    agree_[rest] = np.where(exact, same, close)
    tol[rest] = np.where(exact, "exact", np.where(k == "iterative", f"{TOLERANCE['iterative']:g}",
                                                  f"{TOLERANCE['estimate']:g}"))
    for i in np.flatnonzero(has_r & posted):
        agree_[i], tol[i] = agree(p[i], r[i], kind[i])
    df["tolerance"], df["agree"] = tol, agree_
    used = {k for pr, k in zip(pipeline_rows, r_keys) if len(pr) <= 5}  # a posted value stands for no value
    extra = [(*k, NO_PIPELINE, v, kind_of(*k), "", False) for k, v in r_by.items()
             if k not in used and k[0] not in ("ctgov_baseline", "ctgov_events")]
    if extra:
        df = pd.concat([df, pd.DataFrame(extra, columns=RESULT_COLUMNS)], ignore_index=True)
    return df


TABLE_NAMES = {"participant": "participant data (adsl.csv)", "flow": "participant flow (flow.csv)",
               "table1": "Table 1 (baseline_tidy.csv)", "estimates": "estimates (estimates.csv)",
               "prs-results.xml": "ClinicalTrials.gov results (prs-results.xml)"}


def summary_line(results, r_version: str) -> str:
    n, differ = len(results), int((~results["agree"]).sum())
    return (f"QC (R {r_version}): {n} values compared, {n - differ} agree, "
            f"{differ} differ; not double-programmed: {'; '.join(NOT_DOUBLE_PROGRAMMED) or 'none'}")


def tables_that_differ(results) -> list[str]:
    seen: list[str] = []
    for t in results.loc[~results["agree"], "table"]:
        name = TABLE_NAMES.get(t, t)
        if name not in seen:
            seen.append(name)
    return seen


def differences(results) -> list[str]:
    """Each differing value: `table / row / column / field: pipeline X, R Y`."""
    out = []
    for c in results.loc[~results["agree"]].itertuples(index=False):
        key = " / ".join(x for x in (c.table, c.row, c.column, c.field) if x)
        out.append(f"{key}: pipeline {c.pipeline or '(missing)'}, R {c.r or '(missing)'}")
    return out
