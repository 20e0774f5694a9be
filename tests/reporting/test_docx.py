"""The Word report's parts, without Quarto: the OpenXML tables, the reference document and its
per-run copy, and the finishing of Quarto's .docx (tests/reporting/test_report_docx.py checks
the rendered report)."""

from __future__ import annotations

import io
import re
import subprocess
import xml.etree.ElementTree as ET
import zipfile

import pandas as pd
import pytest

from her2cr.reporting.docx_finish import figure_alt_texts, table_documents, unwrap_floats
from her2cr.reporting.docx_package import W_NS, read_parts, write_parts
from her2cr.reporting.docx_reference import fill_reference, make_reference
from her2cr.reporting.docx_table import column_twips, openxml_table, type_size
from her2cr.reporting.typst_table import TEXT_WIDTH_PT, TableLayout, numeric_columns
from her2cr.reporting.render import find_quarto
from her2cr.settings import PROJECT

W = f"{{{W_NS}}}"
REFERENCE = PROJECT / "report" / "reference.docx"


def parse(xml: str) -> ET.Element:
    """Raw OpenXML as the body of a document (it must be well-formed with the w: prefix)."""
    return ET.fromstring(f'<w:body xmlns:w="{W_NS}">{xml}</w:body>')


def cell_texts(row: ET.Element) -> list[str]:
    return ["".join(t.text or "" for t in tc.iter(W + "t")) for tc in row.findall(W + "tc")]


def frame(rows: int = 3) -> pd.DataFrame:
    return pd.DataFrame({"Characteristic": [f"Level {i} & <more>" for i in range(rows)],
                         "Continuing (N = 25)": [f"{i} ({i * 4.0:.1f}%)" for i in range(rows)],
                         "CI": ["5.2\u00a0to\u00a040.3"] * rows})


def test_table_has_a_repeated_header_aligned_columns_and_its_notes_below():
    body = parse(openxml_table(frame(), notes=["Note one.", "Note two."]))
    tbl = body.find(W + "tbl")
    rows = tbl.findall(W + "tr")
    assert rows[0].find(f"{W}trPr/{W}tblHeader") is not None
    assert all(r.find(f"{W}trPr/{W}tblHeader") is None for r in rows[1:])
    assert all(r.find(f"{W}trPr/{W}cantSplit") is not None for r in rows)
    # "(N = 25)" held together; text escaped and read back as written
    assert cell_texts(rows[0]) == ["Characteristic", "Continuing (N\u00a0=\u00a025)", "CI"]
    assert cell_texts(rows[1])[:2] == ["Level 0 & <more>", "0 (0.0%)"]
    # an interval wraps between its words in a number column, never inside a number
    assert cell_texts(rows[1])[2] == "5.2 to 40.3"
    aligns = [[p.find(f"{W}pPr/{W}jc").get(W + "val") for p in r.iter(W + "p")] for r in rows]
    assert all(a == ["left", "right", "right"] for a in aligns)
    notes = [p for p in body.findall(W + "p")]
    assert [p.find(f"{W}pPr/{W}pStyle").get(W + "val") for p in notes] == ["TableNote", "TableNote"]
    assert ["".join(t.text for t in p.iter(W + "t")) for p in notes] == ["Note one.", "Note two."]
    # the notes stay together and with the table's last rows
    assert notes[0].find(f"{W}pPr/{W}keepNext") is not None and notes[1].find(f"{W}pPr/{W}keepNext") is None
    assert rows[-1].find(f".//{W}keepNext") is not None


def test_a_short_table_is_kept_on_one_page_and_a_long_one_only_at_its_ends():
    short = parse(openxml_table(frame(3))).find(W + "tbl").findall(W + "tr")
    assert all(r.find(f".//{W}keepNext") is not None for r in short[:-1])
    assert short[-1].find(f".//{W}keepNext") is None  # no notes: nothing to keep it with
    long = parse(openxml_table(frame(40), notes=["n"])).find(W + "tbl").findall(W + "tr")[1:]
    kept = [i for i, r in enumerate(long) if r.find(f".//{W}keepNext") is not None]
    assert kept == [0, 1, 38, 39]  # LEAD_ROWS with the caption and header, TAIL_ROWS with the notes


