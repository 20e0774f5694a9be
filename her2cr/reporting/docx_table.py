"""Report tables as raw OpenXML for the Word report (report.docx).

Why raw OpenXML (a ```{=openxml} block), and not one of the other two ways into Word:
- Quarto's HTML-table processing would turn our raw HTML into Pandoc tables for every format: the
  HTML report would lose its traced numbers as written, and the PDF its Typst tables
  (report/_quarto.yml keeps it off for that reason).
- A Pandoc table (a pipe or grid table given to Word only) repeats its header row and aligns its
  columns, but cannot set the type size of one table, absolute column widths, keep a table's last
  rows with its notes, or span a group heading across the columns.
- Raw OpenXML expresses each of these, and is made here from the same table model as the HTML and
  the Typst forms (the DataFrame of formatted cells, its notes and its TableLayout), with the
  column widths and type sizes of the PDF (typst_table): one formatting rule, no number typed
  twice.

What Word gets: a header row repeated on every page (w:tblHeader); numbers right-aligned and text
left-aligned (typst_table.numeric_columns); rows that never split across pages; the widths of the
PDF's table, fitted to an A4 portrait page with 2 cm margins, and its type size (9 pt, 8.5 pt for
7 columns or more; smaller, down to 7 pt, where the PDF breaks a long token between its pieces,
which Word cannot: type_size), so that the widest table fits the page as the PDF's does; notes as paragraphs of
the "Table Note" style under the table, kept on the page of its last rows (keep-with-next); a
short table never breaks across pages, a long one keeps its first rows with its caption.
"""

from __future__ import annotations

import re

import pandas as pd

from her2cr.reporting.typst_table import (
    BOLD_CHAR_EM, INSET_PT, LEAD_ROWS, NOTE_SIZE_PT, SHORT_TABLE_LINES, TAIL_ROWS, TEXT_WIDTH_PT,
    TableLayout, _widths_em, cell_text, em_per_page, estimated_lines, font_size, least_widths,
    numeric_columns, unbreakable_units)

