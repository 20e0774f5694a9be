"""Finishing the Word report Quarto wrote, and lifting its tables into documents of their own.

Quarto (1.4 and later) lays out every captioned table and figure of a .docx inside a one-cell
table (quarto-dev/quarto-cli issues 4004, 7321, 11756), with the caption paragraph given two sets
of paragraph properties. A table then sits inside another table: its header row does not repeat
across pages, Word reports the document as damaged, and a reader (or python-docx) sees every
figure as a table. `finish_docx` undoes that layout: the caption and the content stand in the body
again, a table's caption in the "Table Caption" style (kept with its table), a figure's picture
kept with its caption below.

Pandoc embeds an SVG figure as SVG only unless rsvg-convert is installed, and writes its file
name, not its alt text, as the picture's description. `finish_docx` adds the PNG that the
notebooks save beside each SVG (300 dpi at the size the report prints it) as the fallback that
Word versions without SVG support and LibreOffice draw, and writes the figure's alt text as the
picture's description (Word's "Alt Text"). It also writes the section headings into the
contents list, which Pandoc leaves for Word to fill (`fill_contents`).

`table_documents` makes one document per report table (tables/<label>.docx), with the report's
styles, page set-up and header: caption, table and notes, for a manuscript.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from her2cr.reporting.docx_package import REL_IMAGE, R_NS, W_NS, read_parts, write_docx

_W = f"{{{W_NS}}}"
_R_EMBED = f"{{{R_NS}}}embed"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
PIC_NS = "http://schemas.openxmlformats.org/drawingml/2006/picture"
SVG_NS = "http://schemas.microsoft.com/office/drawing/2016/SVG/main"
FLOAT_LABEL = re.compile(r"^(tbl|fig)-")
# ![](figures/x.svg){width=4.46in fig-alt="..."}: display.Figure.quarto_markdown
_FIGURE_MD = re.compile(r'!\[\]\(([^)\s]+)\)\{[^}]*?fig-alt="((?:[^"\\]|\\.)*)"')


def figure_alt_texts(markdown: str) -> dict[str, str]:
    """Each figure's path (as the Markdown names it) and its alt text."""
    return {m.group(1): re.sub(r"\\(.)", r"\1", m.group(2)) for m in _FIGURE_MD.finditer(markdown)}


def _register_namespaces(xml: bytes) -> None:
    """Keep the document's own namespace prefixes when it is written again (Word reads any
    prefix, but a reader of the XML should see w:, r:, wp:)."""
    for _, (prefix, uri) in ET.iterparse(io.BytesIO(xml), events=("start-ns",)):
        if prefix and not re.fullmatch(r"ns\d+", prefix):  # ns0, ns1: ElementTree's own
            ET.register_namespace(prefix, uri)


def _w(tag: str) -> str:
    return _W + tag


def _set_paragraph_style(p: ET.Element, style: str, keep_next: bool) -> None:
    """The paragraph's properties as one w:pPr (Quarto writes two on a float's caption): the given
    style, left-aligned, kept with the next paragraph when asked."""
    for ppr in p.findall(_w("pPr")):
        p.remove(ppr)
    ppr = ET.Element(_w("pPr"))
    ET.SubElement(ppr, _w("pStyle"), {_w("val"): style})
    if keep_next:
        ET.SubElement(ppr, _w("keepNext"))
    ET.SubElement(ppr, _w("jc"), {_w("val"): "left"})
    p.insert(0, ppr)


def _float_cell(tbl: ET.Element) -> tuple[str, ET.Element] | None:
    """(label, cell) when tbl is Quarto's one-cell layout of a captioned table or figure."""
    rows = tbl.findall(_w("tr"))
    if len(rows) != 1 or len(cells := rows[0].findall(_w("tc"))) != 1:
        return None
    mark = cells[0].find(_w("bookmarkStart"))
    label = mark.get(_w("name"), "") if mark is not None else ""
    return (label, cells[0]) if FLOAT_LABEL.match(label) else None


def _is_caption(p: ET.Element) -> bool:
    return any(s.get(_w("val")) == "ImageCaption" for s in p.iter(_w("pStyle")))


def unwrap_floats(body: ET.Element) -> list[str]:
    """Take every captioned table and figure out of Quarto's one-cell layout table; returns their
    labels in document order."""
    labels = []
    for parent in [body, *body.iter()]:
        children = list(parent)
        for i, tbl in enumerate(children):
            if tbl.tag != _w("tbl") or not (found := _float_cell(tbl)):
                continue
            label, cell = found
            content = [c for c in cell if c.tag != _w("tcPr")]
            # a trailing empty paragraph: Word needs one after a table nested in a cell, not here
            while content and content[-1].tag == _w("p") and len(content[-1]) == 0:
                content.pop()
            for el in content:
                if el.tag == _w("p") and _is_caption(el):
                    _set_paragraph_style(el, "TableCaption" if label.startswith("tbl-") else "ImageCaption",
                                         keep_next=label.startswith("tbl-"))
                elif el.tag == _w("p") and label.startswith("fig-") and el.find(f".//{_w('drawing')}") is not None:
                    ppr = el.find(_w("pPr"))
                    if ppr is not None and ppr.find(_w("keepNext")) is None:
                        ppr.insert(1, ET.Element(_w("keepNext")))
            at = list(parent).index(tbl)
            parent.remove(tbl)
            for k, el in enumerate(content):
                parent.insert(at + k, el)
            labels.append(label)
    return labels


