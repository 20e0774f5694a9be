"""The ctDNA analyses on small constructed datasets: populations, estimate keys, degenerate data."""

import math

import numpy as np
import pandas as pd
import pytest
from tests.ctdna.fixtures_ctdna import make_datasets

from her2cr.ctdna import analyses as ctdna
from her2cr.stats import compare_proportions, firth_logit

REQUIRED_KEYS = [
    ("primary", "proportion", "continuing"),
    ("primary", "proportion", "stopped"),
    ("primary", "risk_difference", "stopped vs continuing"),
    ("primary", "odds_ratio", "stopped vs continuing"),
    ("sensitivity_miettinen_nurminen", "risk_difference", "stopped vs continuing"),
    ("sensitivity_boschloo", "risk_difference", "stopped vs continuing"),
    ("sensitivity_worst_case", "risk_difference", "stopped vs continuing"),
    ("sensitivity_best_case", "risk_difference", "stopped vs continuing"),
    ("exploratory_firth", "odds_ratio", "stopped vs continuing"),
    ("exploratory_any_draw", "proportion", "continuing"),
    ("exploratory_any_draw", "proportion", "stopped"),
    ("exploratory_any_draw", "risk_difference", "stopped vs continuing"),
    ("exploratory_mtm", "median", "continuing"),
    ("exploratory_mtm", "median", "stopped"),
    ("exploratory_pfs", "logrank", "positive vs negative"),
] + [(f"subgroup_{v}={lvl}", "risk_difference", "stopped vs continuing")
     for v, levels in ctdna.SUBGROUPS.items() for lvl in levels]


@pytest.fixture(scope="module")
def data():
    return make_datasets(40)


@pytest.fixture(scope="module")
def estimates(data):
    return ctdna.estimates_table(*data)


def _row(est, analysis, parameter, group):
    sel = est[(est["analysis"] == analysis) & (est["parameter"] == parameter)
              & (est["group"] == group)]
    assert len(sel) == 1, (analysis, parameter, group)
    return sel.iloc[0]


def test_columns_keys_and_order(data, estimates):
    assert list(estimates.columns) == ctdna.ESTIMATE_COLUMNS
    keys = list(zip(estimates["analysis"], estimates["parameter"], estimates["group"]))
    assert len(keys) == len(set(keys))
    for key in REQUIRED_KEYS:
        assert key in keys, key
    # deterministic: same input, same table
    pd.testing.assert_frame_equal(estimates, ctdna.estimates_table(*data))


def test_primary_counts_follow_the_primary_set(data, estimates):
    adsl, _ = data
    ps = adsl[adsl["eligible"] & adsl["baseline_evaluable"]]
    for cohort in ("continuing", "stopped"):
        sub = ps[ps["cohort"] == cohort]
        row = _row(estimates, "primary", "proportion", cohort)
        assert (row["n"], row["N"]) == (int(sub["baseline_positive"].sum()), len(sub))
        assert row["ci_level"] == 0.95 and row["method"] == "Clopper-Pearson exact"
    s = ps[ps["cohort"] == "stopped"]["baseline_positive"]
    c = ps[ps["cohort"] == "continuing"]["baseline_positive"]
    expected = compare_proportions(int(s.sum()), len(s), int(c.sum()), len(c), boschloo=True)
    rd = _row(estimates, "primary", "risk_difference", "stopped vs continuing")
    assert rd["estimate"] == pytest.approx(s.mean() - c.mean())
    assert (rd["ci_lower"], rd["ci_upper"], rd["p_value"]) == (
        expected.risk_difference.ci_lower, expected.risk_difference.ci_upper,
        expected.risk_difference.p_value)
    orow = _row(estimates, "primary", "odds_ratio", "stopped vs continuing")
    assert orow["estimate"] == expected.odds_ratio.estimate
    bos = _row(estimates, "sensitivity_boschloo", "risk_difference", "stopped vs continuing")
    assert bos["p_value"] == expected.boschloo.p_value and math.isnan(bos["ci_lower"])


def test_worst_and_best_case_impute_non_evaluable_eligible(data, estimates):
    adsl, _ = data
    el = adsl[adsl["eligible"]]
    missing = el["baseline_positive"].isna()
    assert missing.any()  # the fixture has eligible participants without a baseline result
    for analysis, fill in (("sensitivity_worst_case", True), ("sensitivity_best_case", False)):
        for cohort in ("continuing", "stopped"):
            sub = el[el["cohort"] == cohort]
            expected = int(sub["baseline_positive"].fillna(fill).sum())
            row = _row(estimates, analysis, "proportion", cohort)
            assert (row["n"], row["N"]) == (expected, len(sub))


