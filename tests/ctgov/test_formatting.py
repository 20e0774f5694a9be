"""Number-to-text rules of the ClinicalTrials.gov files (her2cr.ctgov.formatting).

Expected strings are worked by hand from the stated rules (4 significant digits for estimates,
3 for p-values, "<0.001" below 0.001); no statistics are computed here.
"""

import math

import pytest

from her2cr.ctgov.formatting import fmt_ci_pct, fmt_count, fmt_number, fmt_p_value, is_missing


@pytest.mark.parametrize(
    "x, expected",
    [
        (0.2857142857142857, "0.2857"),
        (0.08013962585198989, "0.08014"),
        (12.4667, "12.47"),
        (58.0, "58"),
        (1234567.0, "1235000"),  # never exponent notation
        (1.2345e-05, "0.00001234"),  # 1.2345e-05 is stored just below ...45, so it rounds down
        (-0.007362491963889328, "-0.007362"),
        (0.0, "0"),
        (-0.0000001, "-0.0000001"),
        (27.570647861601138, "27.57"),
    ],
)
def test_fmt_number(x, expected):
    assert fmt_number(x) == expected


@pytest.mark.parametrize("x", [math.inf, -math.inf, math.nan, None])
def test_fmt_number_rejects_non_finite(x):
    with pytest.raises(ValueError):
        fmt_number(x)


@pytest.mark.parametrize(
    "p, expected",
    [
        (0.0123456, "0.0123"),
        (0.007687151192539734, "0.00769"),
        (0.08347494053676695, "0.0835"),
        (0.05, "0.0500"),  # trailing zeros show the precision
        (0.5, "0.500"),
        (1.0, "1.00"),
        (0.001, "0.00100"),
        (0.000999, "<0.001"),
        (0.0, "<0.001"),
    ],
)
def test_fmt_p_value(p, expected):
    assert fmt_p_value(p) == expected


@pytest.mark.parametrize("p", [-0.1, 1.5, math.nan, math.inf])
def test_fmt_p_value_rejects_impossible(p):
    with pytest.raises(ValueError):
        fmt_p_value(p)


@pytest.mark.parametrize(
    "level, expected", [(0.95, "95"), (95, "95"), (0.975, "97.5"), (0.9, "90")]
)
def test_fmt_ci_pct(level, expected):
    assert fmt_ci_pct(level) == expected


def test_fmt_count():
    assert fmt_count(26) == "26"
    assert fmt_count(26.0) == "26"
    for bad in (2.5, -1, math.nan, None):
        with pytest.raises(ValueError):
            fmt_count(bad)


def test_is_missing():
    import pandas as pd

    assert is_missing(None) and is_missing(math.nan) and is_missing(pd.NA)
    assert not is_missing(math.inf) and not is_missing(0) and not is_missing("")
