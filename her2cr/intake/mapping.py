"""The mapping file (YAML, format 1): where every contract column comes from, checked before any
data is read.

Loading keeps the line of every key (yaml's composer marks), so an unknown key, a wrong value or
an unfilled TODO of a draft is reported at its line. `check_mapping` then checks the mapping
against the data dictionary and the data contract: fields that exist, code maps that cover every
choice (also those no record uses yet), targets the contract allows, identifiers mapped only with
a reason, and dictionary fields neither mapped nor listed as not used (a warning).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from her2cr.data import contract as C
from her2cr.intake.dictionary import NO_DATA_TYPES, Field
from her2cr.intake.issues import IntakeIssue, issue
from her2cr.intake.textio import delimiter_problem, encoding_problem

FORMAT = 1
# The grammar of format 1: key -> kind. A dict is a nested mapping of fixed keys; ("map", x) a
# mapping of free keys whose values are x; ("list", x) a list of x.
COLUMN = {"field": str, "dag": bool, "checkbox": str, "constant": str, "codes": ("map", str),
          "event": str, "identifier_reason": str}
SCHEMA = {
    "format": int,
    "edc": {"records": str, "dictionary": str, "encoding": str, "delimiter": str, "record_id": str,
            "missing_codes": ("list", str)},
    "subjects": {"event": str, "columns": ("map", COLUMN), "not_used": ("list", str)},
    "draws": {"instrument": str, "event": str, "columns": ("map", COLUMN), "not_used": ("list", str)},
    "lab": {"file": str, "sheet": str, "encoding": str, "delimiter": str, "layout": str, "columns": ("map", str),
            "tests": {"column": str, "value": str, "codes": ("map", str)},
            "result_codes": ("map", str), "visit_codes": ("map", str),
            "mtm_qualifiers": {"not_detected": ("list", str), "not_detected_value": str, "below_limit": str, "above_limit": str},
            "corrections": {"keep": str, "by": str}},
    "reconciliation": {"date_tolerance_days": int},
}
REQUIRED_KEYS = (("format",), ("edc",), ("edc", "records"), ("edc", "dictionary"), ("subjects",),
                 ("subjects", "columns"), ("draws",), ("draws", "instrument"), ("draws", "columns"),
                 ("lab",), ("lab", "file"), ("lab", "columns"), ("lab", "result_codes"))
SOURCES = ("field", "dag", "checkbox", "constant")
LAYOUTS = ("sample", "sample_test")
LIMIT_RULES = {"below_limit": ("limit", "half", "missing"), "above_limit": ("limit", "missing")}
DRAW_COLUMNS = ("sample_id", "visit", "collection_date")   # from the EDC draw
LAB_COLUMNS = ("subject_id", "sample_id", "collection_date", "result", "mtm_per_ml",
               "variants_detected", "panel_size")
LAB_REQUIRED = ("subject_id", "sample_id", "result", "mtm_per_ml", "variants_detected", "panel_size")
LAB_CHECKED = ("visit",)  # a laboratory column compared with the EDC draw's (lab.visit_codes), never copied
VISIT_RULE = C.field_map(C.CTDNA)["visit"].rule
TODO = re.compile(r"^\s*TODO\b")


@dataclass
class Column:
    target: str
    source: str          # field | dag | checkbox | constant
    name: str            # the field, the checkbox group or the constant's value
    codes: dict | None   # code -> contract word ("" = no value); None when no code map is given
    event: str | None
    identifier_reason: str
    line: int


@dataclass
class Mapping:
    path: Path
    data: dict
    lines: dict                      # key path (tuple) -> line number
    subjects: list[Column] = field(default_factory=list)
    draws: list[Column] = field(default_factory=list)

    def line(self, *path) -> int | None:
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path)

    def get(self, *path, default=None):
        d = self.data
        for p in path:
            if not isinstance(d, dict) or p not in d:
                return default
            d = d[p]
        return default if d is None else d

    @property
    def missing_codes(self) -> list[str]:
        return [str(c) for c in self.get("edc", "missing_codes", default=[])]


def _scalar(node: yaml.ScalarNode):
    """A scalar as text, except YAML's null, booleans and integers where the grammar wants them."""
    tag = node.tag.rsplit(":", 1)[-1]
    if tag == "null":
        return None
    if tag == "bool":
        # only true and false, as YAML 1.2: `"0": no` in a code map is the word 'no' the data
        # manager wrote (YAML 1.1's False made it 'false', refused as no value of the contract)
        lowered = node.value.lower()
        return lowered == "true" if lowered in ("true", "false") else node.value
    if tag == "int":
        try:
            return int(node.value)
        except ValueError:
            return node.value
    return node.value


