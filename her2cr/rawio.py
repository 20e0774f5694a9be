"""Reading a raw export as text, defensively.

Every cell is read as a string so that the validator can report the exact value a site typed; a
file that is not a readable comma-separated UTF-8 table stops here with an issue naming it.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .dataissues import ERROR, DataIssue

_OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "vertical bar"}


def _fatal(file: str, rule: str, row: int | None = None, column: str = "", value: str = ""):
    return [DataIssue(file, row, "", column, value, rule, ERROR, "file not read")]


def _decode(path: Path, name: str) -> tuple[str | None, list[DataIssue]]:
    if not path.is_file():
        return None, _fatal(name, f"file not found: {path}")
    data = path.read_bytes()
    if not data.strip():
        return None, _fatal(name, "file is empty (a header row is required)")
    if b"\x00" in data[:65536]:
        return None, _fatal(name, "file is binary (contains NUL bytes), not a CSV text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.start + 4].hex(" ")
        return None, _fatal(
            name, f"not valid UTF-8 (byte {exc.start}: {bad}); save the file as UTF-8", row=line
        )
    return text, []


def read_raw_csv(path: Path, expected: tuple[str, ...]) -> tuple[pd.DataFrame | None, list[DataIssue]]:
    """Read one raw export as strings, stripped; empty cells become "".

    Returns (table, issues); table is None when the file cannot be read at all. Column names are
    matched ignoring case and surrounding spaces; extra columns are kept.
    """
    name = path.name
    text, issues = _decode(path, name)
    if text is None:
        return None, issues

    header_line = text.splitlines()[0]
    header = next(csv.reader([header_line]))
    if len(header) == 1 and not any(h.strip().lower() in expected for h in header[:1]):
        for delim, label in _OTHER_DELIMITERS.items():
            if delim in header_line:
                return None, _fatal(
                    name, f"the file is {label}-separated; the contract requires commas", row=1
                )
    names = [h.strip().lower() for h in header]
    seen: set[str] = set()
    for pos, col in enumerate(names):
        if col == "":
            issues += _fatal(name, f"header cell {pos + 1} is empty", row=1)
        elif col in seen:
            issues += _fatal(name, "column name appears twice in the header", row=1, column=col)
        seen.add(col)
    if issues:
        return None, issues

    try:
        df = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False,
            skip_blank_lines=True, header=0, names=names, engine="c",
        )
    except pd.errors.ParserError as exc:
        # e.g. "Expected 8 fields in line 6, saw 10": name the row as a spreadsheet shows it
        m = re.search(r"line (\d+), saw (\d+)", str(exc))
        row = int(m.group(1)) if m else None
        detail = f"record has {m.group(2)} fields, more than the header ({len(names)})" if m else str(exc)
        return None, _fatal(name, f"the table is malformed: {detail}", row=row)

    # The parser pads a short record with empty cells, so count the fields of each record.
    counts = np.fromiter((len(r) for r in csv.reader(io.StringIO(text)) if r), dtype=np.int64)[1:]
    for idx in np.flatnonzero(counts < len(names)):
        issues.append(DataIssue(name, int(idx) + 2, "", "", "",
                                f"record has fewer fields ({counts[idx]}) than the header ({len(names)})",
                                ERROR, "file not read"))
    if issues:
        return None, issues
    # Arrow-backed strings: trimming, matching and parsing run in compiled code, not per cell in
    # Python (a 100,000-participant cut has about 400,000 samples).
    df = df.astype("string[pyarrow]").apply(lambda s: s.str.strip())
    return df, issues
