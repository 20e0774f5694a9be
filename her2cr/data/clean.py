"""The cleaning step of a cut: validate, derive, and write the analysis datasets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from her2cr.data.issues import InputError, to_frame
from her2cr.data.derive import analysis_datasets
from her2cr.data.dictionary import data_dictionary, data_dictionary_markdown
from her2cr.data.flow import participant_flow
from her2cr.data.validate import validate_cut


@dataclass(frozen=True)
class CleanCut:
    """Analysis datasets of one cut."""

    cut: pd.Timestamp
    adsl: pd.DataFrame
    adctdna: pd.DataFrame
    flow: pd.DataFrame
    data_issues: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The participant flow, the summary a reader looks at first."""
        return self.flow


def clean_cut(raw_dir: Path | str, cut: str) -> CleanCut:
    """Validate a cut and derive its analysis datasets; raises InputError listing every error."""
    v = validate_cut(raw_dir, cut)
    if not v.ok:
        raise InputError([i for i in v.issues if i.severity == "error"])
    adsl, adctdna = analysis_datasets(v.subjects, v.ctdna, v.cut)
    return CleanCut(v.cut, adsl, adctdna, participant_flow(adsl), to_frame(v.issues))


def write_table(df: pd.DataFrame, path_stem: Path, parquet: bool = True) -> list[Path]:
    """CSV (and Parquet) with settings that make the bytes depend only on the data."""
    path_stem.parent.mkdir(parents=True, exist_ok=True)
    csv = path_stem.with_suffix(".csv")
    df.to_csv(csv, index=False, lineterminator="\n", date_format="%Y-%m-%d")
    written = [csv]
    if parquet:
        pq = path_stem.with_suffix(".parquet")
        # No pandas index metadata and a fixed writer: same data, same bytes.
        df.to_parquet(pq, index=False, engine="pyarrow", compression="snappy")
        written.append(pq)
    return written


def write_clean_outputs(c: CleanCut, out_dir: Path | str) -> list[Path]:
    data = Path(out_dir) / "data"
    written = []
    written += write_table(c.adsl, data / "adsl")
    written += write_table(c.adctdna, data / "adctdna")
    written += write_table(c.flow, data / "flow", parquet=False)
    written += write_table(c.data_issues, data / "data_issues", parquet=False)
    written += write_table(data_dictionary(), data / "data_dictionary", parquet=False)
    md = data / "data_dictionary.md"
    md.write_text(data_dictionary_markdown(), encoding="utf-8")
    return written + [md]