def test_any_draw_uses_ever_positive(data, estimates):
    adsl, _ = data
    el = adsl[adsl["eligible"] & adsl["ever_positive"].notna()]
    for cohort in ("continuing", "stopped"):
        sub = el[el["cohort"] == cohort]
        row = _row(estimates, "exploratory_any_draw", "proportion", cohort)
        assert (row["n"], row["N"]) == (int(sub["ever_positive"].sum()), len(sub))


def test_firth_design(data, estimates):
    adsl, _ = data
    ps = adsl[adsl["primary_set"]]
    X = np.column_stack([np.ones(len(ps)), (ps["cohort"] == "stopped").astype(float),
                         (ps["best_response"] == "PR").astype(float), ps["years_since_response"]])
    fit = firth_logit(ps["baseline_positive"].astype(float), X, ["a", "b", "c", "d"])
    row = _row(estimates, "exploratory_firth", "odds_ratio", "stopped vs continuing")
    assert row["estimate"] == pytest.approx(math.exp(fit.coef[1]))
    assert row["ci_lower"] == pytest.approx(math.exp(fit.ci_lower[1]))
    assert (row["n"], row["N"]) == (int(ps["baseline_positive"].sum()), len(ps))


def test_mtm_counts_positive_analysed_draws(data, estimates):
    adsl, adct = data
    eligible = set(adsl.loc[adsl["eligible"], "subject_id"])
    pos = adct[adct["used"] & adct["positive"].fillna(False) & adct["subject_id"].isin(eligible)]
    for cohort in ("continuing", "stopped"):
        sub = pos[pos["cohort"] == cohort]
        row = _row(estimates, "exploratory_mtm", "median", cohort)
        assert (row["n"], row["N"]) == (len(sub), sub["subject_id"].nunique())
        assert row["estimate"] == pytest.approx(sub["mtm_per_ml"].median())


def test_csv_is_written_with_full_precision(tmp_path, estimates):
    path = tmp_path / "results" / "estimates.csv"
    ctdna.write_csv(estimates, path)
    raw = path.read_bytes()
    assert b"\r\n" not in raw and raw.startswith(b"analysis,parameter,group,n,N,")
    back = pd.read_csv(path, float_precision="round_trip")  # the writer keeps full repr
    np.testing.assert_array_equal(back["estimate"].to_numpy(), estimates["estimate"].to_numpy())


# --- degenerate data: never crash, say what is not estimable ---------------------------------

def _run(adsl, adct):
    results = ctdna.all_results(adsl, adct)
    long = ctdna.estimates_long(results)
    table = ctdna.estimates_table(adsl, adct, results=results)
    keys = set(zip(table["analysis"], table["parameter"], table["group"]))
    for key in REQUIRED_KEYS:
        assert key in keys, key
    return long, results


def _long_row(long, analysis, parameter, group):
    sel = long[(long["analysis"] == analysis) & (long["parameter"] == parameter)
               & (long["group"] == group)]
    return sel.iloc[0]


def test_zero_positives_in_both_cohorts(data):
    adsl, adct = data
    adsl = adsl.copy()
    adsl.loc[adsl["baseline_evaluable"], "baseline_positive"] = False
    long, _ = _run(adsl, adct)
    rd = _long_row(long, "primary", "risk_difference", "stopped vs continuing")
    assert rd["estimate"] == 0.0 and rd["p_value"] == 1.0 and rd["estimable"]
    odds = _long_row(long, "primary", "odds_ratio", "stopped vs continuing")
    assert not odds["estimable"] and math.isnan(odds["estimate"])
    assert "no positive participants in either cohort" in odds["note"]
    firth = _long_row(long, "exploratory_firth", "odds_ratio", "stopped vs continuing")
    assert not firth["estimable"] and "no events" in firth["note"]
    assert _long_row(long, "sensitivity_boschloo", "risk_difference",
                     "stopped vs continuing")["p_value"] == 1.0


