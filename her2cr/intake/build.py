"""Apply a checked mapping to the records export: the subjects frame (one row per record) and the
EDC's plasma draws (one row per sample), values kept as text.

Subjects' rows follow the records export's first appearance of each record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from her2cr.data import sources as S
from her2cr.intake import convert as V
from her2cr.intake.dictionary import Field
from her2cr.intake.issues import IntakeIssue, issue
from her2cr.intake.mapping import Column, Mapping, contract_fields
from her2cr.intake.records import DAG, EVENT, REPEAT_INSTANCE, REPEAT_INSTRUMENT, source_columns
from her2cr.intake.textio import Table


def _kind(part: str, target: str, f: Field | None) -> str:
    """How the values are checked: date (datetime: a date field with a time, whose date is kept),
    integer, number or text."""
    cf = contract_fields(part).get(target)
    timed = f is not None and f.is_datetime
    if cf is not None and cf.kind in ("date", "integer", "number"):
        return "datetime" if cf.kind == "date" and timed else cf.kind
    if f is not None and f.is_date:
        return "datetime" if timed else "date"
    if f is not None and f.is_number:  # an extra column from a number field: checked as one
        return "number"
    return "text"


def column_values(c: Column, part: str, frame: pd.DataFrame, where: V.Where, f: Field | None,
                  m: Mapping) -> tuple[pd.Series | None, list[IntakeIssue]]:
    """One mapped column over the rows of `frame` (a field, a checkbox group or a constant)."""
    n = len(frame)
    if c.source == "constant":
        return pd.Series([c.name] * n, index=frame.index, dtype=object), []
    if c.source == "checkbox":
        return _checkbox(c, frame, where, f, m)
    values = frame[c.name]
    values, out = V.missing_codes(values, where, m.missing_codes)
    if c.codes is not None:
        mapped, more = V.apply_codes(values, where, c.codes, f.choices if f and f.choices else None)
        return mapped, out + more
    if f is not None and f.choices:
        mapped, more = V.apply_codes(values, where, {k: k for k in f.choices}, f.choices)
        return mapped, out + more
    kind = _kind(part, c.target, f)
    if kind == "text":
        return values, out
    if f is not None and f.validation == "number_comma_decimal":
        # the dictionary declares a decimal comma (REDCap's number_comma_decimal): '0,35' is 0.35,
        # written with the contract's decimal point; a value with a point or a second comma stays bad
        values = values.str.replace(r"^([+-]?\d+),(\d+)$", r"\1.\2", regex=True)
    checked, more = V.check_kind(values, where, kind)
    return checked, out + more


def _checkbox(c: Column, frame: pd.DataFrame, where: V.Where, f: Field, m: Mapping):
    cols = [(col, code) for col, code in source_columns(f, "checkbox", m.missing_codes) if col in frame]
    boxes = np.column_stack([frame[col].str.strip().to_numpy() for col, _ in cols]) if cols else \
        np.empty((len(frame), 0), dtype=object)
    out = []
    odd = ~np.isin(boxes, ["0", "1", ""])
    for i, j in zip(*np.nonzero(odd)):
        row, rec = where.at(i)
        out.append(issue("EDC01", where.file, f"checkbox column {cols[j][0]} holds {boxes[i, j]!r}; a raw "
                         "export has 0 or 1: export the records again as raw data", row=row, record=rec,
                         field=cols[j][0], value=boxes[i, j]))
    # a box the dictionary and the mapping do not know (the project's missing-data code, e.g.
    # race___nask, not declared under edc.missing_codes): ticked, it is no 'no box is ticked'
    known = {col for col, _ in cols}
    unknown = [col for col in frame.columns if col.startswith(f"{f.name}___") and col not in known]
    other = np.zeros(len(frame), dtype=bool)
    for col in unknown:
        hit = (frame[col].str.strip() == "1").to_numpy()
        other |= hit
        for i in np.flatnonzero(hit):
            row, rec = where.at(i)
            out.append(issue("EDC01", where.file, f"{'event ' + where.event + ': ' if where.event else ''}box "
                             f"{col} is ticked, but its code is no choice of {f.name} in the dictionary "
                             f"({', '.join(f.choices)}) and no declared missing-data code; if it is one of the "
                             "project's missing-data codes, declare it under edc.missing_codes, else correct "
                             "the record in the EDC", row=row, record=rec, field=col, value="1"))
    ticked = boxes == "1"
    n = ticked.sum(axis=1)
    codes = np.array([code for _, code in cols] + [""], dtype=object)
    first = np.where(n == 1, ticked.argmax(axis=1) if cols else 0, len(cols))
    code = pd.Series(codes[first], index=frame.index, dtype=object)
    is_missing = code.isin(m.missing_codes).to_numpy() & (code != "").to_numpy()
    for i in np.flatnonzero(is_missing):
        row, rec = where.at(i)
        out.append(issue("EDC05", where.file, f"box {code.iat[i]!r} (a declared missing-data code) is "
                         "ticked: written as an empty cell", row=row, record=rec, field=c.name,
                         value=code.iat[i]))
    for i in np.flatnonzero((n != 1) & ~(other & (n == 0))):
        row, rec = where.at(i)
        ticks = [cols[j][1] for j in np.flatnonzero(ticked[i])]
        said = "no box is ticked" if not ticks else f"{len(ticks)} boxes are ticked ({', '.join(ticks)})"
        out.append(issue("EDC02", where.file, f"{'event ' + where.event + ': ' if where.event else ''}"
                         f"{said}; {c.name} must have exactly one box ticked: correct it in the EDC",
                         row=row, record=rec, field=c.name, value=",".join(ticks)))
    code = code.mask(is_missing, "")
    if c.codes is None:
        return code, out
    return code.map(c.codes).fillna("").astype(object), out


@dataclass
class Origins:
    """Where the rows of a built frame come from (her2cr/data/sources.py): per origin, the source
    row of each of the frame's rows (NaN: none); per contract column, its origin, file and field."""

    rows: dict[str, np.ndarray] = field(default_factory=dict)
    columns: dict[str, dict] = field(default_factory=dict)


