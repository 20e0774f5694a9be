"""The HER2 CR baseline table (her2cr.baseline): derived variables, row spec, outputs, notebook."""

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from her2cr.baseline.characteristics import (
    AGE_CATEGORIES,
    BASELINE_ROWS,
    add_display_variables,
    age_category,
    baseline_table,
    region_of_enrollment,
    select_analysis_set,
    write_outputs,
)

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "02_baseline.ipynb"

CTGOV_TITLES = ["Age, Continuous", "Age, Categorical", "Sex: Female, Male", "Race (NIH/OMB)",
                "Ethnicity (NIH/OMB)", "Region of Enrollment"]


def make_adsl(n: int = 40, seed: int = 7) -> pd.DataFrame:
    """A small adsl with the interface's columns (values random but plausible)."""
    rng = np.random.default_rng(seed)
    cohort = np.where(np.arange(n) % 2 == 0, "continuing", "stopped")
    consent = pd.Timestamp("2024-06-01") + pd.to_timedelta(rng.integers(0, 500, n), unit="D")
    start = consent - pd.to_timedelta(rng.integers(800, 3000, n), unit="D")
    response = start + pd.to_timedelta(rng.integers(60, 300, n), unit="D")
    stop = pd.Series(consent - pd.to_timedelta(rng.integers(30, 700, n), unit="D"))
    stop = stop.where(cohort == "stopped")
    df = pd.DataFrame({
        "subject_id": [f"HCR-{i + 1:03d}" for i in range(n)],
        "site": rng.choice(["NCU", "ACC", "JFCR"], n),
        "cohort": cohort,
        "consent_date": consent, "anti_her2_start": start, "response_date": response,
        "anti_her2_stop": stop,
        "age": pd.array(rng.integers(35, 80, n), dtype="Int64"),
        "sex": "F",
        "race": pd.Series([pd.NA] * n, dtype=object),
        "ethnicity": pd.Series([pd.NA] * n, dtype=object),
        "menopausal_status": rng.choice(["pre", "post"], n),
        "ecog": pd.array(rng.choice([0, 1, 2], n), dtype="Int64"),
        "hr_status": rng.choice(["positive", "negative"], n),
        "presentation": rng.choice(["de_novo", "recurrent"], n),
        "visceral_mets": rng.choice(["yes", "no"], n),
        "brain_mets": rng.choice(["yes", "no"], n),
        "prior_lines": pd.array(rng.integers(0, 4, n), dtype="Int64"),
        "anti_her2": rng.choice(["trastuzumab", "trastuzumab+pertuzumab", "T-DM1", "T-DXd"], n),
        "best_response": rng.choice(["CR", "PR"], n),
        "primary_set": np.arange(n) % 5 != 0,
    })
    df["years_since_response"] = (df["consent_date"] - df["response_date"]).dt.days / 365.25
    end = df["anti_her2_stop"].fillna(df["consent_date"])
    df["years_on_anti_her2"] = (end - df["anti_her2_start"]).dt.days / 365.25
    df["months_since_stop"] = (df["consent_date"] - df["anti_her2_stop"]).dt.days / (365.25 / 12)
    return df


def test_age_category_boundaries():
    # ClinicalTrials.gov categories: <=18 / Between 18 and 65 / >=65 years
    age = pd.Series([18, 19, 64, 65, 90, None], dtype="Int64")
    got = age_category(age).tolist()
    assert got[:5] == [AGE_CATEGORIES[0], AGE_CATEGORIES[1], AGE_CATEGORIES[1],
                       AGE_CATEGORIES[2], AGE_CATEGORIES[2]]
    assert pd.isna(got[5])
    assert AGE_CATEGORIES == ("<=18 years", "Between 18 and 65 years", ">=65 years")


def test_region_and_analysis_sets():
    assert region_of_enrollment(pd.Series(["NCU", "ACC", "JFCR"])).tolist() == ["Japan"] * 3
    adsl = make_adsl()
    assert len(select_analysis_set(adsl, "enrolled")) == 40
    assert len(select_analysis_set(adsl, "primary")) == 32
    with pytest.raises(ValueError):
        select_analysis_set(adsl, "per_protocol")
    assert {"age_group", "region"} <= set(add_display_variables(adsl).columns)


def test_study_table_rows_and_ctgov_measures():
    table = baseline_table(make_adsl(), cut="2025-12-31")
    tidy = table.tidy
    titles = tidy.drop_duplicates("row_order")["measure_title"].tolist()
    assert titles[:6] == CTGOV_TITLES
    assert len(titles) == len(BASELINE_ROWS)
    # race and ethnicity are all missing in this frame: "not collected", not a crash
    race = tidy[tidy["variable"] == "race"]
    assert not race["collected"].any() and len(race) == 3
    # sex: both categories shown, Male as 0
    male = tidy[(tidy["variable"] == "sex") & (tidy["level"] == "Male")]
    assert (male["n"] == 0).all()
    # months since stopping: stopped cohort only; Overall = the stopped cohort
    mss = tidy[tidy["variable"] == "months_since_stop"].set_index("group")
    assert not mss.loc["continuing", "applicable"]
    assert mss.loc["overall", "mean"] == mss.loc["stopped", "mean"]
    assert table.footnotes[0].startswith("Population: Enrolled participants")
    assert "2025-12-31" in table.footnotes[0]
    assert list(table.to_frame().columns) == [
        "Characteristic", "Continuing (N = 20)", "Stopped (N = 20)", "Overall (N = 40)", "SMD"]


