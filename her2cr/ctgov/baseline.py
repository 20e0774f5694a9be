"""Baseline characteristics (ClinicalTrials.gov) from tables/baseline_tidy.csv."""

from __future__ import annotations

import pandas as pd

from her2cr import study
from her2cr.ctgov import model as m
from her2cr.ctgov.common import TOTAL_GROUP, TOTAL_KEY, cohort_groups, require_columns
from her2cr.ctgov.formatting import fmt_count, fmt_number, is_finite_number, is_missing
from her2cr.ctgov.populations import baseline_population

_TIDY_COLUMNS = [
    "variable", "measure_title", "var_type", "statistic", "unit", "level", "level_order", "group",
    "group_N", "n", "denominator", "mean", "sd", "median", "q1", "q3", "collected",
]
_GROUP_KEYS = {"continuing": "continuing", "stopped": "stopped", study.OVERALL: TOTAL_KEY}
_SEX_LEVELS = {"F": "Female", "M": "Male"}
NOT_APPLICABLE = "Not applicable to this group."
UNKNOWN_OR_NOT_REPORTED = "Unknown or Not Reported"


def _as_bool(x) -> bool:
    if is_missing(x):
        return True  # a blank 'collected' cell: the variable is there, so it was collected
    if isinstance(x, str):
        return x.strip().lower() in ("true", "1", "yes")
    return bool(x)


def _clean_tidy(tidy: pd.DataFrame) -> pd.DataFrame:
    require_columns(tidy, _TIDY_COLUMNS, "tables/baseline_tidy.csv")
    df = tidy.copy()
    # A CSV round trip turns "" into NaN: restore the empty level of continuous rows.
    df["level"] = df["level"].map(lambda v: "" if is_missing(v) else str(v))
    df["collected"] = df["collected"].map(_as_bool)
    # Optional column (the project's table adds it): False where a characteristic does not apply
    # to a group, e.g. months since stopping for the continuing cohort.
    df["applicable"] = df["applicable"].map(_as_bool) if "applicable" in df else True
    unknown = sorted(set(df["group"].astype(str)) - set(_GROUP_KEYS))
    if unknown:
        raise ValueError(f"baseline_tidy has unknown groups {unknown}")
    df["group_key"] = df["group"].astype(str).map(_GROUP_KEYS)
    df["_row"] = range(len(df))
    return df


def _group_values(rows: pd.DataFrame, column: str, what: str) -> dict[str, int]:
    """One whole number per group (e.g. group_N), checked to be the same on all its rows."""
    out = {}
    for key, sub in rows.groupby("group_key", sort=False):
        values = {fmt_count(v) for v in sub[column] if not is_missing(v)}
        if len(values) != 1:
            found = sorted(values) or "missing"
            raise ValueError(f"baseline_tidy: {what} of group '{key}' is {found}")
        out[key] = int(values.pop())
    return out


def _continuous_measure(title: str, other_title: str | None, rows: pd.DataFrame, keys):
    statistic = str(rows["statistic"].iloc[0])
    use_mean = title == m.BASELINE_AGE_CONTINUOUS or statistic == "mean_sd"
    measurements = []
    analysed = {}
    for key in keys:
        sub = rows[rows["group_key"] == key]
        if len(sub) != 1:
            raise ValueError(
                f"baseline_tidy: '{other_title or title}' has {len(sub)} rows for '{key}'")
        r = sub.iloc[0]
        n = int(fmt_count(r["n"]))
        analysed[key] = n
        centre = r["mean"] if use_mean else r["median"]
        if not r["applicable"]:
            measurements.append(m.Measurement(key, m.NA, na_comment=NOT_APPLICABLE))
        elif n == 0 or not is_finite_number(centre):
            measurements.append(m.Measurement(key, m.NA, na_comment="No participant in this group "
                                              "has a recorded value."))
        elif use_mean:
            if is_finite_number(r["sd"]):
                measurements.append(
                    m.Measurement(key, fmt_number(centre), spread=fmt_number(r["sd"])))
            else:
                measurements.append(m.Measurement(
                    key, fmt_number(centre), spread=m.NA,
                    na_comment="Standard deviation not calculable (one participant)."))
        else:
            measurements.append(m.Measurement(key, fmt_number(centre), lower=fmt_number(r["q1"]),
                                              upper=fmt_number(r["q3"])))
    unit = rows["unit"].iloc[0]
    if is_missing(unit) or not str(unit).strip():
        raise ValueError(f"baseline_tidy: '{other_title or title}' has no unit")
    return dict(
        param_type=m.PARAM_MEAN if use_mean else m.PARAM_MEDIAN,
        dispersion_type=m.DISP_SD if use_mean else m.DISP_IQR,
        unit=str(unit),
        classes=(m.MeasureClass(None, (m.Category(None, tuple(measurements)),)),),
        calculate_pct=False,
    ), analysed