def _nodes(node):
    """Every node of a composed YAML document (for checks before it is turned into values)."""
    if node is None:
        return
    yield node
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            yield from _nodes(k)
            yield from _nodes(v)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            yield from _nodes(v)


def _plain(node, path: tuple, lines: dict, twice: list):
    """The node as Python values; twice collects (key path, first line, line) of a key given twice
    in one mapping (YAML's loader keeps the last silently)."""
    if isinstance(node, yaml.MappingNode):
        out = {}
        for k, v in node.value:
            key = k.value
            if key in out:
                twice.append((path + (key,), lines[path + (key,)], k.start_mark.line + 1))
            lines[path + (key,)] = k.start_mark.line + 1
            out[key] = _plain(v, path + (key,), lines, twice)
        return out
    if isinstance(node, yaml.SequenceNode):
        out = []
        for i, v in enumerate(node.value):
            lines[path + (i,)] = v.start_mark.line + 1
            out.append(_plain(v, path + (i,), lines, twice))
        return out
    return _scalar(node)


def _text(v) -> str:
    """A code or word as the mapping writes it: YAML's `1` and `"1"` are the same code."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _walk(value, schema, path: tuple, m: Mapping, name: str, out: list[IntakeIssue]) -> None:
    dotted = ".".join(str(p) for p in path) or "the top level"
    if isinstance(value, str) and TODO.match(value):
        out.append(issue("MAP09", name, f"line {m.line(*path)}: {dotted} is still TODO; fill it in "
                         "(a field of the dictionary, a code map or a value), or delete the key if "
                         "it is not needed", row=m.line(*path), field=dotted))
        return
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            out.append(issue("MAP03", name, f"line {m.line(*path)}: {dotted} must be a mapping of keys "
                             f"({', '.join(schema)})", row=m.line(*path), field=dotted))
            return
        for k, v in value.items():
            if k not in schema:
                near = difflib.get_close_matches(k, list(schema), n=1)
                hint = f"; did you mean {near[0]!r}?" if near else f"; allowed here: {', '.join(schema)}"
                out.append(issue("MAP02", name, f"line {m.line(*path, k)}: unknown key {k!r} under "
                                 f"{dotted}{hint}", row=m.line(*path, k), field=".".join(map(str, path + (k,)))))
            elif v is not None:
                _walk(v, schema[k], path + (k,), m, name, out)
        return
    if isinstance(schema, tuple):
        kind, inner = schema
        if kind == "map":
            if not isinstance(value, dict):
                out.append(issue("MAP03", name, f"line {m.line(*path)}: {dotted} must be a mapping",
                                 row=m.line(*path), field=dotted))
                return
            for k, v in value.items():
                _walk(v, inner, path + (k,), m, name, out)
        else:
            if not isinstance(value, list):
                out.append(issue("MAP03", name, f"line {m.line(*path)}: {dotted} must be a list, e.g. "
                                 "[a, b]", row=m.line(*path), field=dotted))
                return
            for i, v in enumerate(value):
                _walk(v, inner, path + (i,), m, name, out)
        return
    ok = {int: lambda v: isinstance(v, int) and not isinstance(v, bool),
          bool: lambda v: isinstance(v, bool),
          str: lambda v: isinstance(v, (str, int, float, bool)) or v is None}[schema](value)
    if not ok:
        want = {int: "a whole number", bool: "true or false", str: "a single value"}[schema]
        out.append(issue("MAP03", name, f"line {m.line(*path)}: {dotted} must be {want}",
                         row=m.line(*path), field=dotted))


def load_mapping(path) -> tuple[Mapping | None, list[IntakeIssue]]:
    """Read and check the grammar of the mapping file: unknown keys, kinds, TODOs, required keys."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        return None, [issue("FILE01", name, f"mapping file {path} not found; give its path with "
                            "--mapping, or write a first one with --draft-mapping")]
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [issue("FILE02", name, f"the mapping is not valid UTF-8 (byte {exc.start}); save it as UTF-8")]
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        prob = getattr(exc, "problem", None) or str(exc)
        return None, [issue("MAP01", name, f"line {line}: not valid YAML ({prob}); check the indentation "
                            "and quoting there", row=line)]
    # a key that is a list or a mapping (`? [a, b]`): no key of the grammar is one
    odd = [k.start_mark.line + 1 for n in _nodes(node) if isinstance(n, yaml.MappingNode)
           for k, _ in n.value if not isinstance(k, yaml.ScalarNode)]
    if odd:
        return None, [issue("MAP01", name, f"line {line}: a key is a list or a mapping; keys are plain words "
                            "(a column, a code): check the indentation and quoting there", row=line) for line in odd]
    lines: dict = {}
    twice: list = []
    data = _plain(node, (), lines, twice) if node is not None else None
    if twice:
        return None, [issue("MAP01", name, f"line {line}: key {key[-1]!r} is given again (first at line "
                            f"{first}) under {'.'.join(map(str, key[:-1])) or 'the top level'}; YAML keeps only "
                            "one: delete or merge one of them", row=line, field=".".join(map(str, key)))
                      for key, first, line in twice]
    if not isinstance(data, dict):
        return None, [issue("MAP01", name, "the mapping must be a YAML mapping starting with `format: 1`")]
    m = Mapping(path, data, lines)
    out: list[IntakeIssue] = []
    _walk(data, SCHEMA, (), m, name, out)
    for req in REQUIRED_KEYS:
        parent_ok = m.get(*req[:-1]) is not None if len(req) > 1 else True
        if parent_ok and m.get(*req) is None:
            where = m.line(*req[:-1]) if len(req) > 1 else None
            out.append(issue("MAP03", name, f"{'line ' + str(where) + ': ' if where else ''}required key "
                             f"{'.'.join(req)} is missing", row=where, field=".".join(req)))
    if m.get("format") is not None and m.get("format") != FORMAT and not any(i.field == "format" for i in out):
        out.append(issue("MAP01", name, f"line {m.line('format')}: format {m.get('format')!r} is not known; "
                         f"this version reads format {FORMAT}", row=m.line("format"), field="format"))
    if any(i.rule != "MAP02" for i in out):
        return m, out  # the structure is not sound enough to go on
    for part in ("subjects", "draws"):
        for target, spec in (m.get(part, "columns") or {}).items():
            col, problems = _column(m, part, target, spec)
            out += problems
            if col is not None:
                getattr(m, part).append(col)
    for part in ("edc", "lab"):
        for key, problem in (("delimiter", delimiter_problem), ("encoding", encoding_problem)):
            value = m.get(part, key)
            said = None if value is None else problem(_text(value))
            if said:
                out.append(issue("MAP03", name, f"line {m.line(part, key)}: {part}.{said}",
                                 row=m.line(part, key), field=f"{part}.{key}", value=_text(value)))
    layout = m.get("lab", "layout", default="sample")
    if layout not in LAYOUTS:
        out.append(issue("MAP03", name, f"line {m.line('lab', 'layout')}: lab.layout {layout!r} is not one "
                         f"of {', '.join(LAYOUTS)}", row=m.line("lab", "layout"), field="lab.layout"))
    elif layout == "sample_test" and not m.get("lab", "tests"):
        out.append(issue("MAP03", name, f"line {m.line('lab', 'layout')}: lab.layout sample_test needs "
                         "lab.tests (column, value, codes)", row=m.line("lab", "layout"), field="lab.tests"))
    for key, allowed in LIMIT_RULES.items():
        v = m.get("lab", "mtm_qualifiers", key)
        if v is not None and v not in allowed:
            out.append(issue("MAP03", name, f"line {m.line('lab', 'mtm_qualifiers', key)}: "
                             f"lab.mtm_qualifiers.{key} {v!r} is not one of {', '.join(allowed)}",
                             row=m.line("lab", "mtm_qualifiers", key), field=f"lab.mtm_qualifiers.{key}"))
    corr = m.get("lab", "corrections")
    if corr is not None:
        if corr.get("keep") != "newest" or not corr.get("by"):
            out.append(issue("MAP03", name, f"line {m.line('lab', 'corrections')}: lab.corrections needs "
                             "keep: newest and by: <the lab column that orders the resends>",
                             row=m.line("lab", "corrections"), field="lab.corrections"))
    tol = m.get("reconciliation", "date_tolerance_days", default=0)
    if isinstance(tol, int) and tol < 0:
        out.append(issue("MAP03", name, f"line {m.line('reconciliation', 'date_tolerance_days')}: "
                         "date_tolerance_days must be 0 or more", field="reconciliation.date_tolerance_days",
                         row=m.line("reconciliation", "date_tolerance_days")))
    return m, out


