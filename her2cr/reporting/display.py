"""Tables in a report notebook that read well in HTML and in Quarto's Typst PDF.

Each table carries two representations: text/html for nbconvert's preview, and text/markdown for
Quarto, holding the same table three times as raw blocks, HTML for the HTML report, Typst for the
PDF (`typst_table`: breaks across pages, repeats its header, no hyphenation) and OpenXML for the
Word report (`docx_table`, which says why OpenXML). The render step gives Quarto only the
Markdown, so the HTML report needs no Jupyter scripts from a CDN.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from her2cr.trace import traced_html
from her2cr.reporting.docx_table import openxml_table
from her2cr.reporting.typst_table import TableLayout, numeric_columns, typst_table


def _blank(v) -> bool:
    return v is None or (not isinstance(v, str) and bool(pd.isna(v)))


def markdown_table(df: pd.DataFrame) -> str:
    """A pipe table; cells are escaped so that a '|' in a value cannot break it."""
    def cell(v) -> str:
        s = "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
        return s.replace("|", "\\|").replace("\n", " ")

    cols = [cell(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def header_html(column) -> str:
    """A header cell's HTML; "(N = 25)" never breaks over lines (non-breaking spaces; the Typst
    table keeps a header's parenthesis on one line by itself: typst_table)."""
    return traced_html(column).replace("(N = ", "(N\u00a0=\u00a0")


def html_table(df: pd.DataFrame, notes: list[str] | None = None, css_class: str = "her2cr-table",
               layout: TableLayout | None = None) -> str:
    layout = layout or TableLayout()
    numeric = numeric_columns(df)
    num = [' class="num"' if n else "" for n in numeric]
    head = "".join(f"<th{k}>{header_html(c)}</th>" for c, k in zip(df.columns, num))
    rows = []
    for i, row in enumerate(df.itertuples(index=False)):
        if i in layout.group_rows:
            rows.append(f'<tr class="group"><td colspan="{len(df.columns)}">'
                        f"{html.escape(layout.group_rows[i])}</td></tr>")
        bold = ' class="label"' if i < len(layout.bold_rows) and layout.bold_rows[i] else ""
        rows.append(f"<tr{bold}>" + "".join(
            f"<td{k}>{traced_html(None if _blank(v) else v)}</td>" for v, k in zip(row, num)) + "</tr>")
    body = "".join(rows)
    foot = ""
    if notes:
        foot = "<tfoot>" + "".join(
            f'<tr><td colspan="{len(df.columns)}" class="note">{traced_html(n)}</td></tr>' for n in notes) + "</tfoot>"
    return f'<table class="{css_class}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody>{foot}</table>'


def grouped(df: pd.DataFrame, column: str, layout: TableLayout | None = None):
    """df without `column`, and a layout with a heading row wherever its value changes."""
    layout = layout or TableLayout()
    values = df[column].tolist()
    headings = {i: str(v) for i, v in enumerate(values) if i == 0 or v != values[i - 1]}
    return (df.drop(columns=column).reset_index(drop=True),
            TableLayout(bold_rows=list(layout.bold_rows), group_rows={**layout.group_rows, **headings}))


class Table:
    """A DataFrame shown as HTML (with footnotes) or as a Markdown pipe table.

    With a label and a caption (tables made in a loop, which cell options cannot caption), Quarto
    gets a cross-reference div (`::: {#tbl-label}`) and the preview a numbered caption.
    group_by: a column whose values become heading rows (the column itself is not shown)."""

    KIND = "table"

    def __init__(self, df: pd.DataFrame, notes: list[str] | None = None, html_override: str | None = None,
                 label: str | None = None, caption: str | None = None, layout: TableLayout | None = None,
                 group_by: str | None = None):
        layout = layout or TableLayout()
        if group_by is not None:
            df, layout = grouped(df, group_by, layout)
        self.df, self.notes, self.html = df, list(notes or []), html_override
        self.label, self.caption, self.layout = label, caption, layout

    def page_html(self) -> str:
        return self.html or html_table(self.df, self.notes, layout=self.layout)

    def quarto_markdown(self, page: str | None = None) -> str:
        """Raw HTML for Quarto's HTML report, raw Typst for its PDF and raw OpenXML for its Word
        document, each ignored by the others."""
        page = self.page_html() if page is None else page
        return (f"```{{=html}}\n{page}\n```\n\n"
                f"```{{=typst}}\n{typst_table(self.df, self.notes, self.layout)}\n```\n\n"
                f"```{{=openxml}}\n{openxml_table(self.df, self.notes, self.layout)}\n```\n")

    def _repr_mimebundle_(self, include=None, exclude=None):
        page = self.page_html()  # built once for both outputs
        md = self.quarto_markdown(page)
        bundle = {"text/html": page, "text/markdown": md, "text/plain": self.df.to_string(index=False)}
        if not (self.label and self.caption):
            return bundle
        bundle["text/markdown"] = f"::: {{#{self.label}}}\n\n{md}\n\n{self.caption}\n:::\n"
        bundle["text/html"] = f'<p class="her2cr-caption">{html.escape(self.caption)}</p>' + page
        return bundle, {Figure.QUARTO_KEY: True, "her2cr-kind": self.KIND}