# The package parts (relationships, content types) are edited as text: ElementTree would write
# their default namespace with a made-up prefix (ns0:), which LibreOffice cannot open.
_RELATIONSHIP = re.compile(r"<Relationship\b[^>]*?/>")


def fill_contents(body: ET.Element, depth: int = 2) -> int:
    """Write the headings (levels 1 to `depth`, linked to their sections) into the contents list
    Pandoc leaves empty. Pandoc's TOC field has no entries until a word processor updates it:
    Word does so when the document is opened (the field is marked dirty), LibreOffice and
    viewers do not and showed an empty list. The entries carry no page numbers; Word adds them
    when it updates the field. Returns the number of entries."""
    instr = next((p for p in body.iter(_w("p"))
                  if any((t.text or "").strip().startswith("TOC ") for t in p.iter(_w("instrText")))), None)
    if instr is None:
        return 0
    entries = []
    children = list(body)
    for i, el in enumerate(children):
        style = el.find(f"{_w('pPr')}/{_w('pStyle')}") if el.tag == _w("p") else None
        level = re.fullmatch(r"Heading(\d)", style.get(_w("val"), "")) if style is not None else None
        if not level or int(level.group(1)) > depth:
            continue
        mark = children[i - 1] if i and children[i - 1].tag == _w("bookmarkStart") else None
        entries.append((int(level.group(1)), _text(el), mark.get(_w("name")) if mark is not None else ""))
    if not entries:
        return 0
    # the field's runs: begin, instruction, separate | the entries | end
    runs = [r for r in instr if r.tag == _w("r")]
    chars = [c for r in runs for c in r]
    end = next(c for c in chars if c.tag == _w("fldChar") and c.get(_w("fldCharType")) == "end")
    for r in runs:
        if end in list(r):
            r.remove(end)
    parent = next(p for p in body.iter() if instr in list(p))
    at = list(parent).index(instr)
    for k, (level, text, anchor) in enumerate(entries):
        p = ET.Element(_w("p"))
        ppr = ET.SubElement(p, _w("pPr"))
        ET.SubElement(ppr, _w("pStyle"), {_w("val"): f"TOC{level}"})
        link = ET.SubElement(p, _w("hyperlink"), {_w("anchor"): anchor}) if anchor else p
        run = ET.SubElement(link, _w("r"))
        t = ET.SubElement(run, _w("t"))
        t.text = text
        if k == len(entries) - 1:
            ET.SubElement(ET.SubElement(p, _w("r")), _w("fldChar"), {_w("fldCharType"): "end"})
        parent.insert(at + 1 + k, p)
    return len(entries)


def _relations(parts: dict[str, bytes]) -> str:
    return parts["word/_rels/document.xml.rels"].decode("utf-8")


def _attr(tag: str, name: str) -> str:
    m = re.search(rf'\b{name}="([^"]*)"', tag)
    return m.group(1) if m else ""


def add_figure_fallbacks(body: ET.Element, parts: dict[str, bytes], folder: Path, alts: dict[str, str]) -> int:
    """For every SVG picture: the PNG beside the SVG in `folder` as its fallback (a:blip
    r:embed), and its alt text as its description. Returns the number of pictures given a PNG."""
    rels = _relations(parts)
    targets = {_attr(r, "Id"): _attr(r, "Target") for r in _RELATIONSHIP.findall(rels)}
    new_rels = []
    added = 0
    for inline in body.iter(f"{{{WP_NS}}}inline"):
        pic = inline.find(f".//{{{PIC_NS}}}cNvPr")
        doc_pr = inline.find(f"{{{WP_NS}}}docPr")
        blip = inline.find(f".//{{{A_NS}}}blip")
        source = pic.get("descr", "") if pic is not None else ""
        alt = alts.get(source)
        if alt is not None:
            for el in (doc_pr, pic):
                if el is not None:
                    el.set("descr", alt)
        svg = blip.find(f".//{{{SVG_NS}}}svgBlip") if blip is not None else None
        png = (folder / source).with_suffix(".png") if source else None
        if svg is None or blip.get(_R_EMBED) or png is None or not png.is_file():
            continue
        rid = f"{svg.get(_R_EMBED)}png"
        name = f"media/{Path(targets.get(svg.get(_R_EMBED), rid)).stem}.png"
        parts[f"word/{name}"] = png.read_bytes()
        new_rels.append(f'<Relationship Type="{REL_IMAGE}" Id="{rid}" Target="{name}" />')
        blip.set(_R_EMBED, rid)
        added += 1
    if added:
        parts["word/_rels/document.xml.rels"] = rels.replace(
            "</Relationships>", "".join(new_rels) + "</Relationships>").encode("utf-8")
        ct = parts["[Content_Types].xml"].decode("utf-8")
        if 'Extension="png"' not in ct:
            ct = re.sub(r"(<Types\b[^>]*>)", r'\1<Default Extension="png" ContentType="image/png" />', ct, count=1)
            parts["[Content_Types].xml"] = ct.encode("utf-8")
    return added


