"""A spec-driven baseline-characteristics table ("Table 1"), in the spirit of gtsummary/tableone.

A table is a list of `Row`s, one line each::

    Row("age", "Age (years)", "continuous", "all", unit="years")
    Row("ecog", "ECOG performance status", "categorical", levels=[0, 1, 2, 3, 4])

`summarise(df, rows)` returns a `BaselineTable` whose `.tidy` DataFrame holds one row per
variable x level x column with the raw numbers (columns fixed by the project's interfaces, "Baseline
tidy table"); the display table (`to_frame`, `to_great_table`, `to_markdown`) and the
ClinicalTrials.gov baseline structure are both made from it, so they cannot disagree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from her2cr.baseline import smd as smd_mod
from her2cr.study import COHORT_SHORT, OVERALL

CONTINUOUS_STATISTICS = ("mean_sd", "median_iqr", "all")
CATEGORICAL_STATISTICS = ("n_pct",)

TIDY_COLUMNS = (
    "variable", "label", "measure_title", "var_type", "statistic", "unit", "level",
    "level_order", "group", "group_N", "n", "denominator", "percent", "mean", "sd", "median",
    "q1", "q3", "min", "max", "n_missing", "smd", "p_value", "test", "collected",
    # additions to the fixed interface
    "row_order", "level_value", "applicable",
)
_INT_COLUMNS = ("level_order", "group_N", "n", "denominator", "n_missing", "row_order")
_FLOAT_COLUMNS = ("percent", "mean", "sd", "median", "q1", "q3", "min", "max", "smd", "p_value")


@dataclass(frozen=True)
class Row:
    """One characteristic of the table.

    variable: column of the data. type: "continuous" or "categorical". statistic: for continuous
    "mean_sd", "median_iqr" or "all" (median (IQR), range and mean (SD)); for categorical "n_pct".
    levels: the categories in display order, either a sequence of values or a mapping
    value -> display label; None = the observed values, sorted. Empty categories are shown as 0,
    a value outside `levels` is an error (a spec or data mistake, never silently dropped).
    measure_title: ClinicalTrials.gov baseline measure title (default: label). unit: unit of
    measure (default "Participants" for categorical rows). only_cohorts: the groups the row
    applies to (e.g. months since stopping: ("stopped",)); the Overall column then pools only
    those groups. collected: True, False, or "auto" (not collected when no participant has a
    value, as ClinicalTrials.gov asks for race and ethnicity). digits: decimals shown.
    """

    variable: str
    label: str
    type: str
    statistic: str | None = None
    levels: Sequence[Any] | Mapping[Any, str] | None = None
    measure_title: str | None = None
    unit: str | None = None
    only_cohorts: tuple[str, ...] | None = None
    collected: bool | str = True
    digits: int = 1

    def __post_init__(self) -> None:
        if self.type not in ("continuous", "categorical"):
            raise ValueError(f"{self.variable}: type must be 'continuous' or 'categorical'")
        allowed = CONTINUOUS_STATISTICS if self.type == "continuous" else CATEGORICAL_STATISTICS
        if self.statistic is None:
            object.__setattr__(self, "statistic", allowed[-1])
        if self.statistic not in allowed:
            raise ValueError(f"{self.variable}: statistic must be one of {allowed}")
        if self.collected not in (True, False, "auto"):
            raise ValueError(f"{self.variable}: collected must be True, False or 'auto'")
        if self.only_cohorts is not None:
            object.__setattr__(self, "only_cohorts", tuple(self.only_cohorts))

    @property
    def title(self) -> str:
        return self.measure_title or self.label

    @property
    def unit_of_measure(self) -> str:
        if self.unit:
            return self.unit
        return "Participants" if self.type == "categorical" else ""

    def level_pairs(self, values: pd.Series) -> list[tuple[Any, str]]:
        """(value, label) of each category in display order."""
        if isinstance(self.levels, Mapping):
            return [(v, str(lab)) for v, lab in self.levels.items()]
        if self.levels is not None:
            return [(v, str(v)) for v in self.levels]
        observed = pd.unique(values.dropna())
        return [(v, str(v)) for v in sorted(observed, key=str)]


@dataclass(frozen=True)
class BaselineTable:
    """Result of `summarise`: the tidy numbers plus what the display needs."""

    tidy: pd.DataFrame
    footnotes: tuple[str, ...]
    groups: tuple[str, ...]
    overall: bool = True
    p_values: bool = False
    group_labels: Mapping[str, str] = field(default_factory=lambda: dict(COHORT_SHORT))
    digits: Mapping[str, int] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.groups + ((OVERALL,) if self.overall else ())

    def column_header(self, group: str) -> str:
        """"Stopped (N = 24)"; the N carries its row of the tidy table (her2cr.trace)."""
        from her2cr.baseline.display import SOURCE
        from her2cr.trace import Num, Traced

        rows = self.tidy.loc[self.tidy["group"] == group]
        big_n = int(rows["group_N"].iloc[0]) if len(rows) else 0
        key = (f"{rows['variable'].iloc[0]} | {'' if pd.isna(rows['level'].iloc[0]) else rows['level'].iloc[0]}"
               f" | {group} | group_N") if len(rows) else f"| | {group} | group_N"
        return Traced(f"{self.group_labels.get(group, group)} (N = ", Num(big_n, "count", SOURCE, key), ")")

    def to_frame(self) -> pd.DataFrame:
        """The display table as strings (levels indented), one column per group, SMD, p."""
        from her2cr.baseline.display import display_frame

        return display_frame(self)

    def to_great_table(self, title: str | None = None, subtitle: str | None = None):
        from her2cr.baseline.display import great_table

        return great_table(self, title=title, subtitle=subtitle)

    def to_html(self, title: str | None = None, subtitle: str | None = None) -> str:
        return self.to_great_table(title, subtitle).as_raw_html()

    def to_markdown(self) -> str:
        """Pipe table plus footnotes, for Quarto's PDF output."""
        from her2cr.baseline.display import markdown

        return markdown(self)


