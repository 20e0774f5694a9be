"""Validation of a data cut against the raw-data contract.

Column rules (presence, required, type, allowed values, ranges, uniqueness) are checked with a
pandera schema built from `contract.py`; rules across columns and files are checked here in pandas.
Every problem is collected (not only the first); severities:
- error: the cut cannot be analysed until it is fixed (the run stops before writing anything);
- warning: a query for the site; the record is analysed as the action column says;
- info: noted only (a respelled category, a record dated after the cut-off).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from her2cr.data import contract as C
from her2cr.data.cutinfo import cut_after_export, edited_after_intake
from her2cr.data.issues import (CONSENTED_AFTER_CUTOFF, ERROR, INFO, WARNING, DataIssue,
                               has_errors)
from her2cr.data.rawio import read_raw_csv
from her2cr.data.dates import calendar_rule
from her2cr.data.sources import with_sources
from her2cr.study import POSITIVITY_MIN_VARIANTS

_ISO_DATE = r"\d{4}-\d{2}-\d{2}"
# a date column's value that does not parse; one written YYYY-MM-DD is told apart in
# check_columns (not in the calendar, or out of range: her2cr.data.dates), so that 2024-02-30 is
# not reported as a problem of form
NOT_A_DATE = "is not a date written YYYY-MM-DD"


@dataclass
class ValidatedCut:
    """The typed raw tables of a cut (None when unreadable) and every issue found."""

    cut: pd.Timestamp
    subjects: pd.DataFrame | None
    ctdna: pd.DataFrame | None
    issues: list[DataIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.subjects is not None and self.ctdna is not None and not has_errors(self.issues)


def parse_cut(cut: str) -> pd.Timestamp:
    if not re.fullmatch(_ISO_DATE, str(cut)):
        raise ValueError(f"cut-off {cut!r} is not a date in the form YYYY-MM-DD")
    ts = pd.to_datetime(cut, format="%Y-%m-%d", errors="coerce")
    if pd.isna(ts):
        raise ValueError(f"cut-off {cut!r} is not a valid calendar date")
    return ts


# -- helpers ------------------------------------------------------------------------------------

def _sid(df: pd.DataFrame) -> pd.Series:
    return df["subject_id"] if "subject_id" in df else pd.Series("", index=df.index)


def _issues_at(df, mask, file, column, rule, severity, action, value_col=None) -> list[DataIssue]:
    """One issue per row where mask is True (mask aligned to df)."""
    mask = pd.Series(mask, index=df.index).fillna(False).astype(bool)
    if not mask.any():
        return []
    rows = df.index[mask]
    sids = _sid(df).loc[rows].astype(str)
    vcol = value_col or column
    if vcol in df and pd.api.types.is_datetime64_any_dtype(df[vcol]):
        vals = df[vcol].loc[rows].dt.strftime("%Y-%m-%d").fillna("")  # formatted where reported only
    elif vcol in df:
        vals = df[vcol].loc[rows].astype(str)
    else:
        vals = pd.Series("", index=rows)
    return [
        DataIssue(file, int(r) + 2, s, column, v, rule, severity, action)
        for r, s, v in zip(rows, sids, vals)
    ]


def _parse_date(s: pd.Series) -> pd.Series:
    ok = s.str.fullmatch(_ISO_DATE).fillna(False)
    out = pd.to_datetime(s.where(ok), format="%Y-%m-%d", errors="coerce")
    return out


# -- normalisation ------------------------------------------------------------------------------

def reserved_names(fields) -> set[str]:
    """Names the derivation creates for this file's dataset (an extra column must not take one)."""
    from her2cr.data.dictionary import ADCTDNA, ADSL

    derived = ADSL if fields is C.SUBJECTS else ADCTDNA
    return {r[0] for r in derived} - {f.name for f in fields} | {"_file_order"}


def rename_reserved_extras(df: pd.DataFrame, fields, file: str) -> tuple[pd.DataFrame, list[DataIssue]]:
    """Extra columns are carried along, but one named like a derived variable (an EDC column
    called `eligible`, say) is renamed raw_<name>, so that it neither clashes nor is overwritten."""
    clash = [c for c in df.columns if c in reserved_names(fields)]
    if not clash:
        return df, []
    mapping = {}
    for c in clash:
        new = f"raw_{c}"
        while new in df.columns or new in mapping.values():
            new = f"raw_{new}"
        mapping[c] = new
    issues = [DataIssue(file, df.attrs.get("header_row", 1), "", c, "",
                        f"extra column has the name of a derived variable: renamed {mapping[c]}",
                        INFO, "column renamed") for c in clash]
    attrs = dict(df.attrs)
    df = df.rename(columns=mapping)
    df.attrs.update(attrs)
    return df, issues

