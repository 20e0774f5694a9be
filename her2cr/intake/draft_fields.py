"""Which field of the data dictionary holds each contract column, and what each of its choices
means: the draft mapping's evidence, from the vocabulary (vocabulary.csv), the fields' kinds and,
when the records are at hand, their values.

A field is filled in only when it is the one best candidate; two equally good ones stay TODO with
both named. A choice's value is filled in only when its label names one contract value
(vocabulary.resolve).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from her2cr.data import contract as C
from her2cr.intake import vocabulary as V
from her2cr.intake.dictionary import Field

IDENTIFIER = "identifier"
FILL = 2   # the least score a field is filled in with


def key(part: str, column: str) -> str:
    return f"{'subjects' if part == 'subjects' else 'draws'}.{column}"


def _plain_text(f: Field) -> bool:
    return f.type in ("text", "notes") and not f.is_date and not f.is_number


def kind_fit(f: Field, kind: str) -> int | None:
    """0 when the field's kind fits the contract column's, -1 when it may (unvalidated text), None
    when it cannot."""
    if kind == "date":
        return 0 if f.is_date else (-1 if _plain_text(f) else None)
    if kind in ("integer", "number"):
        if f.is_number or (f.choices and all(re.fullmatch(r"-?\d+", c) for c in f.choices)):
            return 0
        return -1 if _plain_text(f) else None
    if kind == "category":
        return 0 if (f.choices or _plain_text(f)) else None
    return 0 if _plain_text(f) else None


def choice_value(f: Field, label: str, k: str, cf: C.Field | None) -> V.Suggestion:
    """The contract value a choice of field f names (cf: the contract's column)."""
    if cf is not None and cf.kind in ("integer", "number") and not cf.allowed:
        return V.resolve(label, k, numbers=(cf.minimum, cf.maximum))
    check = C.visit_allowed if k == "draws.visit" else None
    return V.resolve(label, k, cf.allowed if cf else None, cf.pattern if cf else None, f.label, check)


def is_identifier(f: Field) -> bool:
    """Flagged in the dictionary, or its label names a person's identifier and no contract column."""
    if f.identifier:
        return True
    cols = {h.column for h in V.hits(f.label, _ALL) if not h.value}
    return cols == {IDENTIFIER}


_ALL = frozenset({e.column for e in V.entries()} - {V.ANY})


@dataclass
class Pick:
    field: Field | None
    why: str                                   # the evidence, or why no field is filled in
    candidates: list = field(default_factory=list)   # [(field, score, why)], best first


def _score(f: Field, part: str, cf: C.Field, values: pd.Series | None) -> tuple[float, list[str]]:
    k = key(part, cf.name)
    fit = kind_fit(f, cf.kind)
    if fit is None:
        return 0, []
    part_cols = {e.column for e in V.entries() if e.column.startswith(k.split(".")[0] + ".")}
    in_label = V.hits(f.label, part_cols | {IDENTIFIER})
    in_name = V.hits(f.name, part_cols | {IDENTIFIER})
    score, why = 0.0, []
    if V.normalise(f.name) == V.normalise(cf.name):
        score, why = 4, [f"its name is {cf.name}"]
    if any(h.column == k and not h.value for h in in_label):
        score = max(score, 3)
        why.append(f"its label names {cf.name}")
    elif any(h.column == k and not h.value for h in in_name):
        score = max(score, 2)
        why.append(f"its name names {cf.name}")
    elif any(h.column == k for h in in_label):
        score = max(score, 1)
        why.append(f"its label names values of {cf.name}")
    # numbers and yes/no are any such field's choices: they add to the words' evidence, never stand alone
    generic = cf.kind in ("integer", "number") or set(cf.allowed or ()) == {V.YES, V.NO}
    if f.choices and (cf.allowed or cf.pattern or cf.kind in ("integer", "number")) and not (generic and not score):
        got = [choice_value(f, lab, k, cf).value for lab in f.choices.values()]
        if all(g is not None for g in got):
            score, why = score + 2, why + ["its choices name its values"]
        elif sum(g is not None for g in got) * 2 >= len(got):
            score, why = score + 1, why + ["most of its choices name its values"]
    if cf.pattern and cf.name == "subject_id" and values is not None:
        v = values.str.strip()
        v = v[v != ""]
        if len(v):
            share = v.str.fullmatch(cf.pattern).mean()
            if share < 0.5:
                return 0, []
            if share >= 0.9:
                score, why = score + 2, why + [f"its values are subject IDs as the contract writes them ({cf.rule.split(';')[0]})"]
    if score <= 0:
        return 0, []
    others = {h.column for h in in_label if not h.value and h.column not in (k, IDENTIFIER)}
    if others and score < 4:
        score -= 1
        why.append(f"(its label also names {', '.join(sorted(c.split('.')[1] for c in others))})")
    if fit < 0:
        score -= 1
        why.append(f"(its values are not validated as {cf.kind})")
    return score, why


def assign(part: str, columns: list[C.Field], fields: list[Field], records: pd.DataFrame | None
           ) -> dict[str, Pick]:
    """The best field of each contract column: the strongest evidence first, each field used once;
    a tie between two fields leaves the column TODO."""
    scored = []
    for cf in columns:
        for i, f in enumerate(fields):
            values = records[f.name] if records is not None and f.name in records else None
            s, why = _score(f, part, cf, values)
            if s > 0:
                scored.append((s, i, cf.name, f, "; ".join(why)))
    scored.sort(key=lambda x: (-x[0], x[1]))
    picks = {cf.name: Pick(None, "none found by name, label or choices") for cf in columns}
    for s, _, col, f, why in scored:
        picks[col].candidates.append((f, s, why))
    used: set[str] = set()
    decided: set[str] = set()
    for s, _, col, f, why in scored:
        if col in decided or f.name in used:
            continue
        if s < FILL:
            continue
        rivals = [g for g, t, _ in picks[col].candidates if t == s and g.name != f.name and g.name not in used]
        decided.add(col)
        if rivals:
            picks[col].why = f"{f.name} and {rivals[0].name} fit equally ({why}): which one?"
            continue
        picks[col] = Pick(f, why, picks[col].candidates)
        used.add(f.name)
    return picks
