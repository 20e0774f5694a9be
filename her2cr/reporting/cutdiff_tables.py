"""The change report's tables as a reviewer reads them: names instead of column keys and codes,
each number by the one rule of its kind, and each number traced (her2cr.trace) to its row of the
file that write_diff writes into the version's folder (diff/<table>.csv).

`change_tables(diff)` gives one ChangeTable per kind of change that has rows: estimates, the
participant flow, then the record tables. The report shows them (her2cr.reporting.context), and
diff/summary.md writes the same frames as Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from her2cr.formatting import INFINITY, MINUS, NE, PARAMETER_KINDS, UNITS, is_missing, p_phrase
from her2cr.reporting.cutdiff import CutDiff
from her2cr.trace import Num, Traced, quote

DIFF_DIR = "diff"
MAX_ROWS = 50  # rows of a record table shown in the report; the file has them all
EMPTY = "\u2014"  # a record value that is not there
ARROW = "\u2192"
# the caption of the report's table of all estimates (report/report.ipynb), named in a note here
ESTIMATES_TABLE = "All estimates of this run"

# The raw contract's columns (her2cr.data.contract) as the change tables name them.
FIELD_LABELS = {
    "subject_id": "Participant", "site": "Site", "cohort": "Cohort", "consent_date": "Consent date",
    "age": "Age", "sex": "Sex", "race": "Race", "ethnicity": "Ethnicity",
    "menopausal_status": "Menopausal status", "ecog": "ECOG performance status",
    "hr_status": "Hormone-receptor status", "presentation": "Presentation",
    "visceral_mets": "Visceral metastases", "brain_mets": "Brain metastases",
    "prior_lines": "Prior lines of therapy", "anti_her2": "Anti-HER2 regimen",
    "best_response": "Best response", "anti_her2_start": "Anti-HER2 start date",
    "response_date": "Response date", "anti_her2_stop": "Anti-HER2 stop date",
    "status": "Status", "last_contact": "Last contact", "progression_date": "Progression date",
    "death_date": "Death date", "comment": "Comment",
    "sample_id": "Sample", "visit": "Visit", "collection_date": "Collection date",
    "result": "Result", "mtm_per_ml": "MTM/mL", "variants_detected": "Variants detected",
    "panel_size": "Variants in the panel",
}
DATE_FIELDS = ("consent_date", "anti_her2_start", "response_date", "anti_her2_stop", "last_contact",
               "progression_date", "death_date", "collection_date")
# Codes of the contract and of the derived columns, in words.
CODE_LABELS = {
    "status": {"on_study": "on study", "completed": "completed", "withdrawn": "withdrawn",
               "lost_to_follow_up": "lost to follow-up", "died": "died"},
    "result": {"POSITIVE": "positive", "NEGATIVE": "negative", "QNS": "QNS", "FAILED": "failed"},
    "presentation": {"de_novo": "de novo", "recurrent": "recurrent"},
    "menopausal_status": {"pre": "premenopausal", "post": "postmenopausal"},
    "sex": {"F": "female", "M": "male"},
    "kind": {"correction": "correction", "follow-up": "follow-up update"},
}
YES_NO = {True: "yes", False: "no", "True": "yes", "False": "no"}


@dataclass(frozen=True)
class ChangeTable:
    """One table of the change report: `frame` holds the cells (Traced where they hold numbers)."""

    name: str  # the table of the CutDiff, written to diff/<name>.csv
    title: str
    frame: pd.DataFrame
    notes: list = field(default_factory=list)
    group_by: str | None = None


def _file(name: str) -> str:
    return f"{DIFF_DIR}/{name}.csv"


def _lower_first(label: str) -> str:
    """"Last contact" -> "last contact"; "ECOG performance status" stays."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _absent(value) -> bool:
    """No value: None, NA, NaT, NaN or empty text (formatting.is_missing takes text as missing)."""
    if isinstance(value, str):
        return value == ""
    return value is None or bool(pd.isna(value))


def field_label(column: str, sentence: bool = False) -> str:
    label = FIELD_LABELS.get(column, column.replace("_", " "))
    return _lower_first(label) if sentence else label


