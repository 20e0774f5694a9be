"""What changed between two cuts (issue 6): participants, records, ctDNA results and estimates.

A statistician reads this before signing off a cut, so a correction to data already reported must
be visible cell by cell (which subject, which column, old and new value), and kept apart from the
expected growth of follow-up (a later last contact, a new progression).

Everything is compared on the outputs of each cut (`data/adsl.parquet`, `data/adctdna.parquet`,
`data/flow.csv`, `results/estimates.csv`), not on the raw files: those are what was reported.
Raw contract columns only are compared field by field (derived columns follow from them and are
summarised instead: status at the cut-off, eligibility, primary-set membership, estimates).
Values are compared as text (dates as YYYY-MM-DD, numbers in full precision, missing = missing),
column by column over all records at once: no per-record Python loop, so 100,000 participants
take a second. The text rendering lives in `cutdiff_render.py` (summary_lines, to_markdown,
write_diff), which imports this module; this one never imports it back.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from her2cr.data import contract as C
from her2cr.data.issues import CONSENTED_AFTER_CUTOFF

SUBJECT_FIELDS = tuple(f.name for f in C.SUBJECTS if f.name != "subject_id")
SAMPLE_FIELDS = tuple(f.name for f in C.CTDNA if f.name != "sample_id")
# Fields that change as follow-up accrues: a move forward in them is an update, not a correction.
FOLLOW_UP_FIELDS = ("status", "last_contact", "progression_date", "death_date")
ESTIMATE_KEY = ["analysis", "parameter", "group"]
ESTIMATE_VALUES = ["n", "N", "estimate", "ci_lower", "ci_upper", "ci_level", "p_value", "method"]
ESTIMATE_COLUMNS = ESTIMATE_KEY + ESTIMATE_VALUES
_NUMERIC_ESTIMATE_VALUES = [c for c in ESTIMATE_VALUES if c != "method"]

# Columns of each table of a CutDiff (also the columns of its empty form).
TABLE_COLUMNS: dict[str, list[str]] = {
    "participants_added": ["subject_id", "site", "cohort", "consent_date", "eligible",
                           "baseline_result", "status_at_cutoff"],
    "participants_removed": ["subject_id", "site", "cohort", "consent_date", "status_at_cutoff",
                             "reason"],
    "status_changes": ["subject_id", "cohort", "old_status", "new_status"],
    "field_changes": ["subject_id", "column", "old", "new", "kind"],
    "eligibility_changes": ["subject_id", "cohort", "old_eligible", "new_eligible",
                            "old_reasons", "new_reasons"],
    "primary_set_changes": ["subject_id", "cohort", "old_primary_set", "new_primary_set",
                            "old_baseline_result", "new_baseline_result"],
    "samples_added": ["sample_id", "subject_id", "visit", "collection_date", "result",
                      "mtm_per_ml", "new_participant"],
    "samples_removed": ["sample_id", "subject_id", "visit", "collection_date", "result",
                        "mtm_per_ml", "reason"],
    "sample_changes": ["sample_id", "subject_id", "column", "old", "new"],
    "estimate_changes": ESTIMATE_KEY + ["status"] + [f"old_{c}" for c in ESTIMATE_VALUES]
    + [f"new_{c}" for c in ESTIMATE_VALUES] + ["estimate_change"],
    "flow_changes": ["step", "label", "cohort", "old_count", "new_count", "change"],
}
RECORD_TABLES = ("participants_added", "participants_removed", "status_changes", "field_changes",
                 "eligibility_changes", "primary_set_changes", "samples_added", "samples_removed",
                 "sample_changes")


# -- the outputs of one cut -----------------------------------------------------------------------

@dataclass(frozen=True)
class CutOutputs:
    """What a version of a cut reported. `estimates`, `flow`, `data_issues` may be None (absent)."""

    adsl: pd.DataFrame
    adctdna: pd.DataFrame
    cut_info: dict
    estimates: pd.DataFrame | None = None
    flow: pd.DataFrame | None = None
    data_issues: pd.DataFrame | None = None
    version: str = ""

    @property
    def cut(self) -> str:
        return str(self.cut_info.get("cut", ""))

    @property
    def label(self) -> str:
        return f"cut {self.cut}" + (f" ({self.version})" if self.version else "")


def resolve_version_dir(path: Path | str) -> Path:
    """A version folder (has manifest.json) as given, or a cut folder's `current` version."""
    p = Path(path)
    if (p / "manifest.json").is_file():
        return p.resolve()
    cur = p / "current"
    if (cur / "manifest.json").is_file():
        return cur.resolve()
    if not p.exists():
        raise ValueError(f"{p}: no such folder (expected a cut's output folder or one of its versions)")
    raise ValueError(
        f"{p}: neither a version folder (no manifest.json) nor a cut folder (no current/manifest.json)")


