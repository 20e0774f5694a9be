"""Report tables as raw Typst for the PDF: pages break inside long tables and repeat the header
row, a table's notes stay on the page of its last rows, short tables never break, text is
left-aligned and never hyphenated, numbers are right-aligned, and every column is at least as wide
as its longest unbreakable piece, so that nothing runs past the page edge.

Cells are written as Typst string literals, so no value can be read as Typst markup. A long token
(a file name, a rule key, a checksum) may break only between pieces set as separate boxes: no
invisible character (zero-width space, soft hyphen) enters the PDF's text, so searching for and
copying any word of the PDF works. Header cells never break inside a word or a parenthesis
("(N = 25)").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import pandas as pd

# A cell that reads as a number, a count, a percentage, an interval or a p-value.
_NUMERIC = re.compile(r"^\s*[<>≤≥]?\s*[-−+]?(\d|∞|inf\b)")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMPTY = {"", "—", "-", "NE", "NA", "inf", "-inf"}
# "NA [Not applicable to this group]" and the like stand in a number column
_NOT_A_NUMBER = re.compile(r"^(NA|NE)\b")
# Characters after which a long token (a file name, a rule key, "penalised-likelihood") may break
# across lines; Typst already breaks after "/" by itself. A hyphen only inside a word: a leading
# minus or a missing-data code such as "-999" stays whole.
_BREAK_AFTER = re.compile(r"(?:(?<=[_=+,;])|(?<=\w-))(?=\S)")
LONG_TOKEN = 12  # tokens up to this length never break
PIECE = 16  # a token without break characters (a checksum) may break every PIECE characters
# A parenthesis in a header ("(N = 25)") stays on one line.
_HEADER_GROUP = re.compile(r"\([^()]*\)")
# Width of a character in em of the table's type: text and digits, bold header text.
CHAR_EM, BOLD_CHAR_EM = 0.55, 0.62


def cell_text(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    return str(v).replace("\r", " ").replace("\n", " ")


def numeric_columns(df: pd.DataFrame) -> list[bool]:
    """A column is numeric when every non-empty cell reads as a number (and one at least does);
    a column of dates is text (read left to right, like the identifiers beside it)."""
    out = []
    for col in df.columns:
        cells = [cell_text(v).strip() for v in df[col]]
        filled = [c for c in cells if c not in _EMPTY and not _NOT_A_NUMBER.match(c)]
        out.append(bool(filled) and all(_NUMERIC.match(c) and not _DATE.match(c) for c in filled))
    return out


def _literal(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def token_pieces(token: str) -> list[str]:
    """Where a long token may break: after _ = + , ; and, in a long run without them (a checksum),
    every PIECE characters. Short tokens stay whole."""
    if len(token) <= LONG_TOKEN:
        return [token]
    out = []
    for part in _BREAK_AFTER.split(token):
        n = math.ceil(len(part) / PIECE) if len(part) > PIECE + 4 else 1
        size = math.ceil(len(part) / n)
        out += [part[k:k + size] for k in range(0, len(part), size)]
    return [p for p in out if p]


def typst_string(text, breakable: bool = True) -> str:
    """Typst code for text: a string literal, or, where a long token may break, the literal's
    pieces joined with the token's pieces as boxes (a line may break between two boxes)."""
    s = cell_text(text)
    if not breakable:
        return _literal(s)
    parts, plain = [], ""
    for token in re.split(r"(\s+)", s):
        pieces = token_pieces(token) if token.strip() else [token]
        if len(pieces) == 1:
            plain += token
            continue
        if plain:
            parts.append(_literal(plain))
            plain = ""
        parts += [f"box({_literal(p)})" for p in pieces]
    if plain or not parts:
        parts.append(_literal(plain))
    return " + ".join(parts)


def header_string(text) -> str:
    """Typst code for a header cell: breaks only between words, never inside a parenthesis."""
    s = cell_text(text)
    parts, last = [], 0
    for m in _HEADER_GROUP.finditer(s):
        if m.start() > last:
            parts.append(_literal(s[last:m.start()]))
        parts.append(f"box({_literal(m.group(0))})")
        last = m.end()
    if last < len(s) or not parts:
        parts.append(_literal(s[last:]))
    return " + ".join(parts)


def unbreakable_units(text, header: bool = False, whole: bool = False) -> list[str]:
    """The pieces of a cell that never break across lines (whole: its tokens, which a column
    should hold on one line where the page has room)."""
    s = cell_text(text)
    if header:
        s = _HEADER_GROUP.sub(lambda m: m.group(0).replace(" ", "\u00a0"), s)
        return s.split() or [""]
    if whole:
        return s.split() or [""]
    return [p for token in s.split() for p in token_pieces(token)] or [""]


def font_size(n_columns: int) -> float:
    """Type size in pt (the body is 10 pt): 9 pt, or 8.5 pt for tables of 7 columns or more,
    which wrap their text columns rather than get smaller type."""
    return 9.0 if n_columns <= 6 else 8.5