def record_value(column: str, value, file: str, key: str):
    """One value of a record as the tables and sentences show it: a code in words, a date as it
    is, MTM/mL by the measure rule, anything else quoted as recorded (traced to its file)."""
    if _absent(value):
        return EMPTY
    if column in ("eligible", "new_participant", "primary_set") or column.endswith(("_eligible", "_primary_set")):
        return YES_NO.get(value, str(value))
    base = column.removeprefix("old_").removeprefix("new_")
    base = {"baseline_result": "result", "status_at_cutoff": "status"}.get(base, base)
    if base in CODE_LABELS and str(value) in CODE_LABELS[base]:
        return CODE_LABELS[base][str(value)]
    if base in DATE_FIELDS:
        return pd.Timestamp(value).strftime("%Y-%m-%d") if isinstance(value, pd.Timestamp) else str(value)
    if base == "mtm_per_ml":
        return Traced(Num(float(value), "measure", file, key, missing=EMPTY))
    if base == "visit":
        return quote(value, file, key, kind="visit")
    return quote(value, file, key)


# -- estimates ------------------------------------------------------------------------------------

def _est_key(row) -> str:
    return f"{row['analysis']} | {row['parameter']} | {row['group']}"


def _num(row, column: str, kind: str) -> Num:
    value = row[column]
    if kind == "count" and not is_missing(value):
        value = int(value)
    return Num(value, kind, _file("estimate_changes"), f"{_est_key(row)} | {column}")


def estimate_cell(row, side: str) -> Traced | str:
    """One cut's estimate: "18.2% (4 of 22 positive; 95% CI 5.2% to 40.3%)", "1.49 (10 of 46
    positive; 95% CI 0.29 to 8.45; p = 0.725)", "chi-square 0.551 (10 events among 48; p = 0.458)",
    "NE (4 events among 24)"; the unrounded values are in diff/estimate_changes.csv."""
    from her2cr.ctdna.labels import count_words

    par = str(row["parameter"])
    kind = PARAMETER_KINDS.get(par, "measure")
    col = lambda c: f"{side}_{c}"  # noqa: E731
    if all(is_missing(row[col(c)]) for c in ("n", "N", "estimate", "p_value")):
        return ""
    unit = "%" if kind == "percent" else UNITS.get(kind, "")

    def value(c):
        n = _num(row, col(c), kind)
        return Traced(n, "" if n.text in (NE, INFINITY, MINUS + INFINITY) else unit)

    head = (Traced("chi-square ", _num(row, col("estimate"), "measure")) if par == "logrank"
            else value("estimate"))
    inner = []
    if not is_missing(row[col("N")]):
        n = None if is_missing(row[col("n")]) else int(row[col("n")])
        words = count_words(par, n, int(row[col("N")]))
        if n is None:
            inner.append(Traced("N = ", _num(row, col("N"), "count")))
        else:
            before, rest = words.split("{n}", 1)
            middle, after = rest.split("{N}", 1)
            inner.append(Traced(before, _num(row, col("n"), "count"), middle,
                                _num(row, col("N"), "count"), after))
    if par != "logrank" and not (is_missing(row[col("ci_lower")]) and is_missing(row[col("ci_upper")])):
        level = "" if is_missing(row[col("ci_level")]) else f"{100 * float(row[col('ci_level')]):g}% "
        limit = (lambda c: value(c)) if kind == "percent" else (lambda c: Traced(_num(row, col(c), kind)))
        inner.append(Traced(f"{level}CI ", limit("ci_lower"), " to ", limit("ci_upper")))
    if not is_missing(row[col("p_value")]):
        p = _num(row, col("p_value"), "p")
        # below the floor the rule writes "<0.001"; a sentence reads "p < 0.001" (p_phrase)
        inner.append(Traced(p_phrase(row[col("p_value")])) if p.text.startswith("<") else Traced("p = ", p))
    parts = [head]
    if inner:
        parts += [" (", *sum(([x, "; "] for x in inner), [])[:-1], ")"]
    return Traced(*parts)


# Changes given as a difference of the two cuts: a difference of odds ratios or of test
# statistics has no meaning on their scale, so those rows show both cuts only.
CHANGE_KINDS = {"percent": "pp", "pp": "pp", "months": "months", "measure": "measure"}