def test_group_rows_span_the_table_and_bold_rows_bold_their_label():
    df = pd.DataFrame({"Item": ["a", "b"], "Value": ["1", "2"]})
    body = parse(openxml_table(df, layout=TableLayout(bold_rows=[True, False], group_rows={1: "Group B"})))
    rows = body.find(W + "tbl").findall(W + "tr")
    assert [cell_texts(r) for r in rows] == [["Item", "Value"], ["a", "1"], ["Group B"], ["b", "2"]]
    assert rows[2].find(f".//{W}gridSpan").get(W + "val") == "2"
    assert rows[1].findall(W + "tc")[0].find(f".//{W}b") is not None
    assert rows[1].findall(W + "tc")[1].find(f".//{W}b") is None


def test_widths_fill_the_a4_text_width_and_wide_tables_get_smaller_type():
    df = frame()
    widths = column_twips(df, numeric_columns(df))
    assert sum(widths) == round(TEXT_WIDTH_PT * 20)  # A4 less 2 x 2 cm, in twips
    grid = [int(g.get(W + "w")) for g in parse(openxml_table(df)).iter(W + "gridCol")]
    assert grid == widths
    assert type_size(df) == 9.0
    # eight columns of identifiers that do not fit whole at 8.5 pt (the PDF breaks them between
    # pieces): Word gets the largest smaller type at which each fits its column whole (7.5 pt:
    # 8 x 12 characters x 0.55 em = 52.8 em; the page holds 50.2 em at 8 pt, 53.6 em at 7.5 pt)
    wide = pd.DataFrame({f"c{j}": [f"variants_de{j}"] for j in range(8)})
    assert type_size(wide) == 7.5
    # and one that fits at no size keeps the PDF's
    assert type_size(pd.DataFrame({f"c{j}": ["x" * 30] for j in range(8)})) == 8.5
    sizes = {int(s.get(W + "val")) for s in parse(openxml_table(wide)).iter(W + "sz")}
    assert sizes == {round(2 * type_size(wide))}


def test_no_table_content_can_break_the_xml():
    df = pd.DataFrame({"a": ["x\x01y </w:t>", None], "b": [float("nan"), "1"]})
    rows = parse(openxml_table(df)).find(W + "tbl").findall(W + "tr")
    assert [cell_texts(r) for r in rows] == [["a", "b"], ["xy </w:t>", ""], ["", "1"]]


def test_the_committed_reference_document_sets_a4_serif_and_the_header_placeholders():
    parts = read_parts(REFERENCE)
    doc = parts["word/document.xml"].decode()
    assert '<w:pgSz w:w="11906" w:h="16838" />' in doc  # A4
    assert re.search(r'<w:pgMar w:top="1134" w:right="1134" w:bottom="1134" w:left="1134"', doc)  # 2 cm
    styles = parts["word/styles.xml"].decode()
    defaults = re.search(r"<w:rPrDefault>.*?</w:rPrDefault>", styles, re.S).group(0)
    assert 'w:ascii="Times New Roman"' in defaults
    assert not re.search(r"w:asciiTheme=", styles)  # no theme (sans) font left in any style
    for style in ("TableCaption", "ImageCaption", "TableNote", "Table"):
        assert f'w:styleId="{style}"' in styles, style
    header = parts["word/header1.xml"].decode()
    for placeholder in ("{{study}}", "{{cut-off}}", "{{version}}", "{{synthetic}}"):
        assert placeholder in header


def test_the_reference_document_is_pandoc_s_default_with_our_edits():
    quarto = find_quarto()
    if quarto is None:
        pytest.skip("quarto is not installed: the default reference.docx comes from its Pandoc")
    from her2cr.reporting.docx_reference import MADE_WITH

    pandoc = subprocess.run([quarto, "pandoc", "--version"], capture_output=True, text=True,
                            check=True).stdout.splitlines()[0]
    if pandoc != MADE_WITH:
        pytest.skip(f"report/reference.docx was made from the default of {MADE_WITH}; this Quarto has {pandoc}")
    default = subprocess.run([quarto, "pandoc", "--print-default-data-file", "reference.docx"],
                             capture_output=True, check=True).stdout
    assert make_reference(default) == REFERENCE.read_bytes(), (
        "report/reference.docx differs from Pandoc's default with docx_reference's edits: "
        "python -m her2cr.reporting.docx_reference <default.docx> report/reference.docx")


