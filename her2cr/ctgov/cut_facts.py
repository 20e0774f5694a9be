"""Facts of a cut that the results files need beyond flow, baseline and estimates, read from the
cut's output folder: all-cause mortality (data/adsl.parquet), how many consented after the cut-off
(data/data_issues.csv), whether the data are synthetic (data/cut_info.json) and the study
configuration the posting step used (results/study.yml, its copy of report/study.yml)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from her2cr.ctgov.adverse_events import all_cause_mortality
from her2cr.ctgov.study_config import CONFIG_NAME, default_config, load_study_config

# The data-issues rule that lists a consent dated after the cut-off (validate.after_cutoff_listing).
CONSENTED_AFTER_CUTOFF_RULE = "consented after the cut-off"


def read_cut_facts(out_dir: Path | str) -> dict:
    """Keyword arguments for `build_results`: mortality, consented_after_cutoff, synthetic, config.

    Without results/study.yml (outputs made before the posting step copied it) nothing of the
    sponsor's is known: the default configuration, with every field still to fill in."""
    data = Path(out_dir) / "data"
    info = json.loads((data / "cut_info.json").read_text(encoding="utf-8"))
    adsl = pd.read_parquet(data / "adsl.parquet", columns=["cohort", "death_date"])
    issues = pd.read_csv(data / "data_issues.csv", dtype=str, keep_default_na=False)
    after = int((issues["rule"] == CONSENTED_AFTER_CUTOFF_RULE).sum()) if "rule" in issues else 0
    return {
        "mortality": all_cause_mortality(adsl, info["cut"]),
        "consented_after_cutoff": after,
        "synthetic": bool(info.get("synthetic")),
        "config": load_study_config(config) if (config := Path(out_dir) / "results" / CONFIG_NAME)
        .is_file() else default_config(),
    }
