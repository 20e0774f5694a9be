"""Reading a raw export as text, defensively.

Every cell is read as a string so that the validator can report the exact value a site typed; a
file that is not a readable comma-separated UTF-8 table stops here with an issue naming it.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from her2cr.data.issues import ERROR, INFO, DataIssue

_OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "vertical bar"}


def _fatal(file: str, rule: str, row: int | None = None, column: str = "", value: str = ""):
    return [DataIssue(file, row, "", column, value, rule, ERROR, "file not read")]


def _not_a_cut(folder: Path) -> str:
    """Why a folder without the contract's file is no cut, when it can be told: it does not exist,
    or it is an EDC export that the intake has not taken in (its mapping, REDCap's records file)."""
    if not folder.is_dir():
        return f" ({folder} is a file, not a folder)" if folder.exists() else f" (the folder {folder} does not exist)"
    if (folder / "mapping.yml").is_file() or any(folder.glob("*_DATA_*.csv")):
        return (f"; {folder} holds an EDC export, not a cut: take it in first (her2cr intake --export "
                f"{folder} --mapping <mapping> --cut <cut-off> --out <folder>, or make report EXPORT={folder} "
                "MAPPING=<mapping>); then give that folder as --raw")
    return ""


def _decode(path: Path, name: str) -> tuple[str | None, list[DataIssue]]:
    if not path.is_file():
        return None, _fatal(name, f"file not found: {path}{_not_a_cut(path.parent)}")
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


class _BadRow(csv.Error):
    """csv.Error at a row, as a spreadsheet shows it (a cell over the csv module's limit)."""

    def __init__(self, exc: csv.Error, row: int):
        super().__init__(str(exc))
        self.row = row


def _records(reader):
    row = 0
    while True:
        try:
            rec = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _BadRow(exc, row + 1) from None
        row += 1
        yield rec


def _scan(text: str) -> tuple[list[str] | None, int, list[int], list[int], dict[int, list[str]]]:
    """One pass of the csv module over the file.

    Returns the header, its spreadsheet row, and for every data record its spreadsheet row, its
    number of fields, and the cells beyond the header where there are any. A spreadsheet shows a
    blank line as a row of its own and a quoted line break inside a cell as no new row: so do we.
    """
    header, header_row, rows, counts, tails = None, 0, [], [], {}
    for k, rec in enumerate(_records(csv.reader(io.StringIO(text))), start=1):
        if not rec:
            continue
        if header is None:
            header, header_row = rec, k
            continue
        rows.append(k)
        counts.append(len(rec))
        if len(rec) > len(header):
            tails[k] = rec[len(header):]
    return header, header_row, rows, counts, tails


def read_raw_csv(path: Path, expected: tuple[str, ...]) -> tuple[pd.DataFrame | None, list[DataIssue]]:
    """Read one raw export as strings, stripped; empty cells become "".

    Returns (table, issues); table is None when the file cannot be read at all. The table's index
    is the spreadsheet row number minus 2, so that index + 2 names the row a reader sees. Column
    names are matched ignoring case and surrounding spaces; extra columns are kept.
    """
    name = path.name
    text, issues = _decode(path, name)
    if text is None:
        return None, issues
    if not text.strip():
        return None, _fatal(name, "file is empty (a header row is required)")
    try:
        header, header_row, rows, counts, tails = _scan(text)
    except _BadRow as exc:
        if "field larger than field limit" in str(exc):  # the csv module's limit, 131,072 characters
            return None, _fatal(name, f"a cell of this row is longer than {csv.field_size_limit():,} characters "
                                "(the most a cell may hold); shorten it at its source", row=exc.row)
        return None, _fatal(name, f"the table is malformed: {exc}", row=exc.row)
    if len(header) == 1 and header[0].strip().lower() not in expected:
        for delim, label in _OTHER_DELIMITERS.items():
            if delim in header[0]:
                return None, _fatal(
                    name, f"the file is {label}-separated; the contract requires commas", row=header_row
                )
    names = [h.strip().lower() for h in header]
    seen: set[str] = set()
    for pos, col in enumerate(names):
        if col == "":
            issues += _fatal(name, f"header cell {pos + 1} is empty", row=header_row)
        elif col in seen:
            issues += _fatal(name, "column name appears twice in the header", row=header_row, column=col)
        seen.add(col)
    if issues:
        return None, issues

    for row, n in zip(rows, counts):
        if n < len(names):
            issues.append(DataIssue(name, row, "", "", "",
                                    f"record has fewer fields ({n}) than the header ({len(names)})",
                                    ERROR, "file not read"))
    for row, tail in tails.items():
        if any(c.strip() for c in tail):
            issues.append(DataIssue(name, row, "", "", ",".join(tail),
                                    f"record has {len(names) + len(tail)} fields, more than the header "
                                    f"({len(names)})", ERROR, "file not read"))
    if issues:
        return None, issues
    if tails:
        # only empty cells beyond the header (a trailing comma, as some exports write): drop them
        issues.append(DataIssue(name, None, "", "", "", f"{len(tails)} records end with empty cells "
                                "beyond the header", INFO, "empty trailing cells ignored"))
        recs = [r[:len(names)] for r in csv.reader(io.StringIO(text)) if r][1:]
        df = pd.DataFrame(recs, columns=names, dtype=object)
    else:
        try:
            df = pd.read_csv(
                io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False,
                skip_blank_lines=True, header=0, names=names, index_col=False, engine="c",
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            return None, _fatal(name, f"the table is malformed: {exc}")
    df.index = pd.Index(np.asarray(rows, dtype=np.int64) - 2)
    df.attrs["header_row"] = header_row
    # Arrow-backed strings: trimming, matching and parsing run in compiled code, not per cell in
    # Python (a 100,000-participant cut has about 400,000 samples).
    df = df.astype("string[pyarrow]").apply(lambda s: s.str.strip())
    df.attrs["header_row"] = header_row
    return df, issues