def _column(m: Mapping, part: str, target: str, spec) -> tuple[Column | None, list[IntakeIssue]]:
    name, line = m.path.name, m.line(part, "columns", target)
    where = f"{part}.columns.{target}"
    if not isinstance(spec, dict):
        return None, [issue("MAP03", name, f"line {line}: {where} must be a mapping such as "
                            "{field: name} or {constant: F}", row=line, field=where)]
    given = [s for s in SOURCES if spec.get(s) not in (None, False)]
    if len(given) != 1:
        return None, [issue("MAP03", name, f"line {line}: {where} must say where its value comes from with "
                            f"exactly one of {', '.join(SOURCES)} (found {', '.join(given) or 'none'})",
                            row=line, field=where)]
    src = given[0]
    codes = spec.get("codes")
    codes = None if codes is None else {_text(k): _text(v) for k, v in codes.items()}
    value = "" if src == "dag" else _text(spec[src])
    return Column(target, src, value, codes, spec.get("event"), _text(spec.get("identifier_reason")),
                  line), []


def contract_fields(part: str) -> dict[str, C.Field]:
    return C.field_map(C.SUBJECTS if part == "subjects" else C.CTDNA)


def _allowed(f: C.Field | None) -> tuple[str, ...] | None:
    return f.allowed if f is not None and f.allowed else None


