"""Report tables as raw Typst for the PDF: pages break inside long tables and repeat the header
row, text is left-aligned and never hyphenated, numbers are right-aligned, wide tables get
smaller type so that they fit the page width.

Cells are written as Typst string literals, so no value can be read as Typst markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

# A cell that reads as a number, a count, a percentage, an interval or a p-value.
_NUMERIC = re.compile(r"^\s*[<>≤≥]?\s*[-−+]?(\d|∞|inf\b)")
_EMPTY = {"", "—", "-", "NE", "NA", "inf", "-inf"}
# "NA [Not applicable to this group]" and the like stand in a number column
_NOT_A_NUMBER = re.compile(r"^(NA|NE)\b")
# Characters after which a long token (a file name, a rule key) may break across lines.
_BREAK_AFTER = re.compile(r"([_/=+,;])(?=\S)")
ZWSP = "\u200b"


def cell_text(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    return str(v).replace("\r", " ").replace("\n", " ")


def numeric_columns(df: pd.DataFrame) -> list[bool]:
    """A column is numeric when every non-empty cell reads as a number (and one at least does)."""
    out = []
    for col in df.columns:
        cells = [cell_text(v).strip() for v in df[col]]
        filled = [c for c in cells if c not in _EMPTY and not _NOT_A_NUMBER.match(c)]
        out.append(bool(filled) and all(_NUMERIC.match(c) for c in filled))
    return out


def typst_string(text: str, breakable: bool = True) -> str:
    """A Typst string literal; long tokens get break opportunities after _ / = + , ;"""
    s = cell_text(text)
    if breakable:
        s = _BREAK_AFTER.sub(lambda m: m.group(1) + ZWSP, s)
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def font_size(n_columns: int) -> float:
    """Type size in pt, smaller for wider tables: the choice that keeps every table within the
    width of an A4 portrait page."""
    if n_columns <= 4:
        return 9.0
    if n_columns <= 6:
        return 8.5
    return 7.5


A4_WIDTH_PT = 595.276  # 210 mm
MARGIN_X_CM = 2.0  # format.typst.margin.x of report/_quarto.yml (a test keeps them in step)
TEXT_WIDTH_PT = A4_WIDTH_PT - 2 * MARGIN_X_CM * 72 / 2.54
INSET_PT = 5.0


def column_widths(df: pd.DataFrame, numeric: list[bool]) -> list[str]:
    """A number column as wide as its widest number or header word (in em of the table's type),
    so that numbers do not wrap; where the number columns would take more than half the page,
    they shrink (down to their longest unbreakable piece) and long intervals wrap between words.
    The text columns share the rest by their 90th-percentile length, capped, so that long text
    wraps rather than squeezing the other columns."""
    em_per_page = (TEXT_WIDTH_PT - 2 * INSET_PT * len(df.columns)) / font_size(len(df.columns))
    full, least = {}, {}
    for j, (col, is_num) in enumerate(zip(df.columns, numeric)):
        if not is_num:
            continue
        cells = [cell_text(v) for v in df[col]] or ["0"]
        words = max((len(w) for w in str(col).split()), default=1)
        # digits are half an em wide; bold header letters a little more
        least[j] = max(0.55 * max(len(t) for c in cells for t in (c.split() or [""])), 0.62 * words, 1.5)
        full[j] = max(0.55 * max(len(c) for c in cells), least[j])
    budget = 0.5 * em_per_page
    scale = min(1.0, budget / sum(full.values())) if full else 1.0
    widths = []
    for j, col in enumerate(df.columns):
        if j in full:
            widths.append(f"{max(full[j] * scale, least[j]):.1f}em + {2 * INSET_PT:g}pt")
        else:
            lengths = [len(cell_text(v)) for v in df[col]] or [1]
            typical = sorted(lengths)[int(0.9 * (len(lengths) - 1))]
            words = max((len(w) for w in str(col).split()), default=1)
            widths.append(f"{min(max(typical, words, len(str(col)) // 2, 4), 60)}fr")
    return widths


@dataclass
class TableLayout:
    """How one table is drawn: bold rows (e.g. Table 1 characteristic lines) and group headers."""

    bold_rows: list[bool] = field(default_factory=list)
    group_rows: dict[int, str] = field(default_factory=dict)  # row index -> heading before it


def typst_table(df: pd.DataFrame, notes: list[str] | None = None,
                layout: TableLayout | None = None) -> str:
    """Typst code for df: a breakable table with a repeated header row, then the notes."""
    layout = layout or TableLayout()
    numeric = numeric_columns(df)
    ncol = max(len(df.columns), 1)
    align = ", ".join("right" if n else "left" for n in numeric) or "left"
    head = ", ".join(f"strong({typst_string(c)})" for c in df.columns)
    body = []
    for i, row in enumerate(df.itertuples(index=False)):
        if i in layout.group_rows:
            body.append(f"  table.cell(colspan: {ncol}, fill: luma(238), "
                        f"strong({typst_string(layout.group_rows[i])})),")
        bold = i < len(layout.bold_rows) and layout.bold_rows[i]
        cells = []
        for j, v in enumerate(row):
            lit = typst_string(v, breakable=not numeric[j])
            cells.append(f"strong({lit})" if bold and j == 0 else lit)
        body.append("  " + ", ".join(cells) + ",")
    lines = [
        "#block(width: 100%, breakable: true)[",
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
        *body,
        "  table.hline(stroke: 0.8pt),",
        ")",
    ]
    for note in notes or []:
        lines.append(f"#block(above: 0.5em, text(size: 7.5pt, {typst_string(note, breakable=False)}))")
    lines.append("]")
    return "\n".join(lines)
