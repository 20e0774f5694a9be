"""The results-posting step: ClinicalTrials.gov files built from the analysis outputs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def load_posting_inputs(out_dir: Path | str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    out = Path(out_dir)
    # round_trip: the floats exactly as written (the report shows them as the files' unrounded values)
    flow = pd.read_csv(out / "data" / "flow.csv")
    tidy = pd.read_csv(out / "tables" / "baseline_tidy.csv", keep_default_na=False,
                       na_values=[""], float_precision="round_trip")
    estimates = pd.read_csv(out / "results" / "estimates.csv", float_precision="round_trip")
    return flow, tidy, estimates


def write_posting_files(out_dir: Path | str, study_config: Path | str | None = None) -> list[Path]:
    """Write results/prs-results.xml and results/ctgov-results-section.json, and keep the study
    configuration they were made from as results/study.yml (the report reads it from there).

    study_config: the sponsor's facts (default report/study.yml); a bad file raises
    StudyConfigError before anything is written."""
    from her2cr.ctgov import write_results_files
    from her2cr.ctgov.cut_facts import read_cut_facts
    from her2cr.ctgov.study_config import CONFIG_NAME, DEFAULT_PATH, load_study_config

    path = Path(study_config) if study_config else DEFAULT_PATH
    load_study_config(path)  # checked before anything is written
    results = Path(out_dir) / "results"
    results.mkdir(parents=True, exist_ok=True)
    copy = results / CONFIG_NAME
    copy.write_bytes(path.read_bytes())
    flow, tidy, estimates = load_posting_inputs(out_dir)
    return write_results_files(flow, tidy, estimates, results, **read_cut_facts(out_dir)) + [copy]