class Text:
    """Markdown text that also renders as HTML in nbconvert's preview."""

    def __init__(self, markdown: str, html_text: str | None = None):
        self.markdown, self.html_text = markdown, html_text

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/markdown": self.markdown, "text/plain": self.markdown}
        if self.html_text is not None:
            bundle["text/html"] = self.html_text
        return bundle


class Figure:
    """A saved figure with its caption and alt text.

    Quarto gets a Markdown cross-reference div (`::: {#fig-label}`) so that the figure is numbered
    and can be cited as @fig-label, with the SVG (vector in the HTML, where embed-resources
    inlines it, and in the Typst PDF) at the size it was drawn, never wider than the text, and
    its alt text as fig-alt. nbconvert's preview gets HTML with the same SVG embedded. The render
    step removes the HTML representation before Quarto sees the notebook (see render.py).

    alone: in the PDF the figure takes at least half a page (its own float, her2cr-figure-alone
    in the page set-up, render.page_typst), so that it never shares a page with another figure
    and a page that holds it keeps the rest for the flow: for figures that share their section
    with a long table, which then runs on under one figure a page instead of in slivers of a row
    or two between two figures. first: the first of such figures, which stays where it is cited
    when it fits there.
    """

    QUARTO_KEY = "her2cr-quarto-markdown"
    MAX_WIDTH_IN = 6.6  # the PDF's text width (A4 with 2 cm margins)

    def __init__(self, svg: str | Path, caption: str, label: str, rel_dir: str = "figures",
                 alt: str = "", alone: bool = False, first: bool = False):
        self.svg, self.caption, self.label, self.rel_dir = Path(svg), caption.strip(), label, rel_dir
        self.alt = " ".join((alt or self.caption).split())
        self.alone, self.first = alone, first

    def width_in(self) -> float:
        """The SVG's drawn width in inches (matplotlib writes it in pt), at most the text width."""
        import re

        head = self.svg.read_text(encoding="utf-8", errors="replace")[:2000]
        m = re.search(r'<svg[^>]*\bwidth="([\d.]+)pt"', head)
        return min(float(m.group(1)) / 72 if m else self.MAX_WIDTH_IN, self.MAX_WIDTH_IN)

    def quarto_markdown(self) -> str:
        alt = self.alt.replace("\\", "\\\\").replace('"', '\\"')
        div = (f"::: {{#{self.label}}}\n"
               f'![]({self.rel_dir}/{self.svg.name}){{width={self.width_in():.2f}in fig-alt="{alt}"}}'
               f"\n\n{self.caption}\n:::\n")
        if not self.alone:
            return div
        first = "true" if self.first else "false"
        return (f"```{{=typst}}\n#her2cr-figure-alone(first: {first})[\n```\n\n{div}\n"
                "```{=typst}\n]\n```\n")

    def _repr_mimebundle_(self, include=None, exclude=None):
        import base64

        data = base64.b64encode(self.svg.read_bytes()).decode("ascii")
        page = (f'<figure class="her2cr-figure" id="{html.escape(self.label)}">'
                f'<img src="data:image/svg+xml;base64,{data}" '
                f'style="width:{self.width_in():.2f}in;max-width:100%" alt="{html.escape(self.alt)}"/>'
                f"<figcaption>{html.escape(self.caption)}</figcaption></figure>")
        return ({"text/markdown": self.quarto_markdown(), "text/html": page,
                 "text/plain": f"[figure: {self.caption}]"},
                {self.QUARTO_KEY: True, "her2cr-kind": "figure"})


def figure_from_files(figures_dir: Path | str, name: str, label: str | None = None,
                      rel_dir: str = "figures") -> Figure | Text:
    """The figure `name` saved by a notebook (svg, txt caption, alt.txt alt text), or a note that
    it is missing. Without alt text, the caption's first sentence stands in for it.

    rel_dir: the folder of the figure relative to the cut's output folder (for Quarto)."""
    d = Path(figures_dir)
    svg, txt, alt = d / f"{name}.svg", d / f"{name}.txt", d / f"{name}.alt.txt"
    if not svg.exists():
        return Text(f"*Figure {name} was not produced in this run.*")
    caption = txt.read_text(encoding="utf-8") if txt.exists() else name
    alt_text = (alt.read_text(encoding="utf-8").strip() if alt.exists()
                else caption.strip().split(". ")[0].rstrip(".") + ".")
    return Figure(svg, caption, label or f"fig-{name.replace('_', '-')}", rel_dir=rel_dir, alt=alt_text)