def read_estimates(path: Path) -> pd.DataFrame:
    """results/estimates.csv with stable dtypes ("inf" limits read as infinity)."""
    est = pd.read_csv(path, dtype={c: "string" for c in ESTIMATE_KEY + ["method"]})
    for c in ("n", "N"):
        est[c] = pd.to_numeric(est[c]).astype("Int64")
    for c in ("estimate", "ci_lower", "ci_upper", "ci_level", "p_value"):
        est[c] = pd.to_numeric(est[c]).astype(float)
    return est


def load_cut_outputs(version_dir: Path | str, version: str | None = None) -> CutOutputs:
    """Read a version folder (or a cut folder's current version); adsl and adctdna are required.

    A folder of outputs still being built (no manifest yet, as the report step sees its own
    cut) is read as it is; `version` then names it."""
    p = Path(version_dir)
    building = version is not None and (p / "data" / "adsl.parquet").is_file() and not (p / "manifest.json").is_file()
    v = p if building else resolve_version_dir(p)
    data = v / "data"
    for name in ("adsl.parquet", "adctdna.parquet"):
        if not (data / name).is_file():
            raise ValueError(f"{v}: data/{name} is missing: not the outputs of a cleaned cut")
    manifest = {"version": version} if building else json.loads((v / "manifest.json").read_text(encoding="utf-8"))
    info_path = data / "cut_info.json"
    cut_info = (json.loads(info_path.read_text(encoding="utf-8")) if info_path.is_file()
                else {"cut": manifest.get("cut", "")})
    est_path = v / "results" / "estimates.csv"
    flow_path = data / "flow.csv"
    issues_path = data / "data_issues.csv"
    return CutOutputs(
        adsl=pd.read_parquet(data / "adsl.parquet"),
        adctdna=pd.read_parquet(data / "adctdna.parquet"),
        cut_info=cut_info,
        estimates=read_estimates(est_path) if est_path.is_file() else None,
        flow=pd.read_csv(flow_path) if flow_path.is_file() else None,
        data_issues=(pd.read_csv(issues_path, dtype=str, keep_default_na=False)
                     if issues_path.is_file() else None),
        version=str(manifest.get("version", v.name)),
    )


# -- which cut to compare with --------------------------------------------------------------------

def previous_version_dir(cut_dir: Path | str, this_version: str | Path) -> Path | None:
    """The latest version vM of the same cut with M < N for this_version vN.

    For a version not named vN (the `scratch` of a partial run), the cut's current version.
    """
    cut_dir = Path(cut_dir)
    name = Path(this_version).name
    m = re.fullmatch(r"v(\d+)", name)
    if m is None:
        cur = cut_dir / "current"
        return cur.resolve() if (cur / "manifest.json").is_file() else None
    n = int(m.group(1))
    earlier = [(int(p.name[1:]), p) for p in cut_dir.glob("v*")
               if re.fullmatch(r"v\d+", p.name) and int(p.name[1:]) < n and (p / "manifest.json").is_file()]
    return max(earlier, key=lambda t: t[0])[1].resolve() if earlier else None


# -- comparison helpers ---------------------------------------------------------------------------

def as_text(s: pd.Series) -> pd.Series:
    """Values as comparable text: dates YYYY-MM-DD, numbers in full precision, <NA> = missing."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%d").astype("string")
    return s.astype("string")


def _whole(s: pd.Series) -> bool:
    x = pd.to_numeric(s, errors="coerce").astype(float).dropna()
    return bool(((np.floor(x) == x) & (x.abs() < 2**53)).all())


def text_pair(a: pd.Series, b: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Both sides as text by one rule, so that a column stored as Int64 in one cut and as float
    in the other (a missing value in a plain integer column) does not show 61 -> 61.0."""
    num_a, num_b = pd.api.types.is_numeric_dtype(a), pd.api.types.is_numeric_dtype(b)
    is_bool = pd.api.types.is_bool_dtype(a) or pd.api.types.is_bool_dtype(b)
    if num_a and num_b and not is_bool and (pd.api.types.is_float_dtype(a) != pd.api.types.is_float_dtype(b)):
        if _whole(a) and _whole(b):
            return a.astype("Int64").astype("string"), b.astype("Int64").astype("string")
        return a.astype(float).astype("string"), b.astype(float).astype("string")
    return as_text(a), as_text(b)


