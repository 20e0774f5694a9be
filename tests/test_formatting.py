"""One p-value rule for the report, notebooks, change report and posting files."""

import math

import pytest

from her2cr.formatting import p_phrase, p_text


@pytest.mark.parametrize("p,text", [(0.0123, "0.0123"), (0.05, "0.0500"), (1.0, "1.00"), (0.7246, "0.725"),
                                    (0.001, "0.00100"), (0.00099, "<0.001"), (0.0, "<0.001"),
                                    (math.nan, ""), (None, "")])
def test_p_text(p, text):
    assert p_text(p) == text


def test_p_phrase():
    assert p_phrase(0.7246) == "p = 0.725"
    assert p_phrase(0.0004) == "p < 0.001"
    assert p_phrase(math.nan) == "p not estimable"


def test_posting_files_use_the_same_rule():
    from her2cr.ctgov.formatting import fmt_p_value

    for p in (0.0123, 0.05, 1.0, 0.7246, 0.00099):
        assert fmt_p_value(p) == p_text(p)


def test_estimates_are_written_by_one_rule():
    from her2cr.formatting import MINUS, change_text, estimate_text, plain_number

    # medians of times are stored in days and written in months (days / 30.4375)
    assert estimate_text("median_days", 1234.0) == "40.5"
    assert estimate_text("median_days", 1234.0, unit=True) == "40.5 months"
    assert estimate_text("median", 0.2534) == "0.253"
    assert estimate_text("median", 3.055) == "3.06" and estimate_text("median", 1.1) == "1.10"
    # ratios: 2 decimals, whatever their size (the 0.29 / 0.293 / 0.2934)
    assert estimate_text("odds_ratio", 8.4567) == "8.46" and estimate_text("odds_ratio", 0.2934) == "0.29"
    assert estimate_text("proportion", 4 / 22) == "18.2%"
    assert estimate_text("risk_difference", -0.05) == MINUS + "5.0"
    assert estimate_text("risk_difference", 0.068, unit=True) == "6.8 percentage points"
    assert estimate_text("odds_ratio", float("inf")) == "\u221e"
    assert estimate_text("odds_ratio", float("nan")) == "NE"
    assert estimate_text("odds_ratio", None, missing="NA") == "NA"
    assert plain_number(152.4, "+") == "+152" and plain_number(-0.5) == MINUS + "0.500"
    assert change_text("proportion", 0.02) == "+2.0 percentage points"
    assert change_text("median_days", -61) == MINUS + "2.0 months"


@pytest.mark.parametrize("kind,x,text", [
    ("percent", 0.25, "25.0"), ("percent", 1 / 3, "33.3"), ("pp", -0.17317, "\u221217.3"),
    ("pp", -0.00001, "0.0"),  # no negative zero
    ("ratio", 1.1, "1.10"), ("ratio", 12.467, "12.47"), ("ratio", -0.5, "\u22120.50"),
    ("p", 0.7254, "0.725"), ("p", 2e-8, "<0.001"), ("months", 291.0, "9.6"), ("count", 14.0, "14"),
    ("measure", 9.544, "9.54"), ("measure", 59.2, "59.2"), ("measure", 0.9996, "1.00"),
    ("measure", 99.96, "100"), ("measure", 1234.4, "1234"), ("measure", 0.0, "0.00"),
    ("measure", float("nan"), "NE"), ("measure", float("-inf"), "\u2212\u221e"),
])
def test_one_rule_per_kind(kind, x, text):
    from her2cr.formatting import number

    assert number(kind, x) == text


def test_count_of_and_units():
    from her2cr.formatting import count_of, number, with_unit

    assert count_of(5, 22) == "5/22 (22.7%)" and count_of(0, 0) == "0/0"
    assert with_unit("pp", 0.068) == "6.8 percentage points" and with_unit("percent", 0.5) == "50.0%"
    with pytest.raises(ValueError):
        number("count", 2.5)
    with pytest.raises(ValueError):
        number("dollars", 1)


def test_report_table_and_change_report_write_an_estimate_alike():
    import pandas as pd

    from her2cr.reporting.context import estimates_display
    from her2cr.reporting.cutdiff_tables import estimate_cell

    row = pd.DataFrame({"analysis": ["exploratory_pfs"], "parameter": ["median_days"], "group": ["stopped"],
                        "n": [3], "N": [10], "estimate": [1234.0], "ci_lower": [1001.0],
                        "ci_upper": [float("nan")], "ci_level": [0.95], "p_value": [float("nan")],
                        "method": ["Kaplan-Meier"]})
    shown = estimates_display(row)
    assert shown.loc[0, "Estimate"] == "40.5" and shown.loc[0, "95% CI"] == "32.9\u00a0to\u00a0NE"
    assert shown.loc[0, "Counts"] == "3 events among 10"
    # the change report's cell for the same row of diff/estimate_changes.csv (prefix new_)
    diff_row = row.iloc[0][["analysis", "parameter", "group"]].to_dict() | {
        f"new_{c}": row.iloc[0][c] for c in ("n", "N", "estimate", "ci_lower", "ci_upper", "ci_level", "p_value")}
    assert estimate_cell(pd.Series(diff_row), "new") == "40.5 months (3 events among 10; 95% CI 32.9 to NE)"