def check_mapping(m: Mapping, fields: dict[str, Field]) -> list[IntakeIssue]:
    """Check the mapping against the dictionary and the contract (no data read)."""
    name, dict_name = m.path.name, Path(str(m.get("edc", "dictionary"))).name
    out: list[IntakeIssue] = []
    used: set[str] = set()
    for part, cols in (("subjects", m.subjects), ("draws", m.draws)):
        contract = contract_fields(part)
        targets = {c.target for c in cols}
        required = [f.name for f in contract.values() if f.required != "no"]
        if part == "draws":
            required = list(DRAW_COLUMNS)
        elif "subject_id" not in targets:
            required.insert(0, "subject_id")
        for req in required:
            if req not in targets:
                out.append(issue("MAP10", name, f"{part}.columns has no entry for the contract's column "
                                 f"{req}; add one (a field, a checkbox, dag or a constant)",
                                 row=m.line(part, "columns"), field=req))
        for c in cols:
            where = f"line {c.line}: {part}.columns.{c.target}"
            if part == "draws" and c.target in LAB_COLUMNS and c.target not in DRAW_COLUMNS + ("subject_id",):
                out.append(issue("MAP06", name, f"{where}: {c.target} comes from the laboratory file "
                                 "(lab.columns), not from the EDC draw", row=c.line, field=c.target))
                continue
            if part == "draws" and c.target == "subject_id":
                out.append(issue("MAP06", name, f"{where}: a draw's subject_id is the subject_id of its "
                                 "record (subjects.columns.subject_id); delete this entry",
                                 row=c.line, field=c.target))
                continue
            cf = contract.get(c.target)
            if cf is None:
                near = difflib.get_close_matches(c.target, list(contract), n=1, cutoff=0.8)
                if near:
                    out.append(issue("MAP06", name, f"{where}: {c.target!r} is not a column of the contract; "
                                     f"did you mean {near[0]!r}? (an extra column is carried along, but its "
                                     "name must not be a near-miss of a contract column)",
                                     row=c.line, field=c.target))
            allowed = _allowed(cf)
            if c.source == "constant":
                if allowed and c.name not in allowed:
                    out.append(issue("MAP06", name, f"{where}: constant {c.name!r} is not allowed by the "
                                     f"contract ({', '.join(allowed)})", row=c.line, field=c.target))
                if c.codes is not None:
                    out.append(issue("MAP03", name, f"{where}: a constant takes no codes", row=c.line,
                                     field=c.target))
                continue
            if c.codes is not None and allowed:
                for code, word in c.codes.items():
                    if word != "" and word not in allowed:
                        out.append(issue("MAP06", name, f"{where}: code {code!r} maps to {word!r}, which the "
                                         f"contract does not allow for {c.target} ({', '.join(allowed)})",
                                         row=m.line(part, "columns", c.target, "codes", code) or c.line,
                                         field=c.target, value=code))
            if part == "draws" and c.target == "visit" and c.codes is not None:
                # the contract's visits are a pattern, not a list: checked here as the laboratory's
                # visit words are (lab.visit_codes), which are compared with these
                for code, word in c.codes.items():
                    if word != "" and not C.visit_allowed(word):
                        out.append(issue("MAP06", name, f"{where}: code {code!r} maps to {word!r}, which the "
                                         f"contract does not allow for visit ({VISIT_RULE})",
                                         row=m.line(part, "columns", c.target, "codes", code) or c.line,
                                         field=c.target, value=code))
            if c.source == "dag":
                if c.codes is None and allowed:
                    out.append(issue("MAP05", name, f"{where}: dag needs codes mapping each data access "
                                     f"group's short name to {', '.join(allowed)}", row=c.line, field=c.target))
                continue
            f = fields.get(c.name)
            if f is None:
                near = difflib.get_close_matches(c.name, list(fields), n=1)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                out.append(issue("MAP04", name, f"{where}: field {c.name!r} is not in the data dictionary "
                                 f"{dict_name}{hint}", row=c.line, field=c.name))
                continue
            used.add(f.name)
            if c.source == "checkbox" and f.type != "checkbox":
                out.append(issue("MAP03", name, f"{where}: {c.name} is a {f.type} field, not a checkbox; "
                                 f"write field: {c.name}", row=c.line, field=c.name))
            if c.source == "field" and f.type == "checkbox":
                out.append(issue("MAP03", name, f"{where}: {c.name} is a checkbox; write checkbox: {c.name}",
                                 row=c.line, field=c.name))
            if f.identifier and not c.identifier_reason:
                out.append(issue("MAP08", name, f"{where}: field {c.name} is flagged as an identifier in the "
                                 "dictionary (Identifier? = y); identifiers never leave the export. Remove "
                                 "the entry, or say why with identifier_reason (e.g. a birth date reduced "
                                 "to an age)", row=c.line, field=c.name))
            if f.choices:
                if c.codes is None:
                    cf_kind = cf.kind if cf is not None else ""
                    if allowed and all(code in allowed for code in f.choices):
                        continue
                    if cf_kind in ("integer", "number") and all(re.fullmatch(r"-?\d+", k) for k in f.choices):
                        continue  # e.g. ECOG 0-4: the codes are the values
                    unmapped = list(f.choices)
                else:
                    unmapped = [code for code in f.choices if code not in c.codes]
                    # a code no record can hold: a typo of the mapping, or a choice since removed
                    # from the EDC (a declared missing-data code may stand in the map)
                    for code in c.codes:
                        if code not in f.choices and code not in m.missing_codes:
                            out.append(issue(
                                "MAP11", name, f"{where}: codes lists {code!r}, which is not a choice of "
                                f"field {c.name} in the data dictionary {dict_name} (choices: "
                                f"{', '.join(f.choices)}); check the code for a typo, or delete the entry if "
                                "the choice was removed from the EDC",
                                row=m.line(part, "columns", c.target, "codes", code) or c.line, field=c.name,
                                value=code))
                for code in unmapped:
                    out.append(issue("MAP05", name, f"{where}: choice {code!r} ({f.choices[code]}) of field "
                                     f"{c.name} has no entry in codes; add `{code!r}: <{c.target} value>` "
                                     "(or '' for no value), even if no record uses it yet",
                                     row=c.line, field=c.name, value=code))
            if part == "draws" and f.form != m.get("draws", "instrument"):
                out.append(issue("MAP06", name, f"{where}: field {c.name} is on form {f.form}, not on the "
                                 f"draws instrument {m.get('draws', 'instrument')}", row=c.line, field=c.name))
    out += _check_lab(m)
    not_used = set()
    for part in ("subjects", "draws"):
        for i, fname in enumerate(m.get(part, "not_used", default=[])):
            fname = _text(fname)
            not_used.add(fname)
            if fname not in fields:
                out.append(issue("MAP04", name, f"line {m.line(part, 'not_used', i)}: {part}.not_used names "
                                 f"{fname!r}, which is not in the data dictionary {dict_name}",
                                 row=m.line(part, "not_used", i), field=fname))
    record_id = m.get("edc", "record_id") or (next(iter(fields)) if fields else "")
    for f in fields.values():
        if f.name in used or f.name in not_used or f.name == record_id or f.type in NO_DATA_TYPES:
            continue
        out.append(issue("MAP07", name, f"dictionary field {f.name} (form {f.form}) is neither mapped nor "
                         "listed under not_used; it is not copied. Map it, or list it under "
                         "subjects.not_used to say so", field=f.name))
    return out