NOTE_SIZE_PT = 8.5
A4_WIDTH_PT = 595.276  # 210 mm
MARGIN_X_CM = 2.0  # format.typst.margin.x of report/_quarto.yml (a test keeps them in step)
TEXT_WIDTH_PT = A4_WIDTH_PT - 2 * MARGIN_X_CM * 72 / 2.54
INSET_PT = 5.0
# A table of up to this many lines (rows, wrapped lines and notes, estimated) never breaks across
# pages: moved whole to the next page, it leaves less than a third of a page empty.
SHORT_TABLE_LINES = 16
# The last rows that a long table's notes take with them to a new page, and the first rows that
# its caption and header take with them (never a caption over one or two rows at a page's foot).
TAIL_ROWS = 2
LEAD_ROWS = 2


def em_per_page(n_columns: int, size: float) -> float:
    """The text width, less the cell insets, in em of type of `size` pt."""
    return (TEXT_WIDTH_PT - 2 * INSET_PT * n_columns) / size


def least_widths(df: pd.DataFrame, whole: bool) -> dict[int, float]:
    """Each column's longest unbreakable piece (whole: its longest token) in em."""
    out = {}
    for j, col in enumerate(df.columns):
        cells = [cell_text(v) for v in df[col]] or [""]
        head = BOLD_CHAR_EM * max(len(u) for u in unbreakable_units(col, header=True))
        body = CHAR_EM * max(len(u) for c in cells for u in unbreakable_units(c, whole=whole))
        out[j] = max(head, body, 1.5)
    return out