def _categorical_measure(title: str, other_title: str | None, rows: pd.DataFrame, keys,
                         group_n: dict[str, int]):
    rows = rows.copy()
    if title == m.BASELINE_SEX:
        rows["level"] = rows["level"].map(lambda v: _SEX_LEVELS.get(v, v))
    order = rows.groupby("level", sort=False)["level_order"].min().sort_values(kind="stable")
    levels = list(order.index)
    standard = m.STANDARD_CATEGORIES.get(title)
    if standard is not None:
        unknown = [lv for lv in levels if lv not in standard]
        if unknown:
            raise ValueError(f"baseline_tidy: '{title}' has categories {unknown} that are not "
                             f"ClinicalTrials.gov categories {list(standard)}")
        levels = list(standard)  # all categories, in ClinicalTrials.gov order, zeros included
    counts = {}
    for lv, key, n in zip(rows["level"], rows["group_key"], rows["n"]):
        if (lv, key) in counts:
            raise ValueError(
                f"baseline_tidy: '{other_title or title}' repeats level '{lv}' for '{key}'")
        counts[(lv, key)] = int(fmt_count(n))
    analysed = _group_values(rows, "denominator", f"denominator of '{other_title or title}'")
    description = None
    if title in (m.BASELINE_RACE, m.BASELINE_ETHNICITY):
        # ClinicalTrials.gov's own category for a race/ethnicity that is not known: count missing
        # values there, so that every participant is reported.
        for k in keys:
            missing = group_n[k] - analysed[k]
            if missing:
                cell_key = (UNKNOWN_OR_NOT_REPORTED, k)
                counts[cell_key] = counts.get(cell_key, 0) + missing
                analysed[k] = group_n[k]
                description = ("Participants with no recorded value are counted as Unknown or "
                               "Not Reported.")

    not_applicable = {k for k in keys if not rows.loc[rows["group_key"] == k, "applicable"].any()}

    def cell(lv: str, k: str) -> m.Measurement:
        if k in not_applicable:
            return m.Measurement(k, m.NA, na_comment=NOT_APPLICABLE)
        return m.Measurement(k, str(counts.get((lv, k), 0)))

    def cells(lv: str) -> tuple[m.Measurement, ...]:
        return tuple(cell(lv, k) for k in keys)

    if title == m.BASELINE_REGION:
        # One class per country, as ClinicalTrials.gov lays out Region of Enrollment.
        classes = tuple(m.MeasureClass(lv, (m.Category(None, cells(lv)),)) for lv in levels)
    else:
        classes = (m.MeasureClass(None, tuple(m.Category(lv, cells(lv)) for lv in levels)),)
    return dict(
        param_type=m.PARAM_COUNT,
        dispersion_type=m.DISP_NA,
        unit=m.UNIT_PARTICIPANTS,
        classes=classes,
        calculate_pct=True,
        description=description,
    ), analysed