def normalise_categories(df: pd.DataFrame, fields, file: str) -> tuple[pd.DataFrame, list[DataIssue]]:
    """Map categorical values to their canonical spelling, ignoring case (spaces already trimmed)."""
    df = df.copy()
    issues: list[DataIssue] = []
    for f in fields:
        if f.kind != "category" or f.name not in df:
            continue
        s = df[f.name]
        if f.allowed:
            canon = {a.lower(): a for a in f.allowed}
            mapped = s.str.lower().map(canon)
            new = mapped.where(mapped.notna(), s)
        else:  # pattern-only categories such as visit
            new = s.str.lower()
        changed = (new != s) & (s != "")
        issues += _issues_at(df, changed, file, f.name, "respelled to canonical form", INFO,
                             "value normalised")
        df[f.name] = new
    return df, issues


# -- column rules with pandera ------------------------------------------------------------------

def _schema(fields):
    import pandera.pandas as pa

    def is_date(s):
        return _parse_date(s).notna()

    def is_integer(s):
        return s.str.fullmatch(r"[+-]?\d+")

    def is_number(s):
        v = pd.to_numeric(s, errors="coerce")
        return v.notna() & np.isfinite(v.astype(float))

    def in_range(lo, hi):
        def check(s):
            v = pd.to_numeric(s, errors="coerce")
            ok = v.isna()  # unparsable values are reported by the type check, not here too
            if lo is not None:
                ok |= v >= lo
            else:
                ok |= True
            if hi is not None:
                ok &= v.isna() | (v <= hi)
            return ok
        return check

    cols = {}
    for f in fields:
        checks = []
        if f.kind == "date":
            checks.append(pa.Check(is_date, error=NOT_A_DATE))
        elif f.kind == "integer":
            checks.append(pa.Check(is_integer, error="is not a whole number"))
        elif f.kind == "number":
            checks.append(pa.Check(is_number, error="is not a number"))
        if f.kind in ("integer", "number") and (f.minimum is not None or f.maximum is not None):
            checks.append(pa.Check(in_range(f.minimum, f.maximum), error=f"is out of range: {f.rule}"))
        if f.allowed:
            checks.append(pa.Check.isin(list(f.allowed), error=f"is not an allowed value: {f.rule}"))
        if f.pattern:
            checks.append(pa.Check.str_matches(f"^(?:{f.pattern})$", error=f"does not match the required form: {f.rule}"))
        cols[f.name] = pa.Column(
            None, checks=checks, nullable=(f.required != "yes"), unique=f.unique,
            required=(f.required != "no"), coerce=False,
        )
    return pa.DataFrameSchema(cols, strict=False)


