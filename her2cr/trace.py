"""Numbers that know where they come from: the report's traceability (issue 18).

A `Num` is one number as the reader sees it, formatted by the one rule of its kind
(her2cr.formatting.number), with its source: the output file, the row key and the unrounded value.
A `Traced` is a piece of text (a table cell, a sentence) made of plain text and Nums; it *is* a
str, equal to what the reader sees, so tables, the PDF (Typst) and the Markdown use it unchanged.
Only the HTML report shows the sources: `traced_html` wraps each number in a span carrying
`data-src-file`, `data-src-key`, `data-src-value` and `data-src-kind` and a tooltip; the PDF is
not changed by it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from her2cr.formatting import NE, QUOTE_RULES, number

ATTRS = ("data-src-file", "data-src-key", "data-src-value", "data-src-kind")


@dataclass(frozen=True)
class Num:
    """One number: `value` (unrounded) of `kind`, from `file` at row `key` (column included)."""

    value: object
    kind: str
    file: str
    key: str
    missing: str = NE
    scale: float = 1.0  # a value stored in percent (96.0) is a proportion of 0.96: scale 0.01
    digits: int = 1  # decimals of the "summary" and "bound" kinds

    @property
    def text(self) -> str:
        v = self.value
        if self.scale != 1.0 and _is_float(v):
            v = float(v) * self.scale
        return number(self.kind, v, self.missing, self.digits)

    def html(self) -> str:
        v = self.value
        raw = ("" if v is None else str(int(v)) if self.kind == "count" and _is_float(v) and float(v).is_integer()
               else repr(float(v)) if _is_float(v) else str(v))
        title = f"{self.file} · {self.key} = {raw}"
        extra = (f' data-src-scale="{self.scale!r}"' if self.scale != 1.0 else "") + (
            f' data-src-digits="{self.digits}"' if self.kind in ("summary", "bound") else "")
        attrs = (f'data-src-file="{html.escape(self.file)}" data-src-key="{html.escape(self.key)}" '
                 f'data-src-value="{html.escape(raw)}" data-src-kind="{self.kind}"{extra} '
                 f'title="{html.escape(title)}"')
        return f'<span class="src" {attrs}>{html.escape(self.text)}</span>'


@dataclass(frozen=True)
class Quote:
    """Text quoted from an output file (a posted value or description, a category label, a cell of
    a listing): `value` as the file holds it, shown by the rule of its kind
    (formatting.QUOTE_RULES: "quote" as written, "visit" as "Month 3")."""

    value: str
    file: str
    key: str
    kind: str = "quote"

    @property
    def text(self) -> str:
        return QUOTE_RULES[self.kind](self.value)

    def html(self) -> str:
        title = f"{self.file} · {self.key}"
        return (f'<span class="src" data-src-file="{html.escape(self.file)}" '
                f'data-src-key="{html.escape(self.key)}" data-src-value="{html.escape(str(self.value))}" '
                f'data-src-kind="{self.kind}" title="{html.escape(title)}">{html.escape(self.text)}</span>')


def _is_float(v) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


class Traced(str):
    """Text whose numbers carry their sources; str(self) is the text the reader sees."""

    parts: tuple

    def __new__(cls, *parts):
        flat = []
        for p in parts:
            if isinstance(p, Traced):
                flat.extend(p.parts)
            elif isinstance(p, (Num, Quote)):
                flat.append(p)
            elif p is not None and str(p):
                flat.append(str(p))
        text = "".join(p if isinstance(p, str) else p.text for p in flat)
        obj = super().__new__(cls, text)
        obj.parts = tuple(flat)
        return obj

    def __add__(self, other):
        return Traced(self, other)

    def __radd__(self, other):
        return Traced(other, self)

    @property
    def sources(self) -> list:
        return [p for p in self.parts if not isinstance(p, str)]


def quote(value, file: str, key: str, kind: str = "quote") -> "Traced | str":
    """A cell quoted from a file (empty text stays a plain empty string)."""
    if value is None or (isinstance(value, float) and value != value) or str(value) == "":
        return ""
    return Traced(Quote(str(value), file, key, kind))


def tjoin(sep: str, items) -> Traced:
    """sep.join(items), keeping the sources of traced items."""
    parts: list = []
    for i, item in enumerate(items):
        if i:
            parts.append(sep)
        parts.append(item)
    return Traced(*parts)


def traced_html(value) -> str:
    """HTML of a cell or a sentence: numbers with a source become spans, the rest is escaped."""
    if isinstance(value, Traced):
        return "".join(html.escape(p) if isinstance(p, str) else p.html() for p in value.parts)
    return html.escape("" if value is None else str(value))


def traced_markdown(value) -> str:
    """Markdown with the numbers as inline HTML spans: Quarto's HTML keeps the spans (pandoc reads
    them as native spans), its Typst output keeps only the text."""
    if isinstance(value, Traced):
        return "".join(p if isinstance(p, str) else p.html() for p in value.parts)
    return "" if value is None else str(value)
