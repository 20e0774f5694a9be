"""The QC's result in the report: the report notebook shows placeholders (its first page and a
row of the provenance appendix), which the run fills in once QC has finished, before the render
(QC runs while the report notebook executes)."""

from __future__ import annotations

import html
import re

FIRST_PAGE_TOKEN = "independent-QC-result-pending"
PROVENANCE_TOKEN = "independent-QC-provenance-pending"
PROVENANCE_ITEM = "Independent QC (R)"


def first_page(result) -> tuple[str, str]:
    """(Markdown, HTML) of the QC's line on the first page."""
    if result is None or result.status == "not run":
        text = result.summary if result is not None else "independent QC not run"
        return f"*{text[0].upper() + text[1:]}.*", f"<p><em>{html.escape(text[0].upper() + text[1:])}.</em></p>"
    if result.status == "agree":
        md = f"**QC: values agree.** {result.summary}."
        return md, f"<p><strong>QC: values agree.</strong> {html.escape(result.summary)}.</p>"
    where = "; ".join(result.tables) or "the QC program"
    lead = f"QC: values differ in {where}."
    tail = (f"{len(result.differences)} values differ from the independent programming in R "
            "(qc/qc_values.csv lists every value): this report's numbers are not released. " + result.summary + ".")
    box = (f'<div style="background:#b00020;color:#fff;padding:0.6em 1em"><strong>{html.escape(lead)}</strong> '
           f"{html.escape(tail)}</div>")
    # a red block in both documents (Quarto keeps each raw block for its own format)
    md = (f"```{{=html}}\n{box}\n```\n\n```{{=typst}}\n#block(fill: rgb(\"#b00020\"), inset: 8pt, width: 100%)"
          f"[#text(fill: white)[#strong[{_typst(lead)}] {_typst(tail)}]]\n```\n")
    return md, box


def _typst(text: str) -> str:
    """Text for Typst markup: its special characters escaped."""
    return re.sub(r'([\\#*_`$<>@\[\]~/"=-])', r"\\\1", text)


def provenance_value(result) -> str:
    return result.summary if result is not None else "independent QC not run"


def _typst_boxed(text: str, token: str, value: str) -> str:
    """The report's Typst tables cut long cell text into boxes (box("independent-") + box("QC-")
    + ...) so that it can break: the token so cut is replaced by one Typst string."""
    literal = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    join = r'(?:"\)\s*\+\s*box\(")?'  # a cut between two boxes, anywhere in the token
    pattern = r'box\("' + join.join(re.escape(ch) for ch in token) + r'"\)'
    return re.sub(pattern, lambda m: literal, text)


def fill_notebook(nb: dict, result) -> dict:
    """The executed report notebook (nbformat JSON as a dict) with the placeholders filled in."""
    md, htm = first_page(result)
    prov = provenance_value(result)
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            for mime, value in list(data.items()):
                if not isinstance(value, (str, list)):
                    continue
                text = "".join(value) if isinstance(value, list) else value
                text = _typst_boxed(text, PROVENANCE_TOKEN, prov)
                if FIRST_PAGE_TOKEN not in text and PROVENANCE_TOKEN not in text:
                    data[mime] = text
                    continue
                is_html = mime == "text/html"
                text = text.replace(FIRST_PAGE_TOKEN, htm if is_html else md)
                text = text.replace(PROVENANCE_TOKEN, html.escape(prov) if is_html else prov)
                data[mime] = text
    return nb
