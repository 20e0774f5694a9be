"""Writing a table of strings as an Excel workbook (.xlsx), byte for byte the same for the same
table: the laboratory file of the synthetic export delivered as a laboratory delivers it.

Dates and whole numbers of the columns named so are typed cells (a date formatted yyyy-mm-dd, an
integer), as a laboratory's workbook holds them; every other cell is text as given (an MTM/mL of
'0.50' keeps its two decimals, as the laboratory reports it). openpyxl stamps the time of saving
into the workbook (docProps/core.xml) and into each part of the zip archive: both are set to a fixed
time, so that the same table gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd

FIXED = dt.datetime(2000, 1, 1)  # the workbook's created/modified stamp, and each zip entry's
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT = re.compile(r"[+-]?(?:0|[1-9]\d{0,14})")  # no leading zeros: '007' stays text


def _typed(value: str, date: bool, integer: bool):
    if date and _ISO.fullmatch(value):
        try:
            return dt.datetime.strptime(value, "%Y-%m-%d")
        except ValueError:
            return value  # 2024-02-30 stays as written: the laboratory's own error
    if integer and _INT.fullmatch(value):
        return int(value)
    return value


def _fixed_zip(data: bytes) -> bytes:
    """The archive with every entry stamped FIXED, and core.xml's created/modified FIXED."""
    stamp = FIXED.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                              lambda m: m.group(1) + stamp.encode() + m.group(3), body)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, body)
    return out.getvalue()


def write_workbook(frame: pd.DataFrame, path, sheet: str = "Results", dates=(), integers=()) -> Path:
    """frame (cells as text) into one sheet of a new workbook at path, header in row 1; the
    columns `dates` hold typed dates, `integers` typed whole numbers, where the text is one."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(list(frame.columns))
    kinds = [(c in dates, c in integers) for c in frame.columns]
    for row in frame.itertuples(index=False):
        ws.append([_typed("" if v is None else str(v), d, i) if (d or i) else v for v, (d, i) in zip(row, kinds)])
    for j, (d, _) in enumerate(kinds, start=1):
        if d:
            for cell in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                if isinstance(cell[0].value, dt.datetime):
                    cell[0].number_format = "yyyy-mm-dd"
    wb.properties.creator = "her2cr"
    wb.properties.created = FIXED
    buf = io.BytesIO()
    wb.save(buf)
    path = Path(path)
    path.write_bytes(_fixed_zip(buf.getvalue()))
    return path