def build_subjects(t: Table, m: Mapping, fields: dict[str, Field], record_id: str
                   ) -> tuple[pd.DataFrame, np.ndarray, list[IntakeIssue], Origins]:
    """subjects frame (contract columns as mapped), the record ID of each of its rows, the issues
    and the origins of its rows."""
    df, name, out = t.frame, t.name, []
    rec = df[record_id].to_numpy(dtype=object)
    records = pd.unique(rec)
    # a row with a repeat instance and no instrument is an instance of a repeating event (REDCap
    # exports them so): not a second row of a non-repeating event (EDC08)
    nonrep_mask = ((df[REPEAT_INSTRUMENT].str.strip() == "") & (df[REPEAT_INSTANCE].str.strip() == "")).to_numpy()
    longitudinal = (df[EVENT] != "").any()
    ev = df[EVENT].to_numpy(dtype=object)
    dup = np.zeros(len(df), dtype=bool)
    dup[nonrep_mask] = df.loc[nonrep_mask, [record_id, EVENT]].duplicated().to_numpy()
    for i in np.flatnonzero(dup):
        out.append(issue("EDC08", name, f"event {ev[i] or '(none)'} is given twice for record {rec[i]} "
                         "(a non-repeating event has one row per record); delete the duplicate in the EDC",
                         row=int(t.rows[i]), record=rec[i]))
    default_event = m.get("subjects", "event")
    result = pd.DataFrame(index=pd.RangeIndex(len(records)))
    warned: set = set()
    instance_only: set = set()
    subject_rows = np.full(len(records), np.nan)
    origins = Origins()
    for c in m.subjects:
        f = fields.get(c.name) if c.source in ("field", "checkbox") else None
        if c.source == "dag" and DAG not in t.header:  # (each record was 'has no data access group')
            out.append(issue("FILE06", name, f"column {DAG} (mapped to {c.target}) is not in the export; export "
                             "the records again with the data access group field (an option of REDCap's export)",
                             row=1, field=DAG))
            continue
        if c.source == "dag":
            vals, more, origins.rows[S.ORIGIN_DAG] = _dag(t, c, records, record_id)
            origins.columns[c.target] = S.column_origin(S.ORIGIN_DAG, name, DAG)
            result[c.target] = vals
            out += more
            continue
        if c.source == "constant":
            result[c.target] = pd.Series([c.name] * len(records), dtype=object)
            origins.columns[c.target] = S.column_origin(S.ORIGIN_CONSTANT, m.path.name, "")
            continue
        event = c.event or default_event
        if f is not None:
            needed = [col for col, code in source_columns(f, c.source, m.missing_codes)
                      if code == "" or code in f.choices]
            missing = [col for col in needed if col not in df]
            if missing:
                out += [issue("FILE06", name, f"column {col} (mapped to {c.target}) is not in the export; "
                              "export the records with every mapped field", row=1, field=col) for col in missing]
                continue
            if longitudinal and not event:
                if "EDC11" not in warned:  # once: the fix (subjects.event) is one line
                    warned.add("EDC11")
                    out.append(issue("EDC11", name, f"the export has events ({EVENT}); say which event "
                                     f"{c.target} and the other subject fields are read from with "
                                     "subjects.event (or a column's event)", field=c.name))
                continue
        sel = nonrep_mask & ~dup & ((ev == event) if event else True)
        sub = df.loc[sel]
        pos = pd.Series(np.flatnonzero(sel), index=rec[sel]).reindex(records)
        have = pos.notna().to_numpy()
        where = V.Where(name, t.rows[sel], rec[sel], c.name, event or "", bool(f and f.identifier))
        got, more = column_values(c, "subjects", sub, where, f, m)
        vals = pd.Series(got.to_numpy(dtype=object), index=rec[sel]).reindex(records).fillna("")
        vals = pd.Series(vals.to_numpy(dtype=object), dtype=object)
        origin = S.event_origin(event or "")
        if origin not in origins.rows:
            origins.rows[origin] = pd.Series(t.rows[sel], index=rec[sel]).reindex(records).to_numpy()
        origins.columns[c.target] = S.column_origin(origin, name, c.name)
        if c.target == "subject_id":
            subject_rows = origins.rows[origin]
        if event and event == default_event and event not in warned:
            warned.add(event)
            # a record whose rows at the subjects' event all carry a repeat instance and no
            # instrument: read as a repeating event's, and so not read; say that, not 'no subject ID'
            at_event = ~nonrep_mask & (df[REPEAT_INSTRUMENT].str.strip() == "").to_numpy() & (ev == event)
            instance_row = pd.Series(t.rows[at_event], index=rec[at_event])
            instance_row = instance_row[~instance_row.index.duplicated()]
            for r in records[~have]:
                if r in instance_row.index:
                    instance_only.add(r)
                    out.append(issue("EDC08", name, f"record {r}'s row at event {event} has a repeat instance "
                                     "and no repeat instrument, as the rows of a repeating event have; the subject "
                                     "fields are read from the one row of a non-repeating event: if the instance "
                                     "was typed into the export, export it again; if the event repeats, read them "
                                     "from another event (subjects.event)", row=int(instance_row[r]), record=r,
                                     field=REPEAT_INSTANCE))
                    continue
                out.append(issue("EDC09", name, f"record {r} has no row for event {event}: its "
                                 "subject fields are left empty", record=r))
        result[c.target] = vals
        out += more
    if "subject_id" in result:
        sid = result["subject_id"]
        sid_field = next(c.name for c in m.subjects if c.target == "subject_id")
        for i in np.flatnonzero((sid.astype(str).str.strip() == "").to_numpy()):
            if records[i] in instance_only:  # (said by its EDC08)
                continue
            row = None if np.isnan(subject_rows[i]) else int(subject_rows[i])
            what = (f"has no row at event {default_event}, so no subject ID ({sid_field})"
                    if row is None and default_event else
                    f"has no subject ID ({sid_field}{' at event ' + default_event if default_event else ''})")
            out.append(issue("EDC12", name, f"record {records[i]} {what}; enter it in the EDC, "
                             "or delete the record if it was created by mistake", row=row,
                             record=str(records[i]), field=sid_field))
        twice = sid.duplicated(keep=False) & (sid != "")
        for s, grp in result.loc[twice].groupby("subject_id", sort=False):
            recs = ", ".join(str(records[i]) for i in grp.index)
            last = grp.index[-1]
            row = None if np.isnan(subject_rows[last]) else int(subject_rows[last])
            out.append(issue("EDC07", name, f"subject {s} is in {len(grp)} records ({recs}); merge or "
                             "correct them in the EDC", row=row, record=str(records[last]),
                             field="subject_id", value=s))
    return result, records, out, origins


