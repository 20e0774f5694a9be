"""Turning the executed report notebook into documents.

Quarto makes the publication HTML and PDF (Typst) from the executed notebook without running it
again. Where Quarto is not installed, nbconvert writes a readable HTML preview and the run says
plainly that the publication files need Quarto.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from her2cr import processes
from her2cr.settings import PROJECT

QUARTO_MISSING = (
    "Quarto is not installed: wrote the HTML preview only (report-preview.html). The publication "
    "HTML and PDF need Quarto (conda env from environment.yml, https://quarto.org, or the PyPI "
    "package quarto-cli; QUARTO=/path/to/quarto chooses one)."
)


HTML_ONLY = "This table is shown in the HTML report."


def cell_options(source: str) -> dict[str, str]:
    """Quarto cell options (`#| key: value` lines at the top of a code cell)."""
    opts = {}
    for line in source.splitlines():
        if not line.startswith("#|"):
            break
        key, _, value = line[2:].partition(":")
        opts[key.strip()] = value.strip().strip('"')
    return opts


def add_preview_captions(nb):
    """Number the captioned tables and figures for the preview, as Quarto numbers them in its own
    output, and write its cross-references (@fig-..., @tbl-...) as "Figure n" and "Table n"."""
    import copy
    import re

    import nbformat

    from her2cr.reporting.display import Figure

    nb = copy.deepcopy(nb)
    n = 0
    figures = 0
    names: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        opts = cell_options(cell.source)
        cap = opts.get("tbl-cap")
        if cap and cell.get("outputs"):
            n += 1
            names[opts.get("label", "")] = f"Table {n}"
            cell.outputs.insert(0, nbformat.v4.new_output(
                "display_data", data={"text/html": f'<p class="her2cr-caption">Table {n}: {html.escape(cap)}</p>'}))
            continue
        for out in cell.get("outputs", []):
            meta, data = out.get("metadata", {}), out.get("data", {})
            if not meta.get(Figure.QUARTO_KEY) or "text/html" not in data:
                continue
            label = re.search(r"^::: \{#([\w-]+)\}", data.get("text/markdown", ""), flags=re.M)
            if meta.get("her2cr-kind") == "table":
                n += 1
                names[label.group(1) if label else ""] = f"Table {n}"
                data["text/html"] = data["text/html"].replace(
                    '<p class="her2cr-caption">', f'<p class="her2cr-caption">Table {n}: ', 1)
            else:
                figures += 1
                names[label.group(1) if label else ""] = f"Figure {figures}"
                data["text/html"] = data["text/html"].replace(
                    "<figcaption>", f"<figcaption><b>Figure {figures}:</b> ", 1)

    def refs(text: str) -> str:
        return re.sub(r"@((?:fig|tbl)-[\w-]*\w)", lambda m: names.get(m.group(1), m.group(0)), text)

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = refs(cell.source)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/markdown" in data and "text/html" not in data:
                data["text/markdown"] = refs(data["text/markdown"])
    return nb


# nbconvert's lab template loads require.js and MathJax (and mermaid.js when a notebook has a
# diagram) from CDNs; the report has no widget, formula or diagram, and the preview must open
# offline, so the blocks that load them are emptied.
PREVIEW_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
"""


def preview_html(executed: Path, target: Path) -> Path:
    """Readable HTML without code cells, through nbconvert, that fetches nothing from the network."""
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter

    nb = add_preview_captions(nbformat.read(executed, as_version=4))
    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, exclude_raw=True,
                            extra_loaders=[jinja2.DictLoader({"her2cr_preview.html.j2": PREVIEW_TEMPLATE})],
                            template_file="her2cr_preview.html.j2")
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": "HER2 CR study report"}})
    css = (PROJECT / "report" / "styles.css").read_text(encoding="utf-8") + PREVIEW_CSS
    body = body.replace("</head>", f"<style>{css}</style>\n</head>", 1)
    target.write_text(body, encoding="utf-8")
    return target


