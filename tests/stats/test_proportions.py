"""Intervals for one proportion and for a difference of proportions, against published tables."""

import math

import pytest

from her2cr.stats.proportions import (
    clopper_pearson,
    miettinen_nurminen_diff_ci,
    miettinen_nurminen_p_value,
    newcombe_diff_ci,
    proportion,
    score_diff_ci,
)

# Newcombe RG (1998a). Two-sided confidence intervals for the single proportion: comparison of
# seven methods. Statistics in Medicine 17:857-872, Table I, method 5 ("exact", Clopper-Pearson),
# printed to 4 decimals.
TABLE_I_EXACT = [
    (81, 263, 0.2527, 0.3676),
    (15, 148, 0.0578, 0.1617),
    (0, 20, 0.0000, 0.1684),
    (1, 29, 0.0009, 0.1776),
]


@pytest.mark.parametrize("x, n, lower, upper", TABLE_I_EXACT)
def test_clopper_pearson_matches_newcombe_1998a_table_i(x, n, lower, upper):
    lo, hi = clopper_pearson(x, n)
    assert round(lo, 4) == lower
    assert round(hi, 4) == upper


# Newcombe RG (1998b). Interval estimation for the difference between independent proportions:
# comparison of eleven methods. Statistics in Medicine 17:873-890, Table II, examples (a)-(h),
# 95% limits to 4 decimals. Columns used: method 5 = Mee's score interval, method 6 =
# Miettinen-Nurminen (Mee's variance times N/(N-1), hence always the wider of the two), method 10 =
# hybrid score (Wilson). Values cross-checked against the published-example tests of R ratesci
# (example (d)), R propint (examples (a), (b)) and mergeron_extra's transcription of Table II.
TABLE_II = {
    # example: (x1, n1, x2, n2, mee (5), miettinen-nurminen (6), hybrid score (10))
    "a": (56, 70, 48, 80, (0.0533, 0.3377), (0.0528, 0.3382), (0.0524, 0.3339)),
    "b": (9, 10, 3, 10, (0.1821, 0.8370), (0.1700, 0.8406), (0.1705, 0.8090)),
    "c": (6, 7, 2, 7, (0.0544, 0.8478), (0.0342, 0.8534), (0.0582, 0.8062)),
    "d": (5, 56, 0, 29, (-0.0313, 0.1926), (-0.0326, 0.1933), (-0.0381, 0.1926)),
    "e": (0, 10, 0, 20, (-0.1611, 0.2775), (-0.1658, 0.2844), (-0.1611, 0.2775)),
    "f": (0, 10, 0, 10, (-0.2775, 0.2775), (-0.2879, 0.2879), (-0.2775, 0.2775)),
    "g": (10, 10, 0, 20, (0.7225, 1.0000), (0.7156, 1.0000), (0.6791, 1.0000)),
    "h": (10, 10, 0, 10, (0.6777, 1.0000), (0.6636, 1.0000), (0.6075, 1.0000)),
}


def _rounded(limits):
    return tuple(round(v, 4) + 0.0 for v in limits)  # + 0.0 turns -0.0 into 0.0


@pytest.mark.parametrize("example", sorted(TABLE_II))
def test_newcombe_hybrid_score_matches_table_ii_method_10(example):
    x1, n1, x2, n2, _, _, expected = TABLE_II[example]
    assert _rounded(newcombe_diff_ci(x1, n1, x2, n2)) == expected


@pytest.mark.parametrize("example", sorted(TABLE_II))
def test_miettinen_nurminen_matches_table_ii_method_6(example):
    x1, n1, x2, n2, _, expected, _ = TABLE_II[example]
    assert _rounded(miettinen_nurminen_diff_ci(x1, n1, x2, n2)) == expected


@pytest.mark.parametrize("example", sorted(TABLE_II))
def test_mee_matches_table_ii_method_5(example):
    # Mee's interval is the same score inversion without the N/(N-1) factor; matching column 5
    # as well shows which Table II column is the Miettinen-Nurminen one.
    x1, n1, x2, n2, expected, _, _ = TABLE_II[example]
    assert _rounded(score_diff_ci(x1, n1, x2, n2, mn=False)) == expected


def test_miettinen_nurminen_test_is_pearson_chi_square_times_n_minus_1_over_n():
    # At delta = 0 the restricted estimates are the pooled proportion, so the MN statistic squared
    # is Pearson's X^2 times (N-1)/N (Miettinen & Nurminen 1985, Stat Med 4:213-226, section 3).
    from scipy import stats

    x1, n1, x2, n2 = 56, 70, 48, 80
    table = [[x1, n1 - x1], [x2, n2 - x2]]
    pearson = stats.chi2_contingency(table, correction=False).statistic
    N = n1 + n2
    expected = stats.chi2.sf(pearson * (N - 1) / N, 1)
    assert miettinen_nurminen_p_value(x1, n1, x2, n2) == pytest.approx(expected, rel=1e-12)


def test_p_value_agrees_with_interval():
    # The MN interval inverts the MN test: p < 0.05 exactly when 0 lies outside the interval.
    for x1, n1, x2, n2 in [(9, 10, 3, 10), (5, 56, 0, 29), (3, 10, 2, 12), (7, 12, 1, 10)]:
        lo, hi = miettinen_nurminen_diff_ci(x1, n1, x2, n2)
        assert (miettinen_nurminen_p_value(x1, n1, x2, n2) < 0.05) == (lo > 0 or hi < 0)


def test_proportion_result_and_empty_group():
    res = proportion(81, 263, "stopped")
    assert (res.n, res.N, res.estimate) == (81, 263, 81 / 263)
    assert res.estimable and res.note == ""
    empty = proportion(0, 0, "stopped")
    assert not empty.estimable and math.isnan(empty.estimate)
    assert "no evaluable participants in cohort stopped" in empty.note
    assert list(res.to_frame().columns)[:5] == ["parameter", "group", "n", "N", "estimate"]


def test_all_positive_and_none_positive_limits():
    assert clopper_pearson(0, 5)[0] == 0.0
    assert clopper_pearson(5, 5)[1] == 1.0
    # exact 95% limits for 1/1 and 0/1: 0.025^(1/1) and 1 - 0.025
    assert clopper_pearson(1, 1) == pytest.approx((0.025, 1.0))
    assert clopper_pearson(0, 1) == pytest.approx((0.0, 0.975))


def test_invalid_counts_raise():
    with pytest.raises(ValueError):
        proportion(3, 2)
    with pytest.raises(ValueError):
        newcombe_diff_ci(1, 0, 1, 2)