def summarise(
    df: pd.DataFrame,
    rows: Sequence[Row],
    by: str = "cohort",
    groups: Sequence[str] | None = None,
    overall: bool = True,
    p_values: bool = False,
    group_labels: Mapping[str, str] | None = None,
) -> BaselineTable:
    """Summarise `rows` of `df` by the column `by` (groups in the given order), plus Overall.

    SMDs (and p-values if asked) compare the first two groups; they are NaN with other numbers
    of groups. Listing `groups` explicitly keeps an empty group as a column with N = 0.
    """
    if by not in df.columns:
        raise KeyError(f"grouping column {by!r} not in the data")
    if df[by].isna().any():
        raise ValueError(f"{by!r} has missing values")
    observed = [str(g) for g in pd.unique(df[by])]
    groups = tuple(groups) if groups is not None else tuple(sorted(observed))
    stray = sorted(set(observed) - set(groups))
    if stray:
        raise ValueError(f"{by!r} has values not in groups: {stray}")
    records: list[dict] = []
    for order, row in enumerate(rows, start=1):
        records.extend(_row_records(df, row, by, groups, overall, p_values, order))
    tidy = _typed(pd.DataFrame.from_records(records, columns=list(TIDY_COLUMNS)))
    from her2cr.baseline.notes import footnotes

    labels = dict(COHORT_SHORT) | dict(group_labels or {})
    notes = footnotes(rows, tidy, groups, p_values, labels)
    digits = {r.variable: r.digits for r in rows}
    return BaselineTable(tidy, tuple(notes), groups, overall, p_values, labels, digits)


def _typed(tidy: pd.DataFrame) -> pd.DataFrame:
    for col in _INT_COLUMNS:
        tidy[col] = pd.array(tidy[col], dtype="Int64")
    for col in _FLOAT_COLUMNS:
        tidy[col] = tidy[col].astype(float)
    tidy["collected"] = tidy["collected"].astype(bool)
    tidy["applicable"] = tidy["applicable"].astype(bool)
    for col in ("variable", "label", "measure_title", "var_type", "statistic", "unit", "level",
                "group", "test", "level_value"):
        tidy[col] = tidy[col].astype(object)
    return tidy


def _row_records(df, row: Row, by, groups, overall, p_values, order) -> list[dict]:
    if row.variable not in df.columns:
        raise KeyError(f"variable {row.variable!r} not in the data")
    values = df[row.variable]
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    applicable = [g for g in groups if row.only_cohorts is None or g in row.only_cohorts]
    columns = list(groups) + ([OVERALL] if overall else [])
    members = {g: df[by] == g for g in groups}
    members[OVERALL] = df[by].isin(applicable)
    column_n = {g: int((df[by] == g).sum()) for g in groups}
    column_n[OVERALL] = len(df)
    collected = bool(values.notna().any()) if row.collected == "auto" else bool(row.collected)
    base = dict(
        variable=row.variable, label=row.label, measure_title=row.title, var_type=row.type,
        statistic=row.statistic, unit=row.unit_of_measure, collected=collected, row_order=order,
        smd=math.nan, p_value=math.nan, test="",
    )
    compare = len(groups) == 2 and all(g in applicable for g in groups)
    if not collected:
        out = []
        for g in columns:
            sub = values[members[g]]
            out.append(base | _empty_stats() | dict(
                level="", level_value="", level_order=0, group=g, group_N=column_n[g], n=0,
                denominator=0, n_missing=int(sub.isna().sum()), applicable=True))
        return out
    if row.type == "categorical":
        return _categorical(values, row, base, columns, applicable, members, column_n, groups,
                            compare, p_values)
    return _continuous(values, row, base, columns, applicable, members, column_n, groups,
                       compare, p_values)


