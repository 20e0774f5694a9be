"""The REDCap records export (raw codes): one row per record x event x repeat instance.

A labels export ("Female", "Checked", "Complete") is refused: the mapping's code maps are written
for the raw codes, and a label is ambiguous once a site renames a choice.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from her2cr.intake.dictionary import Field, checkbox_column
from her2cr.intake.issues import IntakeIssue, issue
from her2cr.intake.textio import Table, read_table

EVENT, REPEAT_INSTRUMENT, REPEAT_INSTANCE, DAG = (
    "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance", "redcap_data_access_group")
SPECIAL = (EVENT, REPEAT_INSTRUMENT, REPEAT_INSTANCE, DAG)
_LABEL_WORDS = {"checked", "unchecked", "complete", "incomplete", "unverified"}
# REDCap names a records export <Project>_DATA_<YYYY-MM-DD>_<HHMM>.csv, by the day it was made
_EXPORTED_ON = re.compile(r"_DATA_(\d{4}-\d{2}-\d{2})_\d{4}\.csv", re.IGNORECASE)


def export_day(file_name: str) -> str | None:
    """The day the records were exported (YYYY-MM-DD), as REDCap's file name gives it; None when
    the name does not (a renamed file, another EDC, a labels export)."""
    m = _EXPORTED_ON.search(file_name)
    if m is None:
        return None
    try:
        return date.fromisoformat(m.group(1)).isoformat()
    except ValueError:
        return None


def labels_export_sign(t: Table, fields: dict[str, Field], record_id: str) -> str | None:
    """Why this looks like a labels export, or None."""
    if record_id not in t.header:
        rf = fields.get(record_id)
        if rf is not None and rf.label and rf.label in t.header:
            return f"its header holds the field labels (e.g. {rf.label!r} for {record_id})"
    forms = {f.form for f in fields.values()}
    for col in t.header:
        is_box = "___" in col and col.split("___", 1)[0] in fields
        is_complete = col.endswith("_complete") and col[: -len("_complete")] in forms
        if is_box or is_complete:
            vals = set(t.frame[col].str.strip().str.lower().unique()) - {""}
            hit = vals & _LABEL_WORDS
            if hit:
                return f"column {col} holds {sorted(hit)[0].capitalize()!r} where a raw export has 0/1/2"
    return None


def read_records(path: Path, fields: dict[str, Field], record_id: str, encoding: str = "utf-8",
                 delimiter: str = ",", mapped: set[str] | None = None) -> tuple[Table | None, list[IntakeIssue]]:
    """mapped: the fields the mapping reads; only their columns (with the special columns and the
    forms' _complete columns, for telling a labels export) are read."""
    name = path.name
    keep = None
    if mapped is not None:
        forms = {f.form for f in fields.values()}

        def keep(header: list[str]) -> list[str]:
            return [h for h in header if h in mapped or h == record_id or h in SPECIAL
                    or (h.endswith("_complete") and h[: -len("_complete")] in forms)
                    or ("___" in h and h.split("___", 1)[0] in mapped)]
    t, issues = read_table(path, encoding, delimiter, expect=(record_id,) + SPECIAL, keep=keep)
    if t is None:
        return None, issues
    sign = labels_export_sign(t, fields, record_id)
    if sign:
        return None, [issue("FILE05", name, f"this is a labels export: {sign}. Export the records again "
                            "with 'CSV / Microsoft Excel (raw data)' (raw codes), not labels", row=1)]
    if record_id not in t.header:
        return None, [issue("FILE06", name, f"the record ID column {record_id!r} is not in the header "
                            f"(first column: {t.header[0]!r}); set edc.record_id in the mapping",
                            row=1, field=record_id)]
    for col in (REPEAT_INSTRUMENT, REPEAT_INSTANCE, EVENT, DAG):
        if col not in t.frame:
            t.frame[col] = ""
    return t, []


def source_columns(field: Field, kind: str, missing_codes: list[str]) -> list[tuple[str, str]]:
    """The export's columns of one mapped source: [(column, code)], code '' for a plain field."""
    if kind != "checkbox":
        return [(field.name, "")]
    codes = list(field.choices) + [c for c in missing_codes if c not in field.choices]
    return [(checkbox_column(field.name, c), c) for c in codes]


def check_events(t: Table, m) -> list[IntakeIssue]:
    """subjects.event and draws.event must be events of the export: a misspelt or another arm's
    event would leave every record without its subject fields (EDC12 for each) or every sample
    without its draw (REC01 for each)."""
    events = list(dict.fromkeys(e for e in t.frame[EVENT].str.strip().to_numpy() if e))
    out = []
    for part in ("subjects", "draws"):
        event = m.get(part, "event")
        if event is None or str(event) in events:
            continue
        said = (f"its events: {', '.join(events[:12])}); correct it in the mapping" if events
                else f"it has no {EVENT}, as a classic project's export); delete {part}.event, or export the "
                "records again with their events")
        out.append(issue("MAP12", m.path.name, f"line {m.line(part, 'event')}: {part}.event {str(event)!r} is "
                         f"no event of the records export {t.name} ({said}",
                         row=m.line(part, "event"), field=f"{part}.event", value=str(event)))
    event, instrument = m.get("draws", "event"), m.get("draws", "instrument")
    if event is not None and str(event) in events:
        # draws at another event would be dropped, and their samples called 'no plasma draw in the EDC'
        elsewhere = ((t.frame[REPEAT_INSTRUMENT].str.strip() == str(instrument))
                     & (t.frame[EVENT].str.strip() != str(event))).to_numpy()
        if elsewhere.any():
            others = list(dict.fromkeys(t.frame[EVENT].str.strip().to_numpy()[elsewhere]))
            rows = ", ".join(str(r) for r in t.rows[elsewhere][:5]) + (", ..." if elsewhere.sum() > 5 else "")
            out.append(issue("MAP12", m.path.name, f"line {m.line('draws', 'event')}: draws.event is {str(event)!r}, "
                             f"but the records export {t.name} also has {instrument} instances at "
                             f"{', '.join(others) or '(no event)'} (rows {rows}), which would not be read; delete "
                             "draws.event to read the draws of every event", row=m.line("draws", "event"),
                             field="draws.event", value=str(event)))
    return out
