"""What a label names: the contract's columns and values, by the words of vocabulary.csv.

The draft mapping fills in a value only when the evidence names exactly one contract value
(`resolve`): a label naming two values is one of them never; it is their combination when they are
its parts (`Trastuzumab, Pertuzumab` -> trastuzumab+pertuzumab), else a TODO that lists them. A
yes/no choice takes its meaning from the field's label when that names one of a two-valued
column's values (`Yes` of 'HR positive' is positive).
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources

ANY = "*"
YES, NO = "yes", "no"
MARKERS = ("not", "or", "other", "unknown", "not applicable")  # * words that are no value


@dataclass(frozen=True)
class Entry:
    column: str   # subjects.sex, lab.result, identifier, * ...
    value: str    # '' for a word naming the column; may hold {n}
    word: str     # normalised
    pattern: re.Pattern


@dataclass(frozen=True)
class Hit:
    column: str
    value: str    # with {n} filled in ('' for a column word)
    start: int
    end: int


def normalise(text: str) -> str:
    """Case, full-width forms and the separators (spaces, -, _) do not matter."""
    t = unicodedata.normalize("NFKC", str(text)).casefold()
    return re.sub(r"[\s_\-‐–—]+", " ", t).strip()


def _pattern(word: str) -> re.Pattern:
    body = re.escape(word).replace(r"\{n\}", r"(\d+)")
    # an ASCII word stands alone (`m` is not the m of `month`); Japanese has no spaces to stand in
    left = r"(?<![a-z0-9])" if re.match(r"[a-z0-9{]", word) else ""
    right = r"(?![a-z0-9])" if re.search(r"[a-z0-9}]$", word) else ""
    return re.compile(left + body + right)


@functools.cache
def entries() -> tuple[Entry, ...]:
    text = resources.files("her2cr.intake").joinpath("vocabulary.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    out = []
    for r in rows:
        for w in r["words"].split("|"):
            w = normalise(w)
            if w:
                out.append(Entry(r["column"], r["value"], w, _pattern(w)))
    return tuple(out)


def hits(text: str, columns) -> list[Hit]:
    """The words of `columns` (and of *) in text: longest first, never overlapping; a column's own
    word before a * word of the same span (race's `unknown` is Unknown or Not Reported)."""
    return list(_hits(str(text), frozenset(columns)))


@functools.lru_cache(maxsize=65536)  # a dictionary's labels are read once per contract column
def _hits(text: str, columns: frozenset) -> tuple[Hit, ...]:
    t = normalise(text)
    found = []
    for e in entries():
        if e.column not in columns and e.column != ANY:
            continue
        for m in e.pattern.finditer(t):
            value = e.value.replace("{n}", str(int(m.group(1)))) if m.groups() else e.value
            found.append((-(m.end() - m.start()), e.column == ANY, m.start(), Hit(e.column, value, m.start(), m.end())))
    taken: list[Hit] = []
    for *_, h in sorted(found, key=lambda x: x[:3]):
        # a word two entries share (stop: a cohort's value, and the stop date's column) names both
        if all(h.end <= o.start or h.start >= o.end or ((h.start, h.end) == (o.start, o.end) and h.column != ANY)
               for o in taken):
            taken.append(h)
    return tuple(sorted(taken, key=lambda h: h.start))


def names(text: str, column: str) -> list[str]:
    """The values of `column` (and * words) that text names, in order, once each."""
    return list(dict.fromkeys(h.value for h in hits(text, {column}) if h.value))


def names_column(text: str, column: str) -> bool:
    """Whether text names the column itself (not one of its values)."""
    return any(h.column == column and not h.value for h in hits(text, {column}))


@dataclass(frozen=True)
class Suggestion:
    value: str | None   # None: a TODO
    evidence: str


def _allowed(value: str, allowed, pattern) -> bool:
    if allowed:
        return value in allowed
    return bool(pattern and re.fullmatch(pattern, value))


def _said(values: list[str]) -> str:
    values = [f"{v!r}" if v in MARKERS else v for v in values]
    return " and ".join(values) if len(values) <= 2 else ", ".join(values[:-1]) + " and " + values[-1]


def resolve(label: str, column: str, allowed=None, pattern=None, field_label: str = "",
            check=None, numbers: tuple | None = None) -> Suggestion:
    """The contract value a choice's label names, or None and why not.

    allowed / pattern: the contract's values of the column; check(value) -> bool: a further rule
    (the visits' month_N, N a multiple of 3); numbers: (min, max) for an integer column (ECOG):
    the one whole number the label holds."""
    shown = repr(label)
    if numbers is not None:
        found = list(dict.fromkeys(int(x) for x in re.findall(r"(?<![a-z\d.])\d+(?![\d.])", normalise(label))))
        lo, hi = numbers
        if len(found) == 1 and (lo is None or found[0] >= lo) and (hi is None or found[0] <= hi):
            return Suggestion(str(found[0]), f"{shown} names {found[0]}")
        return Suggestion(None, f"{shown} names {'no number' if not found else _said([str(x) for x in found])}"
                          f"{'' if len(found) != 1 else ' (out of range)'}")
    named = names(label, column)
    ok = [v for v in named if _allowed(v, allowed, pattern) and (check is None or check(v))]
    if len(named) == 1 and ok:
        return Suggestion(ok[0], f"{shown} names {ok[0]}")
    if named and set(named) <= {YES, NO} and len(named) == 1 and allowed and len(allowed) == 2:
        said = [v for v in names(field_label, column) if v in allowed]
        if len(said) == 1:
            other = next(a for a in allowed if a != said[0])
            v = said[0] if named[0] == YES else other
            return Suggestion(v, f"{shown}, and the field's label {field_label!r} names {said[0]}")
        return Suggestion(None, f"{shown} is {named[0]}, and the field's label {field_label!r} names "
                          f"{'neither' if not said else 'both'} of {_said(list(allowed))}")
    if len(named) > 1:
        parts = set(named)
        combined = [a for a in (allowed or ()) if "+" in a and set(a.split("+")) == parts]
        if len(combined) == 1:
            return Suggestion(combined[0], f"{shown} names {_said(named)}: their combination")
        return Suggestion(None, f"{shown} names {_said(named)}: which one?")
    if named:
        return Suggestion(None, f"{shown} names {named[0]}, not a value of the contract")
    return Suggestion(None, f"{shown} names no value of the contract")