def _check_lab(m: Mapping) -> list[IntakeIssue]:
    name, out = m.path.name, []
    cols = m.get("lab", "columns") or {}
    from_tests = set((m.get("lab", "tests", "codes") or {}).values()) \
        if m.get("lab", "layout", default="sample") == "sample_test" else set()
    for req in LAB_REQUIRED:
        if req not in cols and req not in from_tests:
            out.append(issue("MAP10", name, f"line {m.line('lab', 'columns')}: lab.columns has no entry for "
                             f"{req}; name the laboratory file's column that holds it",
                             row=m.line("lab", "columns"), field=req))
    for target in sorted(from_tests):
        if target in LAB_CHECKED:
            out.append(issue("MAP06", name, f"line {m.line('lab', 'tests', 'codes')}: tests.codes maps to "
                             f"{target!r}, but a sample's {target} is a column of its rows: name it under "
                             f"lab.columns.{target}", row=m.line("lab", "tests", "codes"), field=target))
        elif target not in LAB_COLUMNS:
            out.append(issue("MAP06", name, f"line {m.line('lab', 'tests', 'codes')}: tests.codes maps to "
                             f"{target!r}, not a laboratory column of the contract ({', '.join(LAB_COLUMNS)})",
                             row=m.line("lab", "tests", "codes"), field=target))
    out += _check_lab_visit(m)
    results = {r.casefold() for r in C.RESULTS}  # the contract matches results ignoring case and spaces
    for word, target in (m.get("lab", "result_codes") or {}).items():
        if _text(target).strip().casefold() not in results:
            out.append(issue("MAP06", name, f"line {m.line('lab', 'result_codes', word)}: result {word!r} "
                             f"maps to {_text(target)!r}; the contract allows {', '.join(C.RESULTS)}",
                             row=m.line("lab", "result_codes", word), field="result", value=_text(word)))
    return out


