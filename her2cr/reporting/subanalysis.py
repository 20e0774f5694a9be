"""Co-investigators' sub-analyses: where their tables and figures go, so the report finds them.

A sub-analysis is a notebook `notebooks/9N_<topic>.ipynb` (copied from
`notebooks/templates/9N_subanalysis_template.ipynb`). `make report` runs it after the core
notebooks; its outputs land in `additional/<notebook name>/` and the report appends them to its
"Additional analyses" appendix. A failing sub-analysis is reported and does not block the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class SubAnalysis:
    """Output folder of one sub-analysis: `<out_dir>/additional/<name>/`."""

    out_dir: Path
    name: str
    title: str

    @property
    def folder(self) -> Path:
        return Path(self.out_dir) / "additional" / self.name

    def start(self) -> "SubAnalysis":
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "title.txt").write_text(self.title.strip() + "\n", encoding="utf-8")
        return self

    def table(self, df: pd.DataFrame, key: str, caption: str) -> Path:
        """tables/<key>.csv with its caption in tables/<key>.txt."""
        folder = self.folder / "tables"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{key}.csv"
        df.to_csv(path, index=False, lineterminator="\n")
        (folder / f"{key}.txt").write_text(caption.strip() + "\n", encoding="utf-8")
        return path

    def figure(self, fig, key: str, caption: str, alt: str = "") -> list[Path]:
        """figures/<key>.svg (shown in the report), .png, .txt (caption) and .alt.txt (alt text:
        what the figure shows, in words, for readers who cannot see it; without it the caption's
        first sentence stands in), byte-reproducible. Draw it at most 6.6 inches wide
        (figures.MAX_WIDTH_IN): the report shows it at the size it was drawn."""
        from her2cr.ctdna.figures import save_figure, setup_style

        setup_style()
        return save_figure(fig, self.folder, key, caption, alt)


def load_analysis_set(out_dir: Path | str, analysis_set: str = "primary") -> pd.DataFrame:
    """adsl restricted to an analysis set: "enrolled", "eligible" or "primary"."""
    adsl = pd.read_parquet(Path(out_dir) / "data" / "adsl.parquet")
    if analysis_set == "enrolled":
        return adsl
    if analysis_set == "eligible":
        return adsl.loc[adsl["eligible"]].reset_index(drop=True)
    if analysis_set == "primary":
        return adsl.loc[adsl["primary_set"]].reset_index(drop=True)
    raise ValueError(f"analysis_set must be enrolled, eligible or primary, not {analysis_set!r}")


def select_subgroup(adsl: pd.DataFrame, subgroup: str) -> pd.DataFrame:
    """Rows matching "column=value" (e.g. "hr_status=positive"); "" keeps every row."""
    if not subgroup:
        return adsl
    column, sep, value = subgroup.partition("=")
    if not sep or column not in adsl.columns:
        raise ValueError(f"subgroup must be column=value with a column of adsl, not {subgroup!r}")
    return adsl.loc[adsl[column].astype(str) == value].reset_index(drop=True)