# nbconvert's lab template right-aligns table cells; a report reads better left-aligned.
PREVIEW_CSS = """
.jp-RenderedHTMLCommon table.her2cr-table td, .jp-RenderedHTMLCommon table.her2cr-table th { text-align: left; }
.jp-RenderedHTMLCommon table.her2cr-table td:not(:first-child):not(.num) { text-align: left; }
.jp-RenderedHTMLCommon table.her2cr-table td.num, .jp-RenderedHTMLCommon table.her2cr-table th.num { text-align: right; }
.her2cr-caption { font-weight: 600; margin: 1.2em 0 0.2em 0; }
body.jp-Notebook { max-width: 1150px; margin: 0 auto; }
"""


def synthetic_html_banner() -> str:
    from her2cr.study import SYNTHETIC_SHORT

    return (f'<div class="synthetic-banner">{SYNTHETIC_SHORT}. Every participant and result in '
            'this report is simulated; nothing here describes the trial\'s patients.</div>\n')


def page_typst(cut_info: dict, version: str) -> str:
    """Typst set-up for every PDF page: a header naming the study, the data cut-off and the report
    version, SYNTHETIC DATA in header and footer when (and only when) the cut is synthetic, page
    numbers; tables that may break across pages; figures that float rather than leave a page
    half empty."""
    from her2cr import study
    from her2cr.reporting.typst_table import typst_string

    ident = f"{study.SHORT_TITLE} ({study.NCT_ID}) · data cut-off {cut_info['cut']} · report {version}"
    synthetic = bool(cut_info.get("synthetic"))
    warn = f' #linebreak() #text(fill: rgb("#b00020"), weight: "bold", {typst_string(study.SYNTHETIC_SHORT, breakable=False)})'
    foot_warn = f'text(fill: rgb("#b00020"), weight: "bold", {typst_string(study.SYNTHETIC_LABEL, breakable=False)}) + h(1.5em) + '
    return "\n".join([
        "// written by her2cr.reporting.render for this report",
        "#set page(",
        f"  header: align(center, text(size: 8pt)[#text(fill: luma(60), {typst_string(ident, breakable=False)})"
        + (warn if synthetic else "") + "]),",
        f"  footer: context align(center, text(size: 8pt, {foot_warn if synthetic else ''}"
        f"[page #counter(page).display() of #counter(page).final().first()])),",
        ")",
        "#show figure: set block(breakable: true)",
        "// a caption above a table stays on the page of the table's first rows",
        "#show figure.caption: it => block(sticky: true, it)",
        "// a figure (a picture, which cannot break) that does not fit the rest of the page floats to",
        "// the top of the next one, and the text goes on below where it was cited: no half-empty page",
        '#show figure.where(kind: "quarto-float-fig"): set figure(placement: auto)',
        "// ... but never past the end of its section",
        "#show heading.where(level: 1): it => { place.flush(); it }",
        "// A figure that shares its section with a long table (display.Figure.alone) takes at least",
        "// half the page, so that no two share a page and the table runs on under one figure a page,",
        "// never in slivers of a row or two between two figures. The first stays where it is cited",
        "// when it fits there; otherwise it, and the next ones, go to the top of the next pages in",
        "// order (a float that fits on its own page would go to its top, above the section heading).",
        "// The room left is measured at an empty block before the figure, which stays where the text",
        "// ends whatever the figure does.",
        "#let her2cr-figure-alone(first: false, body) = {",
        "  block(height: 0pt, above: 0pt)[#metadata(none) <her2cr-figure-anchor>]",
        "  context {",
        "    let m = page.margin",
        "    let area = (page.width - m.left.length - m.right.length, page.height - m.top.length - m.bottom.length)",
        '    let fig = { show figure.where(kind: "quarto-float-fig"): set figure(placement: none); body }',
        "    let tall = calc.max(measure(block(width: area.at(0), fig)).height, 0.51 * area.at(1))",
        "    let shown = block(width: 100%, height: tall, breakable: false, above: 1.2em, fig)",
        "    let at = query(selector(<her2cr-figure-anchor>).before(here())).last().location().position()",
        "    let room = page.height - m.bottom.length - at.y - 1.5em.to-absolute()",
        "    if first and tall <= room { shown } else { place(top, float: true, clearance: 1.5em, shown) }",
        "  }",
        "}",
        "// no invisible character in the PDF's text, so that every word is found and copied as it",
        "// reads: no hyphenation (a soft hyphen at each hyphenated line end), and contents entries",
        "// without the word joiner Typst puts before the page number",
        "#set text(hyphenate: false)",
        "#show outline.entry: it => link(it.element.location(), it.indented(it.prefix(),",
        "  { it.body(); h(0.4em); box(width: 1fr, it.fill); h(0.4em); it.page() }))",
        "",
    ])