def test_all_positive_in_one_cohort(tmp_path, data):
    adsl, adct = data
    adsl = adsl.copy()
    stopped = adsl["baseline_evaluable"] & (adsl["cohort"] == "stopped")
    adsl.loc[stopped, "baseline_positive"] = True
    long, _ = _run(adsl, adct)
    prop = _long_row(long, "primary", "proportion", "stopped")
    assert prop["estimate"] == 1.0 and prop["ci_upper"] == 1.0
    odds = _long_row(long, "primary", "odds_ratio", "stopped vs continuing")
    assert math.isinf(odds["estimate"]) and math.isinf(odds["ci_upper"]) and odds["ci_lower"] > 1
    assert "only the lower limit is informative" in odds["note"]
    firth = _long_row(long, "exploratory_firth", "odds_ratio", "stopped vs continuing")
    assert firth["estimable"] and np.isfinite(firth["estimate"])  # Firth handles separation
    path = tmp_path / "estimates.csv"
    ctdna.write_csv(long[ctdna.ESTIMATE_COLUMNS], path)
    assert ",inf," in path.read_text()


def test_empty_cohort(data):
    adsl, adct = data
    adsl = adsl[adsl["cohort"] == "continuing"].copy()
    adct = adct[adct["cohort"] == "continuing"].copy()
    long, results = _run(adsl, adct)
    prop = _long_row(long, "primary", "proportion", "stopped")
    assert not prop["estimable"] and prop["N"] == 0
    assert prop["note"] == "not estimable: no evaluable participants in cohort stopped"
    for analysis, parameter in [("primary", "risk_difference"), ("primary", "odds_ratio"),
                                ("sensitivity_miettinen_nurminen", "risk_difference"),
                                ("sensitivity_boschloo", "risk_difference"),
                                ("exploratory_firth", "odds_ratio"),
                                ("exploratory_ttpos", "logrank")]:
        row = _long_row(long, analysis, parameter, "stopped vs continuing")
        assert not row["estimable"] and math.isnan(row["estimate"]), analysis
        assert row["note"], analysis
    assert not _long_row(long, "exploratory_mtm", "median", "stopped")["estimable"]
    subs = long[long["analysis"].str.startswith("subgroup_")]
    assert (~subs["estimable"]).all() and subs["estimate"].isna().all()


def test_single_evaluable_participant(data):
    adsl, adct = data
    keep = adsl[adsl["primary_set"]].iloc[:1]["subject_id"]
    adsl = adsl[adsl["subject_id"].isin(keep)].copy()
    adct = adct[adct["subject_id"].isin(keep)].copy()
    long, results = _run(adsl, adct)
    cohort = adsl["cohort"].iloc[0]
    other = "stopped" if cohort == "continuing" else "continuing"
    prop = _long_row(long, "primary", "proportion", cohort)
    assert prop["N"] == 1 and prop["estimable"]
    assert not _long_row(long, "primary", "proportion", other)["estimable"]
    assert not _long_row(long, "primary", "risk_difference", "stopped vs continuing")["estimable"]
    assert not results["firth"].estimable
    assert math.isnan(results["pfs"].logrank_p)


def test_pfs_logrank_without_a_shared_risk_set_is_not_estimable(data):
    # The synthetic cut n = 20, seed 7 (issue 18): every baseline-positive participant is censored
    # before the only progression, so no event happens while both groups are at risk; the log-rank
    # test has no information (R's survdiff: "Chisq = 0 on 0 degrees of freedom"; statsmodels
    # raised LinAlgError: Singular matrix and the run stopped).
    adsl, adct = data
    adsl = adsl.copy()
    positive = adsl["baseline_positive"].astype("boolean").fillna(False).astype(bool)
    adsl["pfs_days"] = np.where(positive, 30.0, 200.0 + np.arange(len(adsl)))
    adsl["pfs_event"] = False
    first_negative = adsl.index[adsl["primary_set"] & ~positive][0]
    adsl.loc[first_negative, "pfs_event"] = True
    long, results = _run(adsl, adct)
    row = _long_row(long, "exploratory_pfs", "logrank", "positive vs negative")
    assert row["status"] == ctdna.NOT_ESTIMABLE and math.isnan(row["estimate"])
    assert math.isnan(row["p_value"])
    assert row["note"] == ("log-rank test not estimable: no event while both groups were at "
                           "risk (the test has no information)")
    # the medians are still reported (not reached), each with its own reason
    negative = _long_row(long, "exploratory_pfs", "median_days", "negative")
    assert negative["note"] == "median not reached" and negative["N"] > 0


