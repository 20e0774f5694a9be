"""`her2cr intake --draft-mapping`: a first mapping written from the export itself.

The files are found by their content (the data dictionary by its header, the records by the record
ID column, the laboratory file by the draws' sample IDs, whatever its extension), each in the
encoding and delimiter it is written in. Every contract column gets the field the evidence points
to (names, labels and choices read through vocabulary.csv, English and Japanese) or a TODO; every
choice list is written out with each code's value and the evidence for it, or a TODO that says what
the label names. A value is filled in only when the evidence names exactly one contract value:
never one of two. The intake refuses the draft until every TODO is filled (one message per TODO,
naming its line).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from her2cr.data import contract as C
from her2cr.intake import draft_fields as F
from her2cr.intake import vocabulary as V
from her2cr.intake.dictionary import HEADERS, NO_DATA_TYPES, Field, read_dictionary
from her2cr.intake.draft_lab import LabDraft, file_score
from her2cr.intake.issues import IntakeFailed, issue
from her2cr.intake.records import DAG, EVENT, REPEAT_INSTANCE, REPEAT_INSTRUMENT, labels_export_sign
from her2cr.intake.sniff import Found, read_found, tables

TODO = "TODO"
DRAW_COLUMNS = ("sample_id", "visit", "collection_date")
LAB_COLUMNS = 7
# a study of women: with no sex field in the CRF every participant is F (eligibility E2)
SEX_CONSTANT = "F"


def _q(v: str) -> str:
    return json.dumps(v, ensure_ascii=False)


@dataclass
class Draft:
    text: str
    filled: int
    total: int
    todos: int
    not_found: list[str]
    path: Path | None = None

    def summary(self) -> str:
        s = (f"draft: {self.filled} of {self.total} contract columns filled in, {self.todos} "
             f"TODO{'' if self.todos == 1 else 's'}")
        if self.not_found:
            s += f" (optional, no field found: {', '.join(self.not_found)})"
        return s


def _missing_codes(records, fields: list[Field]) -> list[str]:
    """Tokens standing in date and number fields where a value should be: the project's
    missing-data codes, most likely (REDCap stores them as literal values)."""
    from her2cr.intake.convert import ISO_DATE, NUMBER

    found: list[str] = []
    for f in fields:
        if f.name not in records or not (f.is_date or f.is_number):
            continue
        v = records[f.name].str.strip()
        odd = v[(v != "") & ~v.str.match(ISO_DATE if f.is_date else NUMBER)]
        if f.is_date:
            odd = pd.concat([odd, v[v.str.fullmatch(r"-\d+")]])
        found += [x for x in odd.unique() if re.fullmatch(r"[A-Za-z]{2,5}|-9+", x)]
    return list(dict.fromkeys(found))


def _is_dictionary(found: Found) -> bool:
    header = {h.strip().lower() for h in found.table.header}
    return all(HEADERS[c][0].lower() in header or HEADERS[c][1] in header
               for c in ("field_name", "form_name", "field_type"))


def _records_file(found: dict[str, Found], fields: dict[str, Field], record_id: str) -> tuple[str | None, str]:
    cands = [n for n, f in found.items() if record_id in f.table.header and not _is_dictionary(f)]
    raw = [n for n in cands if labels_export_sign(found[n].table, fields, record_id) is None]
    if not raw:
        return None, (f"no file holds the record ID column {record_id} with raw codes"
                      + (f" ({', '.join(cands)} hold labels: export the raw data)" if cands else ""))
    name = sorted(raw, key=lambda n: ("_DATA_" in n, n))[-1]
    others = [n for n in raw if n != name]
    return name, ("its header holds the record ID column " + record_id
                  + (f"; also {', '.join(others)}: the latest by name taken" if others else ""))


def _column_of(records: pd.DataFrame, name: str) -> pd.Series:
    return records[name].str.strip() if name in records else pd.Series("", index=records.index)


def _forms_at(records: pd.DataFrame | None, fields: dict[str, Field], rows, record_id: str) -> dict[str, pd.Series]:
    """Form -> the events of the rows (a mask) where the form holds data."""
    out = {}
    if records is None:
        return out
    sub = records.loc[rows]
    for form in dict.fromkeys(f.form for f in fields.values()):
        cols = [f.name for f in fields.values() if f.form == form and f.name in sub and f.name != record_id]
        if cols:
            filled = (sub[cols] != "").any(axis=1).to_numpy()
            if filled.any():
                out[form] = _column_of(sub, EVENT)[filled]
    return out


class _Writer:
    def __init__(self):
        self.lines: list[str] = []
        self.filled = 0
        self.not_found: list[str] = []

    def column(self, part: str, cf: C.Field, pick: F.Pick, event_of: dict, main_event: str | None,
               indent: str = "    ") -> None:
        L, k, f = self.lines, F.key(part, cf.name), pick.field
        others = [g for g, _, _ in pick.candidates if f is None or g.name != f.name][:3]
        also = "; other candidates: " + ", ".join(f"{g.name} ({g.label!r})" for g in others) if others else ""
        if f is None:
            if cf.required == "no" and not any(s >= F.FILL for _, s, _ in pick.candidates):
                self.not_found.append(cf.name)
                L.append(f"{indent}# {cf.name}: no field found (optional in the contract: left empty){also}")
                return
            if part == "subjects" and cf.name == "sex" and not pick.candidates:
                L += [f"{indent}{cf.name}:   # no sex field in the dictionary: the study enrols women only "
                      "(eligibility E2)", f"{indent}  constant: {SEX_CONSTANT}"]
                self.filled += 1
                return
            L += [f"{indent}{cf.name}:   # {pick.why}{also}",
                  f"{indent}  field: {TODO}   # a field, or checkbox: / constant:"]
            return
        L.append(f"{indent}{cf.name}:   # {f.name} {f.label!r}: {pick.why}{also}")
        L.append(f"{indent}  {'checkbox' if f.type == 'checkbox' else 'field'}: {f.name}")
        ev = event_of.get(f.form)
        if part == "subjects" and ev and main_event and ev != main_event:
            L.append(f"{indent}  event: {ev}   # the event where form {f.form} is filled in")
        ok = True
        if f.choices and (cf.allowed or cf.pattern or cf.kind in ("integer", "number")):
            L.append(f"{indent}  codes:   # each choice's label, and the value it names")
            for code, label in f.choices.items():
                s = F.choice_value(f, label, k, cf)
                ok &= s.value is not None
                L.append(f"{indent}    {_q(code)}: {_q(s.value) if s.value is not None else TODO}   # {s.evidence}"
                         + ("" if s.value is not None else "; map it to a value of the contract, or to ''"))
        elif not f.choices and cf.allowed:
            L[-1] += "   # free text: carried as typed (the contract's check ignores case and spaces)"
        self.filled += ok


def _read_export(export: Path, encoding: str | None, delimiter: str | None
                 ) -> tuple[dict[str, Found], str, dict[str, Field]]:
    """The export's tables, the dictionary's name and its fields."""
    if not export.is_dir():
        raise IntakeFailed([issue("FILE01", export.name, f"export folder {export} not found")])
    skipped: list = []
    found = tables(export, skipped=skipped)
    dict_name = next((n for n, f in found.items() if _is_dictionary(f)), None)
    if dict_name is None:  # (a file that could not be read may be it: say why)
        raise IntakeFailed([issue("FILE01", export.name, f"no data dictionary in {export} (no file has the "
                                  "header of REDCap's data dictionary); download it from REDCap (Project Setup "
                                  "> Data Dictionary) into the folder")] + skipped)
    if encoding or delimiter:  # as the user says
        for n in list(found):
            again, problems = read_found(found[n].path, encoding or found[n].encoding,
                                         delimiter or found[n].delimiter)
            if again is None and n == dict_name:
                given = " and ".join(o for o, v in (("--encoding", encoding), ("--delimiter", delimiter)) if v)
                raise IntakeFailed([replace(i, message=f"{i.message} ({given} given on the command line: leave "
                                            "it out, and the draft finds it)") for i in problems])
            if again is not None:
                found[n] = again
    dfound = found[dict_name]
    fields_d, problems = read_dictionary(dfound.path, dfound.encoding, dfound.delimiter)
    if fields_d is None:
        raise IntakeFailed(problems)
    return found, dict_name, fields_d


@dataclass
class _Forms:
    """Where each form is filled in (form -> event) and the forms that repeat (form -> how, as a
    repeating 'instrument' or 'event', and its events), as the records show them."""

    event: dict[str, str]
    repeating: dict[str, tuple[str, list[str]]]


def _forms(records: pd.DataFrame | None, fields_d: dict[str, Field], record_id: str) -> _Forms:
    if records is None:
        return _Forms({}, {})
    instrument, instance = _column_of(records, REPEAT_INSTRUMENT), _column_of(records, REPEAT_INSTANCE)
    plain = ((instrument == "") & (instance == "")).to_numpy()
    event = {fm: ev.value_counts().index[0] for fm, ev in _forms_at(records, fields_d, plain, record_id).items()
             if (ev != "").any()}
    ev = _column_of(records, EVENT)
    repeating = {fm: ("instrument", [e for e in dict.fromkeys(ev[instrument == fm]) if e])
                 for fm in dict.fromkeys(instrument[instrument != ""])}
    rep_event = ((instrument == "") & (instance != "")).to_numpy()
    for fm, evs in _forms_at(records, fields_d, rep_event, record_id).items():
        repeating.setdefault(fm, ("event", [e for e in dict.fromkeys(evs) if e]))
    return _Forms(event, repeating)


def _draw_form(fields: list[Field], forms: _Forms, records) -> str | None:
    """The form of the plasma draws: the repeating form whose fields name the draws' columns best
    (any form when nothing repeats); None when no form names two of them."""
    draws_cf = [C.field_map(C.CTDNA)[c] for c in DRAW_COLUMNS]

    def evidence(fm: str) -> float:
        picks = F.assign("draws", draws_cf, [f for f in fields if f.form == fm], records)
        return sum(1 for p in picks.values() if p.field is not None) + (0.5 if fm in forms.repeating else 0)

    cands = list(forms.repeating) or list(dict.fromkeys(f.form for f in fields))
    ranked = sorted(cands, key=lambda fm: -evidence(fm))
    return ranked[0] if ranked and evidence(ranked[0]) >= 2 else None


def _edc_lines(found: dict[str, Found], dict_name: str, rec_name: str | None, rec_why: str,
               record_id: str, missing: list[str]) -> list[str]:
    dfound = found[dict_name]
    rfound = found[rec_name] if rec_name else dfound
    # one encoding and one delimiter for both files: ASCII reads as either encoding
    encoding = "cp932" if "cp932" in (rfound.encoding, dfound.encoding) else rfound.encoding
    delim_line = f"  delimiter: {_q(rfound.delimiter)}   # found from the header"
    if rfound.delimiter != dfound.delimiter:
        delim_line = (f"  delimiter: {TODO}   # the records are cut by {rfound.delimiter!r}, the dictionary by "
                      f"{dfound.delimiter!r}: export them again with one delimiter")
    return [
        "# Draft mapping written by `her2cr intake --draft-mapping` from the export's files.",
        "# Fill in every TODO (the intake refuses the draft until then), check every suggestion against",
        "# the evidence in its comment, and read the table of mapping keys in docs/intake.md.",
        "format: 1",
        "edc:",
        (f"  records: {_q(rec_name)}   # {rec_why}; for later cuts a pattern (not the labels export): "
         f"{_q(rec_name.split('_DATA_')[0] + '_DATA_[0-9]*' + Path(rec_name).suffix)}" if rec_name and "_DATA_" in rec_name
         else f"  records: {_q(rec_name) if rec_name else TODO}   # {rec_why}"),
        f"  dictionary: {_q(dict_name)}   # its header is REDCap's data dictionary's",
        f"  encoding: {encoding}   # found from the bytes" + (" (CP932: Shift_JIS, as Excel saves CSV in Japan)"
                                                            if encoding == "cp932" else ""),
        delim_line,
        f"  record_id: {record_id}   # the dictionary's first field",
        f"  missing_codes: [{', '.join(_q(c) for c in missing)}]   # found in date and number fields; "
        "check them against the project's missing-data codes" if missing else
        "  missing_codes: []   # the project's missing-data codes, e.g. [UNK, NASK, \"-999\"]",
    ]


def _site(w: _Writer, cf: C.Field, records) -> None:
    dags = [d for d in dict.fromkeys(_column_of(records, DAG)) if d] if records is not None else []
    w.lines += ["    site:   # the data access group of each record", "      dag: true", "      codes:"]
    ok = bool(dags)
    for d in dags or [TODO]:
        s = V.resolve(d, "subjects.site", cf.allowed) if d != TODO else \
            V.Suggestion(None, "no data access group in the records")
        ok &= s.value is not None
        w.lines.append(f"        {_q(d)}: {s.value or TODO}   # {s.evidence}" + ("" if s.value else "; NCU, ACC or JFCR"))
    w.filled += ok


def _draws(w: _Writer, draw_form: str | None, forms: _Forms, usable: list[Field], records) -> set[str]:
    """The draws section; returns the draws' sample IDs (to find the laboratory file by)."""
    L = w.lines
    draws_cf = [C.field_map(C.CTDNA)[c] for c in DRAW_COLUMNS]
    L.append("draws:")
    if draw_form is None:
        L += [f"  instrument: {TODO}   # no repeating form's fields name a sample ID and a collection date",
              "  columns:"]
        for cf in draws_cf:
            w.column("draws", cf, F.Pick(None, "no draws form found"), {}, None)
        return set()
    how, evs = forms.repeating.get(draw_form, ("", []))
    L.append(f"  instrument: {draw_form}   # " + {
        "instrument": "the repeating instrument whose fields name the sample and its date",
        "event": "the form of the repeating event whose instances are the draws"}.get(
            how, "its fields name the sample and its date (no repeat found in the records)"))
    if len(evs) == 1:
        L.append(f"  event: {evs[0]}   # " + ("a repeating event: each instance is a draw" if how == "event"
                                          else f"the only event holding {draw_form}"))
    elif how == "event" and len(evs) > 1:
        L.append(f"  event: {TODO}   # the repeating events holding {draw_form}: {', '.join(evs)}")
    L.append("  columns:")
    picks = F.assign("draws", draws_cf, [f for f in usable if f.form == draw_form], records)
    for cf in draws_cf:
        w.column("draws", cf, picks[cf.name], {}, None)
    sid = picks["sample_id"].field
    if sid is not None and records is not None and sid.name in records:
        return set(records[sid.name].str.strip()) - {""}
    return set()