def change_cell(row) -> Traced | str:
    """This cut minus the last one, signed, in the unit of its kind ("+1.5 percentage points")."""
    status = row["status"]
    if status == "added":
        return "new in this cut"
    if status == "removed":
        return "not in this cut"
    kind = CHANGE_KINDS.get(PARAMETER_KINDS.get(str(row["parameter"]), "measure"))
    if kind is None or row["parameter"] == "logrank" or is_missing(row["estimate_change"]):
        return ""
    n = Num(row["estimate_change"], kind, _file("estimate_changes"), f"{_est_key(row)} | estimate_change")
    text = n.text
    if INFINITY in text:
        return ""
    zero = text.lstrip(MINUS).replace("0", "").replace(".", "") == ""
    return Traced("" if zero or text.startswith(MINUS) else "+", n, UNITS.get(kind, ""))


def estimates_table(d: CutDiff) -> ChangeTable | None:
    """The primary estimates, and every other estimate that changed, was added or removed."""
    from her2cr.ctdna.labels import analysis_rank, analysis_title, parameter_name

    e = d.estimate_changes
    if not all(d.estimates_available) or e.empty:
        return None
    keep = e.loc[(e["analysis"] == "primary") | ~e["status"].isin(["unchanged", "not compared"])]
    rows = [(analysis_rank(r["analysis"]), analysis_title(r["analysis"]), parameter_name(r["parameter"]),
             r["group"], estimate_cell(r, "old"), estimate_cell(r, "new"), change_cell(r))
            for _, r in keep.iterrows()]
    frame = pd.DataFrame(rows, columns=["rank", "Analysis", "Estimate of", "Group",
                                        f"Last: {d.old_label}", f"This: {d.new_label}", "Change"])
    frame = frame.sort_values("rank", kind="stable").drop(columns="rank").reset_index(drop=True)
    unchanged = int((e["status"] == "unchanged").sum())
    notes = [
        "Primary estimates, and every other estimate that changed, was added or was removed"
        + (f" ({unchanged} unchanged estimates are not shown)" if unchanged else "") + ". "
        "Counts of a comparison of the cohorts are of both cohorts together. Each quantity is "
        f"written as in the report's table \"{ESTIMATES_TABLE}\", whose note gives the rules; "
        f"{NE}: not estimable. Change: this cut "
        "minus the last, in the unit of the estimate; not given for odds ratios and log-rank "
        "tests, whose differences have no meaning on their scale.",
        "Unrounded values of both cuts: diff/estimate_changes.csv.",
    ]
    return ChangeTable("estimate_changes", "Estimates at the last cut and at this cut", frame, notes,
                       group_by="Analysis")


# -- participant flow -----------------------------------------------------------------------------

def flow_table(d: CutDiff) -> ChangeTable | None:
    """One row per step, one column per cohort: "21 → 25", or "21" when unchanged."""
    f = d.flow_changes
    if f.empty:
        return None
    file = _file("flow_changes")

    def cell(r):
        key = f"step={r['step']} | cohort={r['cohort']}"
        old = Num(None if is_missing(r["old_count"]) else int(r["old_count"]), "count", file,
                  f"{key} | old_count", missing=EMPTY)
        new = Num(None if is_missing(r["new_count"]) else int(r["new_count"]), "count", file,
                  f"{key} | new_count", missing=EMPTY)
        return Traced(old) if old.text == new.text else Traced(old, f" {ARROW} ", new)

    steps = list(dict.fromkeys(f["step"]))
    cohorts = list(dict.fromkeys(f["cohort"]))
    cells = {(r["step"], r["cohort"]): cell(r) for _, r in f.iterrows()}
    labels = f.drop_duplicates("step").set_index("step")["label"]
    frame = pd.DataFrame([[labels[s]] + [cells.get((s, c), "") for c in cohorts] for s in steps],
                         columns=["Step"] + [c.capitalize() for c in cohorts])
    notes = [f"Participants at the last cut {ARROW} at this cut; one number where it did not change."]
    return ChangeTable("flow_changes", "Participant flow at the last cut and at this cut", frame, notes)


# -- record tables --------------------------------------------------------------------------------