def _dag(t: Table, c: Column, records: np.ndarray, record_id: str):
    df, out = t.frame, []
    g = df[[record_id, DAG]].assign(_row=t.rows)
    g = g[g[DAG].str.strip() != ""]
    n_sites = g.groupby(record_id, sort=False)[DAG].nunique()
    for r in n_sites.index[n_sites > 1]:
        rows = g[g[record_id] == r]
        other = rows[rows[DAG] != rows[DAG].iat[0]]   # the first row that leaves the record's group
        out.append(issue("EDC07", t.name, f"record {r} is in {n_sites[r]} data access groups "
                         f"({', '.join(pd.unique(rows[DAG]))}); one subject belongs to one site: correct "
                         "the record's group in the EDC", row=int(other["_row"].iat[0]), record=r,
                         field=DAG, value=other[DAG].iat[0]))
    first = g.drop_duplicates(record_id).set_index(record_id)
    dag = first[DAG].reindex(records).fillna("")
    rows = first["_row"].reindex(records)
    mapped = dag.str.strip().map(c.codes or {})
    for r in records[(mapped.isna()).to_numpy()]:
        d = dag[r]
        row = None if pd.isna(rows[r]) else int(rows[r])
        if d == "":
            msg = f"record {r} has no data access group; assign it to its site's group in the EDC"
        else:
            msg = (f"data access group {d!r} has no entry in the mapping's codes for {c.target} "
                   f"({', '.join(c.codes or {})}); add it")
        out.append(issue("EDC01", t.name, msg, row=row, record=r, field=DAG, value=d))
    return pd.Series(mapped.fillna("").to_numpy(dtype=object), dtype=object), out, rows.to_numpy(dtype=float)


