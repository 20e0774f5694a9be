"""`her2cr intake --draft-mapping`: a first mapping written from the data dictionary.

Every contract column gets the candidate fields found by name and label (the best one filled in,
the others in a comment) or a TODO; every choice list is written out with its codes and labels,
ready for the code map (a code whose label names a contract value is filled in, the others are
TODO); fields flagged as identifiers are listed as not used. The intake refuses the draft until
every TODO is filled (one message per TODO, naming its line).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from her2cr.data import contract as C
from her2cr.intake.dictionary import NO_DATA_TYPES, Field, read_dictionary
from her2cr.intake.issues import IntakeFailed, issue
from her2cr.intake.records import DAG, EVENT
from her2cr.intake.textio import read_table

KEYWORDS = {
    "subject_id": ["subject_id", "subject", "study_id", "対象者"], "cohort": ["cohort", "arm", "コホート"],
    "consent_date": ["consent", "同意"], "age": ["age", "年齢"], "sex": ["sex", "gender", "性別"],
    "race": ["race", "人種"], "ethnicity": ["ethnic", "民族"], "menopausal_status": ["meno", "閉経"],
    "ecog": ["ecog", "performance", "ps"], "hr_status": ["hr", "hormone", "受容体"],
    "presentation": ["presentation", "de novo", "recurren"], "visceral_mets": ["visceral", "内臓"],
    "brain_mets": ["brain", "脳"], "prior_lines": ["prior", "lines"], "anti_her2": ["regimen", "anti_her2", "レジメン"],
    "best_response": ["best_response", "best response", "最良"], "anti_her2_start": ["start", "開始"],
    "response_date": ["response_date", "response date", "奏効日"], "anti_her2_stop": ["stop", "中止日"],
    "status": ["status", "転帰"], "last_contact": ["last_contact", "last contact", "最終"],
    "progression_date": ["progression", "pd_date", "増悪"], "death_date": ["death", "死亡"],
    "sample_id": ["sample", "specimen", "検体"], "visit": ["visit", "時点"],
    "collection_date": ["draw_date", "collection", "採血日", "date"],
}
LAB_KEYWORDS = {
    "subject_id": ["patient", "subject"], "sample_id": ["specimen", "sample", "accession"],
    "collection_date": ["collection", "draw"], "result": ["result", "call"], "mtm_per_ml": ["mtm"],
    "variants_detected": ["variants_detected", "detected", "variant"], "panel_size": ["panel"],
}
TODO = "TODO"


def _score(target: str, f: Field, kind: str) -> int:
    name, label = f.name.lower(), f.label.lower()
    s = 0
    if name == target:
        s = 6
    for k in KEYWORDS.get(target, []):
        if k in name:
            s = max(s, 4 if name.startswith(k) else 3)
        elif k in label:
            s = max(s, 2)
    if s and kind == "date":
        s += 1 if f.is_date else -2
    return s


def candidates(target: str, fields: list[Field], kind: str) -> list[Field]:
    scored = [(_score(target, f, kind), i, f) for i, f in enumerate(fields)]
    return [f for s, i, f in sorted(scored, key=lambda x: (-x[0], x[1])) if s >= 2][:3]


def _q(v: str) -> str:
    return json.dumps(v, ensure_ascii=False)


def _norm(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def _code_for(label: str, allowed: tuple[str, ...] | None, pattern: str | None) -> str:
    """The contract value a choice's label names: the whole label, or the part in parentheses, or
    the part before them (Japanese labels often carry the English word in parentheses)."""
    inner = re.findall(r"\(([^()]*)\)", label)
    before = re.split(r"[(（]", label)[0]
    phrases = [label, *inner, before, *[x.split(",")[-1] for x in (label, before)]]
    for phrase in phrases:
        n = _norm(phrase)
        if allowed is None:
            if pattern and n and re.fullmatch(pattern, n):
                return n
            continue
        exact = [a for a in allowed if _norm(a) == n]
        if exact:
            return exact[0]
    if allowed is None:
        return TODO
    hits = [a for a in allowed if re.search(rf"(?<![a-z]){re.escape(a.lower())}(?![a-z])", label.lower())]
    return hits[0] if len(hits) == 1 else TODO


def _codes_block(f: Field, cf, indent: str) -> list[str]:
    lines = [f"{indent}codes:"]
    allowed = cf.allowed if cf is not None and cf.allowed else None
    for code, label in f.choices.items():
        lines.append(f"{indent}  {_q(code)}: {_q(_code_for(label, allowed, cf.pattern if cf is not None else None))}   # {label}")
    return lines


def _column(target: str, cf, fields: list[Field], used: set, indent: str) -> list[str]:
    kind = cf.kind if cf is not None else "text"
    cands = [f for f in candidates(target, fields, kind) if f.name not in used]
    about = ", ".join(f"{f.name} ({f.label})" for f in cands) or "none found by name or label"
    lines = [f"{indent}{target}:   # candidates: {about}"]
    if not cands:
        lines.append(f"{indent}  field: {TODO}   # a field, or checkbox: / constant: ; delete if not collected")
        return lines
    f = cands[0]
    used.add(f.name)
    lines.append(f"{indent}  {'checkbox' if f.type == 'checkbox' else 'field'}: {f.name}")
    if f.identifier:
        lines.append(f"{indent}  identifier_reason: {TODO}   # {f.name} is flagged as an identifier")
    if f.choices and not (kind in ("integer", "number") and all(re.fullmatch(r"-?\d+", c) for c in f.choices)):
        lines += _codes_block(f, cf, indent + "  ")
    return lines


def _form_events(frame, fields: dict[str, Field]) -> dict[str, str]:
    """The event where each form is filled in (most rows with the form's data), from the records."""
    out = {}
    nonrep = frame[frame["redcap_repeat_instrument"].str.strip() == ""] if "redcap_repeat_instrument" in frame \
        else frame
    for form in dict.fromkeys(f.form for f in fields.values()):
        record_id = next(iter(fields))
        cols = [f.name for f in fields.values() if f.form == form and f.name in nonrep and f.name != record_id]
        if not cols:
            continue
        filled = (nonrep[cols] != "").any(axis=1)
        counts = nonrep.loc[filled.to_numpy(), EVENT].value_counts()
        if len(counts):
            out[form] = str(counts.index[0])
    return out


RESULT_WORDS = {"DETECTED": "POSITIVE", "NOT DETECTED": "NEGATIVE", "POSITIVE": "POSITIVE",
                "NEGATIVE": "NEGATIVE", "QNS": "QNS", "TEST FAILED": "FAILED", "FAILED": "FAILED"}


def _lab_rules(lab, cols: dict) -> list[str]:
    """result_codes from the words the file holds, the MTM/mL qualifiers it uses, and a corrections
    rule when a sample comes twice."""
    words = []
    if lab is not None and cols.get("result"):
        words = [w for w in dict.fromkeys(lab[cols["result"]].str.strip()) if w]
    words = words or list(RESULT_WORDS)[:2] + ["QNS", "TEST FAILED"]
    L = ["  result_codes:   # the laboratory's result words: POSITIVE, NEGATIVE, QNS or FAILED"]
    L += [f"    {_q(w)}: {RESULT_WORDS.get(w.upper(), TODO)}" for w in words]
    mtm = lab[cols["mtm_per_ml"]].str.strip() if lab is not None and cols.get("mtm_per_ml") else None
    nd = [w for w in dict.fromkeys(mtm) if w and not re.match(r"^[<>]?\s*[\d.]", w)] if mtm is not None else []
    L += ["  mtm_qualifiers:", f"    not_detected: [{', '.join(_q(w) for w in nd) or 'ND'}]   # written as 0"]
    for key, sign, rules in (("below_limit", "<", "limit (x) | half (x/2) | missing (empty)"),
                             ("above_limit", ">", "limit (x) | missing")):
        seen = mtm is not None and mtm.str.startswith(sign).any()
        L.append(f"    {key}: {TODO if seen else 'limit'}   # '{sign}x' -> {rules}"
                 + ("" if seen else f"; no '{sign}' value in the file yet"))
    sample = cols.get("sample_id")
    if lab is not None and sample and lab[sample].duplicated().any():
        by = next((h for h in lab.columns if re.search(r"report|result_date|resulted|sent", h, re.I)), TODO)
        L.append(f"  corrections: {{keep: newest, by: {by}}}   # samples come twice: a cumulative file")
    else:
        L.append("  # corrections: {keep: newest, by: REPORT_DATE}   # for a cumulative file that resends results")
    return L


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


def _find(export: Path, patterns: list[str]) -> str:
    for pat in patterns:
        hits = sorted(p.name for p in export.glob(pat) if p.is_file())
        if len(hits) == 1:
            return hits[0]
    return TODO


def draft_mapping(export, encoding: str = "utf-8", delimiter: str = ",") -> str:
    export = Path(export)
    if not export.is_dir():
        raise IntakeFailed([issue("FILE01", export.name, f"export folder {export} not found")])
    dict_name = _find(export, ["*DataDictionary*.csv", "*dictionary*.csv", "*metadata*.csv"])
    if dict_name == TODO:
        raise IntakeFailed([issue("FILE01", export.name, f"no data dictionary (*DataDictionary*.csv) in "
                                  f"{export}; download it from REDCap (Project Setup > Data Dictionary)")])
    fields_d, problems = read_dictionary(export / dict_name, encoding, delimiter)
    if fields_d is None:
        raise IntakeFailed(problems)
    fields = [f for f in fields_d.values() if f.type not in NO_DATA_TYPES]
    record_id = fields[0].name if fields else "record_id"
    rec_name = next((p.name for p in sorted(export.glob("*_DATA_*.csv")) if "_LABELS_" not in p.name), TODO)
    dags: list[str] = []
    events: list[str] = []
    form_event: dict[str, str] = {}
    records = None
    if rec_name != TODO:
        t, _ = read_table(export / rec_name, encoding, delimiter)
        records = t.frame if t is not None else None
        if records is not None and DAG in records:
            dags = [d for d in dict.fromkeys(records[DAG].str.strip()) if d]
        if records is not None and EVENT in records:
            events = [e for e in dict.fromkeys(records[EVENT].str.strip()) if e]
            form_event = _form_events(records, fields_d)
    others = [p for p in sorted(export.glob("*.csv")) if p.name not in (dict_name, rec_name)
              and "_LABELS_" not in p.name]
    lab_name = others[0].name if len(others) == 1 else TODO
    lab = None
    if lab_name != TODO:
        t, _ = read_table(export / lab_name, "utf-8", ",")
        lab = t.frame if t is not None else None
    lab_header: list[str] = list(lab.columns) if lab is not None else []
    forms = list(dict.fromkeys(f.form for f in fields))
    draw_form = next((fm for fm in forms if re.search(r"draw|plasma|sample|採血|検体", fm, re.I)), TODO)
    draw_events = []
    if records is not None and EVENT in records and "redcap_repeat_instrument" in records:
        draw_events = [e for e in dict.fromkeys(records.loc[records["redcap_repeat_instrument"] == draw_form,
                                                            EVENT]) if e]
    missing = _missing_codes(records, fields) if records is not None else []
    subject_fields = [f for f in fields if f.form != draw_form and f.name != record_id]
    main_event = form_event.get(subject_fields[0].form, TODO) if subject_fields and form_event else TODO
    draw_fields = [f for f in fields if f.form == draw_form]
    used: set = set()
    L = [
        "# Draft mapping written by `her2cr intake --draft-mapping` from the data dictionary.",
        "# Fill in every TODO (the intake refuses the draft until then), check every suggestion, and",
        "# read the table of mapping keys in docs/intake.md. Candidates are found by field name and label only.",
        "format: 1",
        "edc:",
        (f"  records: {_q(rec_name)}   # or a pattern for later cuts: "
         f"{_q(rec_name.split('_DATA_')[0] + '_DATA_*.csv')}" if rec_name != TODO else f"  records: {TODO}"),
        f"  dictionary: {_q(dict_name)}",
        f"  encoding: {encoding}",
        f"  delimiter: {_q(delimiter)}",
        f"  record_id: {record_id}",
        (f"  missing_codes: [{', '.join(_q(c) for c in missing)}]   # found in date and number fields; "
         "check them against the project's missing-data codes" if missing else
         "  missing_codes: []   # the project's missing-data codes, e.g. [UNK, NASK, \"-999\"]"),
        "subjects:",
        (f"  event: {main_event}   # the event of the enrolment fields; the export's events: {', '.join(events)}"
         if events else "  # a classic project (no events): no subjects.event"),
        "  columns:",
    ]
    for cf in C.SUBJECTS:
        if cf.name == "site":
            L.append("    site:   # the data access group of each record")
            L.append("      dag: true")
            L.append("      codes:")
            for d in dags or [TODO]:
                site = next((a for a in cf.allowed if a.lower() == d.lower()), TODO)
                L.append(f"        {_q(d)}: {site}   # NCU, ACC or JFCR")
            continue
        lines = _column(cf.name, cf, subject_fields, used, "    ")
        chosen = next((f for f in subject_fields if lines[1].endswith(f": {f.name}")), None)
        ev = form_event.get(chosen.form) if chosen is not None else None
        if ev and ev != main_event:
            lines.insert(2, f"      event: {ev}   # the event where form {chosen.form} is filled in")
        L += lines
    idents = [f.name for f in fields if f.identifier and f.name not in used]
    L.append(f"  not_used: [{', '.join(idents)}]   # flagged as identifiers: never copied")
    rest = [f.name for f in fields if f.name not in used and f.name not in idents and f.name != record_id
            and f.form != draw_form]
    if rest:
        L.append(f"  # not mapped yet (map them, or add them to not_used): {', '.join(rest)}")
    L += ["draws:", f"  instrument: {draw_form}   # the repeating instrument of the plasma draws"]
    if len(draw_events) == 1:
        L.append(f"  event: {draw_events[0]}   # the only event holding {draw_form}")
    L.append("  columns:")
    ctdna = C.field_map(C.CTDNA)
    for target in ("sample_id", "visit", "collection_date"):
        L += _column(target, ctdna[target], draw_fields, used, "    ")
    L += ["lab:", f"  file: {_q(lab_name)}", "  encoding: utf-8", "  delimiter: \",\"",
          "  layout: sample   # sample (one row per sample) | sample_test (one row per sample and test)",
          "  columns:   # contract column: the laboratory file's column"]
    for target, keys in LAB_KEYWORDS.items():
        hit = next((h for k in keys for h in lab_header if k in h.lower()), TODO)
        L.append(f"    {target}: {_q(hit) if hit != TODO else TODO}")
    L += _lab_rules(lab, {t_: next((h for k in keys for h in lab_header if k in h.lower()), None)
                          for t_, keys in LAB_KEYWORDS.items()})
    L += ["reconciliation:", "  date_tolerance_days: 0"]
    return "\n".join(L) + "\n"


def write_draft(export, out, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    text = draft_mapping(export, encoding, delimiter)
    out = Path(out)
    if out.resolve().is_relative_to(Path(export).resolve()):
        raise IntakeFailed([issue("FILE01", out.name, f"{out} is inside the export folder; the intake never "
                                  "writes there: choose another --out")])
    out.write_text(text, encoding="utf-8")
    return out