def _empty_stats() -> dict:
    return dict(percent=math.nan, mean=math.nan, sd=math.nan, median=math.nan, q1=math.nan,
                q3=math.nan, min=math.nan, max=math.nan)


def _not_applicable(base, g, column_n, level="", level_value="", level_order=0,
                    categorical=False) -> dict:
    # Nobody in the group is concerned: 0 analysed, 0 missing (not applicable is not missing),
    # statistics NaN; `applicable` says why, and the display shows a dash.
    return base | _empty_stats() | dict(
        level=level, level_value=level_value, level_order=level_order, group=g,
        group_N=column_n[g], n=0, denominator=0 if categorical else pd.NA, n_missing=0,
        applicable=False)


def _categorical(values, row, base, columns, applicable, members, column_n, groups, compare,
                 p_values) -> list[dict]:
    pairs = row.level_pairs(values)
    present = values.dropna()
    stray = sorted({str(v) for v in present.unique()} - {str(v) for v, _ in pairs})
    if stray:
        raise ValueError(f"{row.variable}: values not in the row's levels: {stray}")
    keys = [str(v) for v, _ in pairs]
    counts = {}
    for g in columns:
        sub = values[members[g]].dropna().astype(str)
        counts[g] = np.array([(sub == k).sum() for k in keys], dtype=int)
    smd = p = math.nan
    test = ""
    if compare:
        smd = abs(smd_mod.smd_categorical(counts[groups[0]], counts[groups[1]]))
        if p_values:
            from her2cr.baseline.pvalues import fisher_r_by_2

            res = fisher_r_by_2(counts[groups[0]], counts[groups[1]])
            p, test = res.p_value, res.test
    out = []
    for g in columns:
        is_app = g == OVERALL or g in applicable
        sub = values[members[g]]
        denom = int(sub.notna().sum())
        for i, ((value, lab), n) in enumerate(zip(pairs, counts[g]), start=1):
            if not is_app:
                out.append(_not_applicable(base, g, column_n, lab, str(value), i, True))
                continue
            cohort_row = g != OVERALL
            out.append(base | _empty_stats() | dict(
                level=lab, level_value=str(value), level_order=i, group=g,
                group_N=column_n[g], n=int(n), denominator=denom,
                percent=100.0 * n / denom if denom else math.nan,
                n_missing=int(sub.isna().sum()), applicable=True,
                smd=smd if cohort_row else math.nan,
                p_value=p if cohort_row else math.nan, test=test if cohort_row else ""))
    return out


def _continuous(values, row, base, columns, applicable, members, column_n, groups, compare,
                p_values) -> list[dict]:
    x_all = pd.to_numeric(values, errors="raise").astype(float)
    smd = p = math.nan
    test = ""
    if compare:
        a, b = x_all[members[groups[0]]], x_all[members[groups[1]]]
        smd = abs(smd_mod.smd_continuous(a, b))
        if p_values:
            from her2cr.baseline.pvalues import wilcoxon_rank_sum

            res = wilcoxon_rank_sum(a, b)
            p, test = res.p_value, res.test
    out = []
    for g in columns:
        if not (g == OVERALL or g in applicable):
            out.append(_not_applicable(base, g, column_n))
            continue
        x = x_all[members[g]]
        cohort_row = g != OVERALL
        out.append(base | describe(x) | dict(
            level="", level_value="", level_order=0, group=g, group_N=column_n[g],
            n=int(x.notna().sum()), denominator=pd.NA, n_missing=int(x.isna().sum()),
            applicable=True, smd=smd if cohort_row else math.nan,
            p_value=p if cohort_row else math.nan, test=test if cohort_row else ""))
    return out


def describe(x: pd.Series) -> dict:
    """Mean, SD (n - 1), median, quartiles (linear interpolation, Hyndman-Fan type 7), range."""
    v = x.dropna().to_numpy(dtype=float)
    if v.size == 0:
        return _empty_stats()
    q1, med, q3 = np.quantile(v, [0.25, 0.5, 0.75])
    return dict(
        percent=math.nan, mean=float(v.mean()),
        sd=float(v.std(ddof=1)) if v.size > 1 else math.nan,
        median=float(med), q1=float(q1), q3=float(q3), min=float(v.min()), max=float(v.max()))
