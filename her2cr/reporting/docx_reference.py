"""The Word report's reference document (report/reference.docx) and its per-run copy.

report/reference.docx is Pandoc's own default (`quarto pandoc -o default.docx
--print-default-data-file reference.docx`) with the edits of `make_reference`: a journal-like
serif body, black serif headings, plain captions (a table's stays with its table), styles for
table notes and the contents list's entries, A4 with 2 cm margins, and a page header and footer holding placeholders. Pandoc
takes styles, page set-up, header and footer from it. `python -m her2cr.reporting.docx_reference
default.docx report/reference.docx` rebuilds it.

At each run the render step fills the placeholders of a copy (`fill_reference`): {{study}},
{{cut-off}} and {{version}} anywhere in a header or footer; a paragraph holding {{synthetic}} says
SYNTHETIC DATA on a synthetic cut and is removed on any other. A site's own template needs only
the placeholders it wants, each typed in one go (Word may split text that was edited letter by
letter into several runs, and a split placeholder is left as it is).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from her2cr.reporting.docx_package import CT_NS, R_NS, REL_FOOTER, REL_HEADER, read_parts, write_parts

# the Pandoc whose default reference document report/reference.docx was made from (Quarto 1.11);
# another Pandoc's default differs in details, and a test compares only with this one's
MADE_WITH = "pandoc 3.9"
SERIF = "Times New Roman"  # LibreOffice draws it with the metric-compatible Liberation Serif
_FONTS = f'<w:rFonts w:ascii="{SERIF}" w:hAnsi="{SERIF}" w:eastAsia="{SERIF}" w:cs="{SERIF}" />'
# Pandoc's styles name theme fonts (Aptos / Calibri): replaced by the serif everywhere
_THEME_FONTS = re.compile(r"<w:rFonts\b[^>]*?/>", re.S)

SYNTHETIC = "{{synthetic}}"
PLACEHOLDERS = ("{{study}}", "{{cut-off}}", "{{version}}", SYNTHETIC)

# A4 (210 x 297 mm) in twentieths of a point; 2 cm margins; header and footer 1 cm from the edge
PAGE = ('<w:sectPr><w:headerReference w:type="default" r:id="rIdHer2crHeader" />'
        '<w:footerReference w:type="default" r:id="rIdHer2crFooter" />'
        '<w:footnotePr><w:numRestart w:val="eachSect" /></w:footnotePr>'
        '<w:pgSz w:w="11906" w:h="16838" />'
        '<w:pgMar w:top="1134" w:right="1134" w:bottom="1134" w:left="1134" w:header="567" '
        'w:footer="567" w:gutter="0" /></w:sectPr>')

_PART_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              f'<w:{{part}} xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
              f'xmlns:r="{R_NS}">')


def _run(text: str, extra: str = "") -> str:
    return (f'<w:r><w:rPr>{extra}<w:sz w:val="16" /></w:rPr>'
            f'<w:t xml:space="preserve">{text}</w:t></w:r>')


def _field(code: str) -> str:
    return (f'<w:r><w:rPr><w:sz w:val="16" /></w:rPr><w:fldChar w:fldCharType="begin" /></w:r>'
            f'<w:r><w:rPr><w:sz w:val="16" /></w:rPr><w:instrText xml:space="preserve"> {code} </w:instrText></w:r>'
            f'<w:r><w:rPr><w:sz w:val="16" /></w:rPr><w:fldChar w:fldCharType="separate" /></w:r>'
            f'{_run("1")}<w:r><w:rPr><w:sz w:val="16" /></w:rPr><w:fldChar w:fldCharType="end" /></w:r>')


_GREY, _RED_BOLD = '<w:color w:val="3C3C3C" />', '<w:b /><w:color w:val="B00020" />'
_CENTRED = '<w:pPr><w:jc w:val="center" /><w:spacing w:before="0" w:after="0" /></w:pPr>'
HEADER = (_PART_HEAD.replace("{part}", "hdr")
          + f'<w:p>{_CENTRED}{_run("{{study}} · data cut-off {{cut-off}} · report {{version}}", _GREY)}</w:p>'
          + f'<w:p>{_CENTRED}{_run(SYNTHETIC, _RED_BOLD)}</w:p>'
          + "</w:hdr>")
FOOTER = (_PART_HEAD.replace("{part}", "ftr")
          + f'<w:p>{_CENTRED}{_run("page ")}{_field("PAGE")}{_run(" of ")}{_field("NUMPAGES")}</w:p>'
          + "</w:ftr>")

# style id -> (replacement run properties, paragraph properties to add)
_STYLE_EDITS = {
    "Title": ('<w:b /><w:sz w:val="34" /><w:szCs w:val="34" />', ""),
    "Subtitle": ('<w:sz w:val="24" /><w:szCs w:val="24" />', ""),
    "Heading1": ('<w:b /><w:sz w:val="30" /><w:szCs w:val="30" />', ""),
    "Heading2": ('<w:b /><w:sz w:val="24" /><w:szCs w:val="24" />', ""),
    "Heading3": ('<w:b /><w:i /><w:sz w:val="22" /><w:szCs w:val="22" />', ""),
    "Caption": ('<w:sz w:val="20" /><w:szCs w:val="20" />', ""),
    "TOCHeading": ('<w:b /><w:sz w:val="30" /><w:szCs w:val="30" />', ""),
}

TABLE_NOTE_STYLE = (
    '<w:style w:type="paragraph" w:customStyle="1" w:styleId="TableNote">'
    '<w:name w:val="Table Note" /><w:basedOn w:val="Normal" /><w:qFormat />'
    '<w:pPr><w:spacing w:before="40" w:after="0" /></w:pPr>'
    '<w:rPr><w:sz w:val="17" /><w:szCs w:val="17" /></w:rPr></w:style>')


_BLACK = '<w:color w:val="000000" />'


# the contents list's entries (docx_finish.fill_contents writes them; Word uses the same styles
# when it updates the list)
TOC_STYLES = "".join(
    f'<w:style w:type="paragraph" w:styleId="TOC{n}"><w:name w:val="toc {n}" /><w:basedOn w:val="Normal" />'
    f'<w:next w:val="Normal" /><w:uiPriority w:val="39" /><w:unhideWhenUsed />'
    f'<w:pPr><w:spacing w:before="0" w:after="40" /><w:ind w:left="{360 * (n - 1)}" /></w:pPr></w:style>'
    for n in (1, 2, 3))


def _edit_style(styles: str, style_id: str, rpr: str, ppr: str) -> str:
    m = re.search(rf'<w:style [^>]*w:styleId="{style_id}".*?</w:style>', styles, re.S)
    if not m:
        return styles
    block = m.group(0)
    block = re.sub(r"<w:rPr>.*?</w:rPr>", "", block, flags=re.S)
    block = block.replace("</w:style>", f"<w:rPr>{_FONTS}{_BLACK}{rpr}</w:rPr></w:style>")
    if ppr:
        block = block.replace("</w:pPr>", f"{ppr}</w:pPr>", 1)
    return styles[:m.start()] + block + styles[m.end():]


def make_reference(default: bytes) -> bytes:
    """report/reference.docx from Pandoc's default reference document."""
    parts = read_parts(default)
    styles = parts["word/styles.xml"].decode("utf-8")
    styles = _THEME_FONTS.sub(_FONTS, styles)
    # body: 11 pt serif, British English
    styles = re.sub(r'(<w:rPrDefault>.*?)<w:sz w:val="24" />\s*<w:szCs w:val="24" />',
                    r'\1<w:sz w:val="22" /><w:szCs w:val="22" />', styles, count=1, flags=re.S)
    styles = styles.replace('w:val="en-US"', 'w:val="en-GB"', 1)
    for style_id, (rpr, ppr) in _STYLE_EDITS.items():
        styles = _edit_style(styles, style_id, rpr, ppr)
    styles = styles.replace("</w:styles>", TABLE_NOTE_STYLE + TOC_STYLES + "</w:styles>")
    parts["word/styles.xml"] = styles.encode("utf-8")

    doc = parts["word/document.xml"].decode("utf-8")
    doc = re.sub(r"<w:sectPr>.*?</w:sectPr>", PAGE, doc, count=1, flags=re.S)
    parts["word/document.xml"] = doc.encode("utf-8")
    parts["word/header1.xml"] = HEADER.encode("utf-8")
    parts["word/footer1.xml"] = FOOTER.encode("utf-8")
    rels = parts["word/_rels/document.xml.rels"].decode("utf-8").replace(
        "</Relationships>",
        f'<Relationship Type="{REL_HEADER}" Id="rIdHer2crHeader" Target="header1.xml" />'
        f'<Relationship Type="{REL_FOOTER}" Id="rIdHer2crFooter" Target="footer1.xml" /></Relationships>')
    parts["word/_rels/document.xml.rels"] = rels.encode("utf-8")
    ct = parts["[Content_Types].xml"].decode("utf-8")
    assert CT_NS in ct
    ct = ct.replace("</Types>",
                    '<Override PartName="/word/header1.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.wordprocessingml.header+xml" />'
                    '<Override PartName="/word/footer1.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.wordprocessingml.footer+xml" /></Types>')
    parts["[Content_Types].xml"] = ct.encode("utf-8")
    return write_parts(parts)