def check_columns(df: pd.DataFrame, fields, file: str) -> list[DataIssue]:
    """Presence, required values, types, allowed values, ranges and uniqueness of each column."""
    import pandera.pandas as pa

    work = df.replace("", None)
    issues: list[DataIssue] = []
    try:
        _schema(fields).validate(work, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        fmap = C.field_map(fields)
        for rec in fc.itertuples(index=False):
            col = rec.column if isinstance(rec.column, str) else ""
            check = str(rec.check)
            idx = rec.index
            if check == "column_in_dataframe":
                missing = str(rec.failure_case)
                issues.append(DataIssue(file, df.attrs.get("header_row", 1), "", missing, "",
                                        f"required column is missing ({fmap[missing].rule})",
                                        ERROR, "cut not analysed"))
                continue
            if idx is None or (isinstance(idx, float) and np.isnan(idx)):
                continue
            r = int(idx)
            value = "" if pd.isna(rec.failure_case) else str(rec.failure_case)
            sid = str(df.at[r, "subject_id"]) if "subject_id" in df else ""
            if check == "not_nullable":
                rule = f"a value is required ({fmap[col].rule})"
            elif check == "field_uniqueness":
                rule = "duplicate: values in this column must be unique"
            elif check == NOT_A_DATE and re.fullmatch(_ISO_DATE, value.strip(), flags=re.ASCII):
                rule = calendar_rule(value)
            else:
                rule = f"{check}"
            issues.append(DataIssue(file, r + 2, sid, col, value, rule, ERROR, "cut not analysed"))
    # optional columns that are absent are simply not collected
    for f in fields:
        if f.required == "no" and f.name not in df:
            issues.append(DataIssue(file, df.attrs.get("header_row", 1), "", f.name, "",
                                    "optional column absent: treated as not collected",
                                    INFO, "reported as not collected"))
    return issues


def to_typed(df: pd.DataFrame, fields) -> pd.DataFrame:
    """Typed copy: dates to datetime64, integers to Int64, numbers to float; "" to missing.

    Values that fail to parse become missing; check_columns has already reported them.
    """
    out = df.copy()
    for f in fields:
        if f.name not in out:
            out[f.name] = pd.Series(pd.NA, index=out.index, dtype="string")
            if f.kind == "date":
                out[f.name] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
            continue
        s = out[f.name]
        if f.kind == "date":
            out[f.name] = _parse_date(s)
        elif f.kind == "integer":
            v = pd.to_numeric(s.where(s.str.fullmatch(r"[+-]?\d+").fillna(False)), errors="coerce")
            out[f.name] = v.astype("Int64")
        elif f.kind == "number":
            out[f.name] = pd.to_numeric(s, errors="coerce").astype(float)
        else:
            # back to plain Python strings (None when missing), the type the analysis code expects
            out[f.name] = s.replace("", pd.NA).astype(object).where(s != "", None)
    extra = [c for c in out.columns if c not in {f.name for f in fields}]
    for c in extra:
        out[c] = out[c].astype(object)
    return out


# -- rules across columns and files -------------------------------------------------------------

def check_subject_rules(s: pd.DataFrame) -> list[DataIssue]:
    f = "subjects.csv"
    out: list[DataIssue] = []
    cohort = s["cohort"]
    stop = s["anti_her2_stop"]

    v = s

    out += _issues_at(v, s["response_date"] < s["anti_her2_start"], f, "response_date",
                      "response_date is before anti_her2_start", ERROR, "cut not analysed")
    # The stop date against the cohort is also eligibility criterion E5: a query, and the
    # participant is analysed as not eligible.
    out += _issues_at(v, (cohort == "stopped") & stop.isna(), f, "anti_her2_stop",
                      "cohort stopped requires an anti_her2_stop date", WARNING,
                      "participant not eligible (E5)")
    out += _issues_at(v, (cohort == "continuing") & stop.notna(), f, "anti_her2_stop",
                      "cohort continuing must have no anti_her2_stop date", WARNING,
                      "participant not eligible (E5)")
    out += _issues_at(v, stop.notna() & (stop <= s["anti_her2_start"]), f, "anti_her2_stop",
                      "anti_her2_stop must be after anti_her2_start", ERROR, "cut not analysed")
    out += _issues_at(v, stop.notna() & (stop > s["consent_date"]), f, "anti_her2_stop",
                      "anti_her2_stop must not be after consent_date", ERROR, "cut not analysed")
    out += _issues_at(v, s["last_contact"] < s["consent_date"], f, "last_contact",
                      "last_contact is before consent_date", ERROR, "cut not analysed")
    prog = s["progression_date"]
    out += _issues_at(v, prog.notna() & ((prog < s["consent_date"]) | (prog > s["last_contact"])),
                      f, "progression_date", "progression_date must be between consent_date and "
                      "last_contact", ERROR, "cut not analysed")
    died = s["status"] == "died"
    death = s["death_date"]
    out += _issues_at(v, died & death.isna(), f, "death_date",
                      "death_date is required when status is died", ERROR, "cut not analysed")
    out += _issues_at(v, ~died.fillna(False) & death.notna(), f, "death_date",
                      "death_date must be empty unless status is died", ERROR, "cut not analysed")
    out += _issues_at(v, death.notna() & (death < s["consent_date"]), f, "death_date",
                      "death_date is before consent_date", ERROR, "cut not analysed")
    return out


def lab_call_disagrees(d: pd.DataFrame) -> pd.Series:
    """POSITIVE with fewer than the rule's detected variants, or NEGATIVE with as many or more."""
    k = d["variants_detected"]
    disagree = (((d["result"] == "POSITIVE") & (k < POSITIVITY_MIN_VARIANTS))
                | ((d["result"] == "NEGATIVE") & (k >= POSITIVITY_MIN_VARIANTS)))
    return disagree.fillna(False).astype(bool)


def visit_month(visit: pd.Series) -> pd.Series:
    """0 for baseline, N for month_N, <NA> otherwise."""
    n = pd.to_numeric(visit.str.extract(r"^month_(\d+)$", expand=False), errors="coerce")
    n = n.where(visit != "baseline", 0)
    return n.astype("Int64")


def check_ctdna_rules(d: pd.DataFrame, subjects: pd.DataFrame | None) -> list[DataIssue]:
    f = "ctdna.csv"
    out: list[DataIssue] = []
    v = d
    month = visit_month(d["visit"].fillna(""))
    every = C.VISIT_EVERY_MONTHS
    bad_month = month.notna() & (d["visit"] != "baseline") & ((month % every != 0) | (month < every))
    out += _issues_at(v, bad_month, f, "visit", "follow-up visits are month_N with N = 3, 6, 9, ...",
                      ERROR, "cut not analysed")
    evaluable = d["result"].isin(C.EVALUABLE_RESULTS)
    out += _issues_at(v, evaluable & d["mtm_per_ml"].isna(), f, "mtm_per_ml",
                      "mtm_per_ml is required for a POSITIVE or NEGATIVE result", ERROR,
                      "cut not analysed")
    out += _issues_at(v, evaluable & d["variants_detected"].isna(), f, "variants_detected",
                      "variants_detected is required for a POSITIVE or NEGATIVE result", ERROR,
                      "cut not analysed")
    out += _issues_at(v, (d["result"] == "NEGATIVE") & (d["mtm_per_ml"] > 0), f, "mtm_per_ml",
                      "mtm_per_ml must be 0 for a NEGATIVE result", ERROR, "cut not analysed")
    out += _issues_at(v, d["variants_detected"] > d["panel_size"], f, "variants_detected",
                      "variants_detected exceeds panel_size", ERROR, "cut not analysed")
    out += _issues_at(v, (d["result"] == "POSITIVE") & (d["mtm_per_ml"] == 0), f, "mtm_per_ml",
                      "a POSITIVE result with mtm_per_ml 0", WARNING,
                      "laboratory call stands in the analysis")
    out += _issues_at(v, lab_call_disagrees(d), f, "variants_detected",
                      f"laboratory call disagrees with the >= {POSITIVITY_MIN_VARIANTS} variants "
                      "positivity rule", WARNING,
                      "laboratory call stands in the analysis")
    if subjects is None:
        return out
    known = d["subject_id"].isin(subjects["subject_id"].dropna())
    out += _issues_at(v, d["subject_id"].notna() & ~known, f, "subject_id",
                      "subject_id is not in subjects.csv", ERROR, "cut not analysed")
    consent = d["subject_id"].map(subjects.drop_duplicates("subject_id").set_index("subject_id")["consent_date"])
    days = (d["collection_date"] - consent).dt.days
    out += _issues_at(v, days < 0, f, "collection_date", "collection_date is before consent_date",
                      ERROR, "cut not analysed")
    late = (d["visit"] == "baseline") & (days > C.BASELINE_WINDOW_DAYS)
    out += _issues_at(v, late, f, "collection_date",
                      f"baseline draw more than {C.BASELINE_WINDOW_DAYS} days after consent",
                      WARNING, "not a baseline result; still counted as a draw")
    return out


def after_cutoff_listing(subjects: pd.DataFrame, ctdna: pd.DataFrame, cut: pd.Timestamp) -> list[DataIssue]:
    """Records dated after the cut-off: kept out of the analysis and listed."""
    out: list[DataIssue] = []
    vs = subjects
    out += _issues_at(vs, subjects["consent_date"] > cut, "subjects.csv", "consent_date",
                      CONSENTED_AFTER_CUTOFF, INFO, "after cut-off: not analysed")
    enrolled = subjects["consent_date"] <= cut
    for col in ("progression_date", "death_date"):
        out += _issues_at(vs, enrolled & (subjects[col] > cut), "subjects.csv", col,
                          f"{col.split('_')[0]} dated after the cut-off", INFO,
                          "after cut-off: not analysed")
    vd = ctdna
    out += _issues_at(vd, ctdna["collection_date"] > cut, "ctdna.csv", "collection_date",
                      "sample collected after the cut-off", INFO, "after cut-off: not analysed")
    return out


# -- entry point --------------------------------------------------------------------------------

def validate_cut(raw_dir: Path | str, cut: str) -> ValidatedCut:
    """Read and check both exports of a cut; never raises for bad data (see .issues)."""
    raw_dir = Path(raw_dir)
    cut_ts = parse_cut(cut)
    issues: list[DataIssue] = (cut_after_export(raw_dir, cut_ts.strftime("%Y-%m-%d"))
                               + edited_after_intake(raw_dir))
    typed: dict[str, pd.DataFrame | None] = {}
    for name, fields in C.FILES.items():
        df, read_issues = read_raw_csv(raw_dir / name, tuple(f.name for f in fields))
        issues += read_issues
        if df is None:
            typed[name] = None
            continue
        df, rename_issues = rename_reserved_extras(df, fields, name)
        issues += rename_issues
        df, norm_issues = normalise_categories(df, fields, name)
        col_issues = check_columns(df, fields, name)
        issues += norm_issues + col_issues
        missing_required = any(i.rule.startswith("required column is missing") for i in col_issues)
        typed[name] = None if missing_required else to_typed(df, fields)

    subjects, ctdna = typed["subjects.csv"], typed["ctdna.csv"]
    if subjects is not None:
        issues += check_subject_rules(subjects)
    if ctdna is not None:
        issues += check_ctdna_rules(ctdna, subjects)
    if subjects is not None and ctdna is not None:
        issues += after_cutoff_listing(subjects, ctdna, cut_ts)
    # a cut taken in by the intake: each issue also names the export's file, row, record and field
    return ValidatedCut(cut_ts, subjects, ctdna, with_sources(issues, raw_dir))
