"""The Word report as Quarto renders it beside the HTML and the PDF, checked in the rendered file:
opened with python-docx, compared with the HTML and with the tables the run wrote, and drawn by
LibreOffice (headless) to find a table that runs past the page edge. Skips, with the reason,
without Quarto, python-docx or LibreOffice (Debian: libreoffice-writer-nogui)."""

from __future__ import annotations

import html as html_lib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.reporting.test_report_quarto import (  # noqa: F401 (fixtures)
    FIGURE_IDS, _needs_poppler, _words, later_report, real_report, synthetic_report)

docx = pytest.importorskip("docx", reason="python-docx is not installed (the test extra: pip install -e .[test])")

pytestmark = pytest.mark.slow

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{W_NS}}}"
# Text that would mean a table's raw HTML or raw Typst reached the Word document
RAW_MARKERS = ("<table", "<td", "<span", "data-src", "```", "{=html}", "{=typst}", "{=openxml}", "#table(",
               "table.cell", "table.header", "#set ", "#block(", "strong(", "box(\"", "her2cr-figure-alone")


@pytest.fixture(params=["synthetic_report", "real_report", "later_report"])
def report(request) -> tuple[Path, bool]:
    return request.getfixturevalue(request.param), request.param != "real_report"


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def body_items(document) -> list[tuple[str, object]]:
    """The body in order: ("caption", text), ("table", Table), ("paragraph", text)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    out = []
    for el in document.element.body.iterchildren():
        if el.tag == W + "tbl":
            out.append(("table", Table(el, document)))
        elif el.tag == W + "p":
            p = Paragraph(el, document)
            kind = "caption" if p.style is not None and p.style.name in ("Table Caption", "Image Caption") else "paragraph"
            out.append((kind, p.text))
    return out


def captioned_tables(document) -> dict[str, object]:
    """Each table by the caption just above it ("Table 4: Baseline ...")."""
    items, out = body_items(document), {}
    for (kind, value), (next_kind, table) in zip(items, items[1:]):
        if kind == "caption" and next_kind == "table":
            out[norm(value)] = table
    return out


def html_captions(page: str) -> list[str]:
    return [norm(html_lib.unescape(re.sub(r"<[^>]+>", "", m)))
            for m in re.findall(r"<figcaption\b[^>]*>(.*?)</figcaption>", page, flags=re.S)]


def test_the_word_report_is_made_with_the_html_and_the_pdf(report):
    folder, _ = report
    for name in ("report.html", "report.pdf", "report.docx"):
        assert (folder / name).stat().st_size > 10_000, name
    assert "report.docx" in (folder / "render.json").read_text()


def test_same_tables_figures_and_captions_as_the_html(report):
    folder, _ = report
    document = docx.Document(str(folder / "report.docx"))
    page = (folder / "report.html").read_text(encoding="utf-8")
    captions = [norm(v) for k, v in body_items(document) if k == "caption"]
    assert captions == html_captions(page)
    n_tables = len(re.findall(r'<table class="her2cr-table', page))
    assert len(document.tables) == n_tables == sum(c.startswith("Table ") for c in captions) > 15
    # every table stands in the body under its caption (none hidden in a layout table)
    assert len(captioned_tables(document)) == n_tables
    assert len(document.inline_shapes) == len(FIGURE_IDS) == sum(c.startswith("Figure ") for c in captions)


def test_no_table_is_empty_and_every_header_row_repeats_across_pages(report):
    folder, _ = report
    for table in docx.Document(str(folder / "report.docx")).tables:
        rows = table._tbl.findall(W + "tr")
        assert len(rows) >= 2, [c.text for c in table.rows[0].cells]
        assert rows[0].find(f"{W}trPr/{W}tblHeader") is not None
        assert any(c.text.strip() for r in table.rows[1:] for c in r.cells)


def test_table_1_cells_equal_baseline_tidy_csv_as_formatted(report):
    """The baseline table's every cell is baseline_tidy.csv formatted by the report's own code
    (reporting.context.baseline_display, which the HTML and the PDF show too); numbers right,
    text left."""
    from her2cr.reporting.context import baseline_display

    folder, _ = report
    expected = baseline_display(folder / "tables").df
    tables = captioned_tables(docx.Document(str(folder / "report.docx")))
    [table] = [t for caption, t in tables.items() if caption.endswith("Baseline characteristics of the enrolled participants")]
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert [norm(c) for c in cells[0]] == [norm(str(c)) for c in expected.columns]
    body = [[norm(c) for c in row] for row in cells[1:]]
    assert body == [[norm("" if v is None else str(v)) for v in row] for row in expected.itertuples(index=False)]
    assert len(body) > 30
    # the cohort columns are numbers, the first column text

    def align(tc) -> str:
        return tc.find(f"{W}p/{W}pPr/{W}jc").get(W + "val")

    rows = [tr.findall(W + "tc") for tr in table._tbl.findall(W + "tr")]
    assert {align(tcs[0]) for tcs in rows} == {"left"}
    assert {align(tc) for tcs in rows for tc in tcs[1:4]} == {"right"}


def test_no_raw_html_or_typst_in_the_document(report):
    folder, _ = report
    document = docx.Document(str(folder / "report.docx"))
    text = "\n".join(p.text for p in document.paragraphs)
    text += "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    found = [m for m in RAW_MARKERS if m in text]
    assert found == []
    assert "This table is shown in the HTML report" not in text  # no HTML-only table in this report


def test_every_figure_is_svg_with_a_png_fallback_and_its_alt_text(report):
    folder, _ = report
    document = docx.Document(str(folder / "report.docx"))
    alts = {p.read_text(encoding="utf-8").strip() for p in (folder / "figures").glob("*.alt.txt")}
    for shape in document.inline_shapes:
        inline = shape._inline
        assert norm(inline.docPr.get("descr")) in {norm(a) for a in alts}
        blip = inline.graphic.graphicData.pic.blipFill.blip
        png = document.part.related_parts[blip.embed]
        assert png.content_type == "image/png" and png.blob.startswith(b"\x89PNG")
        svg_ids = blip.xpath(".//*[local-name()='svgBlip']/@r:embed")
        assert len(svg_ids) == 1
        assert document.part.related_parts[svg_ids[0]].blob.lstrip().startswith(b"<?xml")
        # 300 dpi at the size printed: pixels / (extent in inches)
        from PIL import Image
        import io

        width_px = Image.open(io.BytesIO(png.blob)).size[0]
        assert 290 <= width_px / shape.width.inches <= 310, (width_px, shape.width.inches)


def test_every_page_is_a4_with_the_study_cut_version_and_synthetic_only_when_synthetic(report):
    folder, synthetic = report
    document = docx.Document(str(folder / "report.docx"))
    cut = re.search(r"Data cut-off (\d{4}-\d{2}-\d{2})", "\n".join(p.text for p in document.paragraphs)).group(1)
    version = folder.name
    for section in document.sections:
        assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
        assert [round(m.cm, 1) for m in (section.left_margin, section.right_margin)] == [2.0, 2.0]
        header = "\n".join(p.text for p in section.header.paragraphs)
        assert f"HER2 CR (NCT06663787) · data cut-off {cut} · report {version}" in header
        assert ("SYNTHETIC DATA" in header) == synthetic
    body_font = document.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr/w:rFonts/@w:ascii")
    assert body_font == ["Times New Roman"]  # report/reference.docx: a serif body


def test_each_table_has_a_document_of_its_own(report):
    folder, _ = report
    document = docx.Document(str(folder / "report.docx"))
    tables = captioned_tables(document)
    own = sorted((folder / "tables").glob("tbl-*.docx"))
    assert len(own) == len(tables)
    for path in own:
        one = docx.Document(str(path))
        [table] = one.tables
        caption = norm(next(p.text for p in one.paragraphs if p.style.name == "Table Caption"))
        assert [[c.text for c in r.cells] for r in table.rows] == \
            [[c.text for c in r.cells] for r in tables[caption].rows], path.name
        assert not one.inline_shapes
    assert {"tbl-baseline.docx", "tbl-outcome-1-data.docx"} <= {p.name for p in own}


_PDF: dict[Path, Path] = {}


def libreoffice_pdf(docx_path: Path, tmp: Path) -> Path:
    """report.docx drawn by LibreOffice (headless, its own profile so that a desktop session's
    does not interfere), once per report."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (Debian package libreoffice-writer-nogui): "
                    "the Word report is not drawn")
    if docx_path not in _PDF:
        out = tmp / "lo"
        subprocess.run([soffice, f"-env:UserInstallation=file://{tmp / 'lo-profile'}", "--headless",
                        "--convert-to", "pdf", "--outdir", str(out), str(docx_path)],
                       check=True, capture_output=True, timeout=300)
        _PDF[docx_path] = out / "report.pdf"
    return _PDF[docx_path]


def test_no_table_runs_past_the_page_edge_when_word_draws_it(report, tmp_path_factory):
    _needs_poppler()
    folder, _ = report
    pdf = libreoffice_pdf(folder / "report.docx", tmp_path_factory.mktemp("lo"))
    sizes: list = []
    pages = _words(pdf, tmp_path_factory.mktemp("bbox"), sizes)
    assert len(pages) > 10 and sum(len(p) for p in pages) > 3000
    assert all(round(w) == 595 and round(h) == 842 for w, h in sizes)  # A4
    margin = 2.0 * 72 / 2.54 - 2  # the 2 cm margin, less a rounding of the glyph boxes
    past = [(i, w[4], round(w[0]), round(w[2])) for i, (words, (width, _)) in enumerate(zip(pages, sizes), start=1)
            for w in words if w[2] > width - margin or w[0] < margin]
    assert past == []
