"""Every number a reviewer reads in the rendered report can be checked line by line (issue 18).

In the HTML, each number of a table cell, a table note and the summary either carries its source
(`data-src-file`, `data-src-key`, `data-src-value`, `data-src-kind`: her2cr.trace), and then
the one rule for its kind, applied to the unrounded value, gives the printed text; or it is one of
a short list of constants (dates, identifiers, versions, the 28-day window, ...). Also: one minus
sign, percentage points for every difference, and no machine key of the data contract in the text
before the appendices. Runs on the rendered synthetic cut and on the same exports taken as study
data (fixtures of test_report_quarto); skips without Quarto.
"""

from __future__ import annotations

import html as htmllib
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from her2cr.formatting import MINUS, QUOTE_RULES, number
from her2cr.reporting.cutdiff_tables import MAX_ROWS as CHANGE_TABLE_ROWS
# the rendered reports (synthetic cut, and the same exports as study data), made once per session
from tests.reporting.test_report_quarto import later_report, real_report, report, synthetic_report  # noqa: F401

pytestmark = pytest.mark.slow

# A number as a reader sees it: not glued to a letter (HER2, E3, T-DM1, HCR-036 are names).
NUMBER = re.compile(r"(?<![\w.\-\u2212/])[\u2212-]?\d+(?:,\d{3})*(?:\.\d+)?(?![\w\-])")
# The constants a number may be instead of a traced value, each with its reason.
CONSTANTS = [
    ("date", re.compile(r"\b\d{4}-\d{2}-\d{2}\b")),
    ("time of rendering", re.compile(r"\b\d{2}:\d{2} UTC\b")),
    ("software version", re.compile(r"\b\d+\.\d+\.\d+(?:\.\w+)?\b")),
    ("SHA-256 or commit", re.compile(r"\b[0-9a-f]{12,64}\b")),
    ("registry identifier", re.compile(r"\b(?:NCT\d{8}|80-24-0057)\b")),
    ("report version", re.compile(r"\bv\d+\b")),
    ("confidence level", re.compile(r"(?<![\d.])95(?=% (?:CI|confidence))|\(95%\)")),
    ("baseline window", re.compile(r"\b28 days\b")),
    ("assay panel and positivity rule", re.compile(r"\babout 16 patient-specific|\bat least 2 are detected")),
    ("visit schedule", re.compile(r"\bevery 3 months\b")),
    ("rule of a data issue", re.compile(r"\u2265 2 variants")),
    ("precision of the rules", re.compile(r"\b4 significant digits|\bto 1 decimal|\(2 decimals\)|"
                                          r"3 significant digits|ratios to 2 decimals|points to 1\b")),
    ("eligibility criterion", re.compile(r"< 2 years")),
    ("unit of months", re.compile(r"days / 30\.4375")),
    ("statistical method", re.compile(
        r"\(method 10\)|\b1 df\b|\(1 degree of freedom\)|\(n - 1 divisor\)|Hyndman-Fan type 7|"
        r"sqrt\(\(SD1\^2 \+ SD2\^2\) / 2\)|sqrt\(\(p1\(1 - p1\) \+ p2\(1 - p2\)\) / 2\)|"
        r"SAS Global Forum 2012, paper 335-2012|Values of 0\.1 or more|Newcombe 1998")),
    ("how the table is laid out", re.compile(r"empty categories are shown as 0")),
    ("adverse events not collected", re.compile(r"posted as 0 affected of 0 at risk|0 affected of 0 at risk")),
    ("rows shown of a long change table", re.compile(rf"\bThe first {CHANGE_TABLE_ROWS} rows of\b")),
    ("p-value floor", re.compile(r"\bp < 0\.001\b")),
    # the independent QC's own counts of the values it compared (qc/summary.txt, qc/qc_values.csv)
    ("independent QC", re.compile(r"\b\d+ values compared, \d+ agree, \d+ differ\b|"
                                  r"\b\d+ values differ from the independent programming\b|"
                                  r"\(95% level, adverse events not collected: 0 of 0\)")),
]