def _xml_text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fill_part(xml: str, values: dict[str, str], synthetic: str) -> str:
    """One header or footer with its placeholders filled; the paragraphs holding {{synthetic}}
    are removed when `synthetic` is empty."""
    if not synthetic:
        xml = re.sub(r"<w:p\b(?:(?!</w:p>).)*?" + re.escape(SYNTHETIC) + r".*?</w:p>", "", xml, flags=re.S)
    for key, value in {**values, SYNTHETIC: synthetic}.items():
        xml = xml.replace(key, _xml_text(value))
    return xml


def fill_reference(template: bytes, cut_info: dict, version: str) -> bytes:
    """The run's reference document: the template with the study, the cut-off, the version and
    (on a synthetic cut only) SYNTHETIC DATA in its headers and footers. Same inputs, same bytes."""
    from her2cr import study

    values = {"{{study}}": f"{study.SHORT_TITLE} ({study.NCT_ID})", "{{cut-off}}": str(cut_info["cut"]),
              "{{version}}": version}
    synthetic = study.SYNTHETIC_SHORT if cut_info.get("synthetic") else ""
    parts = read_parts(template)
    for name in parts:
        if re.fullmatch(r"word/(header|footer)\d*\.xml", name):
            parts[name] = fill_part(parts[name].decode("utf-8"), values, synthetic).encode("utf-8")
    return write_parts(parts)


if __name__ == "__main__":  # python -m her2cr.reporting.docx_reference default.docx report/reference.docx
    Path(sys.argv[2]).write_bytes(make_reference(Path(sys.argv[1]).read_bytes()))