def build_draws(t: Table, m: Mapping, fields: dict[str, Field], record_id: str
                ) -> tuple[pd.DataFrame, list[IntakeIssue], dict[str, dict]]:
    """One row per EDC plasma draw: record, row, and the draws' mapped columns; the issues; and
    the origin of each mapped column (the draw's row, ORIGIN_DRAW, or a constant)."""
    df, name, out = t.frame, t.name, []
    instrument, event = m.get("draws", "instrument"), m.get("draws", "event")
    sel = (df[REPEAT_INSTRUMENT].str.strip() == instrument).to_numpy()
    if event:
        # the instances of a repeating event (an instance, no instrument) at draws.event are draws too
        repeating_event = ((df[REPEAT_INSTRUMENT].str.strip() == "") & (df[REPEAT_INSTANCE].str.strip() != "")
                           ).to_numpy()
        sel = (sel | repeating_event) & (df[EVENT] == event).to_numpy()
    sub = df.loc[sel]
    rec, rows = sub[record_id].to_numpy(dtype=object), t.rows[sel]
    result = pd.DataFrame({"_record": rec, "_row": rows})
    columns = {}
    for c in m.draws:
        f = fields.get(c.name) if c.source in ("field", "checkbox") else None
        columns[c.target] = (S.column_origin(S.ORIGIN_CONSTANT, m.path.name, "") if c.source == "constant"
                             else S.column_origin(S.ORIGIN_DRAW, name, c.name))
        if c.source in ("field", "checkbox"):
            missing = [col for col, code in source_columns(f, c.source, m.missing_codes)
                       if (code == "" or code in f.choices) and col not in df]
            if missing:
                out += [issue("FILE06", name, f"column {col} (mapped to draws' {c.target}) is not in the "
                              "export; export the records with every mapped field", row=1, field=col)
                        for col in missing]
                continue
        if c.source == "dag":
            out.append(issue("MAP03", m.path.name, f"line {c.line}: dag is for subjects.columns.site",
                             row=c.line, field=c.target))
            continue
        where = V.Where(name, rows, rec, c.name, "", bool(f and f.identifier))
        got, more = column_values(c, "ctdna", sub, where, f, m)
        result[c.target] = got.to_numpy(dtype=object)
        out += more
    if "sample_id" in result:
        empty = (result["sample_id"].astype(str).str.strip() == "").to_numpy()
        for i in np.flatnonzero(empty):
            out.append(issue("EDC10", name, f"the {instrument} instance has no sample ID; fill it in, or "
                             "delete the instance if no sample was drawn", row=int(rows[i]), record=rec[i],
                             field=next(c.name for c in m.draws if c.target == "sample_id")))
        result = result.loc[~empty].reset_index(drop=True)
    return result, out, columns
