"""The HER2 CR baseline table: derived display variables, the row spec, and its outputs.

ClinicalTrials.gov's required baseline measures come first, in its own terms (Age, Continuous;
Age, Categorical; Sex: Female, Male; Race (NIH/OMB); Ethnicity (NIH/OMB); Region of
Enrollment), then the study-specific characteristics. Continuous characteristics show median
(IQR), range and mean (SD), as the study's analysis definitions ask.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from her2cr.data.contract import ETHNICITIES, RACES
from her2cr.study import COHORTS, SITE_COUNTRY
from her2cr.baseline.table1 import BaselineTable, Row, summarise

# ClinicalTrials.gov's "Age, Categorical" categories, in its wording
AGE_CATEGORIES = ("<=18 years", "Between 18 and 65 years", ">=65 years")

ANALYSIS_SETS = {
    "enrolled": "Enrolled participants (informed consent on or before the data cut-off)",
    "primary": (
        "Primary analysis set (eligible participants with an evaluable baseline ctDNA result)"
    ),
}

BASELINE_ROWS: tuple[Row, ...] = (
    # ClinicalTrials.gov required measures
    Row("age", "Age (years)", "continuous", "all", measure_title="Age, Continuous", unit="years"),
    Row("age_group", "Age group", "categorical", levels=AGE_CATEGORIES,
        measure_title="Age, Categorical"),
    Row("sex", "Sex", "categorical", levels={"F": "Female", "M": "Male"},
        measure_title="Sex: Female, Male"),
    Row("race", "Race (NIH/OMB)", "categorical", levels=RACES, collected="auto"),
    Row("ethnicity", "Ethnicity (NIH/OMB)", "categorical", levels=ETHNICITIES, collected="auto"),
    Row("region", "Region of Enrollment", "categorical", levels=("Japan",)),
    # study-specific characteristics
    Row("menopausal_status", "Menopausal status", "categorical",
        levels={"pre": "Premenopausal", "post": "Postmenopausal"}),
    Row("ecog", "ECOG performance status", "categorical", levels=(0, 1, 2, 3, 4)),
    Row("hr_status", "Hormone-receptor status (ER and/or PgR)", "categorical",
        levels={"positive": "Positive", "negative": "Negative"}),
    Row("presentation", "Presentation of metastatic disease", "categorical",
        levels={"de_novo": "De novo (metastatic at diagnosis)",
                "recurrent": "Recurrent (relapse after early disease)"}),
    Row("visceral_mets", "Visceral metastases", "categorical",
        levels={"yes": "Yes", "no": "No"}),
    Row("brain_mets", "Brain metastases", "categorical", levels={"yes": "Yes", "no": "No"}),
    Row("prior_lines", "Prior lines of therapy for metastatic disease", "continuous", "all",
        unit="lines of therapy"),
    Row("anti_her2", "Anti-HER2 regimen that produced the response", "categorical",
        levels={"trastuzumab": "Trastuzumab",
                "trastuzumab+pertuzumab": "Trastuzumab + pertuzumab",
                "T-DM1": "T-DM1 (trastuzumab emtansine)",
                "T-DXd": "T-DXd (trastuzumab deruxtecan)"}),
    Row("best_response", "Best response", "categorical",
        levels={"CR": "Complete response (CR)", "PR": "Partial response (PR)"}),
    Row("years_since_response", "Years since response (at consent)", "continuous", "all",
        unit="years"),
    Row("years_on_anti_her2", "Years on anti-HER2 therapy", "continuous", "all", unit="years"),
    Row("months_since_stop", "Months since stopping anti-HER2 therapy", "continuous", "all",
        unit="months", only_cohorts=("stopped",)),
)


def age_category(age: pd.Series) -> pd.Series:
    """ClinicalTrials.gov age categories: <=18, 19-64 ("Between 18 and 65"), >=65 years."""
    a = pd.to_numeric(age, errors="raise").astype(float)
    cat = np.select([a <= 18, a >= 65, a.notna()], [AGE_CATEGORIES[0], AGE_CATEGORIES[2],
                                                     AGE_CATEGORIES[1]], default="")
    return pd.Series(cat, index=age.index, dtype=object).replace("", pd.NA)


def region_of_enrollment(site: pd.Series) -> pd.Series:
    """Country of the enrolling site (ClinicalTrials.gov 'Region of Enrollment')."""
    return site.map(SITE_COUNTRY).astype(object)


def add_display_variables(adsl: pd.DataFrame) -> pd.DataFrame:
    """adsl plus the derived columns the table shows (age_group, region)."""
    out = adsl.copy()
    out["age_group"] = age_category(out["age"])
    out["region"] = region_of_enrollment(out["site"])
    return out


def select_analysis_set(adsl: pd.DataFrame, analysis_set: str) -> pd.DataFrame:
    """'enrolled': every row of adsl; 'primary': the primary analysis set."""
    if analysis_set not in ANALYSIS_SETS:
        raise ValueError(f"analysis_set must be one of {sorted(ANALYSIS_SETS)}")
    if analysis_set == "enrolled":
        return adsl.reset_index(drop=True)
    return adsl.loc[adsl["primary_set"].astype(bool)].reset_index(drop=True)


def baseline_table(
    adsl: pd.DataFrame, analysis_set: str = "enrolled", p_values: bool = False,
    cut: str | None = None,
) -> BaselineTable:
    """The study's baseline table by cohort (continuing, stopped) and overall."""
    data = add_display_variables(select_analysis_set(adsl, analysis_set))
    table = summarise(data, BASELINE_ROWS, by="cohort", groups=COHORTS, overall=True,
                      p_values=p_values)
    population = ANALYSIS_SETS[analysis_set]
    if cut:
        population += f"; data cut-off {cut}"
    notes = (f"Population: {population}. N: participants in the column.",) + table.footnotes
    tidy = table.tidy.assign(analysis_set=analysis_set)
    return BaselineTable(tidy, notes, table.groups, table.overall, table.p_values,
                         table.group_labels, table.digits)


def output_stem(analysis_set: str) -> str:
    """File-name stem: "baseline" for the enrolled (the ClinicalTrials.gov table), else
    "baseline_<set>", so that both tables can sit in the same cut folder."""
    return "baseline" if analysis_set == "enrolled" else f"baseline_{analysis_set}"


def write_outputs(table: BaselineTable, out_dir: str | Path) -> dict[str, Path]:
    """tables/<stem>_tidy.csv and .parquet, <stem>.html and <stem>.md under out_dir."""
    sets = table.tidy["analysis_set"].unique() if "analysis_set" in table.tidy else ["enrolled"]
    stem = output_stem(str(sets[0]) if len(sets) else "enrolled")
    folder = Path(out_dir) / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "csv": folder / f"{stem}_tidy.csv",
        "parquet": folder / f"{stem}_tidy.parquet",
        "html": folder / f"{stem}.html",
        "md": folder / f"{stem}.md",
    }
    # full-precision floats, "\n" line ends, UTF-8 (project convention)
    table.tidy.to_csv(paths["csv"], index=False, lineterminator="\n", encoding="utf-8")
    table.tidy.to_parquet(paths["parquet"], index=False)
    paths["html"].write_text(table.to_html(), encoding="utf-8")
    paths["md"].write_text(table.to_markdown(), encoding="utf-8")
    return paths
