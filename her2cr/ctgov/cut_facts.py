"""Facts of a cut that the results files need beyond flow, baseline and estimates, read from the
cut's output folder: how many consented after the cut-off (data/data_issues.csv), whether the
data are synthetic (data/cut_info.json) and the study configuration the posting step used
(results/study.yml, its copy of report/study.yml)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from her2cr.ctgov.study_config import CONFIG_NAME, default_config, load_study_config
from her2cr.data.cutinfo import read_cut_info
from her2cr.data.issues import consented_after_cutoff, read_issues


def read_cut_facts(out_dir: Path | str, cut_info: dict | None = None,
                   issues: pd.DataFrame | None = None) -> dict:
    """Keyword arguments for `build_results`: consented_after_cutoff, synthetic, config.
    cut_info, issues: data/cut_info.json and data/data_issues.csv when the caller has read them.

    Without results/study.yml (outputs made before the posting step copied it) nothing of the
    sponsor's is known: the default configuration, with every field still to fill in."""
    info = read_cut_info(out_dir) if cut_info is None else cut_info
    issues = read_issues(out_dir) if issues is None else issues
    config = Path(out_dir) / "results" / CONFIG_NAME
    return {
        "consented_after_cutoff": consented_after_cutoff(issues),
        "synthetic": bool(info.get("synthetic")),
        "config": load_study_config(config) if config.is_file() else default_config(),
    }
