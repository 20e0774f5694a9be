"""The draft mapping's laboratory section, from the laboratory file's content: which file it is
(the one holding the EDC draws' sample IDs, whatever its extension), its layout (one row per
sample, or per sample and test), its columns, test codes, result words, MTM/mL qualifiers, the
column that orders resent results, and a visit column (mapped when each of its words names a visit)."""

from __future__ import annotations

import json
import re

import pandas as pd

from her2cr.data import contract as C
from her2cr.intake import vocabulary as V
from her2cr.intake.sniff import Found

TODO = "TODO"
CONTRACT = ("subject_id", "sample_id", "collection_date", "result", "mtm_per_ml", "variants_detected", "panel_size")
FROM_TESTS = ("result", "mtm_per_ml", "variants_detected", "panel_size")
OPTIONAL = ("collection_date",)
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
VISIT = "draws.visit"  # the laboratory's visit column is named as the draws' is


def _q(v: str) -> str:
    return json.dumps(v, ensure_ascii=False)


def _col(k: str) -> str:
    return f"lab.{k}"


def overlap(values: pd.Series, samples: set[str]) -> float:
    v = set(values.str.strip()) - {""}
    return len(v & samples) / len(v) if v and samples else 0.0


def header_names(header: list[str]) -> dict[str, list[str]]:
    """Laboratory column (and test, value, by) -> the file's columns whose name names it."""
    keys = {_col(k) for k in CONTRACT + ("test", "value", "by", "not_detected")} | {VISIT}
    out: dict[str, list[str]] = {}
    for h in header:
        named = {x.column for x in V.hits(h, keys) if not x.value}
        if len(named) == 1:
            out.setdefault(named.pop().split(".", 1)[1], []).append(h)
    return out


def file_score(found: Found, samples: set[str]) -> float:
    """How surely a table is the laboratory file: the share of its best column's values that are
    the EDC's sample IDs, or else how many laboratory columns its header names (over 10)."""
    frame = found.table.frame
    best = max((overlap(frame[c], samples) for c in frame), default=0.0)
    if best >= 0.5:
        return 1 + best
    named = header_names(found.table.header)
    return len(set(named) & set(CONTRACT)) / 10 if len(set(named) & set(CONTRACT)) >= 3 else 0.0


def _varying(frame: pd.DataFrame, sample: str, col: str) -> float:
    """The share of repeated samples whose rows differ in col."""
    g = frame.groupby(sample)[col].nunique()
    n = frame.groupby(sample).size()
    rep = n[n > 1].index
    return float((g[rep] > 1).mean()) if len(rep) else 0.0


def _by_column(frame: pd.DataFrame, key: list[str], named: list[str], skip: set[str]) -> tuple[str | None, str]:
    """The column ordering resends: named as a report date or version, or dates that differ
    between a key's rows."""
    dup = frame[frame.duplicated(key, keep=False)]
    for c in named + [c for c in frame if c not in named and c not in skip]:
        v = dup[c].str.strip()
        if len(v) and (v.str.fullmatch(DATE.pattern + r"(?:[ T].*)?").all() or v.str.fullmatch(r"\d+").all()) \
                and dup.groupby(key)[c].nunique().min() > 1:
            how = ("its name says so, and its values differ between the resent rows" if c in named
                   else "its dates differ between the resent rows")
            return c, how
    return None, "no column of dates or versions differs between the resent rows"


