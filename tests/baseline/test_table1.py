"""The spec-driven table builder (her2cr.baseline.table1) on small frames with hand-computed values."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from her2cr.baseline.table1 import TIDY_COLUMNS, Row, summarise
from her2cr.baseline.pvalues import fisher_r_by_2, freeman_halton_p, wilcoxon_rank_sum

INTERFACE_COLUMNS = [
    "variable", "label", "measure_title", "var_type", "statistic", "unit", "level",
    "level_order", "group", "group_N", "n", "denominator", "percent", "mean", "sd", "median",
    "q1", "q3", "min", "max", "n_missing", "smd", "p_value", "test", "collected",
]
GROUPS = ("continuing", "stopped")


@pytest.fixture
def small():
    # 4 continuing, 3 stopped; one missing x (stopped), one missing cat (continuing)
    return pd.DataFrame({
        "cohort": ["continuing"] * 4 + ["stopped"] * 3,
        "x": [1, 2, 3, 4, 10, 20, np.nan],
        "cat": ["a", "a", "b", None, "b", "b", "c"],
        "yn": ["yes", "yes", "yes", "no", "no", "no", "no"],
        "one": ["Japan"] * 7,
        "empty": [np.nan] * 7,
        "empty_cat": pd.Series([None] * 7, dtype=object),
    })


ROWS = [
    Row("x", "X (units)", "continuous", "all", unit="units"),
    Row("cat", "Cat", "categorical", levels=["a", "b", "c", "d"]),
]


def _one(tidy, variable, group, level=""):
    sel = (tidy["variable"] == variable) & (tidy["group"] == group) & (tidy["level"] == level)
    assert sel.sum() == 1
    return tidy.loc[sel].iloc[0]


def test_tidy_has_the_interface_columns_and_order(small):
    t = summarise(small, ROWS, groups=GROUPS)
    assert list(t.tidy.columns[: len(INTERFACE_COLUMNS)]) == INTERFACE_COLUMNS
    assert set(TIDY_COLUMNS) <= set(t.tidy.columns)
    # columns: cohorts in the given order, Overall last
    assert list(t.tidy["group"].unique()) == ["continuing", "stopped", "overall"]
    assert t.tidy.groupby("group")["group_N"].first().to_dict() == {
        "continuing": 4, "stopped": 3, "overall": 7}


def test_continuous_by_hand(small):
    tidy = summarise(small, ROWS, groups=GROUPS).tidy
    c = _one(tidy, "x", "continuing")
    # 1, 2, 3, 4: mean 2.5, variance 5/3, quartiles by linear interpolation 1.75 and 3.25
    assert (c["n"], c["n_missing"]) == (4, 0)
    assert c["mean"] == pytest.approx(2.5) and c["sd"] == pytest.approx(math.sqrt(5 / 3))
    assert (c["median"], c["q1"], c["q3"], c["min"], c["max"]) == (2.5, 1.75, 3.25, 1, 4)
    s = _one(tidy, "x", "stopped")
    # 10, 20 (one missing): mean 15, SD sqrt(50), quartiles 12.5 and 17.5
    assert (s["n"], s["n_missing"]) == (2, 1)
    assert s["sd"] == pytest.approx(math.sqrt(50))
    assert (s["median"], s["q1"], s["q3"]) == (15, 12.5, 17.5)
    o = _one(tidy, "x", "overall")
    # 1, 2, 3, 4, 10, 20: mean 20/3, sum of squares about the mean 2370/9, SD sqrt(158/3);
    # quartiles at positions 1.25 and 3.75 (0-based): 2.25 and 8.5
    assert (o["n"], o["n_missing"]) == (6, 1)
    assert o["mean"] == pytest.approx(20 / 3) and o["sd"] == pytest.approx(math.sqrt(158 / 3))
    assert (o["median"], o["q1"], o["q3"], o["min"], o["max"]) == (3.5, 2.25, 8.5, 1, 20)
    # SMD on the cohort rows only: |2.5 - 15| / sqrt((5/3 + 50) / 2)
    assert c["smd"] == pytest.approx(12.5 / math.sqrt((5 / 3 + 50) / 2))
    assert s["smd"] == c["smd"] and math.isnan(o["smd"])


def test_categorical_by_hand(small):
    tidy = summarise(small, ROWS, groups=GROUPS).tidy
    cat = tidy[tidy["variable"] == "cat"]
    # levels in the stated order, the empty level d shown as 0
    assert cat["level"].unique().tolist() == ["a", "b", "c", "d"]
    assert cat["level_order"].unique().tolist() == [1, 2, 3, 4]
    got = {g: v.set_index("level")["n"].to_dict() for g, v in cat.groupby("group")}
    assert got == {
        "continuing": {"a": 2, "b": 1, "c": 0, "d": 0},
        "stopped": {"a": 0, "b": 2, "c": 1, "d": 0},
        "overall": {"a": 2, "b": 3, "c": 1, "d": 0},
    }
    c_a = _one(tidy, "cat", "continuing", "a")
    # denominator: the 3 continuing participants with a known value (1 missing)
    assert (c_a["denominator"], c_a["n_missing"]) == (3, 1)
    assert c_a["percent"] == pytest.approx(200 / 3)
    assert _one(tidy, "cat", "overall", "b")["percent"] == pytest.approx(50.0)
    # Yang-Dalton SMD of (2, 1, 0, 0) vs (0, 2, 1, 0) = sqrt(5) (derivation in test_smd.py)
    assert c_a["smd"] == pytest.approx(math.sqrt(5))
    assert c_a["unit"] == "Participants" and c_a["statistic"] == "n_pct"


def test_overall_equals_pooled_data(small):
    by_cohort = summarise(small, ROWS, groups=GROUPS).tidy
    pooled = summarise(small.assign(cohort="all"), ROWS, groups=("all",), overall=False).tidy
    numbers = ["level", "n", "denominator", "percent", "mean", "sd", "median", "q1", "q3",
               "min", "max", "n_missing"]
    overall = by_cohort.loc[by_cohort["group"] == "overall", numbers].reset_index(drop=True)
    pd.testing.assert_frame_equal(overall, pooled[numbers].reset_index(drop=True))
    assert (by_cohort.loc[by_cohort["group"] == "overall", "group_N"] == len(small)).all()


def test_no_p_values_by_default(small):
    t = summarise(small, ROWS, groups=GROUPS)
    assert t.tidy["p_value"].isna().all() and (t.tidy["test"] == "").all()
    assert any("No p-values" in n for n in t.footnotes)
    assert "p-value" not in t.to_frame().columns


def test_p_values_by_hand(small):
    rows = ROWS + [Row("yn", "Yes/no", "categorical", levels=["yes", "no"])]
    tidy = summarise(small, rows, groups=GROUPS, p_values=True).tidy
    x = _one(tidy, "x", "continuing")
    # 1, 2, 3, 4 vs 10, 20 with no ties: exact rank-sum; only the observed and the mirrored
    # arrangement are as extreme, each 1 of C(6, 2) = 15 -> p = 2/15
    assert x["p_value"] == pytest.approx(2 / 15)
    assert x["test"] == "Wilcoxon rank-sum, exact"
    # yes/no 3/1 vs 0/3: hypergeometric probabilities of x yes among the 4 continuing
    # (x = 0..3): 1/35, 12/35, 18/35, 4/35; observed x = 3 (4/35); as or less probable: x = 0, 3
    yn = _one(tidy, "yn", "continuing", "yes")
    assert yn["p_value"] == pytest.approx(5 / 35) and yn["test"] == "Fisher's exact"
    # cat a/b/c = 2/1/0 vs 0/2/1: the 6 tables with these margins have probabilities
    # (x_a, x_b, x_c): (2,1,0) 3/20, (2,0,1) 1/20, (1,2,0) 6/20, (1,1,1) 6/20, (0,3,0) 1/20,
    # (0,2,1) 3/20; those no more probable than 3/20 sum to 8/20
    cat = _one(tidy, "cat", "stopped", "a")
    assert cat["p_value"] == pytest.approx(0.4) and cat["test"] == "Fisher-Freeman-Halton exact"
    assert math.isnan(_one(tidy, "cat", "overall", "a")["p_value"])
    notes = " ".join(summarise(small, rows, groups=GROUPS, p_values=True).footnotes)
    for name in ("Wilcoxon rank-sum", "Fisher's exact test", "Fisher-Freeman-Halton"):
        assert name in notes


def test_freeman_halton_against_brute_force_permutation():
    # Definition (Freeman & Halton 1951): p = P(table probability <= observed) under random
    # allocation of the group labels with fixed margins. Brute force: all C(12, 6) = 924
    # allocations of 6 "group A" labels to 12 participants, each equally likely.
    a, b = [3, 1, 0, 2], [0, 3, 2, 1]
    levels = np.repeat(np.arange(4), np.add(a, b))
    tables = {}
    for chosen in itertools.combinations(range(levels.size), sum(a)):
        key = tuple(np.bincount(levels[list(chosen)], minlength=4))
        tables[key] = tables.get(key, 0) + 1
    prob = {k: v / 924 for k, v in tables.items()}
    observed = prob[tuple(a)]
    expected = sum(p for p in prob.values() if p <= observed * (1 + 1e-7))
    assert freeman_halton_p(a, b) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("table", [([3, 1], [0, 3]), ([8, 1], [2, 5]), ([10, 10], [4, 16])])
def test_freeman_halton_two_levels_equals_scipy_fisher(table):
    # reference: scipy.stats.fisher_exact, two-sided (same "as or less probable" rule)
    a, b = table
    ref = stats.fisher_exact(np.column_stack([a, b])).pvalue
    assert freeman_halton_p(a, b) == pytest.approx(ref, rel=1e-9)
    assert fisher_r_by_2(a, b).p_value == pytest.approx(ref, rel=1e-12)


def test_wilcoxon_matches_scipy_asymptotic_with_ties():
    a, b = [1, 2, 2, 3, 5, 8, 9, 9, 10], [2, 4, 6, 6, 7, 11, 12, 13, 14]
    res = wilcoxon_rank_sum(a, b)
    ref = stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic")
    assert res.p_value == pytest.approx(ref.pvalue) and "normal approximation" in res.test


def test_all_missing_variable_is_shown_not_crashed(small):
    rows = [Row("empty", "Empty", "continuous", "median_iqr"),
            Row("empty_cat", "Empty cat", "categorical", levels=["u", "v"])]
    t = summarise(small, rows, groups=GROUPS, p_values=True)
    e = _one(t.tidy, "empty", "overall")
    assert (e["n"], e["n_missing"]) == (0, 7) and math.isnan(e["median"])
    ec = _one(t.tidy, "empty_cat", "continuing", "u")
    assert (ec["n"], ec["denominator"], ec["n_missing"]) == (0, 0, 4)
    assert math.isnan(ec["percent"]) and math.isnan(ec["smd"]) and math.isnan(ec["p_value"])
    frame = t.to_frame()
    assert (frame["Characteristic"].str.strip() == "Missing").sum() == 2
    assert "Empty, median (IQR)" in frame["Characteristic"].tolist()


def test_not_collected_when_auto_and_all_missing(small):
    t = summarise(small, [Row("empty_cat", "Race (NIH/OMB)", "categorical", levels=["u"],
                              collected="auto")], groups=GROUPS)
    assert (~t.tidy["collected"]).all() and len(t.tidy) == 3
    assert (t.tidy["n"] == 0).all()
    frame = t.to_frame()
    assert frame.iloc[0, 1:4].tolist() == ["Not collected"] * 3
    assert any("Not collected in this study: Race (NIH/OMB)" in n for n in t.footnotes)


def test_single_level_factor(small):
    t = summarise(small, [Row("one", "Region", "categorical", levels=["Japan"])],
                  groups=GROUPS, p_values=True)
    row = _one(t.tidy, "one", "continuing", "Japan")
    # both cohorts 100% in the one level: no imbalance; no test possible
    assert row["smd"] == 0.0 and math.isnan(row["p_value"])
    assert _one(t.tidy, "one", "overall", "Japan")["percent"] == 100.0


def test_empty_cohort(small):
    only_continuing = small[small["cohort"] == "continuing"]
    t = summarise(only_continuing, ROWS, groups=GROUPS, p_values=True)
    s = _one(t.tidy, "x", "stopped")
    assert (s["group_N"], s["n"]) == (0, 0) and math.isnan(s["mean"]) and math.isnan(s["smd"])
    assert (_one(t.tidy, "cat", "stopped", "a")["denominator"]) == 0
    frame = t.to_frame()
    assert "Stopped (N = 0)" in frame.columns
    assert t.to_html()  # renders


def test_only_cohorts_row(small):
    t = summarise(small, [Row("x", "Months since stop", "continuous", "all",
                              only_cohorts=("stopped",))], groups=GROUPS)
    c = _one(t.tidy, "x", "continuing")
    # not applicable: 0 analysed, 0 missing, no statistics, shown as a dash
    assert not c["applicable"] and (c["n"], c["n_missing"]) == (0, 0)
    assert math.isnan(c["mean"]) and math.isnan(c["smd"])
    assert t.to_frame().iloc[1]["Continuing (N = 4)"] == "—"
    s, o = _one(t.tidy, "x", "stopped"), _one(t.tidy, "x", "overall")
    assert o["n"] == s["n"] == 2 and o["mean"] == s["mean"] == 15
    assert any("stopped cohort only" in n for n in t.footnotes)


def test_value_outside_levels_is_an_error(small):
    with pytest.raises(ValueError, match="not in the row's levels"):
        summarise(small, [Row("cat", "Cat", "categorical", levels=["a", "b"])], groups=GROUPS)
    with pytest.raises(ValueError, match="statistic"):
        Row("x", "X", "continuous", "n_pct")
    with pytest.raises(ValueError, match="not in groups"):
        summarise(small, ROWS, groups=("continuing",))


def test_display_frame_and_renderings(small):
    t = summarise(small, ROWS, groups=GROUPS)
    frame = t.to_frame()
    assert list(frame.columns) == ["Characteristic", "Continuing (N = 4)", "Stopped (N = 3)",
                                   "Overall (N = 7)", "SMD"]
    labels = frame["Characteristic"].tolist()
    assert labels[0] == "X (units)" and labels[1].startswith("\u00a0") and "Mean (SD)" in labels[1]
    cat_a = frame[frame["Characteristic"].str.strip() == "a"].iloc[0]
    # 1 of the 4 continuing has no value: the denominator 3 is shown, as it is not the column's N
    assert cat_a["Continuing (N = 4)"] == "2/3 (66.7%)" and cat_a["Stopped (N = 3)"] == "0 (0.0%)"
    assert frame.loc[frame["Characteristic"] == "Cat", "SMD"].item() == "2.24"
    notes = " ".join(t.footnotes)
    assert "n (%)" in notes and "mean (SD)" in notes and "Yang and Dalton" in notes
    html = t.to_html()
    assert html == t.to_html()  # deterministic (fixed table id)
    assert "Continuing (N = 4)" in html and "Yang and Dalton" in html
    md = t.to_markdown()
    assert md.startswith("| Characteristic | Continuing (N = 4) |") and "Yang and Dalton" in md