def _document(parts: dict[str, bytes]) -> ET.Element:
    xml = parts["word/document.xml"]
    _register_namespaces(xml)
    return ET.fromstring(xml)


def finish_docx(docx: Path, folder: Path, markdown: str) -> list[str]:
    """Finish report.docx in place (see the module's docstring); `folder` holds the figures as the
    Markdown names them, `markdown` is what Quarto was given. Returns the floats' labels."""
    parts = read_parts(docx)
    root = _document(parts)
    body = root.find(_w("body"))
    labels = unwrap_floats(body)
    fill_contents(body)
    add_figure_fallbacks(body, parts, folder, figure_alt_texts(markdown))
    parts["word/document.xml"] = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    write_docx(parts, docx)
    return labels


# parts a table's own document does without: pictures, and the report's properties that carry
# the render date (so that the same table gives the same bytes)
_DROP = re.compile(r"^(word/media/|docProps/custom\.xml$)")
_CORE = ('<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties '
         'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
         'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{title}</dc:title>'
         '<dc:language>en-GB</dc:language></cp:coreProperties>')


def _text(el: ET.Element) -> str:
    return "".join(t.text or "" for t in el.iter(_w("t")))


def _table_blocks(body: ET.Element) -> dict[str, list[ET.Element]]:
    """Each report table's caption, table and notes, by label."""
    out: dict[str, list[ET.Element]] = {}
    children = list(body)
    for i, el in enumerate(children):
        if el.tag != _w("bookmarkStart") or not el.get(_w("name"), "").startswith("tbl-"):
            continue
        mark_id, block = el.get(_w("id")), []
        for nxt in children[i + 1:]:
            if nxt.tag == _w("bookmarkEnd") and nxt.get(_w("id")) == mark_id:
                break
            if nxt.tag in (_w("p"), _w("tbl")):
                block.append(nxt)
        if any(b.tag == _w("tbl") for b in block):
            out[el.get(_w("name"))] = block
    return out


def table_documents(docx: Path, target_dir: Path) -> list[Path]:
    """tables/<label>.docx for every captioned table of the finished report.docx."""
    import copy

    parts = read_parts(docx)
    root = _document(parts)
    body = root.find(_w("body"))
    section = body.find(_w("sectPr"))
    rels = _RELATIONSHIP.sub(lambda m: "" if _attr(m.group(0), "Type") == REL_IMAGE else m.group(0),
                             _relations(parts))
    ct = re.sub(r'<Override\b[^>]*PartName="/docProps/custom\.xml"[^>]*/>', "",
                parts["[Content_Types].xml"].decode("utf-8"))
    package_rels = re.sub(r'<Relationship\b[^>]*Target="docProps/custom\.xml"[^>]*/>', "",
                          parts["_rels/.rels"].decode("utf-8"))
    shared = {n: b for n, b in parts.items() if not _DROP.match(n)}
    shared["word/_rels/document.xml.rels"] = rels.encode("utf-8")
    shared["[Content_Types].xml"] = ct.encode("utf-8")
    shared["_rels/.rels"] = package_rels.encode("utf-8")
    made = []
    target_dir.mkdir(parents=True, exist_ok=True)
    for label, block in _table_blocks(body).items():
        one = ET.Element(root.tag, root.attrib)
        one_body = ET.SubElement(one, _w("body"))
        for el in block:
            one_body.append(copy.deepcopy(el))
        if section is not None:
            one_body.append(copy.deepcopy(section))
        doc_parts = dict(shared)
        doc_parts["word/document.xml"] = ET.tostring(one, encoding="UTF-8", xml_declaration=True)
        caption = next((_text(b) for b in block if b.tag == _w("p")), label)
        title = caption.replace("&", "&amp;").replace("<", "&lt;")
        doc_parts["docProps/core.xml"] = _CORE.format(title=title).encode("utf-8")
        made.append(write_docx(doc_parts, target_dir / f"{label}.docx"))
    return made