class _Walker(HTMLParser):
    """Text of table cells (th, td) and of the summary section, with the source of each span."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.pieces: list[tuple[str, dict | None, str]] = []  # (text, source, where)
        self.section = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("section",) and a.get("id"):
            self.section = a["id"]
        if tag in ("br", "img", "meta", "link", "hr", "input"):
            return
        self.stack.append((tag, a))

    def handle_endtag(self, tag):
        if tag in ("td", "th", "p", "li"):
            self.pieces.append(("\n", None, self.section))  # cells never run into each other
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break

    def handle_data(self, data):
        tags = [t for t, _ in self.stack]
        in_cell = "td" in tags or "th" in tags
        in_summary = self.section == "summary" and "p" in tags
        if not (in_cell or in_summary) or "script" in tags or "style" in tags:
            return
        src = next((a for t, a in reversed(self.stack) if "data-src-file" in a), None)
        self.pieces.append((data, src, self.section))


def _check_source(text: str, src: dict, root: Path) -> str | None:
    """None when the span's text is its value by the rule of its kind (and a quote is in its file)."""
    kind, value = src["data-src-kind"], src["data-src-value"]
    if kind in QUOTE_RULES:
        if QUOTE_RULES[kind](value) != text:
            return f"quote {value!r} shown as {text!r}"
        path = root / src["data-src-file"]
        if path.suffix in (".xml", ".csv", ".json") and path.exists():
            body = htmllib.unescape(path.read_text(encoding="utf-8"))
            if value not in body and value.replace('"', "") not in body:
                return f"{value!r} is not in {src['data-src-file']}"
        return None
    scale = float(src.get("data-src-scale", 1.0))
    v = float(value) * scale if value not in ("", "nan") else float("nan")
    expected = number(kind, v, missing=text if text in ("NE", "\u2014") else "NE",
                      digits=int(src.get("data-src-digits", 1)))
    return None if expected == text else f"{kind} {value} should read {expected!r}, reads {text!r}"


def trace_numbers(report_html: Path) -> dict:
    """Walk the report: every number traced (and right) or a listed constant; else a problem."""
    walker = _Walker()
    walker.feed(report_html.read_text(encoding="utf-8"))
    counts = {"numbers": 0, "traced": 0, "constants": {}, "problems": []}
    # untraced text is checked in runs (a constant such as "95% CI" may span pieces)
    run = ""
    runs = []
    for text, src, where in walker.pieces:
        if src is None:
            run += text
            continue
        runs.append(run)
        run = ""
        numbers = NUMBER.findall(text) + (["NE"] if text.strip() == "NE" else [])
        if not numbers:
            continue
        counts["numbers"] += 1
        problem = _check_source(text, src, report_html.parent)
        if problem:
            counts["problems"].append(f"{src['data-src-file']} [{src['data-src-key']}]: {problem}")
        else:
            counts["traced"] += 1
    runs.append(run)
    for text in runs:
        masked = text
        for reason, pattern in CONSTANTS:
            for m in pattern.finditer(masked):
                counts["numbers"] += 1
                counts["constants"][reason] = counts["constants"].get(reason, 0) + 1
            masked = pattern.sub(lambda m: " " * len(m.group(0)), masked)
        for m in NUMBER.finditer(masked):
            counts["numbers"] += 1
            start = max(0, m.start() - 50)
            counts["problems"].append(f"untraced {m.group(0)!r} in ...{text[start:m.end() + 30]!r}")
    return counts


def test_every_number_is_traced_or_a_listed_constant(report):
    folder, _ = report
    c = trace_numbers(folder / "report.html")
    listed = sum(c["constants"].values())
    print(f"\n{c['numbers']} numbers, {c['traced']} traced, {listed} listed constants "
          f"({', '.join(f'{k} {v}' for k, v in sorted(c['constants'].items()))})")
    assert c["traced"] > 300  # the estimates, baseline and posted tables at least
    assert not c["problems"], "\n".join(c["problems"][:40])


