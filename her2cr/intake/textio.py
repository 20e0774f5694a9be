"""Reading an export's CSV file as text: every cell a string, as it stands in the file.

The declared encoding is honoured (UTF-8 with or without a byte-order mark, or CP932 as Excel
saves CSV in Japan); CRLF line ends are read. A file that is not valid in its encoding stops with
the file, the line and the likely encoding; a file cut by another delimiter stops with the one
found. Rows keep the number a spreadsheet shows (header = row 1).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from her2cr.intake.issues import IntakeIssue, issue

ENCODINGS = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "cp932": "cp932", "shift_jis": "cp932",
             "sjis": "cp932"}
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar", "^": "caret"}


@dataclass
class Table:
    """A CSV file read as text: `frame` (str cells, "" when empty) and the spreadsheet row of each
    record in `rows` (a numpy array aligned with the frame). Read from a workbook
    (her2cr/intake/workbook.py), `kinds` says which cells were typed (date, number, ...: '' for
    text) and `letters` each column's letter."""

    name: str
    frame: pd.DataFrame
    rows: np.ndarray
    header: list[str] = field(default_factory=list)
    kinds: pd.DataFrame | None = None
    letters: dict[str, str] = field(default_factory=dict)


def _suggest(data: bytes, declared: str) -> str:
    for enc, label in (("utf-8", "utf-8"), ("cp932", "cp932")):
        if enc == declared.replace("-sig", ""):
            continue
        try:
            data.decode(enc)
        except UnicodeDecodeError:
            continue
        return (f"it reads as {label}: set `encoding: {label}` for this file in the mapping, "
                f"or save the file again as {declared.replace('-sig', '')}")
    return "save it again as UTF-8 (in Excel: CSV UTF-8) or declare its encoding in the mapping"


def delimiter_problem(delimiter) -> str | None:
    """Why a declared delimiter cannot cut a CSV file (it is one character), or None."""
    if isinstance(delimiter, str) and len(delimiter) == 1:
        return None
    tab = (" (a tab is written \"\\t\" in double quotes: in single quotes YAML keeps the backslash)"
           if delimiter == "\\t" else "")
    return f"delimiter {delimiter!r} is not one character{tab}; use one of , ; | ^ or a tab"


def encoding_problem(encoding) -> str | None:
    """Why a declared encoding cannot be read, or None."""
    e = str(encoding or "utf-8").lower()
    if e.replace("_", "-") in ENCODINGS or e in ENCODINGS:
        return None
    return f"encoding {encoding!r} is not supported; use utf-8 or cp932"


def decode(path: Path, encoding: str) -> tuple[str | None, list[IntakeIssue]]:
    name = path.name
    codec = ENCODINGS.get(encoding.lower().replace("_", "-") if encoding else "utf-8",
                          ENCODINGS.get((encoding or "").lower()))
    if codec is None:
        return None, [issue("MAP03", name, f"encoding {encoding!r} is not supported; use utf-8 or cp932")]
    data = path.read_bytes()
    if not data.strip():
        return None, [issue("FILE04", name, "the file is empty; a header row is required. Export it again")]
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        declared = "utf-8" if codec == "utf-8-sig" else codec
        return None, [issue(
            "FILE02", name, f"line {line} is not valid {declared} (byte {exc.start}: "
            f"{data[exc.start:exc.start + 2].hex(' ')}); {_suggest(data, codec)}")]
    nul = text.find("\x00")
    if nul >= 0:  # the CSV parser ends a cell at a NUL: the rest of it would be lost without a word
        line = text.count("\n", 0, nul) + 1
        return None, [issue("FILE04", name, "this line holds a NUL byte (a damaged file, or one saved as "
                            "UTF-16, Excel's 'Unicode Text'); export it again as CSV", row=line)]
    return text, []


def _first_short_row(text: str, delimiter: str, n: int) -> tuple[int, int] | None:
    """The first row (as a spreadsheet shows it) with fewer than n cells, and its cells; None if none.
    (One pass of the csv module: about 1.5 s for the 74 MB export of 100,000 participants.)"""
    for k, rec in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        if rec and len(rec) < n and k > 1:
            return k, len(rec)
    return None


