"""Turning the executed report notebook into documents.

Quarto makes the publication HTML and PDF (Typst) from the executed notebook without running it
again. Where Quarto is not installed, nbconvert writes a readable HTML preview and the run says
plainly that the publication files need Quarto.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from .pipeline import PROJECT

QUARTO_MISSING = (
    "Quarto is not installed: wrote the HTML preview only (report-preview.html). The publication "
    "HTML and PDF need Quarto (conda env from environment.yml, or https://quarto.org)."
)


def preview_html(executed: Path, target: Path) -> Path:
    """Readable HTML without code cells, through nbconvert."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": "HER2 CR study report"}})
    target.write_text(body, encoding="utf-8")
    return target


def quarto_render(executed: Path, out_dir: Path) -> list[Path]:
    """Render HTML and PDF (Typst) with the Quarto project in report/; returns the files made."""
    quarto = shutil.which("quarto")
    work = out_dir / ".quarto-build"
    shutil.copytree(PROJECT / "report", work, ignore=shutil.ignore_patterns("report.ipynb", "_output", ".quarto"))
    shutil.copy2(executed, work / "report.ipynb")
    made = []
    for fmt, name in (("html", "report.html"), ("typst", "report.pdf")):
        r = subprocess.run([quarto, "render", "report.ipynb", "--to", fmt, "--no-execute"],
                           cwd=work, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"quarto render --to {fmt} failed:\n{r.stderr[-4000:]}")
        produced = next(work.rglob(name), None)
        if produced is None:
            raise RuntimeError(f"quarto render --to {fmt} made no {name}")
        shutil.move(produced, out_dir / name)
        made.append(out_dir / name)
    shutil.rmtree(work, ignore_errors=True)
    return made


def render_report(out_dir: Path | str) -> dict:
    """Documents from notebooks/report.ipynb in out_dir; records what was made in render.json."""
    out_dir = Path(out_dir)
    executed = out_dir / "notebooks" / "report.ipynb"
    made = [preview_html(executed, out_dir / "report-preview.html")]
    note = ""
    if shutil.which("quarto"):
        made += quarto_render(executed, out_dir)
    else:
        note = QUARTO_MISSING
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