def _check_lab_visit(m: Mapping) -> list[IntakeIssue]:
    """lab.columns.visit and lab.visit_codes come together; every word maps to a contract visit
    (or '' for a word that names none, e.g. unscheduled: that sample's visit is not compared)."""
    name, out = m.path.name, []
    column, codes = m.get("lab", "columns", "visit"), m.get("lab", "visit_codes")
    if column is not None and codes is None:
        out.append(issue("MAP03", name, f"line {m.line('lab', 'columns', 'visit')}: lab.columns.visit is "
                         f"given ({_text(column)}) without lab.visit_codes; add lab.visit_codes, mapping "
                         "each of the laboratory's visit words to a contract visit (e.g. {BASELINE: "
                         "baseline, MONTH 3: month_3})", row=m.line("lab", "columns", "visit"),
                         field="lab.visit_codes"))
    if codes is not None and column is None:
        out.append(issue("MAP03", name, f"line {m.line('lab', 'visit_codes')}: lab.visit_codes is given but "
                         "lab.columns has no visit; name the laboratory file's visit column "
                         "(lab.columns.visit), or delete lab.visit_codes", row=m.line("lab", "visit_codes"),
                         field="lab.columns.visit"))
    for word, target in (codes or {}).items():
        v = _text(target).strip()
        if v != "" and not C.visit_allowed(v):
            out.append(issue("MAP06", name, f"line {m.line('lab', 'visit_codes', word)}: visit {_text(word)!r} "
                             f"maps to {_text(target)!r}, which the contract does not allow for visit "
                             f"({VISIT_RULE}); map it to one of those, or to '' if the word names no visit",
                             row=m.line("lab", "visit_codes", word), field="visit", value=_text(word)))
    return out
