"""Tables in a report notebook that read well in HTML and in Quarto's Typst PDF.

Quarto takes text/html for HTML output and text/markdown for Typst, so each table is shown with
both representations; nbconvert's preview uses the HTML one.
"""

from __future__ import annotations

import html

import pandas as pd


def markdown_table(df: pd.DataFrame) -> str:
    """A pipe table; cells are escaped so that a '|' in a value cannot break it."""
    def cell(v) -> str:
        s = "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
        return s.replace("|", "\\|").replace("\n", " ")

    cols = [cell(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def html_table(df: pd.DataFrame, notes: list[str] | None = None, css_class: str = "her2cr-table") -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if pd.isna(v) else str(v))}</td>" for v in row) + "</tr>"
        for row in df.itertuples(index=False)
    )
    foot = ""
    if notes:
        foot = "<tfoot>" + "".join(
            f'<tr><td colspan="{len(df.columns)}" class="note">{html.escape(n)}</td></tr>' for n in notes) + "</tfoot>"
    return f'<table class="{css_class}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody>{foot}</table>'


class Table:
    """A DataFrame shown as HTML (with footnotes) or as a Markdown pipe table."""

    def __init__(self, df: pd.DataFrame, notes: list[str] | None = None, html_override: str | None = None):
        self.df, self.notes, self.html = df, list(notes or []), html_override

    def _repr_mimebundle_(self, include=None, exclude=None):
        md = markdown_table(self.df)
        if self.notes:
            md += "\n\n" + "\n\n".join(f"*{n}*" for n in self.notes)
        return {
            "text/html": self.html or html_table(self.df, self.notes),
            "text/markdown": md,
            "text/plain": self.df.to_string(index=False),
        }


class Text:
    """Markdown text that also renders as HTML in nbconvert's preview."""

    def __init__(self, markdown: str, html_text: str | None = None):
        self.markdown, self.html_text = markdown, html_text

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/markdown": self.markdown, "text/plain": self.markdown}
        if self.html_text is not None:
            bundle["text/html"] = self.html_text
        return bundle