def _differ(a: pd.Series, b: pd.Series) -> np.ndarray:
    """a != b elementwise with missing == missing."""
    return ((a != b).fillna(True) & ~(a.isna() & b.isna())).to_numpy(dtype=bool)


def _id_sorted(df: pd.DataFrame, by: list[str], order: dict[str, dict] | None = None) -> pd.DataFrame:
    """Sort ids as numbers sort (HCR-99 before HCR-100): by length, then text; `order` maps
    a column to the rank of its values (e.g. contract column order)."""
    if df.empty:
        return df.reset_index(drop=True)
    keys, tmp = [], {}
    for c in by:
        if order and c in order:
            tmp[f"_r_{c}"] = df[c].map(order[c])
            keys.append(f"_r_{c}")
        else:
            tmp[f"_l_{c}"] = df[c].astype("string").str.len()
            keys += [f"_l_{c}", c]
    out = df.assign(**tmp).sort_values(keys, kind="stable")
    return out.drop(columns=list(tmp)).reset_index(drop=True)


def _frame(df: pd.DataFrame, name: str) -> pd.DataFrame:
    return df.reindex(columns=TABLE_COLUMNS[name]).reset_index(drop=True)


def _unique(df: pd.DataFrame, key: str, what: str) -> None:
    dup = df[key].duplicated(keep=False)
    if dup.any():
        ids = ", ".join(sorted(df.loc[dup, key].astype(str).unique())[:10])
        raise ValueError(f"{what}: {key} is not unique ({ids})")


def cell_changes(old: pd.DataFrame, new: pd.DataFrame, key: str, columns) -> pd.DataFrame:
    """Long table (key, column, old, new) of the cells that differ, for keys present in both.

    One vectorised comparison per column; a column missing from one side is skipped.
    """
    o = old.set_index(key)
    n = new.set_index(key)
    common = n.index[n.index.isin(o.index)]
    o, n = o.loc[common], n.loc[common]
    parts = []
    for col in columns:
        if col not in o.columns or col not in n.columns:
            continue
        a, b = o[col], n[col]
        if a.dtype == b.dtype:  # fast path: compare natively, turn only the differences to text
            cand = _differ(a, b)
            a, b = a[cand], b[cand]
            keys = common[cand]
        else:
            keys = common
        a, b = text_pair(a, b)
        d = _differ(a, b)  # e.g. two times on the same day are the same date
        if d.any():
            parts.append(pd.DataFrame({key: keys[d].astype(object), "column": col,
                                       "old": a.to_numpy()[d], "new": b.to_numpy()[d]}))
    if not parts:
        return pd.DataFrame({key: pd.Series(dtype=object), "column": pd.Series(dtype=object),
                             "old": pd.Series(dtype="string"), "new": pd.Series(dtype="string")})
    out = pd.concat(parts, ignore_index=True)
    out["old"], out["new"] = out["old"].astype("string"), out["new"].astype("string")
    rank = {c: i for i, c in enumerate(columns)}
    return _id_sorted(out, [key, "column"], order={"column": rank})


def _field_kind(ch: pd.DataFrame) -> pd.Series:
    """"follow-up" for the expected growth of follow-up, else "correction".

    Follow-up: a later last contact, a progression or death date filled in where it was empty,
    a status that moves on from on_study. Anything else (a baseline field, a date moved back or
    erased, a status changed between end states) corrects what was reported before.
    """
    col, old, new = ch["column"], ch["old"], ch["new"]
    later = (col == "last_contact") & old.notna() & new.notna() & (new > old)
    filled = col.isin(["progression_date", "death_date"]) & old.isna() & new.notna()
    moved_on = (col == "status") & (old == "on_study") & new.notna()
    follow = (later | filled | moved_on).fillna(False).astype(bool)
    return pd.Series(np.where(follow, "follow-up", "correction"), index=ch.index, dtype=object)


