"""The results-posting step: ClinicalTrials.gov files built from the analysis outputs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def load_posting_inputs(out_dir: Path | str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    out = Path(out_dir)
    flow = pd.read_csv(out / "data" / "flow.csv")
    tidy = pd.read_csv(out / "tables" / "baseline_tidy.csv", keep_default_na=False,
                       na_values=[""])
    estimates = pd.read_csv(out / "results" / "estimates.csv")
    return flow, tidy, estimates


def write_posting_files(out_dir: Path | str) -> list[Path]:
    """Write results/prs-results.xml and results/ctgov-results-section.json."""
    from her2cr.ctgov import write_results_files

    flow, tidy, estimates = load_posting_inputs(out_dir)
    return write_results_files(flow, tidy, estimates, Path(out_dir) / "results")
