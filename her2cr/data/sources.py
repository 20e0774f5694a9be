"""Where a value of a cut taken in by `her2cr intake` came from in the export.

A data manager who reads "subjects.csv, row 5, column cohort" cannot act on it: the intake wrote
that file. So the intake writes, beside the cut, the origin of every row of subjects.csv and
ctdna.csv, and the validation names the export's file, row, record and field after each issue.

The format is defined here, once (the intake writes it, the data stage reads it; data must not
import the intake):
- `sources.csv` (SOURCES_FILE), one row per contract row and origin: `file` (subjects.csv or
  ctdna.csv), `row` (its row as a spreadsheet shows it, header = row 1), `record` (the EDC record
  ID), `origin` (which source row: ORIGIN_DAG, ORIGIN_DRAW, ORIGIN_LAB, ... see below) and
  `source_row` (that row of the source file, as a spreadsheet shows it);
- intake.json's key COLUMNS_KEY: per contract file, per contract column, its `origin`, the source
  `file` and the `field` (the EDC field, or the laboratory's column) the mapping maps to it.
An origin is one row of one source file per contract row: ORIGIN_EVENT + the event name (the
subject's row at that event of the records export; ORIGIN_EVENT alone in a classic project), the
record's first row with a data access group, the plasma draw's row, the laboratory file's row of
the sample (ORIGIN_LAB + a target for a test of a one-row-per-test file), or a constant of the
mapping (no row). No identifier's value is written: only file names, row numbers, record IDs and
field names.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd

from her2cr.data.cutinfo import INTAKE_RECORD
from her2cr.data.issues import ERROR, DataIssue, InputError

SOURCES_FILE = "sources.csv"
SOURCES_COLUMNS = ("file", "row", "record", "origin", "source_row")
COLUMNS_KEY = "columns"  # the key of intake.json that maps contract columns to origins and fields
ORIGIN_EVENT = "edc"  # "edc" (classic project) or "edc:<event>"
ORIGIN_DAG = "edc:dag"
ORIGIN_DRAW = "edc:draw"
ORIGIN_LAB = "lab"  # "lab", or "lab:<target>" for one test of a one-row-per-test laboratory file
ORIGIN_CONSTANT = "constant"


def event_origin(event: str) -> str:
    return f"{ORIGIN_EVENT}:{event}" if event else ORIGIN_EVENT


def column_origin(origin: str, file: str, field: str) -> dict:
    """One entry of intake.json's COLUMNS_KEY map."""
    return {"origin": origin, "file": file, "field": field}


def write_sources(frame: pd.DataFrame, path: Path) -> None:
    """sources.csv (SOURCES_COLUMNS, in that order), written as the intake writes its CSVs."""
    frame.loc[:, list(SOURCES_COLUMNS)].to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _describe(spec: dict, record: str, source_row: str) -> str:
    if spec["origin"] == ORIGIN_CONSTANT:
        return f"{spec['file']}: a constant of the mapping"
    kind = "column" if spec["origin"].startswith(ORIGIN_LAB) else "field"
    return f"{spec['file']}, row {source_row}, record {record}, {kind} {spec['field']}"


def _damaged(name: str, what: str) -> InputError:
    """The intake's own files are not hand-edited: a damaged one is written again by the intake."""
    return InputError([DataIssue(name, None, "", "", "", f"{what}; this file is written by `her2cr "
                                 "intake`: run the intake again to write this folder anew", ERROR,
                                 "cut not analysed")])


def read_columns(raw_dir: Path | str) -> dict | None:
    """intake.json's COLUMNS_KEY map of a cut written by the intake; None for a cut given directly
    in the contract's CSVs (no intake.json), or one whose intake wrote no sources.csv. A damaged
    intake.json raises InputError naming it."""
    raw_dir = Path(raw_dir)
    record, table = raw_dir / INTAKE_RECORD, raw_dir / SOURCES_FILE
    if not (record.is_file() and table.is_file()):
        return None
    try:
        columns = json.loads(record.read_text(encoding="utf-8")).get(COLUMNS_KEY) or None
    except (ValueError, AttributeError) as e:
        raise _damaged(INTAKE_RECORD, f"is not the intake's JSON record ({e})") from None
    ok = columns is None or (isinstance(columns, dict) and all(
        isinstance(specs, dict) and all(isinstance(s, dict) and {"origin", "file", "field"} <= set(s)
                                        for s in specs.values()) for specs in columns.values()))
    if not ok:
        raise _damaged(INTAKE_RECORD, f"its '{COLUMNS_KEY}' map is not the one the intake writes "
                       "(each contract column with origin, file and field)")
    return columns


def sources_of(issues: list[DataIssue], raw_dir: Path | str) -> list[str]:
    """For each issue, where its value came from in the export ('HER2CR_DATA.csv, row 26, record
    4, field cohort'), or '' (no intake, no row, the header row, a column the intake did not
    write)."""
    columns = read_columns(raw_dir)
    out = [""] * len(issues)
    if columns is None:
        return out
    asked = [(k, i.file, int(i.row), columns[i.file][i.column]) for k, i in enumerate(issues)
             if i.row is not None and i.column in columns.get(i.file, {})]
    for k, _, _, spec in asked:
        if spec["origin"] == ORIGIN_CONSTANT:
            out[k] = _describe(spec, "", "")
    asked = [a for a in asked if a[3]["origin"] != ORIGIN_CONSTANT]
    if not asked:
        return out
    try:
        rows = pd.read_csv(Path(raw_dir) / SOURCES_FILE, dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as e:
        raise _damaged(SOURCES_FILE, f"is not a readable table ({e})") from None
    missing = [c for c in SOURCES_COLUMNS if c not in rows.columns]
    if missing:
        raise _damaged(SOURCES_FILE, f"has no column {', '.join(missing)}")
    want = pd.DataFrame({"k": [a[0] for a in asked], "file": [a[1] for a in asked],
                         "row": [str(a[2]) for a in asked], "origin": [a[3]["origin"] for a in asked]})
    hit = want.merge(rows, on=["file", "row", "origin"], how="inner")
    for k, record, source_row in hit[["k", "record", "source_row"]].itertuples(index=False):
        issue = issues[k]
        out[k] = _describe(columns[issue.file][issue.column], record, source_row)
    # no source row: the record has no row at that event (its value was left empty); name the
    # record, known from the row's other origins, and the event
    lost = want.loc[~want["k"].isin(hit["k"])].merge(
        rows.drop_duplicates(["file", "row"])[["file", "row", "record"]], on=["file", "row"], how="inner")
    for k, origin, record in lost[["k", "origin", "record"]].itertuples(index=False):
        issue = issues[k]
        spec = columns[issue.file][issue.column]
        event = origin.partition(":")[2] if origin.startswith(ORIGIN_EVENT + ":") else ""
        if event and origin not in (ORIGIN_DAG, ORIGIN_DRAW):
            out[k] = (f"{spec['file']}, record {record}, field {spec['field']}: the record has no row at event "
                      f"{event}")
    return out


def with_sources(issues: list[DataIssue], raw_dir: Path | str) -> list[DataIssue]:
    """The issues, each that names a row of subjects.csv or ctdna.csv with its origin in the export
    (DataIssue.source); unchanged when the cut did not come through the intake."""
    return [replace(i, source=s) if s else i for i, s in zip(issues, sources_of(issues, raw_dir))]
