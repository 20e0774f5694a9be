"""The publication report as Quarto renders it, checked in the rendered files themselves: the PDF
through poppler's pdftotext and pdfinfo, the HTML as text. Skips, with the reason, without Quarto
or poppler-utils (.ci/run installs Quarto from ../shared/tools/quarto when it is there)."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from her2cr.baseline.display import read_markdown
from her2cr.reporting.render import find_quarto
from tests.conftest import CUT


pytestmark = pytest.mark.slow

# Text that would mean code reached the reader (the notebook's calls, the parameters cell).
CODE_MARKERS = ("ctx.", "display(", "import ", "Table(", "out_dir =", "figure_from_files", "R.load_report")


def _needs_quarto() -> None:
    if find_quarto() is None:
        pytest.skip("quarto is not installed: the publication HTML and PDF need Quarto (conda env from "
                    "environment.yml, quarto.org, PyPI quarto-cli, or ../shared/tools/quarto)")


def _needs_poppler() -> None:
    if not (shutil.which("pdftotext") and shutil.which("pdfinfo")):
        pytest.skip("pdftotext/pdfinfo are not installed (Debian package poppler-utils)")


@pytest.fixture(scope="module")
def synthetic_report(pipeline_run) -> Path:
    _needs_quarto()
    return pipeline_run.version_dir


@pytest.fixture(scope="module")
def real_report(real_pipeline_run) -> Path:
    """The same exports without the synthetic-data marker: a cut the pipeline takes as real
    (run once per session: tests/conftest.py)."""
    _needs_quarto()
    return real_pipeline_run.version_dir


@pytest.fixture(scope="module")
def later_report(later_cut_run) -> Path:
    """A later cut compared with an earlier one: its report has the change tables (conftest)."""
    _needs_quarto()
    return later_cut_run.version_dir


@pytest.fixture(params=["synthetic_report", "real_report", "later_report"])
def report(request) -> tuple[Path, bool]:
    return request.getfixturevalue(request.param), request.param != "real_report"


def pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return [p for p in text.split("\f") if p.strip()]


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u200b", "")).strip()


def test_both_documents_are_made(report):
    folder, _ = report
    assert (folder / "report.html").stat().st_size > 10_000
    assert (folder / "report.pdf").read_bytes()[:5] == b"%PDF-"


def test_pdf_is_a4_with_contents_and_no_code(report):
    _needs_poppler()
    folder, _ = report
    info = subprocess.run(["pdfinfo", str(folder / "report.pdf")], capture_output=True, text=True).stdout
    assert re.search(r"Page size:\s+595\.\d* x 841\.\d* pts", info), info
    text = squash(" ".join(pdf_pages(folder / "report.pdf")))
    assert "Table of contents" in text or "Contents" in text
    for marker in CODE_MARKERS:
        assert marker not in text, marker


def test_every_pdf_page_names_study_cut_and_version_and_says_synthetic_only_when_synthetic(report):
    _needs_poppler()
    folder, synthetic = report
    version = folder.name
    pages = pdf_pages(folder / "report.pdf")
    assert len(pages) >= 5
    for i, page in enumerate(pages, start=1):
        page = squash(page)
        assert "NCT06663787" in page and f"data cut-off {CUT}" in page and f"report {version}" in page, i
        assert ("SYNTHETIC DATA" in page) == synthetic, i
        assert f"page {i} of {len(pages)}" in page


def test_every_baseline_row_and_every_data_issue_is_in_the_pdf(report):
    _needs_poppler()
    folder, _ = report
    text = squash(" ".join(pdf_pages(folder / "report.pdf")))
    frame, _, notes = read_markdown((folder / "tables" / "baseline.md").read_text(encoding="utf-8"))
    for label in frame["Characteristic"]:
        assert squash(label.replace("\u00a0", " ")) in text, label
    issues = pd.read_csv(folder / "data" / "data_issues.csv", dtype=str, keep_default_na=False)
    assert len(issues) > 0
    for r in issues.itertuples(index=False):
        # the first cells of the row in reading order: file, spreadsheet row (and where the intake
        # took the value from), participant
        where = f"{r.file}, row {r.row}" + (f" (from {r.source})" if getattr(r, "source", "") else "")
        # (spaces aside: a long file name breaks across lines inside its cell)
        assert re.sub(r"\s+", "", f"{where}{r.subject_id}") in re.sub(r"\s+", "", text), (r.file, r.row)


def _words(pdf: Path, tmp: Path, sizes: list | None = None) -> list[list[tuple[float, float, float, float, str]]]:
    """Each page's words with their boxes (pt); `sizes` gets each page's (width, height)."""
    out = tmp / "bbox.html"
    subprocess.run(["pdftotext", "-bbox", str(pdf), str(out)], check=True, capture_output=True)

    class Parser(HTMLParser):
        def __init__(self):
            super().__init__()
            self.pages, self.box = [], None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "page":
                self.pages.append([])
                if sizes is not None:
                    sizes.append((float(a["width"]), float(a["height"])))
            elif tag == "word":
                self.box = tuple(float(a[k]) for k in ("xmin", "ymin", "xmax", "ymax"))

        def handle_data(self, data):
            if self.box is not None:
                self.pages[-1].append((*self.box, data))
                self.box = None

    p = Parser()
    p.feed(out.read_text(encoding="utf-8"))
    return p.pages


def overlapping_words(words):
    """Pairs of words on one page whose boxes overlap by more than a third of the smaller box."""
    found = []
    boxes = sorted((w for w in words if w[2] > w[0] and w[3] > w[1]), key=lambda w: w[1])
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if b[1] >= a[3]:
                break
            dx = min(a[2], b[2]) - max(a[0], b[0])
            dy = min(a[3], b[3]) - max(a[1], b[1])
            small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
            if dx > 0 and dy > 0 and dx * dy > small / 3:
                found.append((a[4], b[4]))
    return found


def test_overlap_check_finds_words_drawn_on_top_of_each_other():
    assert overlapping_words([(0, 0, 10, 5, "a"), (2, 1, 12, 6, "b")]) == [("a", "b")]
    assert overlapping_words([(0, 0, 10, 5, "a"), (11, 0, 20, 5, "b"), (0, 6, 10, 11, "c")]) == []


def test_no_two_words_are_drawn_over_each_other(report, tmp_path):
    _needs_poppler()
    folder, _ = report
    pages = _words(folder / "report.pdf", tmp_path)
    assert sum(len(p) for p in pages) > 1000
    for i, words in enumerate(pages, start=1):
        assert overlapping_words(words) == [], f"page {i}"


def _visible_html(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return re.sub(r"<[^>]+>", " ", html)


def test_html_is_self_contained_without_code_and_with_contents(report):
    folder, synthetic = report
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert not (folder / "report_files").exists()
    # resources (scripts, styles, images, frames) are embedded, never fetched
    external = re.findall(r"<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)=[\"'](?:https?:)?//[^\"']*",
                          html, flags=re.I)
    assert external == []
    assert not re.search(r"@import\s+url\(\s*['\"]?(?:https?:)?//", html)
    assert 'id="TOC"' in html or 'id="toc"' in html
    assert not re.search(r"class=\"[^\"]*\b(cell-code|sourceCode)\b", html)  # no code block
    text = _visible_html(html)
    for marker in CODE_MARKERS:
        assert marker not in text, marker
    assert "her2cr-table" in html and "table.her2cr-table" in html  # the preview's table styles
    assert ("synthetic-banner" in text or 'class="synthetic-banner"' in html) == synthetic
    assert ("SYNTHETIC DATA" in text) == synthetic


# -- issue 18: figures, layout and the HTML, checked in the rendered files ----------------------

FIGURE_IDS = ("fig-consort", "fig-ctdna-positivity", "fig-ctdna-swimmer", "fig-ctdna-forest", "fig-ctdna-mtm",
              "fig-ctdna-km-time-to-positive", "fig-ctdna-km-pfs")
# characters that make a word of the PDF impossible to find or copy as it reads
INVISIBLE = {"\u200b": "zero-width space", "\u200c": "zero-width non-joiner", "\u200d": "zero-width joiner",
             "\u2060": "word joiner", "\ufeff": "zero-width no-break space", "\u00ad": "soft hyphen"}


def _figure_block(html: str, fig: str) -> str:
    m = re.search(rf'<div id="{fig}".*?</figure>', html, flags=re.S)
    assert m, f"{fig} is not in the HTML"
    return m.group(0)


def test_figures_are_vector_in_the_pdf_and_the_html(report):
    folder, _ = report
    if not shutil.which("pdfimages"):
        pytest.skip("pdfimages is not installed (Debian package poppler-utils)")
    listing = subprocess.run(["pdfimages", "-list", str(folder / "report.pdf")], capture_output=True,
                             text=True, check=True).stdout.splitlines()
    assert listing[2:] == [], "raster images in the PDF:\n" + "\n".join(listing)
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"data:image/(png|jpe?g|gif|webp)", html)
    for fig in FIGURE_IDS:
        assert "data:image/svg+xml" in _figure_block(html, fig), fig


def test_every_figure_has_alt_text_and_is_cited_in_the_text(report):
    folder, _ = report
    html = (folder / "report.html").read_text(encoding="utf-8")
    for fig in FIGURE_IDS:
        alts = re.findall(r'<img\b[^>]*\balt="([^"]*)"', _figure_block(html, fig))
        assert alts and all(len(a.split()) >= 8 for a in alts), (fig, alts)
        assert f'href="#{fig}"' in html, f"{fig} is never cited"


def test_pdf_text_has_no_zero_width_or_soft_characters(report):
    _needs_poppler()
    folder, _ = report
    text = "".join(pdf_pages(folder / "report.pdf"))
    found = {name: text.count(ch) for ch, name in INVISIBLE.items() if ch in text}
    assert found == {}
    assert "NIH/OMB" in text  # found by a search as written


def test_no_word_runs_past_the_page_edge(report, tmp_path):
    _needs_poppler()
    folder, _ = report
    sizes: list = []
    pages = _words(folder / "report.pdf", tmp_path, sizes)
    margin = 28.0  # pt (1 cm); the text block keeps 2 cm on each side
    past = [(i, w[4], round(w[0]), round(w[2])) for i, (words, (width, _)) in enumerate(zip(pages, sizes), start=1)
            for w in words if w[2] > width - margin or w[0] < margin]
    assert past == []


def test_table_notes_are_on_the_page_of_the_table_s_last_rows(report):
    _needs_poppler()
    folder, _ = report
    pages = [squash(p) for p in pdf_pages(folder / "report.pdf")]
    frame, _, notes = read_markdown((folder / "tables" / "baseline.md").read_text(encoding="utf-8"))
    first_words = squash(notes[0])[:60]
    with_note = [i for i, p in enumerate(pages) if first_words in p]
    assert len(with_note) == 1, first_words
    page = pages[with_note[0]]
    # every note, and the table's last row under its repeated column header, on that page
    assert all(squash(n)[:60] in page for n in notes)
    last = squash(frame["Characteristic"].iloc[-1].replace("\u00a0", " "))
    assert "Characteristic" in page and 0 <= page.find(last) < page.index(first_words)


def _pdf_contents(pdf: Path) -> list[str]:
    return re.findall(r"^(\d+(?:\.\d+)*) .*?(?: \.){3,}", pdf_pages(pdf)[0], flags=re.M)


def test_contents_list_is_as_deep_in_the_html_as_in_the_pdf(report):
    _needs_poppler()
    folder, _ = report
    pdf = _pdf_contents(folder / "report.pdf")
    html = (folder / "report.html").read_text(encoding="utf-8")
    toc = re.search(r'<nav id="TOC".*?</nav>', html, flags=re.S).group(0)
    assert any("." in n for n in pdf), pdf  # sub-sections are listed
    assert re.findall(r'class="header-section-number">([\d.]+)<', toc) == pdf


def test_headings_reached_from_the_contents_land_below_the_sticky_banner(report):
    folder, synthetic = report
    html = (folder / "report.html").read_text(encoding="utf-8")
    margin = re.search(r"\[id\]\s*\{\s*scroll-margin-top:\s*([\d.]+)rem", html)
    # the banner is at most two lines of about 1.6 rem each (58 px at 1280 and 768 px wide)
    assert margin and float(margin.group(1)) >= 3.5
    assert ('class="synthetic-banner"' in html) == synthetic


def test_the_html_preview_fetches_nothing_from_the_network(pipeline_run):
    html = (pipeline_run.version_dir / "report-preview.html").read_text(encoding="utf-8")
    external = re.findall(r"<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)=[\"'](?:https?:)?//[^\"']*",
                          html, flags=re.I)
    assert external == []
    assert "mathjax" not in html.lower() and "require.min.js" not in html
    assert "her2cr-table" in html and "data:image/svg+xml" in html  # its tables and figures are there


def test_the_synthetic_notice_and_the_software_list_are_said_once(report):
    _needs_poppler()
    import pandas

    folder, synthetic = report
    text = squash(" ".join(pdf_pages(folder / "report.pdf")))
    # the body says it once (the page header and footer repeat it on every page)
    assert text.count("this report was made from a synthetic data cut") == (1 if synthetic else 0)
    # package versions only in the provenance appendix, not again in the methods
    assert text.count(f"pandas {pandas.__version__}") == text.count(f"Package pandas {pandas.__version__}") == 1


def largest_blank_band(png: Path, top_cm: float = 2.4, page_cm: float = 29.7) -> float:
    """The tallest run of blank pixel rows inside a page's text block, as a fraction of its height
    (a row is blank when the middle 80% of its width is white)."""
    from PIL import Image

    im = Image.open(png).convert("L")
    w, h = im.size
    top, bottom = round(h * top_cm / page_cm), round(h * (1 - top_cm / page_cm))
    px = im.load()
    best = run = 0
    for y in range(top, bottom):
        blank = all(px[x, y] > 245 for x in range(w // 10, w - w // 10, 2))
        run = run + 1 if blank else 0
        best = max(best, run)
    return best / (bottom - top)


def _html_table(html: str, label: str) -> tuple[list[str], list[list[str]]]:
    """The column headers and the body rows (heading rows left out) of the HTML table `label`,
    as text that reads as in the PDF."""
    import html as html_lib

    table = re.search(rf'<div id="{label}".*?<table\b.*?</table>', html, flags=re.S).group(0)

    def text(cell: str) -> str:
        return squash(html_lib.unescape(re.sub(r"<[^>]+>", "", cell)))

    heads = [text(c) for c in re.findall(r"<th\b[^>]*>(.*?)</th>", table, flags=re.S)]
    body = re.search(r"<tbody>(.*?)</tbody>", table, flags=re.S).group(1)
    rows = [[text(c) for c in re.findall(r"<td\b[^>]*>(.*?)</td>", row, flags=re.S)]
            for row in re.findall(r'<tr(?: class="label")?>(.*?)</tr>', body, flags=re.S)]
    return heads, rows


def figure_and_long_table_faults(pages: list[str], heads: list[str], rows: list[list[str]]) -> list[str]:
    """What reads badly where figures meet the long table of all estimates, page by page (the
    PDF's text, each page squashed): a figure before the page that first cites it or past the
    next section's first page; the table's pages not consecutive; a page of the table with two
    figures, or with a figure and fewer than 3 of the table's rows (its Counts cells)."""
    faults = []
    starts = sorted({int(p) for n, p in re.findall(r"(?<![\d.])(\d+) [^.\d][^.]*?(?: \.){3,} (\d+)", pages[0])
                     if int(n) > 0})
    first_cited: dict[str, int] = {}
    for i, page in enumerate(pages):
        for n in re.findall(r"Figure (\d+)(?![\d:])", page):
            first_cited.setdefault(n, i + 1)
    for i, page in enumerate(pages):
        for n in re.findall(r"Figure (\d+):", page):
            cited = first_cited.get(n)
            section_end = min([s for s in starts if cited and s > cited] or [len(pages)])
            if cited is None or not cited <= i + 1 <= section_end:
                faults.append(f"Figure {n} on page {i + 1}, first cited on page {cited}")
    header = " ".join(heads)
    with_table = [i for i, page in enumerate(pages) if header in page]
    if not with_table or with_table != list(range(with_table[0], with_table[-1] + 1)):
        faults.append(f"the table's pages: {[i + 1 for i in with_table]}")
    counts = {r[heads.index("Counts")] for r in rows} - {""}
    for i in with_table:
        figures = re.findall(r"Figure \d+:", pages[i])
        shown = sum(len(re.findall(rf"(?<![\w.]){re.escape(c)}(?![\w.])", pages[i])) for c in counts)
        if len(figures) > 1 or (figures and shown < 3):
            faults.append(f"page {i + 1}: {len(figures)} figures and {shown} rows of the table")
    return faults


def test_figures_sit_after_their_citation_and_the_long_table_runs_on_under_one_figure_a_page(report):
    """Section 7's four figures and the five-page table of all estimates: the table runs on
    consecutive pages with at most one figure a page above it, never a row or two between two
    figures (pages 13 and 14 of the synthetic report of 2025-12-02 before this layout)."""
    _needs_poppler()
    folder, _ = report
    pages = [squash(p) for p in pdf_pages(folder / "report.pdf")]
    heads, rows = _html_table((folder / "report.html").read_text(encoding="utf-8"), "tbl-estimates")
    assert "Counts" in heads and len(rows) > 20
    assert figure_and_long_table_faults(pages, heads, rows) == []


def test_the_layout_check_finds_a_sliver_of_table_between_two_figures():
    heads, rows = ["Estimate of", "Group", "Counts"], [["Proportion", "a", f"{k} of 9"] for k in range(6)]
    contents = "Table of contents 1 Results . . . . 2 2 Appendix . . . . 5"
    table = "Estimate of Group Counts " + " ".join(f"Proportion a {k} of 9" for k in range(6))
    good = [contents, "1 Results Figure 1 and Figure 2 show it. Estimate of Group Counts Proportion a 0 of 9",
            "Figure 1: One. Estimate of Group Counts Proportion a 1 of 9 Proportion a 2 of 9 Proportion a 3 of 9",
            "Figure 2: Two. " + table, "2 Appendix"]
    assert figure_and_long_table_faults(good, heads, rows) == []
    sliver = good[:2] + ["Figure 1: One. Estimate of Group Counts Proportion a 1 of 9 Figure 2: Two."] + good[3:]
    assert figure_and_long_table_faults(sliver, heads, rows) == ["page 3: 2 figures and 1 rows of the table"]
    early = [contents, "Figure 1: One. Figure 2: Two.", "1 Results Figure 1 and Figure 2 show it. " + table,
             "x", "2 Appendix"]
    assert figure_and_long_table_faults(early, heads, rows) == [
        "Figure 1 on page 2, first cited on page 3", "Figure 2 on page 2, first cited on page 3"]
    late = good[:3] + [table, "2 Appendix", "Figure 2: Two."]
    assert figure_and_long_table_faults(late, heads, rows) == ["Figure 2 on page 6, first cited on page 2"]


def test_no_page_is_a_third_empty_before_the_last(report, tmp_path):
    folder, _ = report
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm is not installed (Debian package poppler-utils)")
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(folder / "report.pdf"), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) >= 5
    empty = {p.stem: round(largest_blank_band(p), 2) for p in pages[:-1]}
    assert {k: v for k, v in empty.items() if v > 1 / 3} == {}, empty
