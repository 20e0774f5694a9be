"""How a file of an export is written, found from its content: the encoding (UTF-8 or CP932) and
the delimiter of a text table, or an Excel workbook (for the draft mapping, which then writes
what it found into the mapping)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from her2cr.intake.issues import IntakeIssue, issue
from her2cr.intake.textio import Table, read_table

DELIMITERS = (",", "\t", ";", "|", "^")
NOT_TABLES = (".yml", ".yaml", ".json", ".md", ".pdf", ".html", ".htm", ".zip", ".log", ".docx", ".R", ".py")


@dataclass
class Found:
    path: Path
    table: Table
    encoding: str | None   # None for a workbook
    delimiter: str | None
    sheet: str | None = None   # a workbook's sheet, when it has several


def encoding_of(data: bytes) -> str | None:
    """utf-8 (a BOM or not) when the bytes are valid UTF-8, else cp932 when valid CP932, else None."""
    for enc in ("utf-8", "cp932"):
        try:
            data.decode(enc)
        except UnicodeDecodeError:
            continue
        return enc
    return None


def _bad_line(data: bytes, encoding: str) -> str:
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return f"line {line} is not"
    return "it is"


def delimiter_of(text: str) -> str:
    """The delimiter that cuts the header into the most cells, and the next lines into as many."""
    lines = text.lstrip("\ufeff").splitlines()[:20]
    best, cells = ",", 1
    for d in DELIMITERS:
        counts = [len(r) for r in csv.reader(lines, delimiter=d)]
        if counts and counts[0] > cells and all(c == counts[0] for c in counts[1:] if c > 1):
            best, cells = d, counts[0]
    return best


def read_found(path: Path, encoding: str | None = None, delimiter: str | None = None
               ) -> tuple[Found | None, list[IntakeIssue]]:
    """A file of the export as a table, in the encoding and delimiter it is written in (or those
    given)."""
    from her2cr.intake.workbook import is_workbook, read_workbook

    if is_workbook(path):
        t, problems = read_workbook(path)
        return (Found(path, t, None, None) if t is not None else None), problems
    data = path.read_bytes()
    enc = encoding or encoding_of(data)
    if enc is None:
        return None, [issue("FILE02", path.name, f"the file is neither UTF-8 ({_bad_line(data, 'utf-8')}) nor "
                            f"CP932, Shift_JIS ({_bad_line(data, 'cp932')}): it was damaged or saved in another "
                            "encoding; save it again as UTF-8 (in Excel: CSV UTF-8)")]
    text = data.decode("utf-8-sig" if enc == "utf-8" else enc, errors="replace")
    d = delimiter or delimiter_of(text)
    t, problems = read_table(path, enc, d)
    return (Found(path, t, enc, d) if t is not None else None), problems


def tables(export: Path, encoding: str | None = None, delimiter: str | None = None,
           skipped: list | None = None) -> dict[str, Found]:
    """Every file of the export folder that reads as a table (name -> Found); the others are
    skipped, and their problems added to `skipped`."""
    from her2cr.intake.workbook import is_workbook, read_workbook

    out = {}
    for p in sorted(export.iterdir()):
        if not p.is_file() or p.name.startswith(".") or p.suffix.lower() in NOT_TABLES:
            continue
        if is_workbook(p):
            try:
                sheets = pd.ExcelFile(p, engine="openpyxl").sheet_names
            except Exception:  # an .xls or a damaged workbook: not a table the draft can read  # noqa: BLE001
                continue
            for sheet in sheets:
                t, _ = read_workbook(p, sheet)
                if t is not None and len(t.header) > 1:
                    out[p.name if len(sheets) == 1 else f"{p.name} [{sheet}]"] = Found(
                        p, t, None, None, sheet if len(sheets) > 1 else None)
            continue
        f, problems = read_found(p, encoding, delimiter)
        if f is not None and len(f.table.header) > 1:
            out[p.name] = f
        elif skipped is not None:
            skipped += problems
    return out