def test_overall_column_is_the_pooled_data():
    adsl = make_adsl()
    tidy = baseline_table(adsl).tidy
    age = tidy[(tidy["variable"] == "age") & (tidy["group"] == "overall")].iloc[0]
    assert age["mean"] == pytest.approx(adsl["age"].astype(float).mean())
    assert age["median"] == pytest.approx(adsl["age"].astype(float).median())
    reg = tidy[(tidy["variable"] == "anti_her2") & (tidy["group"] == "overall")]
    assert reg.set_index("level_value")["n"].to_dict() == (
        adsl["anti_her2"].value_counts().reindex(reg["level_value"], fill_value=0).to_dict())


def test_race_when_collected():
    adsl = make_adsl()
    adsl["race"] = "Asian"
    adsl.loc[0, "race"] = pd.NA
    tidy = baseline_table(adsl).tidy
    race = tidy[(tidy["variable"] == "race") & (tidy["group"] == "overall")]
    assert race["collected"].all() and len(race) == 7  # all ClinicalTrials.gov categories
    asian = race[race["level"] == "Asian"].iloc[0]
    assert (asian["n"], asian["denominator"], asian["n_missing"]) == (39, 39, 1)


def test_primary_set_and_p_values():
    table = baseline_table(make_adsl(), analysis_set="primary", p_values=True)
    assert (table.tidy["group_N"][table.tidy["group"] == "overall"] == 32).all()
    assert table.tidy["analysis_set"].eq("primary").all()
    cohort_rows = table.tidy[(table.tidy["group"] != "overall") & table.tidy["collected"]
                             & table.tidy["applicable"]]
    tested = cohort_rows[cohort_rows["variable"].isin(["age", "hr_status"])]
    assert tested["p_value"].between(0, 1).all()
    assert "p-value" in table.to_frame().columns


def test_write_outputs(tmp_path):
    table = baseline_table(make_adsl())
    paths = write_outputs(table, tmp_path)
    assert {p.name for p in paths.values()} == {
        "baseline_tidy.csv", "baseline_tidy.parquet", "baseline.html", "baseline.md"}
    csv = pd.read_csv(paths["csv"])
    pd.testing.assert_index_equal(csv.columns, table.tidy.columns)
    # full precision kept in the CSV
    age = csv[(csv["variable"] == "age") & (csv["group"] == "overall")].iloc[0]
    ref = table.tidy[(table.tidy["variable"] == "age") & (table.tidy["group"] == "overall")]
    assert age["sd"] == ref["sd"].iloc[0]
    assert not math.isnan(age["sd"])
    back = pd.read_parquet(paths["parquet"])
    assert len(back) == len(table.tidy)
    assert b"\r\n" not in paths["csv"].read_bytes()
    primary = write_outputs(baseline_table(make_adsl(), analysis_set="primary"), tmp_path)
    assert primary["csv"].name == "baseline_primary_tidy.csv"


@pytest.mark.parametrize("p_values", [False, True])
def test_the_report_reads_back_the_table_that_was_written(tmp_path, p_values):
    # The report draws Table 1 from tables/baseline.md; reading it back must give the very cells,
    # the characteristic (bold) lines and the footnotes of the table notebook 02 wrote.
    from her2cr.baseline.display import INDENT, display_frame, markdown, read_markdown

    table = baseline_table(make_adsl(), p_values=p_values)
    frame, bold, notes = read_markdown(markdown(table))
    expected = display_frame(table).astype(str)
    pd.testing.assert_frame_equal(frame, expected.reset_index(drop=True))
    assert bold == [not str(x).startswith(INDENT) for x in expected.iloc[:, 0]]
    assert 0 < sum(bold) < len(bold)
    assert notes == list(table.footnotes)


def test_notebook_is_clean_and_parameterised():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "her2cr"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "parameters" in code[0]["metadata"].get("tags", [])
    params = "".join(code[0]["source"])
    for name in ("cut", "out_dir", "analysis_set", "show_p_values"):
        assert f"{name} =" in params
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)


@pytest.mark.slow
def test_notebook_runs_with_papermill(tmp_path):
    papermill = Path(sys.executable).with_name("papermill")
    if not papermill.exists() or shutil.which("jupyter", path=str(papermill.parent)) is None:
        pytest.skip("papermill not available")
    (tmp_path / "data").mkdir()
    make_adsl().to_parquet(tmp_path / "data" / "adsl.parquet", index=False)
    subprocess.run(
        [str(papermill), "-k", "her2cr", str(NOTEBOOK), str(tmp_path / "out.ipynb"),
         "-p", "cut", "2025-12-31", "-p", "out_dir", str(tmp_path)],
        check=True, capture_output=True, cwd=ROOT,
    )
    for name in ("baseline_tidy.csv", "baseline_tidy.parquet", "baseline.html"):
        assert (tmp_path / "tables" / name).exists()