def _removed_reason(ids: pd.Series, new_issues: pd.DataFrame | None) -> pd.Series:
    """Why a participant left the analysis, from the new cut's data issues, which list each
    record whose consent is dated after the cut-off (with the date)."""
    if new_issues is None:
        return pd.Series("not enrolled in the new cut (record deleted, or consent date after "
                         "the cut-off)", index=ids.index, dtype=object)
    hit = new_issues.loc[(new_issues["file"] == "subjects.csv")
                         & (new_issues["column"] == "consent_date")
                         & (new_issues["rule"] == CONSENTED_AFTER_CUTOFF)]
    when = ids.map(hit.drop_duplicates("subject_id").set_index("subject_id")["value"])
    return pd.Series(np.where(when.isna(), "no longer in the subjects export",
                              "consent date now after the cut-off (" + when.astype(str) + ")"),
                     index=ids.index, dtype=object)


# -- the comparison -------------------------------------------------------------------------------

@dataclass(frozen=True)
class CutDiff:
    """Changes from `old_label` to `new_label`; one DataFrame per kind of change.

    Record tables (sorted by id): participants_added, participants_removed, status_changes
    (status at the cut-off), field_changes (raw contract columns; kind "correction" or
    "follow-up"), eligibility_changes, primary_set_changes, samples_added, samples_removed,
    sample_changes. estimate_changes: one row per estimates.csv key of either cut (status added,
    removed, changed, unchanged; "not compared" when one cut has no estimates). flow_changes: step x cohort counts.
    """

    old_cut: str
    new_cut: str
    old_version: str
    new_version: str
    old_synthetic: bool
    new_synthetic: bool
    participants_added: pd.DataFrame
    participants_removed: pd.DataFrame
    status_changes: pd.DataFrame
    field_changes: pd.DataFrame
    eligibility_changes: pd.DataFrame
    primary_set_changes: pd.DataFrame
    samples_added: pd.DataFrame
    samples_removed: pd.DataFrame
    sample_changes: pd.DataFrame
    estimate_changes: pd.DataFrame
    flow_changes: pd.DataFrame
    estimates_available: tuple[bool, bool] = (True, True)
    notes: tuple[str, ...] = field(default=())

    @property
    def old_label(self) -> str:
        return f"cut {self.old_cut}" + (f" ({self.old_version})" if self.old_version else "")

    @property
    def new_label(self) -> str:
        return f"cut {self.new_cut}" + (f" ({self.new_version})" if self.new_version else "")

    @property
    def corrections(self) -> pd.DataFrame:
        return self.field_changes.loc[self.field_changes["kind"] == "correction"].reset_index(drop=True)

    @property
    def follow_up_updates(self) -> pd.DataFrame:
        return self.field_changes.loc[self.field_changes["kind"] == "follow-up"].reset_index(drop=True)

    @property
    def has_changes(self) -> bool:
        records = any(len(getattr(self, t)) for t in RECORD_TABLES)
        est = bool((~self.estimate_changes["status"].isin(["unchanged", "not compared"])).any())
        flow = bool((self.flow_changes["change"].fillna(1) != 0).any())
        return records or est or flow

    def to_frame(self) -> pd.DataFrame:
        """Every record-level change in one long table: change, subject_id, sample_id, column,
        old, new (estimates and flow have their own tables)."""
        return change_log(self)