def read_table(path: Path, encoding: str = "utf-8", delimiter: str = ",",
               expect: tuple[str, ...] = (), keep=None) -> tuple[Table | None, list[IntakeIssue]]:
    """Read one CSV file as strings. `expect`: column names one of which the header must hold,
    used to tell a wrong delimiter from a one-column file. `keep(header) -> columns`: read only
    these (the others, identifiers among them, are never parsed)."""
    name = path.name
    problem = delimiter_problem(delimiter)
    if problem:
        return None, [issue("MAP03", name, problem)]
    text, issues = decode(path, encoding)
    if text is None:
        return None, issues
    first = text.split("\n", 1)[0].rstrip("\r")
    head = next(csv.reader([first], delimiter=delimiter), [])
    if len(head) <= 1 and not (set(expect) & {h.strip() for h in head}):
        for d, label in _DELIMITER_NAMES.items():
            if d != delimiter and d in first:
                return None, [issue(
                    "FILE03", name, f"the header is {label}-separated, but the mapping declares "
                    f"{_DELIMITER_NAMES.get(delimiter, repr(delimiter))} (delimiter: {delimiter!r}); "
                    f"set `delimiter: {d!r}` in the mapping or export the file again with commas", row=1)]
    names = [h.strip() for h in head]
    seen = set()
    for k, n in enumerate(names, start=1):
        if n == "":
            issues.append(issue("FILE04", name, f"header cell {k} is empty; every column needs a name", row=1))
        elif n in seen:
            issues.append(issue("FILE04", name, f"column {n!r} appears twice in the header", row=1, field=n))
        seen.add(n)
    if issues:
        return None, issues
    usecols = None if keep is None else [c for c in names if c in set(keep(names))]
    try:
        df = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                         na_filter=False, header=0, names=names, index_col=False, engine="c",
                         skip_blank_lines=True, quoting=csv.QUOTE_MINIMAL, usecols=usecols)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m:
            return None, [issue("FILE04", name, f"row {m.group(2)} has {m.group(3)} cells, the header "
                                f"{m.group(1)}; a value probably holds the delimiter unquoted: correct "
                                "the file or export it again", row=int(m.group(2)))]
        return None, [issue("FILE04", name, f"the table is malformed ({exc}); export it again")]
    if df.empty:
        return None, [issue("FILE04", name, "the file has a header but no rows; export it again", row=1)]
    # pandas fills a short row with empty cells: a file cut short would lose its last row's values
    # (a last line with quotes may continue a cell of the line before: not counted)
    last = text.rsplit("\n", 1)[-1]
    cells = len(next(csv.reader([last], delimiter=delimiter), [])) if '"' not in last else len(names)
    if not text.endswith("\n") and cells < len(names):
        return None, [issue("FILE04", name, f"the file ends in the middle of this row ({cells} of {len(names)} "
                            "cells, no line end): it was cut short in a download or a copy; export it again",
                            row=text.count("\n") + 1)]
    # ... and a short row elsewhere (a line break typed into an unquoted cell, a hand edit): REDCap
    # writes every cell of every row, so a row with fewer is damage, not empty values
    short = _first_short_row(text, delimiter, len(names))
    if short is not None:
        row, cells = short
        return None, [issue("FILE04", name, f"this row has {cells} of the header's {len(names)} cells: the "
                            "file was damaged or edited (a line break in a value?); export it again",
                            row=row)]
    # Arrow-backed strings: strip, match and compare run in compiled code, not per cell in Python
    # (a 100,000-participant export has about a million rows).
    df = df.astype("string[pyarrow]")
    n_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if n_lines == len(df) + 1:
        rows = np.arange(2, len(df) + 2, dtype=np.int64)
    else:  # blank lines or line breaks inside quoted cells: count as a spreadsheet does
        rows_l, k = [], 0
        for k, rec in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
            if rec and k > 1:
                rows_l.append(k)
        rows = np.asarray(rows_l[: len(df)], dtype=np.int64)
    return Table(name, df, rows, names), []