def front_matter(cut_info: dict, version: str, rendered: str) -> str:
    """Quarto front matter (YAML) for the executed report notebook."""
    from her2cr import study

    synthetic = f" · {study.SYNTHETIC_LABEL}" if cut_info.get("synthetic") else ""
    lines = [
        "---",
        f'title: "{study.SHORT_TITLE} ({study.NCT_ID}): ctDNA study report"',
        f'subtitle: "Data cut-off {cut_info["cut"]} · report {version}{synthetic}"',
        f'author: "{study.SPONSOR}"',
        f'date: "{rendered}"',
        "---",
    ]
    return "\n".join(lines)


def cell_markdown(cell) -> str | None:
    """A code cell's outputs as one Markdown text, captioned as its `#| label: tbl-...` and
    `#| tbl-cap:` options say; None when an output has no Markdown form (Quarto then converts
    the cell itself)."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            if out.get("name") == "stdout" and out.get("text", "").strip():
                parts.append("```\n" + out["text"].rstrip("\n") + "\n```")
            continue
        md = out.get("data", {}).get("text/markdown")
        if md is None:
            return None
        parts.append(md)
    text = "\n\n".join(p.strip("\n") for p in parts)
    opts = cell_options(cell.source)
    label = opts.get("label", "")
    for kind in ("tbl", "fig"):
        cap = opts.get(f"{kind}-cap")
        if label.startswith(f"{kind}-") and cap and text:
            text = f"::: {{#{label}}}\n\n{text}\n\n{cap}\n:::"
    return text


def prepare_for_quarto(nb, cut_info: dict, version: str, rendered: str):
    """The executed notebook as Quarto should see it: front matter set, and every output as
    Markdown only (tables as raw HTML + raw Typst, figures as cross-reference divs); the HTML
    copies are for the nbconvert preview. Each code cell becomes a Markdown cell holding its
    outputs, so that headings written by a cell (the outcome measures' subsections, say) are
    sections like any other: in the HTML's contents list as in the PDF's, and with no cell's
    execution metadata in the HTML."""
    import copy

    nb = copy.deepcopy(nb)
    fm = front_matter(cut_info, version, rendered)
    if nb.cells and nb.cells[0].cell_type == "raw":
        nb.cells[0].source = fm
    else:
        import nbformat

        nb.cells.insert(0, nbformat.v4.new_raw_cell(fm))
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data")
            if not data:
                continue
            if "text/html" in data and "text/markdown" not in data:
                # HTML-only output (e.g. a great_tables object in a sub-analysis): raw HTML for the
                # HTML report; the PDF and the Word document say where to find it
                from her2cr.reporting.docx_table import openxml_paragraph
                data["text/markdown"] = (f"```{{=html}}\n{data['text/html']}\n```\n\n"
                                         "```{=typst}\n#emph[This table is shown in the HTML report.]\n```\n\n"
                                         f"```{{=openxml}}\n{openxml_paragraph(HTML_ONLY)}\n```\n")
            # Quarto loads require.js and jQuery from a CDN for any text/html or JavaScript output
            for mime in ("text/html", "application/javascript"):
                data.pop(mime, None)
    import nbformat

    cells = []
    for cell in nb.cells:
        text = cell_markdown(cell) if cell.cell_type == "code" else None
        if text is None:
            cells.append(cell)
        elif text.strip():
            cells.append(nbformat.v4.new_markdown_cell(text))
    nb.cells = cells
    return nb


def find_quarto() -> str | None:
    """The Quarto to use: $QUARTO when set (the Makefile's QUARTO=...), else `quarto` on PATH,
    else one installed into this environment (PyPI quarto-cli)."""
    import os
    import sys

    chosen = os.environ.get("QUARTO", "").strip()
    if chosen:
        return chosen if Path(chosen).exists() or shutil.which(chosen) else None
    found = shutil.which("quarto")
    if found:
        return found
    local = Path(sys.prefix) / "bin" / "quarto"
    return str(local) if local.exists() else None


def quarto_missing_note() -> str:
    """Why there is no publication HTML and PDF: a QUARTO that names no program is said as such,
    not as "not installed"."""
    import os

    chosen = os.environ.get("QUARTO", "").strip()
    if chosen:
        return (f"QUARTO={chosen} is not an executable file: wrote the HTML preview only "
                "(report-preview.html). Point QUARTO at Quarto's `quarto` program, or unset it.")
    return QUARTO_MISSING


_BUILD_PREFIX = "her2cr-quarto-"
_BUILD_NAME = re.compile(rf"^{_BUILD_PREFIX}[a-z]+-(\d+)-")


def _build_dir(fmt: str) -> Path:
    """A fresh build folder whose path has no hidden component: Quarto does not apply a project's
    _quarto.yml under a hidden folder (such as the run's staging folder). Its name carries this
    process's id, so that the next run removes the folders of a run that was killed while Quarto
    ran (remove_stale_builds)."""
    import tempfile

    for base in (Path(tempfile.gettempdir()), Path("/tmp")):
        if base.is_dir() and not any(part.startswith(".") for part in base.resolve().parts):
            remove_stale_builds(base)
            return Path(tempfile.mkdtemp(prefix=f"{_BUILD_PREFIX}{fmt}-{os.getpid()}-", dir=base))
    raise RuntimeError("no temporary folder without a hidden path component for the Quarto build")


def remove_stale_builds(base: Path) -> list[Path]:
    """Remove the Quarto build folders left in base by runs whose process no longer exists."""
    stale = [p for p in base.glob(f"{_BUILD_PREFIX}*")
             if (m := _BUILD_NAME.match(p.name)) and not processes.alive(int(m.group(1)))]
    for p in stale:
        shutil.rmtree(p, ignore_errors=True)
    return stale


def _stage_project(work: Path, nb, out_dir: Path, info: dict, version: str) -> None:
    import nbformat

    shutil.copytree(PROJECT / "report", work, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("report.ipynb", "_output", ".quarto"))
    nbformat.write(nb, work / "report.ipynb")
    for folder in ("figures", "additional"):
        if (out_dir / folder).is_dir():
            shutil.copytree(out_dir / folder, work / folder)
    (work / "_banner.html").write_text(synthetic_html_banner() if info.get("synthetic") else "",
                                       encoding="utf-8")
    (work / "_page.typ").write_text(page_typst(info, version), encoding="utf-8")
    # the Word report's header: the template's placeholders filled for this run
    from her2cr.reporting.docx_reference import fill_reference

    (work / "reference.docx").write_bytes(
        fill_reference((PROJECT / "report" / "reference.docx").read_bytes(), info, version))


FORMATS = (("html", "report.html"), ("typst", "report.pdf"), ("docx", "report.docx"))


def quarto_markdown_text(nb) -> str:
    """The Markdown Quarto is given, as one text (to find each figure's alt text in)."""
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def _finish_word(work: Path, nb) -> Exception | None:
    """Finish the Word report Quarto wrote in `work` and write each table's own document into
    work/_tables (docx_finish); an error is returned, to be raised once every Quarto process has
    ended."""
    from her2cr.reporting.docx_finish import finish_docx, table_documents

    produced = work / "_output" / "report.docx"
    if not produced.exists():
        return None  # said below, with the other formats' checks
    try:
        finish_docx(produced, work, quarto_markdown_text(nb))
        table_documents(produced, work / "_tables")
    except Exception as e:  # noqa: BLE001 (raised by quarto_render after the other conversions)
        return e
    return None


def quarto_render(executed: Path, out_dir: Path, quarto: str | None = None) -> list[Path]:
    """Render HTML, PDF (Typst) and Word with the Quarto project in report/, all at once (one
    Quarto process each, each in its own build folder); returns the files made. The Word report
    is finished (docx_finish) and each of its tables written to tables/<label>.docx."""
    import time

    import nbformat

    from her2cr.data.cutinfo import read_cut_info

    quarto = quarto or find_quarto()
    info = read_cut_info(out_dir)
    nb = nbformat.read(executed, as_version=4)
    version = nb.metadata.get("papermill", {}).get("parameters", {}).get("version", "")
    nb = prepare_for_quarto(nb, info, version, time.strftime("%Y-%m-%d"))
    works = {fmt: _build_dir(fmt) for fmt, _ in FORMATS}
    try:
        procs = {}
        try:
            for fmt, _ in FORMATS:
                _stage_project(works[fmt], nb, out_dir, info, version)
                # each in a process group of its own, ending with the run (her2cr.processes)
                procs[fmt] = subprocess.Popen(
                    [quarto, "render", "report.ipynb", "--to", fmt, "--no-execute"], cwd=works[fmt],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **processes.popen_options())
                processes.track(procs[fmt].pid)
            # Word first: it is done soonest, and finishing it overlaps the HTML conversion
            logs, word_error = {}, None
            for fmt in sorted(procs, key=lambda f: f != "docx"):
                logs[fmt] = procs[fmt].communicate()[0]
                if fmt == "docx" and procs[fmt].returncode == 0:
                    word_error = _finish_word(works[fmt], nb)
        finally:
            for proc in procs.values():
                processes.untrack(proc.pid)
        made = []
        for fmt, name in FORMATS:
            if procs[fmt].returncode != 0:
                raise RuntimeError(f"quarto render --to {fmt} failed:\n{logs[fmt][-4000:]}")
            # report/_quarto.yml sets output-dir: _output; a file anywhere else means that Quarto
            # rendered a lone notebook without the project's settings
            produced = works[fmt] / "_output" / name
            if not produced.exists():
                raise RuntimeError(f"quarto render --to {fmt} did not apply report/_quarto.yml "
                                   f"(no _output/{name} in {works[fmt]})")
            if fmt == "docx":
                if word_error is not None:
                    raise word_error
                (out_dir / "tables").mkdir(exist_ok=True)
                for table in sorted((works[fmt] / "_tables").glob("*.docx")):
                    shutil.move(table, out_dir / "tables" / table.name)
            shutil.move(produced, out_dir / name)
            made.append(out_dir / name)
        return made
    finally:
        for work in works.values():
            shutil.rmtree(work, ignore_errors=True)


def render_report(out_dir: Path | str) -> dict:
    """Documents from notebooks/report.ipynb in out_dir; records what was made in render.json."""
    out_dir = Path(out_dir)
    executed = out_dir / "notebooks" / "report.ipynb"
    made = [preview_html(executed, out_dir / "report-preview.html")]
    note = ""
    quarto = find_quarto()
    if quarto:
        made += quarto_render(executed, out_dir, quarto)
    else:
        note = quarto_missing_note()
    info = {"files": [p.name for p in made], "note": note}
    (out_dir / "render.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


def summary_lines(version_dir: Path) -> list[str]:
    """What to open, for the end of `make report`."""
    lines = []
    info_path = version_dir / "render.json"
    if info_path.exists():
        info = json.loads(info_path.read_text())
        lines += [f"  {'report:':<10} {version_dir / f}" for f in info["files"]]
        if info["note"]:
            lines.append(f"  note:      {info['note']}")
    for label, rel in (("estimates", "results/estimates.csv"), ("PRS XML", "results/prs-results.xml"),
                       ("API JSON", "results/ctgov-results-section.json"),
                       ("issues", "data/data_issues.csv"), ("manifest", "manifest.json")):
        if (version_dir / rel).exists():
            lines.append(f"  {label + ':':<10} {version_dir / rel}")
    return lines
