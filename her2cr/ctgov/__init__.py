"""ClinicalTrials.gov results files: the PRS upload XML and the API v2 `resultsSection` JSON.

    paths = write_results_files(flow, baseline_tidy, estimates, out_dir / "results", **facts)

`facts` (optional): consents after the cut-off, synthetic flag and the study
configuration (`cut_facts.read_cut_facts` reads them from a cut's outputs). `build` makes the neutral model (`model`) from the project's DataFrames; `prs_xml` and `api_json`
write it. Both files come from the same model, so their numbers agree by construction.
"""

from __future__ import annotations

from pathlib import Path

PRS_XML_NAME = "prs-results.xml"
API_JSON_NAME = "ctgov-results-section.json"

__all__ = ["API_JSON_NAME", "PRS_XML_NAME", "build_results", "write_results_files"]


def build_results(flow, baseline_tidy, estimates, **facts):
    """The results model (`model.ResultsSection`) from flow, baseline tidy table and estimates."""
    from her2cr.ctgov.build import build_results as _build

    return _build(flow, baseline_tidy, estimates, **facts)


def write_results_files(flow, baseline_tidy, estimates, results_dir, **facts) -> list[Path]:
    """Write `prs-results.xml` and `ctgov-results-section.json` into `results_dir`.

    Deterministic: the same inputs give byte-identical files (no dates, no machine details).
    Returns the two paths, XML first.
    """
    from her2cr.ctgov.api_json import to_api_json
    from her2cr.ctgov.prs_xml import to_prs_xml

    results = build_results(flow, baseline_tidy, estimates, **facts)
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    xml_path = results_dir / PRS_XML_NAME
    json_path = results_dir / API_JSON_NAME
    xml_path.write_bytes(to_prs_xml(results))
    json_path.write_bytes(to_api_json(results).encode("utf-8"))
    return [xml_path, json_path]