def _widths_em(df: pd.DataFrame, numeric: list[bool], size: float | None = None) -> tuple[list[float], list[bool]]:
    """Each column's width in em of the table's type (without the cell insets), and whether it
    was fixed (a number column, or a text column held at its longest unbreakable piece).
    size: the type size in pt, font_size's unless given (the Word table may use smaller type)."""
    room = em_per_page(len(df.columns), size or font_size(len(df.columns)))
    # every token whole (a checksum on one line) where the page has room, else the pieces
    least = least_widths(df, whole=True)
    if sum(least.values()) > room:
        least = least_widths(df, whole=False)
    full, weight = {}, {}
    for j, (col, is_num) in enumerate(zip(df.columns, numeric)):
        cells = [cell_text(v) for v in df[col]] or [""]
        if is_num:
            full[j] = max(CHAR_EM * max(len(c) for c in cells), least[j])
        else:
            lengths = sorted(len(c) for c in cells)
            typical = lengths[int(0.9 * (len(lengths) - 1))]
            weight[j] = min(max(typical, len(str(col)) // 2, 4), 60)
    widths = [0.0] * len(df.columns)
    fixed = [False] * len(df.columns)
    # number columns as wide as their widest number, within half the page (down to their least)
    budget = 0.5 * room
    scale = min(1.0, budget / sum(full.values())) if full else 1.0
    for j in full:
        widths[j], fixed[j] = max(full[j] * scale, least[j]), True
    # text columns share the rest by their typical length; one that would be narrower than its
    # longest unbreakable piece is held there and the others share what is left
    free = dict(weight)
    while free:
        rest = room - sum(widths[j] for j in range(len(widths)) if fixed[j])
        total = sum(free.values())
        short = [j for j, w in free.items() if rest * w / total < least[j]]
        if not short:
            for j, w in free.items():
                widths[j] = max(rest * w / total, 0.0)
            break
        for j in short:
            widths[j], fixed[j] = least[j], True
            del free[j]
    # text held at its least pieces can still leave too little room (many columns): the number
    # columns then give up what they hold beyond their least (an interval or a count wraps
    # between words) rather than the table running past the page edge
    excess = sum(widths) - room
    slack = {j: widths[j] - least[j] for j in full if widths[j] > least[j]}
    if excess > 0 and slack:
        give = min(1.0, excess / sum(slack.values()))
        for j, s in slack.items():
            widths[j] -= s * give
    return widths, fixed


def column_widths(df: pd.DataFrame, numeric: list[bool]) -> list[str]:
    """A number column as wide as its widest number or header word, so that numbers do not wrap;
    where the number columns would take more than half the page, they shrink (down to their
    longest unbreakable piece) and long intervals wrap between words. The text columns share the
    rest by their 90th-percentile length, capped, so that long text wraps rather than squeezing
    the other columns, but none is narrower than its longest unbreakable piece (a checksum, a
    header word)."""
    widths, fixed = _widths_em(df, numeric)
    weights = {j: w for j, w in enumerate(widths) if not fixed[j]}
    out = []
    for j, w in enumerate(widths):
        if fixed[j]:
            out.append(f"{w:.1f}em + {2 * INSET_PT:g}pt")
        else:
            out.append(f"{max(round(10 * w / max(min(weights.values()), 0.1)), 1)}fr")
    return out


def estimated_lines(df: pd.DataFrame, notes: list[str] | None, layout=None) -> int:
    """How many lines the table takes, roughly: each row as many as its most wrapped cell, the
    header, the group headings and the notes."""
    numeric = numeric_columns(df)
    widths, _ = _widths_em(df, numeric)
    chars = [max(w / CHAR_EM, 1.0) for w in widths]
    lines = max((math.ceil(len(cell_text(c)) * BOLD_CHAR_EM / max(widths[j], 1.0))
                 for j, c in enumerate(df.columns)), default=1)
    for row in df.itertuples(index=False):
        lines += max([math.ceil(len(cell_text(v)) / chars[j]) for j, v in enumerate(row)] + [1])
    lines += len(layout.group_rows) if layout else 0
    page_chars = (TEXT_WIDTH_PT / NOTE_SIZE_PT) / CHAR_EM
    lines += sum(math.ceil(len(n) / page_chars) for n in notes or [])
    return lines


@dataclass
class TableLayout:
    """How one table is drawn: bold rows (e.g. Table 1 characteristic lines) and group headers."""

    bold_rows: list[bool] = field(default_factory=list)
    group_rows: dict[int, str] = field(default_factory=dict)  # row index -> heading before it


def typst_table(df: pd.DataFrame, notes: list[str] | None = None,
                layout: TableLayout | None = None) -> str:
    """Typst code for df: a table with a repeated header row, then its notes.

    A short table never breaks across pages. A long one breaks between rows; its last rows and its
    notes form the table's footer (not repeated), which Typst never splits, so the notes are on the
    page of the table's last rows and the table never ends with one row alone on a page; its first
    rows form a sub-header (not repeated), which Typst never leaves at a page's foot without a row
    after it, so a page never ends with the caption over one or two rows."""
    layout = layout or TableLayout()
    numeric = numeric_columns(df)
    ncol = max(len(df.columns), 1)
    align = ", ".join("right" if n else "left" for n in numeric) or "left"
    head = ", ".join(f"strong({header_string(c)})" for c in df.columns)
    rows = []
    for i, row in enumerate(df.itertuples(index=False)):
        lines = []
        if i in layout.group_rows:
            lines.append(f"  table.cell(colspan: {ncol}, fill: luma(238), "
                         f"strong({typst_string(layout.group_rows[i])})),")
        bold = i < len(layout.bold_rows) and layout.bold_rows[i]
        cells = []
        for j, v in enumerate(row):
            lit = typst_string(v, breakable=not numeric[j])
            cells.append(f"strong({lit})" if bold and j == 0 else lit)
        lines.append("  " + ", ".join(cells) + ",")
        rows.append(lines)
    notes = list(notes or [])
    # short: few lines, or few rows with long notes (which would otherwise part from them)
    lines_all, lines_rows = estimated_lines(df, notes, layout), estimated_lines(df, [], layout)
    short = lines_all <= SHORT_TABLE_LINES or (lines_rows <= SHORT_TABLE_LINES // 2
                                               and lines_all <= 2 * SHORT_TABLE_LINES)
    note_cells = [f"  table.cell(colspan: {ncol}, stroke: none, inset: (x: 0pt, top: 4pt, bottom: 0pt), "
                  f"text(size: {NOTE_SIZE_PT:g}pt, {typst_string(n, breakable=False)})),"
                  for n in notes]
    tail = [] if short or len(rows) <= TAIL_ROWS else rows[-TAIL_ROWS:]
    lead = [] if short or len(rows) <= TAIL_ROWS + LEAD_ROWS + 1 else rows[:LEAD_ROWS]
    body = rows[len(lead):len(rows) - len(tail)]
    lines = [
        f"#block(width: 100%, breakable: {'false' if short else 'true'})[",
        "#set align(left)",
        f"#set text(size: {font_size(ncol):g}pt, hyphenate: false)",
        "#set par(justify: false)",
        "#table(",
        f"  columns: ({', '.join(column_widths(df, numeric))},),",
        f"  align: ({align},),",
        f"  inset: (x: {INSET_PT:g}pt, y: 3pt),",
        "  stroke: (x, y) => if y > 0 { (bottom: 0.4pt + luma(205)) },",
        "  table.hline(stroke: 0.8pt),",
        f"  table.header(repeat: true, {head}, table.hline(stroke: 0.8pt)),",
        *(["  table.header(repeat: false, level: 2,", *[line for r in lead for line in r], "  ),"]
          if lead else []),
        *[line for r in body for line in r],
    ]
    if tail or note_cells:
        lines += ["  table.footer(repeat: false,", *[line for r in tail for line in r],
                  "  table.hline(stroke: 0.8pt),", *note_cells, "  ),"]
    else:
        lines.append("  table.hline(stroke: 0.8pt),")
    lines += [")", "]"]
    return "\n".join(lines)