TWIPS_PER_PT = 20
# rules as the PDF draws them: 0.8 pt above and below the table and under its header, 0.4 pt light
# grey between rows (eighths of a point)
RULE, HAIRLINE, HAIRLINE_COLOUR, GROUP_FILL = 6, 3, "CDCDCD", "EEEEEE"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xml_text(s: str) -> str:
    """Text as XML character data (no control character, which XML cannot hold)."""
    return _CONTROL.sub("", s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def header_text(column) -> str:
    """A header cell's text; "(N = 25)" never breaks over lines (non-breaking spaces, as in the
    HTML report: display.header_html). A longer parenthesis ("(stop anti-HER2 treatment)") wraps
    between its words: Word would break a word of it that does not fit."""
    return cell_text(column).replace("(N = ", "(N\u00a0=\u00a0")


# Smaller type, down to 7 pt, before a word breaks inside (see type_size)
SMALLER_SIZES = (8.0, 7.5, 7.0)


def type_size(df: pd.DataFrame) -> float:
    """The table's type size in pt: the PDF's (font_size), or smaller where the PDF breaks long
    tokens between their pieces (after _ = + ; a checksum every 16 characters) to fit the page.
    Word breaks a word only where it runs out of room, at any letter ("variants_detecte|d"), so
    its table takes the largest size down to 7 pt at which every token fits its column whole."""
    size = font_size(len(df.columns))
    if not len(df.columns):
        return size
    whole = sum(least_widths(df, whole=True).values())
    for candidate in (size, *SMALLER_SIZES):
        if candidate <= size and whole <= em_per_page(len(df.columns), candidate):
            return candidate
    return size


def number_text(v) -> str:
    """A number cell's text. The formatter joins an interval's words with no-break spaces
    ("5.2 to 40.3"), which keeps it whole in running text; in a number column it wraps between
    its words as the column widths assume (typst_table: the number columns give up width
    beyond their longest word), where Word would otherwise break inside a number ("40.|3")."""
    return cell_text(v).replace("\u00a0", " ")


def column_twips(df: pd.DataFrame, numeric: list[bool], size: float | None = None) -> list[int]:
    """Each column's width in twentieths of a point, insets included, summing to the text width:
    the PDF's widths (typst_table._widths_em), the number columns and the columns held at their
    longest unbreakable piece fixed, the other text columns sharing the rest by weight."""
    size = size or font_size(len(df.columns))
    widths, fixed = _widths_em(df, numeric, size)
    total = round(TEXT_WIDTH_PT * TWIPS_PER_PT)
    out = [round((w * size + 2 * INSET_PT) * TWIPS_PER_PT) if f else 0 for w, f in zip(widths, fixed)]
    free = {j: w for j, (w, f) in enumerate(zip(widths, fixed)) if not f}
    rest = total - sum(out)
    for j, w in free.items():
        out[j] = max(round(rest * w / max(sum(free.values()), 1e-9)), 2 * round(INSET_PT * TWIPS_PER_PT))
    # rounding and the fixed columns' sum: the last column takes up the difference, and a table
    # whose fixed columns overrun the page is scaled down to it
    if sum(out) > total or free:
        scale = total / sum(out)
        out = [max(round(w * scale), 1) for w in out]
        out[-1] += total - sum(out)
    return _header_words_whole(df, out, size)


# Width in em of bold Times capitals (S, M, D are 0.56-0.94 em): the PDF's estimate of a bold
# character (BOLD_CHAR_EM) is an average, which a header in capitals ("SMD") overruns in Word,
# where it then broke inside the word ("SM|D").
BOLD_CAPITAL_EM = 0.78


def _header_word_twips(column, size: float) -> int:
    em = max(sum(BOLD_CAPITAL_EM if ch.isupper() else BOLD_CHAR_EM for ch in word)
             for word in unbreakable_units(column, header=True))
    return round((em * size + 2 * INSET_PT) * TWIPS_PER_PT)


def _header_words_whole(df: pd.DataFrame, out: list[int], size: float) -> list[int]:
    """Widen a column whose header word would not fit it whole, taking the room from the widest
    other column, so that the sum (the text width) stays the same."""
    out = list(out)
    for j, col in enumerate(df.columns):
        need = _header_word_twips(col, size)
        widest = max((k for k in range(len(out)) if k != j), key=lambda k: out[k], default=None)
        if out[j] < need and widest is not None and out[widest] - (need - out[j]) >= need:
            out[widest] -= need - out[j]
            out[j] = need
    return out


def _paragraph(text: str, *, size_half_pt: int, right: bool = False, bold: bool = False,
               keep_next: bool = False) -> str:
    ppr = ('<w:pPr><w:pStyle w:val="Compact" />' + ("<w:keepNext />" if keep_next else "")
           + '<w:spacing w:before="0" w:after="0" />' + f'<w:jc w:val="{"right" if right else "left"}" /></w:pPr>')
    rpr = ("<w:b /><w:bCs />" if bold else "") + f'<w:sz w:val="{size_half_pt}" /><w:szCs w:val="{size_half_pt}" />'
    return f'<w:p>{ppr}<w:r><w:rPr>{rpr}</w:rPr><w:t xml:space="preserve">{xml_text(text)}</w:t></w:r></w:p>'


def _cell(width: int, body: str, bottom: tuple[int, str] | None = None, span: int = 1, fill: str = "") -> str:
    tcpr = f'<w:tcW w:w="{width}" w:type="dxa" />'
    if span > 1:
        tcpr += f'<w:gridSpan w:val="{span}" />'
    if bottom:
        tcpr += (f'<w:tcBorders><w:bottom w:val="single" w:sz="{bottom[0]}" w:space="0" '
                 f'w:color="{bottom[1]}" /></w:tcBorders>')
    if fill:
        tcpr += f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}" />'
    return f"<w:tc><w:tcPr>{tcpr}</w:tcPr>{body}</w:tc>"


def _row(cells: str, header: bool = False) -> str:
    trpr = "<w:cantSplit />" + ("<w:tblHeader />" if header else "")
    return f"<w:tr><w:trPr>{trpr}</w:trPr>{cells}</w:tr>"