def _participants(old: CutOutputs, new: CutOutputs) -> dict[str, pd.DataFrame]:
    oa, na = old.adsl, new.adsl
    in_old = na["subject_id"].isin(oa["subject_id"])
    in_new = oa["subject_id"].isin(na["subject_id"])
    added = _id_sorted(_frame(na.loc[~in_old], "participants_added"), ["subject_id"])
    removed = oa.loc[~in_new].copy()
    removed["reason"] = _removed_reason(removed["subject_id"], new.data_issues)
    removed = _id_sorted(_frame(removed, "participants_removed"), ["subject_id"])

    both = oa[["subject_id"]].merge(na, on="subject_id", how="inner")
    prev = oa.set_index("subject_id").reindex(both["subject_id"])

    def pair(col: str) -> tuple[pd.Series, pd.Series]:
        o = prev[col] if col in prev.columns else pd.Series(pd.NA, index=prev.index)
        n = both[col] if col in both.columns else pd.Series(pd.NA, index=both.index)
        return pd.Series(o.to_numpy(), index=both.index), n

    o_st, n_st = pair("status_at_cutoff")
    d = _differ(as_text(o_st), as_text(n_st))
    status = pd.DataFrame({"subject_id": both["subject_id"], "cohort": both.get("cohort"),
                           "old_status": o_st, "new_status": n_st}).loc[d]

    o_el, n_el = pair("eligible")
    o_rs, n_rs = pair("ineligible_reasons")
    d = _differ(as_text(o_el), as_text(n_el)) | _differ(as_text(o_rs), as_text(n_rs))
    elig = pd.DataFrame({"subject_id": both["subject_id"], "cohort": both.get("cohort"),
                         "old_eligible": o_el, "new_eligible": n_el,
                         "old_reasons": o_rs, "new_reasons": n_rs}).loc[d]

    # Membership of the primary analysis set and the baseline result it contributes: the rows
    # that move the primary estimate. Participants of one cut only count as "not in the set".
    ids = pd.concat([oa["subject_id"], na.loc[~in_old, "subject_id"]], ignore_index=True)

    def side(adsl: pd.DataFrame) -> pd.DataFrame:
        cols = [c for c in ("cohort", "primary_set", "baseline_result") if c in adsl.columns]
        s = adsl.set_index("subject_id")[cols].reindex(ids)
        if "primary_set" not in s:
            s["primary_set"] = pd.NA
        if "baseline_result" not in s:
            s["baseline_result"] = pd.NA
        s["primary_set"] = s["primary_set"].astype("boolean").fillna(False)
        return s

    so, sn = side(oa), side(na)
    o_res = so["baseline_result"].astype("string").where(so["primary_set"])
    n_res = sn["baseline_result"].astype("string").where(sn["primary_set"])
    d = _differ(so["primary_set"].astype("string"), sn["primary_set"].astype("string")) | _differ(o_res, n_res)
    cohort = sn["cohort"].where(sn["cohort"].notna(), so["cohort"]) if "cohort" in sn else pd.NA
    prim = pd.DataFrame({"subject_id": ids.to_numpy(), "cohort": np.asarray(cohort, dtype=object),
                         "old_primary_set": so["primary_set"].to_numpy(dtype=bool),
                         "new_primary_set": sn["primary_set"].to_numpy(dtype=bool),
                         "old_baseline_result": o_res.to_numpy(),
                         "new_baseline_result": n_res.to_numpy()}).loc[d]

    fields = cell_changes(oa, na, "subject_id", SUBJECT_FIELDS)
    fields["kind"] = _field_kind(fields)
    return {
        "participants_added": added,
        "participants_removed": removed,
        "status_changes": _id_sorted(_frame(status, "status_changes"), ["subject_id"]),
        "eligibility_changes": _id_sorted(_frame(elig, "eligibility_changes"), ["subject_id"]),
        "primary_set_changes": _id_sorted(_frame(prim, "primary_set_changes"), ["subject_id"]),
        "field_changes": _frame(fields, "field_changes"),
    }


def _samples(old: CutOutputs, new: CutOutputs) -> dict[str, pd.DataFrame]:
    od, nd = old.adctdna, new.adctdna
    added = nd.loc[~nd["sample_id"].isin(od["sample_id"])].copy()
    added["new_participant"] = ~added["subject_id"].isin(old.adsl["subject_id"])
    removed = od.loc[~od["sample_id"].isin(nd["sample_id"])].copy()
    removed["reason"] = np.where(removed["subject_id"].isin(new.adsl["subject_id"]),
                                 "no longer in the analysis (not in the export, or collected "
                                 "after the cut-off)", "participant no longer in the analysis")
    changes = cell_changes(od, nd, "sample_id", SAMPLE_FIELDS)
    subj = nd.set_index("sample_id")["subject_id"]
    changes.insert(1, "subject_id", changes["sample_id"].map(subj).astype(object))
    return {
        "samples_added": _id_sorted(_frame(added, "samples_added"), ["sample_id"]),
        "samples_removed": _id_sorted(_frame(removed, "samples_removed"), ["sample_id"]),
        "sample_changes": _frame(changes, "sample_changes"),
    }