def test_no_eligible_participants(data):
    adsl, adct = data
    adsl = adsl.assign(eligible=False, primary_set=False)
    long, _ = _run(adsl, adct)
    assert not long.loc[long["analysis"] == "primary", "estimable"].any()


def test_subgroup_levels_are_all_reported_even_when_absent(data):
    adsl, adct = data
    adsl = adsl.assign(anti_her2="T-DXd")
    sub = ctdna.subgroup_analyses(adsl)
    assert list(sub.loc[sub["variable"] == "anti_her2", "level"]) == list(
        ctdna.SUBGROUPS["anti_her2"])
    absent = sub[(sub["variable"] == "anti_her2") & (sub["level"] == "T-DM1")].iloc[0]
    assert not absent["estimable"] and absent["stopped_N"] == 0


def test_summary_table_reads(estimates):
    table = ctdna.summary_table(estimates)
    assert table["analysis"].iloc[0] == "Baseline (primary analysis)"
    assert table["stopped n/N (%)"].iloc[0].count("/") == 1


def test_figures_render_on_normal_and_degenerate_data(tmp_path, data):
    from her2cr.ctdna import figures

    adsl, adct = data
    cases = {
        "normal": (adsl, adct),
        "empty_cohort": (adsl[adsl["cohort"] == "continuing"],
                         adct[adct["cohort"] == "continuing"]),
        "no_positives": (adsl.assign(baseline_positive=adsl["baseline_positive"] & False),
                         adct.assign(positive=adct["positive"] & False)),
    }
    for name, (a, c) in cases.items():
        res = ctdna.all_results(a, c)
        est = ctdna.estimates_long(res)
        made = [
            figures.positivity_plot(est),
            figures.mtm_plot(ctdna.positive_draws(a, c)),
            figures.swimmer_plot(a, c, "2025-12-31"),
            figures.km_pfs_plot(res["pfs"]),
            figures.km_ttpos_plot(res["ttpos"]),
            figures.forest_plot(res["subgroups"], est),
        ]
        for k, (fig, caption) in enumerate(made):
            paths = figures.save_figure(fig, tmp_path / name, f"fig{k}", caption)
            assert all(p.stat().st_size > 0 for p in paths)