# Each record table: its title, then (column of diff/<name>.csv, header) in the order shown.
RECORD_SPECS = {
    "participants_added": ("Participants added", [
        ("subject_id", "Participant"), ("site", "Site"), ("cohort", "Cohort"),
        ("consent_date", "Consent date"), ("eligible", "Eligible"),
        ("baseline_result", "Baseline ctDNA"), ("status_at_cutoff", "Status at the cut-off")]),
    "participants_removed": ("Participants no longer in the analysis", [
        ("subject_id", "Participant"), ("site", "Site"), ("cohort", "Cohort"),
        ("consent_date", "Consent date"), ("status_at_cutoff", "Status at the last cut-off"),
        ("reason", "Why")]),
    "status_changes": ("Status at the cut-off changed", [
        ("subject_id", "Participant"), ("cohort", "Cohort"), ("old_status", "Last cut"),
        ("new_status", "This cut")]),
    "field_changes": ("Changes to existing records: corrections, then follow-up updates", [
        ("subject_id", "Participant"), ("column", "Field"), ("old", "Last cut"), ("new", "This cut"),
        ("kind", "Kind of change")]),
    "eligibility_changes": ("Eligibility changed", [
        ("subject_id", "Participant"), ("cohort", "Cohort"), ("old_eligible", "Eligible, last cut"),
        ("new_eligible", "Eligible, this cut"), ("old_reasons", "Criteria not met, last cut"),
        ("new_reasons", "Criteria not met, this cut")]),
    "primary_set_changes": ("Primary analysis set membership or baseline result changed", [
        ("subject_id", "Participant"), ("cohort", "Cohort"),
        ("old_primary_set", "In the set, last cut"), ("new_primary_set", "In the set, this cut"),
        ("old_baseline_result", "Baseline ctDNA, last cut"),
        ("new_baseline_result", "Baseline ctDNA, this cut")]),
    "samples_added": ("ctDNA samples added", [
        ("sample_id", "Sample"), ("subject_id", "Participant"), ("visit", "Visit"),
        ("collection_date", "Collection date"), ("result", "Result"), ("mtm_per_ml", "MTM/mL"),
        ("new_participant", "New participant")]),
    "samples_removed": ("ctDNA samples no longer in the analysis", [
        ("sample_id", "Sample"), ("subject_id", "Participant"), ("visit", "Visit"),
        ("collection_date", "Collection date"), ("result", "Result"), ("mtm_per_ml", "MTM/mL"),
        ("reason", "Why")]),
    "sample_changes": ("Changes to existing ctDNA samples", [
        ("sample_id", "Sample"), ("subject_id", "Participant"), ("column", "Field"),
        ("old", "Last cut"), ("new", "This cut")]),
}


def record_table(d: CutDiff, name: str, max_rows: int = MAX_ROWS) -> ChangeTable | None:
    """A record table of the diff, its first max_rows rows; each cell traced to its row of
    diff/<name>.csv (row numbers as a spreadsheet shows them: the header is row 1)."""
    df = getattr(d, name)
    if df.empty:
        return None
    title, spec = RECORD_SPECS[name]
    file = _file(name)
    if name == "field_changes":  # corrections first: they are what a reviewer signs off
        df = df.assign(_c=(df["kind"] != "correction").astype(int)).sort_values("_c", kind="stable")
    rows = []
    for i, r in df.head(max_rows).iterrows():
        cells = []
        for column, _ in spec:
            v = r[column]
            if column == "column":
                cells.append(field_label(str(v)))
            elif column in ("old", "new"):
                cells.append(record_value(str(r["column"]), v, file, f"row {i + 2} | {column}"))
            else:
                cells.append(record_value(column, v, file, f"row {i + 2} | {column}"))
        rows.append(cells)
    frame = pd.DataFrame(rows, columns=[h for _, h in spec])
    notes = []
    if len(df) > max_rows:
        notes.append(Traced(f"The first {max_rows} rows of ",
                            Num(len(df), "count", file, "rows (counted)"), f"; all in {file}."))
    if any(c in ("old", "new", "mtm_per_ml") for c, _ in spec):
        notes.append(f"{EMPTY}: no value recorded. MTM/mL to 3 significant digits; other values as "
                     "recorded.")
    return ChangeTable(name, title, frame, notes)


def change_tables(d: CutDiff, max_rows: int = MAX_ROWS) -> list[ChangeTable]:
    """Every table of the change report that has rows, in the order the report shows them."""
    from her2cr.reporting.cutdiff import RECORD_TABLES

    tables = [estimates_table(d), flow_table(d)] + [record_table(d, n, max_rows) for n in RECORD_TABLES]
    return [t for t in tables if t is not None]
