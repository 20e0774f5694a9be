"""Co-investigators' sub-analyses: where their tables and figures go, so the report finds them.

A sub-analysis is a notebook `notebooks/9N_<topic>.ipynb` (copied from
`notebooks/templates/9N_subanalysis_template.ipynb`). `make report` runs it after the core
notebooks; its outputs land in `additional/<notebook name>/` and the report appends them to its
"Additional analyses" appendix. A failing sub-analysis is reported and does not block the report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from her2cr.formatting import KINDS, is_missing
from her2cr.trace import Num, Traced, quote

# How a sub-analysis table's columns are written when the notebook does not say: by the column's
# name, as results/estimates.csv names them. An estimate and its limits take the kind given for
# "estimate" (a proportion: kinds={"estimate": "percent"}).
DEFAULT_KINDS = {"n": "count", "N": "count", "estimate": "measure", "p_value": "p"}
DEFAULT_LABELS = {"group": "Group", "method": "Method", "p_value": "p-value", "estimate": "Estimate"}
UNIT_WORDS = {"percent": "%", "pp": "percentage points", "months": "months"}


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

    def table(self, df: pd.DataFrame, key: str, caption: str, kinds: dict | None = None,
              labels: dict | None = None) -> pd.DataFrame:
        """tables/<key>.csv (unrounded), its caption in tables/<key>.txt and how to write it in
        tables/<key>.format.json; returns the table as the report shows it (display_table).

        kinds: column -> kind of quantity (her2cr.formatting: "percent", "pp", "ratio", "p",
        "months", "count", "measure", ...); by default n and N are counts, p_value a p-value and an
        estimate a measure; ci_lower and ci_upper follow the estimate. labels: column -> header."""
        kinds, labels = dict(kinds or {}), dict(labels or {})
        unknown = sorted(set(kinds.values()) - set(KINDS))
        if unknown:
            raise ValueError(f"kinds {unknown} are not kinds of quantity: {', '.join(KINDS)}")
        folder = self.folder / "tables"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{key}.csv"
        df.to_csv(path, index=False, lineterminator="\n")
        (folder / f"{key}.txt").write_text(caption.strip() + "\n", encoding="utf-8")
        (folder / f"{key}.format.json").write_text(
            json.dumps({"kinds": kinds, "labels": labels}, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return display_table(df, kinds, labels, f"additional/{self.name}/tables/{key}.csv")

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


def display_table(df: pd.DataFrame, kinds: dict | None = None, labels: dict | None = None,
                  source: str = "") -> pd.DataFrame:
    """A sub-analysis table as the report shows it: every number by the report's rule for its
    kind, n and N as "n/N", an estimate with its limits as "estimate (lower to upper)", readable
    headers, each number traced to its row of `source` (the table's CSV)."""
    kinds = {**DEFAULT_KINDS, **(kinds or {})}
    labels = {**DEFAULT_LABELS, **(labels or {})}
    est_kind = kinds.get("estimate", "measure")
    for limit in ("ci_lower", "ci_upper"):
        kinds.setdefault(limit, est_kind)
    cols = list(df.columns)
    pairs = {"n": "N"} if {"n", "N"} <= set(cols) else {}
    interval = {"ci_lower", "ci_upper", "estimate"} <= set(cols)
    out = {}

    def num(i, col):
        return Num(df[col].iloc[i], kinds[col], source, f"row {i + 2} | {col}")

    for col in cols:
        if col in ("N",) and pairs or col in ("ci_lower", "ci_upper") and interval:
            continue
        if col == "n" and pairs:
            out["n/N"] = [Traced(num(i, "n"), "/", num(i, "N")) for i in range(len(df))]
        elif col == "estimate" and interval:
            unit = UNIT_WORDS.get(est_kind)
            head = f"{labels['estimate']}{', ' + unit if unit else ''} (95% CI)"
            out[head] = [Traced(num(i, "estimate")) if is_missing(df["ci_lower"].iloc[i]) else
                         Traced(num(i, "estimate"), " (", num(i, "ci_lower"), " to ", num(i, "ci_upper"), ")")
                         for i in range(len(df))]
        elif col in kinds:
            unit = UNIT_WORDS.get(kinds[col])
            head = labels.get(col, col.replace("_", " ").capitalize()) + (f", {unit}" if unit else "")
            out[head] = [Traced(num(i, col)) for i in range(len(df))]
        else:
            head = labels.get(col, col.replace("_", " ").capitalize())
            out[head] = [quote(v, source, f"row {i + 2} | {col}") for i, v in enumerate(df[col])]
    return pd.DataFrame(out)


def read_display_table(csv: Path) -> pd.DataFrame:
    """A sub-analysis table read back from its folder and written as display_table writes it."""
    csv = Path(csv)
    spec_path = csv.with_name(csv.stem + ".format.json")
    spec = json.loads(spec_path.read_text(encoding="utf-8")) if spec_path.exists() else {}
    df = pd.read_csv(csv, float_precision="round_trip")
    rel = "/".join(csv.parts[-4:])  # additional/<name>/tables/<key>.csv
    return display_table(df, spec.get("kinds"), spec.get("labels"), rel)