def _draws(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame({
        "subject_id": [f"S{i:06d}" for i in range(n)],
        "cohort": np.where(np.arange(n) % 2 == 0, "continuing", "stopped"),
        "visit_month": np.where(np.arange(n) % 3 == 0, 0, 6),
        "mtm_per_ml": rng.lognormal(0, 1, n),
    })


def test_mtm_plot_is_vector_at_every_size_and_small_at_100000_draws(tmp_path):
    """Up to MTM_MAX_POINTS positive draws, one vector point per draw; above, a histogram per
    cohort, still vector (the report's figures must hold no raster picture, issue 18) and small
    (200,000 vector points once made an 8 MB SVG); the caption and alt text say what is drawn and
    how many draws it summarises."""
    import re

    from her2cr.ctdna import figures
    from her2cr.settings import MTM_MAX_POINTS

    svgs, plots = {}, {}
    for n in (200, MTM_MAX_POINTS, MTM_MAX_POINTS + 1, 100_000):
        plots[n] = figures.mtm_plot(_draws(n))
        fig, caption = plots[n]
        paths = figures.save_figure(fig, tmp_path / str(n), "mtm", caption, plots[n].alt)
        svgs[n] = paths[1].read_text(encoding="utf-8")
        assert "<image" not in svgs[n], n  # no picture inside the SVG, at any size
        assert "MTM/mL" in svgs[n]  # the axis label is text
    def markers(svg: str) -> int:  # uses of a marker (points, tick marks), not of a glyph of text
        return len(re.findall(r'<use xlink:href="#m[0-9a-f]+"', svg))

    for n in (200, MTM_MAX_POINTS):  # every draw a point: one marker per draw
        assert markers(svgs[n]) >= n, n
        assert "Each point is one analysed positive draw" in plots[n][1]
    for n in (MTM_MAX_POINTS + 1, 100_000):
        caption, alt = plots[n][1], plots[n].alt
        assert markers(svgs[n]) < 100, n  # no longer one marker per draw (the tick marks are markers)
        assert f"summarises {n} analysed positive draws of {n} eligible participants" in caption
        assert "histogram" in caption and "Each point" not in caption
        assert f"summarising {n} positive draws of {n} participants" in alt and "histograms" in alt
        assert len(svgs[n]) < 1_000_000, (n, len(svgs[n]))
    # the summary's size does not grow with the number of draws
    assert len(svgs[100_000]) < 2 * len(svgs[MTM_MAX_POINTS + 1]), (len(svgs[100_000]), len(svgs[MTM_MAX_POINTS + 1]))
    assert len(svgs[100_000]) < len(svgs[MTM_MAX_POINTS]) / 4


def test_mtm_histogram_counts_every_draw_in_tenth_of_a_decade_bins():
    from her2cr.ctdna import figures

    values = np.array([0.01, 0.0125, 0.099, 0.1, 1.0, 1.0, 602.33])
    counts, edges = figures._log_histogram(values, 10)
    assert counts.sum() == len(values)
    assert edges[0] == pytest.approx(0.01) and edges[-1] == pytest.approx(10 ** 2.8)  # 602 < 10^2.8
    assert len(edges) == len(counts) + 1
    # each value lies in its bin: [edge_k, edge_k+1)
    for v in values:
        k = int(np.searchsorted(edges, v, side="right")) - 1
        assert edges[k] <= v * (1 + 1e-12) and v < edges[k + 1]
    assert counts[0] == 2  # 0.01 and 0.0125 share [0.01, 0.0126)
    assert counts[int(np.argmin(np.abs(edges - 1.0)))] == 2  # the two values of exactly 1
    one, one_edges = figures._log_histogram(np.array([3.0]), 10)
    assert list(one) == [1] and one_edges[0] <= 3.0 < one_edges[1]


def test_figures_print_at_their_drawn_size_with_alt_text_and_one_cohort_order(tmp_path, data):
    """Every figure fits the PDF's text width (6.6 in), so the report shows it at the size it was
    drawn and its 9 pt text prints at 9 pt; it has alt text; its caption never says '(s)'; and the
    cohorts keep one order and one colour, which no ctDNA result uses."""
    import re

    from her2cr.ctdna import figures

    adsl, adct = data
    res = ctdna.all_results(adsl, adct)
    est = ctdna.estimates_long(res)
    made = {"positivity": figures.positivity_plot(est), "mtm": figures.mtm_plot(ctdna.positive_draws(adsl, adct)),
            "swimmer": figures.swimmer_plot(adsl, adct, "2025-12-31"), "pfs": figures.km_pfs_plot(res["pfs"]),
            "ttpos": figures.km_ttpos_plot(res["ttpos"]), "forest": figures.forest_plot(res["subgroups"], est)}
    for name, plot in made.items():
        fig, caption = plot
        if name == "swimmer":  # continuing on the left panel, stopped on the right
            assert [ax.get_title(loc="left").split(" (")[0] for ax in fig.axes[:2]] == ["Continuing", "Stopped"]
        paths = figures.save_figure(fig, tmp_path, name, caption, plot.alt)
        svg = paths[1].read_text(encoding="utf-8")
        width, height = (float(v) for v in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups())
        assert width <= figures.MAX_WIDTH_IN * 72 + 0.5, (name, width)
        assert height <= 8.0 * 72, (name, height)  # with its caption, within an A4 text block
        assert len(plot.alt.split()) >= 10 and paths[-1].read_text(encoding="utf-8").strip() == plot.alt
        assert "(s)" not in caption, name
    assert set(figures.COHORT_COLORS.values()).isdisjoint(figures.STATUS_COLORS.values())


def test_mtm_caption_counts_zero_levels_and_missing_levels_apart():
    """A level of 0 cannot be drawn on the log scale; a missing level is not a 0 (01 rejects an
    evaluable result without a level, so the second sentence is a guard)."""
    from her2cr.ctdna import figures

    draws = _draws(10)
    draws.loc[0, "mtm_per_ml"] = 0.0
    draws.loc[[1, 2], "mtm_per_ml"] = np.nan
    _, caption = figures.mtm_plot(draws)
    assert "1 positive draw with 0 MTM/mL cannot be shown on the log scale." in caption
    assert "2 positive draws without an MTM/mL value are not shown." in caption
