"""One source column -> one contract column, vectorised: missing-data codes, code maps, and the
checks of dates and numbers. Values stay text: a number that parses is written as it stands.

A message never quotes the value of a field flagged as an identifier (it names field and row).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from her2cr.data.dates import NOT_IN_CALENDAR, OUT_OF_RANGE, calendar_problem
from her2cr.intake.issues import IntakeIssue, issue

ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
# REDCap exports a datetime field (datetime_ymd/_dmy/_mdy, datetime_seconds_*) as Y-M-D H:M or
# Y-M-D H:M:S, whatever its validation type: the contract keeps the date
ISO_DATETIME = r"^(\d{4}-\d{2}-\d{2}) (?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?$"
INTEGER = r"^[+-]?\d+$"
SPREADSHEET = r"^(?:=|#(?:N/A|VALUE!|REF!|DIV/0!|NAME\?|NUM!|NULL!)$)"  # Excel's formulas and error values
NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"


@dataclass
class Where:
    """Where the cells of one column are: file, spreadsheet rows, records, the field, an event."""

    file: str
    rows: np.ndarray
    records: np.ndarray
    field: str
    event: str = ""
    identifier: bool = False
    lab: bool = False  # the laboratory's file, not the EDC export: its values are corrected by the lab
    kinds: np.ndarray | None = None  # a workbook's: what each cell was typed as ('a date'; '' for text)

    def at(self, i: int) -> tuple[int, str]:
        return int(self.rows[i]), str(self.records[i])

    def shown(self, value: str) -> str:
        return "" if self.identifier else value

    def say(self, value: str, i: int | None = None) -> str:
        said = "the value (an identifier, not shown)" if self.identifier else f"{value!r}"
        if self.kinds is not None and i is not None and self.kinds[i]:
            said += f" (the cell is {self.kinds[i]})"  # a typed cell of a workbook: not text
        return said


def _emit(rule: str, w: Where, mask: np.ndarray, values: pd.Series, text) -> list[IntakeIssue]:
    out = []
    ev = f"event {w.event}: " if w.event else ""
    for i in np.flatnonzero(mask):
        row, rec = w.at(i)
        v = values.iat[i]
        out.append(issue(rule, w.file, ev + text(w.say(v, i), v), row=row, record=rec, field=w.field,
                         value=w.shown(v)))
    return out


def missing_codes(values: pd.Series, w: Where, codes: list[str]) -> tuple[pd.Series, list[IntakeIssue]]:
    """Declared missing-data codes become empty cells, each listed as a warning."""
    if not codes:
        return values, []
    mask = values.str.strip().isin(codes).to_numpy()
    if not mask.any():
        return values, []
    out = _emit("EDC05", w, mask, values, lambda said, v: f"{said} is a declared missing-data code: "
                "written as an empty cell")
    return values.mask(mask, ""), out


def apply_codes(values: pd.Series, w: Where, codes: dict, choices: dict | None
                ) -> tuple[pd.Series, list[IntakeIssue]]:
    s = values.str.strip()
    mapped = s.map(codes)
    bad = ((s != "") & mapped.isna()).to_numpy()
    listed = ", ".join(choices or codes)

    def text(said, v):
        if choices is not None and v.strip() not in choices:
            return (f"code {said} is not a choice of the dictionary ({listed}); correct it in the EDC "
                    "or add the choice to the dictionary and the mapping's codes")
        return f"code {said} has no entry in the mapping's codes ({listed}); add it to codes"

    out = _emit("EDC01", w, bad, values, text) if bad.any() else []
    return mapped.fillna("").astype(object), out


def _not_a_date(said: str, value: str, w: Where, timed: bool = False) -> str:
    """EDC03's message: a date written another way than YYYY-MM-DD (or, for a datetime field,
    YYYY-MM-DD HH:MM), or written so but not a date of the calendar (2024-02-30), and who corrects
    it: the EDC, or the laboratory. The reason names no part of an identifier's value."""
    fix = ("ask the laboratory to correct it and send the file again" if w.lab
           else "correct the value in the EDC and export again")
    if timed and re.fullmatch(ISO_DATETIME, value.strip(), flags=re.ASCII):
        value = value.strip()[:10]  # its time is fine: the date is not
    if re.fullmatch(ISO_DATE, value.strip(), flags=re.ASCII):  # (not full-width digits: '２０２４-…')
        kind, why = calendar_problem(value)
        if w.identifier or not why:  # (no reason: pandas refused a date the calendar has)
            return f"date {said} {OUT_OF_RANGE if kind == 'range' else NOT_IN_CALENDAR}: {fix}"
        if kind == "range":
            return f"date {said} is written YYYY-MM-DD but is {why}: {fix}"
        return f"date {said} {NOT_IN_CALENDAR} ({why}): {fix}"
    if timed:
        return (f"date and time {said} is not written YYYY-MM-DD HH:MM (REDCap always exports a datetime "
                "field Y-M-D H:M: the file was edited or re-saved by a spreadsheet); the intake never "
                f"guesses a format: {fix}")
    source = ("" if w.lab else " (REDCap always exports Y-M-D: the file was edited or re-saved by a "
              "spreadsheet)")
    return f"date {said} is not written YYYY-MM-DD{source}; the intake never guesses a format: {fix}"