def test_change_tables_trace_their_numbers_to_the_diff_files(later_report):
    """A later cut's report: each diff/*.csv table with rows is a numbered table of the section,
    the numbers of its cells come from that file (the estimates, the flow, the corrected age and
    ctDNA level, the levels of the samples added), and all of them read as the rule writes them."""
    from her2cr.reporting.cutdiff_tables import RECORD_SPECS

    html = (later_report / "report.html").read_text(encoding="utf-8")
    walker = _Walker()
    walker.feed(html)
    section = [(t, s) for t, s, where in walker.pieces if where == "changes-since-the-previous-cut"]
    files = {s["data-src-file"] for _, s in section if s}
    titles = {**{n: t for n, (t, _) in RECORD_SPECS.items()},
              "estimate_changes": "Estimates at the last cut and at this cut",
              "flow_changes": "Participant flow at the last cut and at this cut"}
    with_rows = sorted(p.stem for p in (later_report / "diff").glob("*.csv") if len(pd.read_csv(p)))
    assert {"estimate_changes", "flow_changes", "field_changes", "samples_added", "sample_changes",
            "participants_added", "status_changes", "primary_set_changes"} <= set(with_rows)
    for name in with_rows:
        assert re.search(rf"Table\s+\d+:\s+{re.escape(htmllib.escape(titles[name]))}", html), name
    assert {f"diff/{n}.csv" for n in ("estimate_changes", "flow_changes", "field_changes",
                                      "samples_added", "sample_changes")} <= files, files
    traced = [(t, s) for t, s in section if s and NUMBER.search(t)]
    assert len(traced) > 200, len(traced)
    for text, src in traced:
        assert _check_source(text, src, later_report) is None, (text, src)
    # the corrected ctDNA level, by the measure rule, traced to its row of the diff file
    assert any(t == "0.530" and s["data-src-file"] == "diff/sample_changes.csv" for t, s in traced)


def _body_text(folder: Path) -> str:
    """The HTML report's visible text before Appendix A (the data-issues listing names columns)."""
    from tests.reporting.test_report_quarto import _visible_html

    text = _visible_html((folder / "report.html").read_text(encoding="utf-8"))
    end = text.find("Appendix A")
    end = text.find("Appendix A", end + 1) if text.count("Appendix A") > 1 else end  # skip the contents
    return text[:end]


def test_no_machine_key_of_the_contract_before_the_appendices(report):
    from her2cr.data.contract import FILES

    folder, _ = report
    body = _body_text(folder)
    columns = {f.name for fields in FILES.values() for f in fields if "_" in f.name}
    codes = {"on_study", "lost_to_follow_up", "primary_set", "risk_difference", "odds_ratio",
             "median_days", "partialUpload", "RRSUploadSchema", "point_of_contact", "certain_agreements"}
    found = sorted(k for k in columns | codes if re.search(rf"(?<![\w/]){re.escape(k)}(?!\w)", body))
    assert found == [], f"machine keys in the report's body: {found}"


def _pdf_body(folder: Path) -> str:
    import shutil
    import subprocess

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is not installed (Debian package poppler-utils)")
    text = subprocess.run(["pdftotext", "-raw", str(folder / "report.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    return text[: text.rfind("Appendix A")]


HYPHEN_BEFORE_NUMBER = re.compile(r"(?<![\w.\-/])-\d")


def test_one_minus_sign_in_both_formats(report):
    """Negative numbers carry U+2212 in the HTML and in the PDF (body before the appendices)."""
    folder, _ = report
    for name, body in (("HTML", _body_text(folder)), ("PDF", _pdf_body(folder))):
        hyphen = [body[max(0, m.start() - 30):m.end() + 10] for m in HYPHEN_BEFORE_NUMBER.finditer(body)]
        assert hyphen == [], f"{name}: hyphen-minus before a number: {hyphen[:10]}"
        assert MINUS in body, name  # the synthetic cut has negative differences and limits


def test_every_difference_is_in_percentage_points(report):
    """Every number traced to a difference of proportions is written in percentage points: kind
    pp, no "%" after it, and "percentage points" named in its sentence or its column."""
    folder, _ = report
    page = (folder / "report.html").read_text(encoding="utf-8")
    spans = list(re.finditer(r'<span class="src"([^>]*)>([^<]*)</span>(.?)', page))
    differences = [m for m in spans if "| risk_difference |" in m.group(1)
                   and any(f"| {c}" in m.group(1) for c in ("estimate", "ci_lower", "ci_upper"))]
    assert len(differences) > 20
    for m in differences:
        assert 'data-src-kind="pp"' in m.group(1), m.group(0)
        assert m.group(3) != "%", m.group(0)
    text = _body_text(folder)
    assert "Difference in proportions, percentage points" in text
    assert re.search(r"difference in positivity, stopped minus continuing, was\s+\S+\s+percentage points", text)