def header_xml(docx: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        return z.read("word/header1.xml").decode()


def header_text(docx: bytes) -> str:
    return re.sub(r"<[^>]+>", "", header_xml(docx))


def test_the_run_s_header_names_study_cut_and_version_and_says_synthetic_only_when_synthetic():
    template = REFERENCE.read_bytes()
    synthetic = fill_reference(template, {"cut": "2025-12-31", "synthetic": True}, "v2")
    real = fill_reference(template, {"cut": "2025-12-31"}, "v2")
    assert "HER2 CR (NCT06663787) · data cut-off 2025-12-31 · report v2" in header_text(synthetic)
    assert "SYNTHETIC DATA" in header_text(synthetic)
    assert "HER2 CR (NCT06663787) · data cut-off 2025-12-31 · report v2" in header_text(real)
    assert "SYNTHETIC" not in header_text(real) and "{{" not in header_text(real)
    # the paragraph goes with the placeholder: no empty line left in the header
    assert header_xml(real).count("<w:p>") == 1 and header_xml(synthetic).count("<w:p>") == 2
    assert fill_reference(template, {"cut": "2025-12-31", "synthetic": True}, "v2") == synthetic


def test_package_parts_round_trip_byte_for_byte():
    parts = read_parts(REFERENCE)
    once = write_parts(parts)
    assert read_parts(once) == parts and write_parts(read_parts(once)) == once
    assert next(iter(read_parts(once))) == "[Content_Types].xml"


# Quarto's layout of a captioned table and a figure in a .docx (quarto-cli 1.11): a one-cell table
QUARTO_FLOATS = f"""<w:document xmlns:w="{W_NS}"><w:body>
<w:tbl><w:tblPr /><w:tblGrid><w:gridCol w:w="7920" /></w:tblGrid><w:tr><w:tc><w:tcPr />
<w:bookmarkStart w:id="19" w:name="tbl-baseline" />
<w:p><w:pPr><w:jc w:val="center" /></w:pPr><w:pPr><w:jc w:val="left"/><w:pStyle w:val="ImageCaption" /></w:pPr>
<w:r><w:t>Table 4: Baseline</w:t></w:r></w:p>
<w:tbl><w:tblPr /><w:tr><w:tc><w:p><w:r><w:t>cell</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
<w:p><w:pPr><w:pStyle w:val="TableNote" /></w:pPr><w:r><w:t>a note</w:t></w:r></w:p>
<w:bookmarkEnd w:id="19" /><w:p /></w:tc></w:tr></w:tbl>
<w:tbl><w:tblPr /><w:tblGrid><w:gridCol w:w="7920" /></w:tblGrid><w:tr><w:tc><w:tcPr />
<w:bookmarkStart w:id="20" w:name="fig-consort" />
<w:p><w:pPr><w:pStyle w:val="Compact" /><w:jc w:val="center" /></w:pPr><w:r><w:drawing /></w:r></w:p>
<w:p><w:pPr><w:jc w:val="center" /></w:pPr><w:pPr><w:pStyle w:val="ImageCaption" /></w:pPr><w:r><w:t>Figure 1: Flow</w:t></w:r></w:p>
<w:bookmarkEnd w:id="20" /></w:tc></w:tr></w:tbl>
<w:sectPr /></w:body></w:document>"""


def test_captioned_tables_and_figures_leave_quarto_s_layout_table():
    root = ET.fromstring(QUARTO_FLOATS)
    body = root.find(W + "body")
    assert unwrap_floats(body) == ["tbl-baseline", "fig-consort"]
    tags = [c.tag.replace(W, "") for c in body]
    assert tags == ["bookmarkStart", "p", "tbl", "p", "bookmarkEnd", "bookmarkStart", "p", "p", "bookmarkEnd",
                    "sectPr"]
    caption, figure, fig_caption = body[1], body[6], body[7]
    assert len(caption.findall(W + "pPr")) == 1
    assert caption.find(f"{W}pPr/{W}pStyle").get(W + "val") == "TableCaption"
    assert caption.find(f"{W}pPr/{W}keepNext") is not None
    assert fig_caption.find(f"{W}pPr/{W}pStyle").get(W + "val") == "ImageCaption"
    assert figure.find(f"{W}pPr/{W}keepNext") is not None  # the picture stays with its caption


def test_each_table_becomes_a_document_of_its_own(tmp_path):
    parts = read_parts(REFERENCE)
    root = ET.fromstring(QUARTO_FLOATS)
    unwrap_floats(root.find(W + "body"))
    ET.register_namespace("w", W_NS)
    parts["word/document.xml"] = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    report = tmp_path / "report.docx"
    report.write_bytes(write_parts(parts))
    made = table_documents(report, tmp_path / "tables")
    assert [p.name for p in made] == ["tbl-baseline.docx"]
    one = read_parts(made[0])
    body = re.sub(r"<[^>]+>", " ", one["word/document.xml"].decode())
    assert body.split() == ["Table", "4:", "Baseline", "cell", "a", "note"]
    assert "docProps/custom.xml" not in one and "Table 4: Baseline" in one["docProps/core.xml"].decode()
    again = table_documents(report, tmp_path / "again")
    assert again[0].read_bytes() == made[0].read_bytes()


def test_alt_texts_are_read_from_the_figure_markdown():
    md = ('::: {#fig-a}\n![](figures/a.svg){width=4.46in fig-alt="Dots: \\"A\\" and B."}\n\nCap\n:::\n'
          '![](additional/x/figures/b.svg){width=6.60in fig-alt="Bars."}')
    assert figure_alt_texts(md) == {"figures/a.svg": 'Dots: "A" and B.', "additional/x/figures/b.svg": "Bars."}


def test_the_contents_list_holds_the_sections_linked_to_their_headings():
    from her2cr.reporting.docx_finish import fill_contents

    root = ET.fromstring(f"""<w:document xmlns:w="{W_NS}"><w:body>
<w:sdt><w:sdtContent><w:p><w:pPr><w:pStyle w:val="TOCHeading" /></w:pPr><w:r><w:t>Table of contents</w:t></w:r></w:p>
<w:p><w:r><w:fldChar w:fldCharType="begin" w:dirty="true" /><w:instrText>TOC \\o "1-2" \\h \\z \\u</w:instrText>
<w:fldChar w:fldCharType="separate" /><w:fldChar w:fldCharType="end" /></w:r></w:p></w:sdtContent></w:sdt>
<w:bookmarkStart w:id="1" w:name="summary" /><w:p><w:pPr><w:pStyle w:val="Heading1" /></w:pPr><w:r><w:t>1. Summary</w:t></w:r></w:p>
<w:bookmarkStart w:id="2" w:name="primary" /><w:p><w:pPr><w:pStyle w:val="Heading2" /></w:pPr><w:r><w:t>5.1 Primary</w:t></w:r></w:p>
<w:p><w:pPr><w:pStyle w:val="Heading3" /></w:pPr><w:r><w:t>too deep</w:t></w:r></w:p>
</w:body></w:document>""")
    body = root.find(W + "body")
    assert fill_contents(body) == 2
    content = body.find(f"{W}sdt/{W}sdtContent")
    paras = content.findall(W + "p")
    assert ["".join(t.text or "" for t in p.iter(W + "t")) for p in paras] == ["Table of contents", "", "1. Summary",
                                                                              "5.1 Primary"]
    assert [p.find(f"{W}pPr/{W}pStyle").get(W + "val") for p in paras[2:]] == ["TOC1", "TOC2"]
    assert [p.find(W + "hyperlink").get(W + "anchor") for p in paras[2:]] == ["summary", "primary"]
    # the field runs from its instruction over the entries: begin and separate first, end last
    kinds = [c.get(W + "fldCharType") for c in content.iter(W + "fldChar")]
    assert kinds == ["begin", "separate", "end"] and paras[-1].find(f".//{W}fldChar") is not None


def test_a_long_parenthesis_in_a_header_wraps_between_words_and_n_stays_whole():
    from her2cr.reporting.docx_table import header_text

    assert header_text("Follow-up (stop anti-HER2 treatment)") == "Follow-up (stop anti-HER2 treatment)"
    assert header_text("Stopped (N = 24)") == "Stopped (N\u00a0=\u00a024)"


def test_a_header_word_in_capitals_gets_a_column_it_fits_whole():
    # Table 1's SMD column: numbers of 4 characters and the bold header "SMD", which Word broke
    # inside the word ("SM|D") at the PDF's average bold character width (3 x 0.62 em at 9 pt
    # + 2 x 5 pt insets = 26.7 pt). Bold Times capitals S, M, D are 0.556 + 0.944 + 0.722 = 2.22 em
    # (Adobe's Times-Bold AFM widths): 20 pt of type + 10 pt of insets.
    df = pd.DataFrame({"Characteristic": ["Age (years)", "Mean (SD)"] * 3,
                       "Continuing (N = 25)": ["59.2 (9.5)"] * 6, "SMD": ["0.07", ""] * 3})
    widths = column_twips(df, numeric_columns(df))
    assert widths[2] >= round((2.22 * 9 + 10) * 20)
    assert sum(widths) == round(TEXT_WIDTH_PT * 20)