def check_kind(values: pd.Series, w: Where, kind: str) -> tuple[pd.Series, list[IntakeIssue]]:
    """Dates must be ISO YYYY-MM-DD (never guessed), integers and numbers must parse. A datetime
    (a date field whose dictionary validation is datetime_*) is YYYY-MM-DD HH:MM[:SS], or a date
    alone (typed before the validation was set): its date is kept."""
    s = values.str.strip()
    present = (s != "").to_numpy()
    timed = kind == "datetime"
    if timed:
        s = s.str.replace(ISO_DATETIME, r"\1", regex=True)
    if kind in ("date", "datetime"):
        ok = s.str.match(ISO_DATE).to_numpy()
        real = pd.to_datetime(s.where(ok, ""), format="%Y-%m-%d", errors="coerce").notna().to_numpy()
        bad = present & ~(ok & real)
        want = "a date written YYYY-MM-DD"
    elif kind in ("integer", "number"):
        bad = present & ~s.str.match(INTEGER if kind == "integer" else NUMBER).to_numpy()
        want = "a whole number" if kind == "integer" else "a number (decimal point '.')"
    else:
        return values, []
    if not bad.any():
        return s, []
    token = ~s.str.contains(r"\d", regex=True).to_numpy()
    if kind in ("date", "datetime"):  # a negative number is no date written another way: a code (-999)
        token |= s.str.fullmatch(r"-\d+").to_numpy()
    # the laboratory's file has no declared missing-data codes: the laboratory corrects its values
    if w.lab:
        fix = "ask the laboratory to correct it and send the file again"
        token_text = f"is not {want}; {fix}"
    else:
        fix = "correct it in the source"
        token_text = (f"is not {want} and not a declared missing-data code; {fix}, or declare it under "
                      "edc.missing_codes if it means 'no value'")
    # what only a spreadsheet writes: an error value (#N/A, #VALUE!) or a formula (=B2+1); never a
    # missing-data code to declare, nor a value to correct in the EDC
    sheet = bad & s.str.match(SPREADSHEET).to_numpy()
    out = _emit("EDC06", w, sheet, values, lambda said, v: (
        f"{said} is a spreadsheet's {'formula' if v.strip().startswith('=') else 'error value'}, not {want}: "
        + ("a formula of the laboratory's workbook failed; ask the laboratory to correct it and send the "
           "file again" if w.kinds is not None else "the file was opened and saved in a spreadsheet; "
           + ("ask the laboratory to send its file again as it was made" if w.lab
              else "export the records again from the EDC (a spreadsheet may read an export, never save it)"))))
    bad &= ~sheet
    out += _emit("EDC06", w, bad & token, values, lambda said, v: f"{said} {token_text}")
    if kind in ("date", "datetime"):
        out += _emit("EDC03", w, bad & ~token, values, lambda said, v: _not_a_date(said, v, w, timed))
    else:
        out += _emit("EDC04", w, bad & ~token, values, lambda said, v: f"{said} is not {want}; {fix}")
    return s, out