class LabDraft:
    """The lab section's lines and its count of contract columns filled in."""

    def __init__(self, found: Found | None, name: str, samples: set[str], why: str):
        self.lines: list[str] = []
        self.filled = 0
        self._write(found, name, samples, why)

    def _write(self, found, name, samples, why):
        L = self.lines
        L += ["lab:", f"  file: {_q(found.path.name) if found else TODO}   # {why}"]
        if found is not None and found.sheet is not None:
            L.append(f"  sheet: {_q(found.sheet)}   # the workbook's sheet that holds them")
        if found is None:
            L += ["  columns:   # contract column: the laboratory file's column"]
            L += [f"    {k}: {TODO}" for k in CONTRACT if k not in OPTIONAL]
            L += ["  result_codes: {}   # the laboratory's result words: POSITIVE, NEGATIVE, QNS or FAILED"]
            return
        t = found.table
        frame = t.frame
        if found.encoding is not None:
            L += [f"  encoding: {found.encoding}   # found from the bytes",
                  f"  delimiter: {_q(found.delimiter)}   # found from the header"]
        named = header_names(t.header)
        cols: dict[str, tuple[str, str]] = {}
        for k in CONTRACT:
            hits = named.get(k, [])
            if k == "sample_id" and samples:
                by_content = max(t.header, key=lambda c: overlap(frame[c], samples))
                if overlap(frame[by_content], samples) >= 0.5:
                    cols[k] = (by_content, f"its values are the EDC draws' sample IDs "
                               f"({overlap(frame[by_content], samples):.0%})")
                    continue
            if k == "subject_id":
                pat = C.field_map(C.CTDNA)["subject_id"].pattern
                by_content = [c for c in t.header if len(frame) and frame[c].str.strip().str.fullmatch(pat).mean() >= 0.9]
                if len(by_content) == 1:
                    cols[k] = (by_content[0], "its values are subject IDs as the contract writes them "
                               f"({C.field_map(C.SUBJECTS)['subject_id'].rule.split(';')[0]})")
                    continue
            if len(hits) == 1:
                cols[k] = (hits[0], f"its name names {k}")
        sample = cols.get("sample_id", (None,))[0]
        layout, test, value = "sample", None, None
        if sample is not None and frame[sample].duplicated().mean() > 0.3:
            skip = {cols[k][0] for k in CONTRACT if k in cols and k not in FROM_TESTS}
            vary = [c for c in t.header if c not in skip and _varying(frame, sample, c) > 0.9]
            tests = [c for c in vary if c in named.get("test", [])] or \
                sorted(vary, key=lambda c: frame[c].nunique())[:1]
            if tests and frame[tests[0]].nunique() <= 30:
                test = tests[0]
                test_why = ("its name names a test" if test in named.get("test", []) else
                            "its few values differ between a sample's rows")
                values = ([c for c in vary if c != test and c in named.get("value", [])]
                          or [c for c in vary if c != test and c in named.get("result", [])]
                          or [c for c in vary if c != test and c not in named.get("by", [])])
                value = values[0] if len(values) == 1 else None
                value_why = ("its name names a value" if value in named.get("value", []) else
                             "its name names a result" if value in named.get("result", []) else
                             "the one other column that differs between a sample's rows")
                layout = "sample_test"
        L.append(f"  layout: {layout}   # " + ("one row per sample" if layout == "sample" else
                                               f"one row per sample and test: samples repeat, and {test} "
                                               "differs between a sample's rows"))
        codes: dict[str, tuple[str | None, str]] = {}
        if layout == "sample_test":
            for code in dict.fromkeys(frame[test].str.strip()):
                if code:
                    codes[code] = self._test_target(code, frame.loc[frame[test].str.strip() == code, value]
                                                    if value else None)
            for target, _ in list(cols.items()):
                if target in FROM_TESTS:
                    del cols[target]
        L.append("  columns:   # contract column: the laboratory file's column")
        given = {v for v, _ in codes.values()}
        for k in CONTRACT:
            if k in cols:
                L.append(f"    {k}: {_q(cols[k][0])}   # {cols[k][1]}")
                self.filled += 1
            elif layout == "sample_test" and k in FROM_TESTS:
                self.filled += k in given
            elif k in OPTIONAL:
                L.append(f"    # {k}: (no one column named so; optional: checked against the EDC's when given)")
            else:
                L.append(f"    {k}: {TODO}   # no one column found by name or content; columns: {', '.join(t.header)}")
        if layout == "sample_test":
            L += ["  tests:", f"    column: {_q(test)}   # {test_why}",
                  f"    value: {_q(value)}   # {value_why}" if value else
                  f"    value: {TODO}   # the column holding each test's value; candidates: {', '.join(vary)}",
                  "    codes:   # test code -> contract column"]
            for code, (target, why) in codes.items():
                L.append(f"      {_q(code)}: {target or TODO}   # {why}")
        self._visit(frame, named.get("visit", []))
        res = self._values(frame, layout, cols, codes, test, value, "result")
        mtm = self._values(frame, layout, cols, codes, test, value, "mtm_per_ml")
        L.append("  result_codes:   # the laboratory's result words: POSITIVE, NEGATIVE, QNS or FAILED")
        words = list(dict.fromkeys(w for w in res if w)) if res is not None else []
        for w in words:
            s = V.resolve(w, "lab.result", C.RESULTS)
            L.append(f"    {_q(w)}: {s.value or TODO}   # {s.evidence}")
        if not words:
            L.append(f"    {TODO}: POSITIVE   # no result words found: write the laboratory's words")
        self._qualifiers(mtm)
        key = [sample] + ([test] if test else [])
        if sample is not None and frame.duplicated(key).any():
            by, how = _by_column(frame, key, named.get("by", []), {c for c, _ in cols.values()} | {test, value})
            n = int(frame.duplicated(key, keep=False).sum())
            L += ["  corrections:   # a cumulative file: " + f"{n} rows resend a {'sample and test' if test else 'sample'}",
                  "    keep: newest", f"    by: {_q(by) if by else TODO}   # {how}"]
        else:
            L.append("  # corrections: {keep: newest, by: REPORT_DATE}   # no sample is sent twice yet")

    def _visit(self, frame: pd.DataFrame, named: list[str]) -> None:
        """The laboratory's visit column, compared with the EDC draws' visits when every word of
        it names a contract visit; otherwise a comment that says which words do not."""
        if len(named) != 1:
            return
        words = [w for w in dict.fromkeys(frame[named[0]].str.strip()) if w]
        said = {w: V.resolve(w, VISIT, pattern=C.field_map(C.CTDNA)["visit"].pattern, check=C.visit_allowed)
                for w in words}
        unknown = [w for w, s in said.items() if s.value is None]
        if not words or unknown:
            self.lines.append(f"  # the file's visit column {named[0]!r} is left out: "
                              + (f"{', '.join(map(repr, unknown[:5]))} name{'s' if len(unknown) == 1 else ''} no contract visit; to compare the visits "
                                 "with the EDC's, add lab.columns.visit and lab.visit_codes" if unknown else "it is empty"))
            return
        at = self.lines.index("  columns:   # contract column: the laboratory file's column")
        end = next((i for i in range(at + 1, len(self.lines)) if not self.lines[i].startswith("    ")),
                   len(self.lines))
        self.lines.insert(end, f"    visit: {_q(named[0])}   # its name names the visit: compared with the EDC "
                          "draw's (REC06), never copied")
        self.lines.append("  visit_codes:   # the laboratory's visit words -> the contract's visits")
        self.lines += [f"    {_q(w)}: {s.value}   # {s.evidence}" for w, s in said.items()]

    @staticmethod
    def _test_target(code: str, values: pd.Series | None) -> tuple[str | None, str]:
        keys = {_col(k) for k in FROM_TESTS}
        named = list(dict.fromkeys(h.column[4:] for h in V.hits(code, keys) if not h.value))
        if len(named) == 1:
            return named[0], f"the code names {named[0]}"
        v = values.str.strip() if values is not None else pd.Series([], dtype=str)
        v = v[v != ""]
        if len(v) and all(V.resolve(x, "lab.result", C.RESULTS).value for x in v.unique()):
            return "result", "its values are result words"
        said = "names " + " and ".join(named) if named else "names no laboratory column"
        return None, f"the code {said}; map it to one of {', '.join(FROM_TESTS)}"

    @staticmethod
    def _values(frame, layout, cols, codes, test, value, target) -> pd.Series | None:
        if layout == "sample" and target in cols:
            return frame[cols[target][0]].str.strip()
        if layout == "sample_test" and value:
            mine = [c for c, (t_, _) in codes.items() if t_ == target]
            return frame.loc[frame[test].str.strip().isin(mine), value].str.strip()
        return None

    def _qualifiers(self, mtm: pd.Series | None) -> None:
        L = self.lines
        mtm = mtm if mtm is not None else pd.Series([], dtype=str)
        odd = mtm[(mtm != "") & ~mtm.str.fullmatch(NUMBER.pattern)]
        counts = odd.value_counts(sort=False)
        words = [w for w in counts.index if not re.match(r"^[<>]", w)]
        nd = [w for w in words if V.names_column(w, "lab.not_detected")]
        other = [w for w in words if w not in nd]
        L.append("  mtm_qualifiers:   # MTM/mL values that are not numbers: "
                 + (", ".join(f"{w!r} ({n} row{'' if n == 1 else 's'})" for w, n in list(counts.items())[:8]) or "none"))
        if other:
            L.append(f"    not_detected: {TODO}   # {', '.join(map(repr, nd + other))} are no numbers; list those "
                     "that mean not detected (written as 0), e.g. [ND]")
        else:
            L.append(f"    not_detected: [{', '.join(_q(w) for w in nd) or 'ND'}]"
                     + (f"   # {', '.join(map(repr, nd))}: not detected, written as 0" if nd else
                        "   # no such word in the file yet; a word meaning not detected is written as 0"))
        for key, sign, rules in (("below_limit", "<", "limit (x) | half (x/2) | missing (empty)"),
                                 ("above_limit", ">", "limit (x) | missing (empty)")):
            seen = odd[odd.str.startswith(sign)]
            if len(seen):
                L.append(f"    {key}: {TODO}   # '{sign}x' -> {rules}; the file has {', '.join(map(repr, seen.unique()[:4]))}")
            else:
                L.append(f"    {key}: limit   # no '{sign}x' value in the file yet ('{sign}x' -> {rules})")
