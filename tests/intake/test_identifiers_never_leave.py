"""Identifiers never leave the export (issue 17, item 11).

The synthetic export carries, by design, four fields flagged `Identifier? = y`: a name in kanji,
the same name in Latin letters, a hospital record number and a birth date, for every participant.
The whole run (intake, pipeline, report, with Quarto's HTML and PDF where Quarto is installed) is
made from it, and every file the run writes (the contract cut, intake_issues.csv, intake.json,
the outputs, the executed notebooks, the report HTML/PDF text, the manifest) and everything it
printed is searched for every one of those values: none may appear.

Birth dates can be searched as plain text: they fall decades before any date of the study (the
earliest anti-HER2 start is after 2010), so a hit is a leak, not a coincidence.
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from her2cr.reporting.render import find_quarto

pytestmark = pytest.mark.slow
CUT = "2025-12-31"


def her2cr(*args):
    return subprocess.run([sys.executable, "-m", "her2cr", *map(str, args)], capture_output=True, text=True,
                          timeout=900)


def readable_text(path: Path) -> str:
    """What a reader (or a program) finds in a file: PDF text, parquet cells, JSON decoded (so that
    a name escaped as \\uXXXX is found), HTML entities unescaped; PNG images have no text."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
    if suffix == ".parquet":
        return pd.read_parquet(path).to_csv(index=False)
    raw = path.read_bytes().decode("utf-8", errors="replace")
    if suffix in (".json", ".ipynb"):
        try:
            raw += json.dumps(json.loads(raw), ensure_ascii=False)
        except ValueError:
            pass
    return html.unescape(raw)


def test_no_identifier_reaches_any_file_the_run_writes(tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed (Debian package poppler-utils): the PDF text cannot be read")
    export, raw, out = tmp_path / "export", tmp_path / "interim" / f"synthetic-{CUT}", tmp_path / "reports"
    printed = []
    for args in (("synth", "--export", export, "--n", 50, "--cut", CUT),
                 ("intake", "--export", export, "--mapping", export / "mapping.yml", "--cut", CUT, "--out", raw),
                 ("run", "--raw", raw, "--cut", CUT, "--out", out)):
        r = her2cr(*args)
        assert r.returncode == 0, r.stdout + r.stderr
        printed.append(r.stdout + r.stderr)

    from her2cr.data.synth import generate
    from her2cr.intake.synthetic import IDENTIFIER_FIELDS, build_export

    ids = build_export(generate(n=50, cut=CUT)).identifiers
    # the planted values are really in the export the run read
    records = (export / f"HER2CR_DATA_{CUT}_1200.csv").read_text(encoding="utf-8")
    assert all(v in records for f in IDENTIFIER_FIELDS for v in ids[f])
    needles = {v for f in IDENTIFIER_FIELDS for v in ids[f]}
    needles |= {v.replace("\u3000", "") for v in ids["name_kanji"]}  # the kanji name without its space
    needles |= {v.replace(" ", "") for v in ids["name_latin"]} | {v.upper() for v in ids["name_latin"]}

    files = sorted(p for p in [*raw.rglob("*"), *out.rglob("*")] if p.is_file())
    names = {p.name for p in files}
    assert {"subjects.csv", "ctdna.csv", "intake_issues.csv", "intake.json", "manifest.json"} <= names
    if find_quarto() is not None:
        assert {"report.html", "report.pdf"} <= names
    searched = [(str(p.relative_to(tmp_path)), readable_text(p)) for p in files if p.suffix.lower() != ".png"]
    searched += [(f"printed output of her2cr {a}", text) for a, text in zip(("synth", "intake", "run"), printed)]
    leaks = [(where, v) for where, text in searched for v in needles if v in text]
    assert not leaks, f"identifiers found in what the run wrote: {leaks[:10]}"
    # and the search does find an identifier where one is (the search itself works)
    assert any(v in readable_text(export / f"HER2CR_DATA_{CUT}_1200.csv") for v in needles)