def openxml_table(df: pd.DataFrame, notes: list[str] | None = None,
                  layout: TableLayout | None = None) -> str:
    """OpenXML for df: a Word table with a repeated header row, then its notes."""
    layout = layout or TableLayout()
    notes = list(notes or [])
    numeric = numeric_columns(df)
    ncol = max(len(df.columns), 1)
    pt = type_size(df)
    widths = column_twips(df, numeric, pt) if len(df.columns) else [round(TEXT_WIDTH_PT * TWIPS_PER_PT)]
    size = round(2 * pt)  # half-points
    rows = list(df.itertuples(index=False))
    lines_all, lines_rows = estimated_lines(df, notes, layout), estimated_lines(df, [], layout)
    short = lines_all <= SHORT_TABLE_LINES or (lines_rows <= SHORT_TABLE_LINES // 2
                                               and lines_all <= 2 * SHORT_TABLE_LINES)

    def keep(i: int) -> bool:
        """Whether row i stays on the page of the next row (or, the last, of the first note)."""
        last = i == len(rows) - 1
        if short:
            return not last or bool(notes)
        return i < LEAD_ROWS or (i >= len(rows) - TAIL_ROWS and (not last or bool(notes)))

    head = "".join(_cell(w, _paragraph(header_text(c), size_half_pt=size, right=n, bold=True, keep_next=True),
                         bottom=(RULE, "000000"))
                   for c, w, n in zip(df.columns, widths, numeric))
    out = [_row(head, header=True)]
    for i, row in enumerate(rows):
        last = i == len(rows) - 1
        bottom = None if last else (HAIRLINE, HAIRLINE_COLOUR)
        if i in layout.group_rows:
            out.append(_row(_cell(sum(widths), _paragraph(layout.group_rows[i], size_half_pt=size, bold=True,
                                                          keep_next=True),
                                  bottom=(HAIRLINE, HAIRLINE_COLOUR), span=ncol, fill=GROUP_FILL)))
        bold = i < len(layout.bold_rows) and layout.bold_rows[i]
        out.append(_row("".join(
            _cell(w, _paragraph(number_text(v) if n else cell_text(v), size_half_pt=size, right=n,
                                bold=bold and j == 0, keep_next=keep(i)),
                  bottom=bottom)
            for j, (v, w, n) in enumerate(zip(row, widths, numeric)))))
    grid = "".join(f'<w:gridCol w:w="{w}" />' for w in widths)
    inset = round(INSET_PT * TWIPS_PER_PT)
    table = ("<w:tbl><w:tblPr><w:tblStyle w:val=\"Table\" />"
             f'<w:tblW w:w="{sum(widths)}" w:type="dxa" /><w:tblInd w:w="0" w:type="dxa" />'
             f'<w:tblBorders><w:top w:val="single" w:sz="{RULE}" w:space="0" w:color="000000" />'
             f'<w:bottom w:val="single" w:sz="{RULE}" w:space="0" w:color="000000" /></w:tblBorders>'
             '<w:tblLayout w:type="fixed" />'
             f'<w:tblCellMar><w:top w:w="60" w:type="dxa" /><w:left w:w="{inset}" w:type="dxa" />'
             f'<w:bottom w:w="60" w:type="dxa" /><w:right w:w="{inset}" w:type="dxa" /></w:tblCellMar>'
             '<w:tblLook w:val="0020" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" '
             'w:noHBand="1" w:noVBand="1" /></w:tblPr>'
             f"<w:tblGrid>{grid}</w:tblGrid>" + "".join(out) + "</w:tbl>")
    note_size = round(2 * NOTE_SIZE_PT)
    paras = []
    for k, note in enumerate(notes):
        keep_note = "<w:keepNext />" if k < len(notes) - 1 else ""
        paras.append(f'<w:p><w:pPr><w:pStyle w:val="TableNote" />{keep_note}</w:pPr><w:r><w:rPr>'
                     f'<w:sz w:val="{note_size}" /><w:szCs w:val="{note_size}" /></w:rPr>'
                     f'<w:t xml:space="preserve">{xml_text(cell_text(note))}</w:t></w:r></w:p>')
    return table + "".join(paras)


def openxml_paragraph(text: str, italic: bool = True) -> str:
    """A paragraph of body text as OpenXML (for a note standing in for a table Word cannot show)."""
    rpr = "<w:rPr><w:i /></w:rPr>" if italic else ""
    return f'<w:p><w:pPr><w:pStyle w:val="BodyText" /></w:pPr><w:r>{rpr}<w:t xml:space="preserve">{xml_text(text)}</w:t></w:r></w:p>'