def _analysed_text(rows: pd.DataFrame) -> str:
    if not rows["applicable"].all():
        return ("Participants to whom the characteristic applies and with a recorded value; "
                "NA where it does not apply.")
    return "Participants with a recorded value; missing values are not counted."


def build_baseline(baseline_tidy: pd.DataFrame, flow: pd.DataFrame | None = None) -> m.Baseline:
    """Baseline characteristics of the enrolled participants, by cohort and in total.

    Standard measures first (age, sex, race, ethnicity, region), then the study-specific ones in the
    order of the tidy table. Continuous: Mean (SD) for age and for statistic "mean_sd", otherwise
    Median (IQR). Categorical: Count of Participants. Race/ethnicity appear only when collected; if
    neither was collected, the measure "Race and Ethnicity Not Collected" says so.
    `flow` (data/flow.csv), when given, puts the number not eligible in the population description.
    """
    df = _clean_tidy(baseline_tidy)
    groups = cohort_groups() + (TOTAL_GROUP,)
    keys = [g.key for g in groups]
    missing_groups = sorted(set(keys) - set(df["group_key"]))
    if missing_groups:
        raise ValueError(f"baseline_tidy has no rows for groups {missing_groups}")
    denoms = _group_values(df, "group_N", "group_N")
    denoms = {k: denoms[k] for k in keys}

    titles = list(dict.fromkeys(df["measure_title"].astype(str)))  # first-appearance order
    standard = [t for t in m.STANDARD_BASELINE_TITLES if t in titles]
    ordered = standard + [t for t in titles if t not in m.STANDARD_BASELINE_TITLES]

    measures = []
    not_collected = set()
    for title in ordered:
        rows = df[df["measure_title"].astype(str) == title].sort_values("_row")
        if rows["variable"].nunique() != 1:
            raise ValueError(f"baseline_tidy: measure '{title}' comes from several variables "
                             f"{sorted(rows['variable'].unique())}")
        if not rows["collected"].any():
            not_collected.add(title)
            continue
        rows = rows[rows["collected"]]
        is_standard = title in m.STANDARD_BASELINE_TITLES
        ct_title = title if is_standard else m.BASELINE_STUDY_SPECIFIC
        other_title = None if is_standard else title
        var_type = str(rows["var_type"].iloc[0])
        if var_type == "continuous":
            parts, analysed = _continuous_measure(ct_title, other_title, rows, keys)
        elif var_type == "categorical":
            parts, analysed = _categorical_measure(ct_title, other_title, rows, keys, denoms)
        else:
            raise ValueError(f"baseline_tidy: '{title}' has var_type '{var_type}'")
        differs = any(analysed[k] != denoms[k] for k in keys)
        measures.append(m.BaselineMeasure(
            title=ct_title,
            other_title=other_title,
            denoms={k: analysed[k] for k in keys} if differs else None,
            population_description=_analysed_text(rows) if differs else None,
            **parts,
        ))
    if {m.BASELINE_RACE, m.BASELINE_ETHNICITY} <= not_collected:
        # ClinicalTrials.gov asks for race and ethnicity, or for a statement that they were not
        # collected; place the statement where race and ethnicity would be.
        position = sum(1 for x in measures if x.title in (m.BASELINE_AGE_CONTINUOUS,
                                                          m.BASELINE_AGE_CATEGORICAL,
                                                          m.BASELINE_SEX))
        measures.insert(position, m.BaselineMeasure(
            title=m.BASELINE_RACE_ETH_NOT_COLLECTED,
            other_title=None,
            param_type=m.PARAM_COUNT,
            dispersion_type=m.DISP_NA,
            unit=m.UNIT_PARTICIPANTS,
            classes=(),
            denoms={k: 0 for k in keys},
            population_description="Race and ethnicity were not collected in this study.",
        ))
    return m.Baseline(
        groups=groups,
        total_key=TOTAL_KEY,
        denoms=denoms,
        measures=tuple(measures),
        population_description=baseline_population(flow),
    )