def _lab(found: dict[str, Found], fields: list[Field], skip: tuple, record_id: str, samples: set[str]) -> LabDraft:
    """The laboratory file: the one table (not the EDC's) holding the draws' sample IDs, or else
    whose header names the laboratory's columns."""
    # an EDC file (a labels export, another cut's records) names the dictionary's fields or labels
    edc_words = {f.name for f in fields} | {f.label for f in fields}
    cands = {n: f for n, f in found.items() if n not in skip and not _is_dictionary(f)
             and record_id not in f.table.header and len(edc_words & set(f.table.header)) < 3}
    scored = [(s, n) for s, n in sorted(((file_score(f, samples), n) for n, f in cands.items()), reverse=True)
              if s > 0]
    if scored and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        s, n = scored[0]
        why = "it holds the EDC draws' sample IDs" if s >= 1 else "its header names the laboratory's columns"
        return LabDraft(cands[n], n, samples, why)
    why = ("files that fit equally: " + ", ".join(n for _, n in scored) if scored else
           "no file of the export holds the draws' sample IDs")
    return LabDraft(None, "", samples, why)


def make_draft(export, encoding: str | None = None, delimiter: str | None = None) -> Draft:
    export = Path(export)
    found, dict_name, fields_d = _read_export(export, encoding, delimiter)
    fields = [f for f in fields_d.values() if f.type not in NO_DATA_TYPES]
    record_id = fields[0].name if fields else "record_id"
    rec_name, rec_why = _records_file(found, fields_d, record_id)
    records = found[rec_name].table.frame if rec_name else None
    forms = _forms(records, fields_d, record_id)
    draw_form = _draw_form(fields, forms, records)
    idents = [f for f in fields if F.is_identifier(f) and f.name != record_id]
    usable = [f for f in fields if f not in idents]
    subject_fields = [f for f in usable if f.form != draw_form and f.name != record_id]
    if records is not None:  # the record ID is the subject ID in some projects
        subject_fields.append(next(f for f in fields if f.name == record_id))
    picks = F.assign("subjects", [cf for cf in C.SUBJECTS if cf.name != "site"], subject_fields, records)
    events = [e for e in dict.fromkeys(_column_of(records, EVENT)) if e] if records is not None else []
    at = [forms.event[p.field.form] for p in picks.values() if p.field is not None and p.field.form in forms.event]
    main_event = max(dict.fromkeys(at), key=at.count) if events and at else None

    w = _Writer()
    L = w.lines
    L += _edc_lines(found, dict_name, rec_name, rec_why, record_id,
                    _missing_codes(records, fields) if records is not None else [])
    L += ["subjects:",
          (f"  event: {main_event}   # the event of most subject fields; the export's events: {', '.join(events)}"
           if main_event else "  # a classic project (no events): no subjects.event" if records is not None
           else "  # no records file: whether subjects.event is needed cannot be told"), "  columns:"]
    for cf in C.SUBJECTS:
        if cf.name == "site":
            _site(w, cf, records)
        else:
            w.column("subjects", cf, picks[cf.name], forms.event, main_event)
    used = {p.field.name for p in picks.values() if p.field is not None}
    L.append(f"  not_used: [{', '.join(f.name for f in idents)}]   # identifiers (flagged, or named so by their "
             "label): never copied")
    rest = [f.name for f in usable if f.name not in used and f.name != record_id and f.form != draw_form]
    if rest:
        L.append(f"  # not mapped yet (map them, or add them to not_used): {', '.join(rest)}")
    samples = _draws(w, draw_form, forms, usable, records)
    lab = _lab(found, fields, (dict_name, rec_name), record_id, samples)
    L += lab.lines
    w.filled += lab.filled
    L += ["reconciliation:", "  date_tolerance_days: 0   # the EDC's and the laboratory's collection dates agree "
          "to the day"]
    todos = sum(TODO in line.split("#")[0] for line in L)
    total = len(C.SUBJECTS) + len(DRAW_COLUMNS) + LAB_COLUMNS
    return Draft("\n".join(L) + "\n", w.filled, total, todos, w.not_found)


def draft_mapping(export, encoding: str | None = None, delimiter: str | None = None) -> str:
    return make_draft(export, encoding, delimiter).text


def write_draft(export, out, encoding: str | None = None, delimiter: str | None = None) -> Draft:
    out = Path(out)
    if out.resolve().is_relative_to(Path(export).resolve()):
        raise IntakeFailed([issue("FILE01", out.name, f"{out} is inside the export folder; the intake never "
                                  "writes there: choose another --out")])
    d = make_draft(export, encoding, delimiter)
    out.write_text(d.text, encoding="utf-8")
    d.path = out
    return d
