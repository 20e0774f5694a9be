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
    from her2cr.formatting import estimate_text, plain_number

    # a median of 1234 days stays in days: 3 significant digits would write 1.23e+03
    assert estimate_text("median_days", 1234.0) == "1234"
    assert estimate_text("median", 0.2534) == "0.253"
    assert estimate_text("odds_ratio", 8.4567) == "8.46"
    assert estimate_text("proportion", 4 / 22) == "18.2%"
    assert estimate_text("risk_difference", -0.05) == "-5.0%"
    assert estimate_text("odds_ratio", float("inf")) == "inf"
    assert estimate_text("odds_ratio", float("nan"), missing="NE") == "NE"
    assert estimate_text("odds_ratio", None) == "NA"
    assert plain_number(152.4, "+") == "+152"


def test_report_table_and_change_report_write_an_estimate_alike():
    import pandas as pd

    from her2cr.reporting.context import estimates_display
    from her2cr.reporting.cutdiff_render import estimate_summary

    row = pd.DataFrame({"analysis": ["exploratory_pfs"], "parameter": ["median_days"], "group": ["stopped"],
                        "n": [3], "N": [10], "estimate": [1234.0], "ci_lower": [1001.0],
                        "ci_upper": [float("nan")], "ci_level": [0.95], "p_value": [float("nan")],
                        "method": ["Kaplan-Meier"]})
    shown = estimates_display(row)
    assert shown.loc[0, "Estimate"] == "1234" and shown.loc[0, "95% CI"] == "1001 to NE"
    assert estimate_summary("median_days", 3, 10, 1234.0, 1001.0, float("nan"), 0.95, float("nan")) \
        == "1234 (95% CI 1001 to NA)"