def _empty_estimates() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="string" if c in ESTIMATE_KEY + ["method"] else float)
                         for c in ESTIMATE_COLUMNS})


def _tidy_estimates(est: pd.DataFrame | None, label: str) -> pd.DataFrame:
    if est is None:
        return _empty_estimates()
    missing = [c for c in ESTIMATE_COLUMNS if c not in est.columns]
    if missing:
        raise ValueError(f"{label}: estimates lack column(s) {', '.join(missing)}")
    e = est[ESTIMATE_COLUMNS].copy()
    for c in ESTIMATE_KEY + ["method"]:
        e[c] = e[c].astype("string")
    dup = e.duplicated(ESTIMATE_KEY, keep=False)
    if dup.any():
        keys = e.loc[dup, ESTIMATE_KEY].drop_duplicates().astype(str).agg(", ".join, axis=1)
        raise ValueError(f"{label}: estimates have repeated keys: {'; '.join(keys.head(5))}")
    for c in ("n", "N"):
        e[c] = pd.to_numeric(e[c]).astype("Int64")
    for c in ("estimate", "ci_lower", "ci_upper", "ci_level", "p_value"):
        e[c] = pd.to_numeric(e[c]).astype(float)
    return e


def compare_estimates(old: pd.DataFrame | None, new: pd.DataFrame | None,
                      old_label: str = "old", new_label: str = "new") -> pd.DataFrame:
    """One row per key of either estimates table: old and new values, status, estimate change.

    Numbers are equal when they agree to 12 significant digits (recomputing the same data must not
    show as a change); missing equals missing, inf equals inf. Order: the new table's, then keys
    that only the old one has.
    """
    o, n = _tidy_estimates(old, old_label), _tidy_estimates(new, new_label)
    o = o.assign(_o_order=np.arange(len(o)))
    n = n.assign(_n_order=np.arange(len(n)))
    m = n.merge(o, on=ESTIMATE_KEY, how="outer", suffixes=("_new", "_old"), indicator=True)
    m = m.rename(columns={f"{c}_new": f"new_{c}" for c in ESTIMATE_VALUES}
                 | {f"{c}_old": f"old_{c}" for c in ESTIMATE_VALUES})
    same = np.ones(len(m), dtype=bool)
    for c in _NUMERIC_ESTIMATE_VALUES:
        a = m[f"old_{c}"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        b = m[f"new_{c}"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        same &= np.isclose(a, b, rtol=1e-12, atol=0.0, equal_nan=True) | (a == b)
    same &= ~_differ(m["old_method"], m["new_method"])
    m["status"] = np.select([m["_merge"] == "left_only", m["_merge"] == "right_only", same],
                            ["added", "removed", "unchanged"], "changed")
    if old is None or new is None:  # a cut without estimates: nothing to compare them with
        m["status"] = "not compared"
    with np.errstate(invalid="ignore"):
        m["estimate_change"] = m["new_estimate"].astype(float) - m["old_estimate"].astype(float)
    m["_k"] = m["_n_order"].fillna(len(n) + m["_o_order"])
    m = m.sort_values("_k", kind="stable")
    return _frame(m, "estimate_changes")


def compare_flow(old: pd.DataFrame | None, new: pd.DataFrame | None) -> pd.DataFrame:
    """Counts per step and cohort in both cuts (steps in flow order, then cohort order)."""
    from her2cr.data.flow import STEPS
    from her2cr.study import COHORTS, OVERALL

    cols = ["cohort", "step", "label", "count"]
    o = old[cols] if old is not None else pd.DataFrame(columns=cols)
    n = new[cols] if new is not None else pd.DataFrame(columns=cols)
    m = n.merge(o, on=["cohort", "step"], how="outer", suffixes=("_new", "_old"))
    m["label"] = m["label_new"].where(m["label_new"].notna(), m["label_old"])
    m["old_count"] = pd.to_numeric(m["count_old"]).astype("Int64")
    m["new_count"] = pd.to_numeric(m["count_new"]).astype("Int64")
    m["change"] = m["new_count"] - m["old_count"]
    step_rank = {s: i for i, s in enumerate(STEPS)}
    cohort_rank = {c: i for i, c in enumerate((*COHORTS, OVERALL))}
    m = m.assign(_s=m["step"].map(step_rank).fillna(len(step_rank)),
                 _c=m["cohort"].map(cohort_rank).fillna(len(cohort_rank)))
    m = m.sort_values(["_s", "_c", "step", "cohort"], kind="stable")
    return _frame(m, "flow_changes")


def _flow_of(c: CutOutputs) -> pd.DataFrame | None:
    if c.flow is not None:
        return c.flow
    from her2cr.data.flow import participant_flow

    try:
        return participant_flow(c.adsl)
    except KeyError:  # a hand-made adsl without the derived flags: no flow to compare
        return None


def compare_cuts(old: CutOutputs, new: CutOutputs) -> CutDiff:
    """All changes from the `old` cut's outputs to the `new` one's. Pure: nothing is written."""
    for c in (old, new):
        _unique(c.adsl, "subject_id", f"{c.label} adsl")
        _unique(c.adctdna, "sample_id", f"{c.label} adctdna")
    notes = []
    if bool(old.cut_info.get("synthetic")) != bool(new.cut_info.get("synthetic")):
        notes.append("One of the two cuts is SYNTHETIC and the other is not: the comparison "
                     "is not meaningful.")
    if old.cut and new.cut and pd.Timestamp(old.cut) > pd.Timestamp(new.cut):
        notes.append(f"The earlier cut in this comparison ({old.label}) has the later cut-off.")
    tables = _participants(old, new) | _samples(old, new)
    return CutDiff(
        old_cut=old.cut, new_cut=new.cut, old_version=old.version, new_version=new.version,
        old_synthetic=bool(old.cut_info.get("synthetic")),
        new_synthetic=bool(new.cut_info.get("synthetic")),
        estimate_changes=compare_estimates(old.estimates, new.estimates, old.label, new.label),
        flow_changes=compare_flow(_flow_of(old), _flow_of(new)),
        estimates_available=(old.estimates is not None, new.estimates is not None),
        notes=tuple(notes),
        **tables,
    )


def diff_paths(from_path: Path | str, to_path: Path | str) -> CutDiff:
    """`her2cr diff --from FROM --to TO`: each a cut folder (its current version) or a version."""
    return compare_cuts(load_cut_outputs(from_path), load_cut_outputs(to_path))


def change_log(d: CutDiff) -> pd.DataFrame:
    """Record-level changes stacked: change, subject_id, sample_id, column, old, new (text)."""
    def part(df, change, sample=False, column=None, old=None, new=None):
        if df.empty:
            return None
        return pd.DataFrame({
            "change": change,
            "subject_id": df["subject_id"].astype("string").to_numpy(),
            "sample_id": (df["sample_id"].astype("string").to_numpy() if sample
                          else pd.array([pd.NA] * len(df), dtype="string")),
            "column": df["column"].to_numpy() if column is None else column,
            "old": as_text(df[old]).to_numpy() if old else pd.array([pd.NA] * len(df), dtype="string"),
            "new": as_text(df[new]).to_numpy() if new else pd.array([pd.NA] * len(df), dtype="string"),
        })

    fc = d.field_changes
    parts = [
        part(d.participants_added, "participant_added", column="consent_date", new="consent_date"),
        part(d.participants_removed, "participant_removed", column="consent_date", old="consent_date"),
        part(d.status_changes, "status_at_cutoff", column="status_at_cutoff", old="old_status",
             new="new_status"),
        part(fc.loc[fc["kind"] == "correction"], "field_correction", old="old", new="new"),
        part(fc.loc[fc["kind"] == "follow-up"], "follow_up_update", old="old", new="new"),
        part(d.eligibility_changes, "eligibility", column="eligible", old="old_eligible",
             new="new_eligible"),
        part(d.primary_set_changes, "primary_set", column="baseline_result",
             old="old_baseline_result", new="new_baseline_result"),
        part(d.samples_added, "sample_added", sample=True, column="result", new="result"),
        part(d.samples_removed, "sample_removed", sample=True, column="result", old="result"),
        part(d.sample_changes, "sample_correction", sample=True, old="old", new="new"),
    ]
    parts = [p for p in parts if p is not None]
    cols = ["change", "subject_id", "sample_id", "column", "old", "new"]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in cols})
    return pd.concat(parts, ignore_index=True)[cols]
