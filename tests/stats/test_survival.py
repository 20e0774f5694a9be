"""Kaplan-Meier and log-rank against R survival's `aml` example."""

import math

import pytest

from her2cr.stats.survival import kaplan_meier

# R survival::aml (Miller 1981, acute myelogenous leukaemia; weeks to relapse, status 1 = relapse)
AML_TIME = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161, 5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45]
AML_STATUS = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]
AML_GROUP = ["Maintained"] * 11 + ["Nonmaintained"] * 12

# summary(survfit(Surv(time, status) ~ x, data = aml)) in R (default conf.type = "log"):
# time n.risk n.event survival std.err lower 95% CI upper 95% CI
R_MAINTAINED = [
    (9, 11, 1, 0.909, 0.0867, 0.7541, 1.000),
    (13, 10, 1, 0.818, 0.1163, 0.6192, 1.000),
    (18, 8, 1, 0.716, 0.1397, 0.4884, 1.000),
    (23, 7, 1, 0.614, 0.1526, 0.3769, 0.999),
    (31, 5, 1, 0.491, 0.1642, 0.2549, 0.946),
    (34, 4, 1, 0.368, 0.1627, 0.1549, 0.875),
    (48, 2, 1, 0.184, 0.1535, 0.0359, 0.944),
]
R_NONMAINTAINED = [
    (5, 12, 2, 0.8333, 0.1076, 0.6470, 1.000),
    (8, 10, 2, 0.6667, 0.1361, 0.4468, 0.995),
    (12, 8, 1, 0.5833, 0.1423, 0.3616, 0.941),
    (23, 6, 1, 0.4861, 0.1481, 0.2675, 0.883),
    (27, 5, 1, 0.3889, 0.1470, 0.1854, 0.816),
    (30, 4, 1, 0.2917, 0.1387, 0.1148, 0.741),
    (33, 3, 1, 0.1944, 0.1219, 0.0569, 0.664),
    (43, 2, 1, 0.0972, 0.0919, 0.0153, 0.620),
]


@pytest.fixture(scope="module")
def aml():
    return kaplan_meier(AML_TIME, AML_STATUS, AML_GROUP, at_risk_times=[0, 20, 40])


@pytest.mark.parametrize("group, rows", [("Maintained", R_MAINTAINED),
                                         ("Nonmaintained", R_NONMAINTAINED)])
def test_km_table_matches_r_survfit(aml, group, rows):
    tab = aml.table[(aml.table["group"] == group) & (aml.table["n_event"] > 0)]
    for (time, n_risk, n_event, surv, se, lower, upper), (_, row) in zip(rows, tab.iterrows()):
        assert (row["time"], row["n_risk"], row["n_event"]) == (time, n_risk, n_event)
        digits = 4 if group == "Nonmaintained" else 3  # as printed by R
        assert round(row["survival"], digits) == surv
        assert round(row["std_err"], 4) == se
        assert round(row["ci_lower"], 4) == lower
        assert round(row["ci_upper"], 3) == upper


def test_median_matches_r_print_survfit(aml):
    # print(survfit(...)): Maintained n 11 events 7 median 31 0.95LCL 18 0.95UCL NA;
    #                      Nonmaintained n 12 events 11 median 23 0.95LCL 8 0.95UCL NA
    m = aml.medians.set_index("group")
    assert tuple(m.loc["Maintained", ["n", "events", "median", "ci_lower"]]) == (11, 7, 31, 18)
    assert tuple(m.loc["Nonmaintained", ["n", "events", "median", "ci_lower"]]) == (12, 11, 23, 8)
    assert m["ci_upper"].isna().all()


def test_logrank_matches_r_survdiff(aml):
    # survdiff(Surv(time, status) ~ x, data = aml): Chisq = 3.4 on 1 df, p = 0.0653
    assert aml.logrank_chi2 == pytest.approx(3.4, abs=0.05)
    assert aml.logrank_p == pytest.approx(0.0653, abs=5e-5)


def test_numbers_at_risk(aml):
    risk = aml.at_risk.set_index(["group", "time"])["n_risk"]
    assert risk[("Maintained", 0.0)] == 11 and risk[("Maintained", 20.0)] == 7
    assert risk[("Nonmaintained", 40.0)] == 2


def test_median_halfway_rule():
    # Events at 2, 4, 6, 8: S = 0.5 exactly from t = 4 until the next event at 6, and R's
    # quantile rule (survival:::quantile.survfit) reports the midpoint, 5.
    res = kaplan_meier([2, 4, 6, 8], [1, 1, 1, 1])
    assert res.medians["median"].iloc[0] == 5.0


def test_degenerate_inputs_do_not_raise():
    no_events = kaplan_meier([3, 5, 7], [0, 0, 0], ["a", "a", "b"], groups=["a", "b"])
    assert (no_events.table["survival"] == 1.0).all() and math.isnan(no_events.logrank_p)
    one_group = kaplan_meier([3, 5], [1, 0], ["a", "a"], groups=["a", "b"])
    assert math.isnan(one_group.logrank_p)
    assert any("no participants in group b" in n for n in one_group.notes)
    empty = kaplan_meier([], [], [], groups=["a", "b"], at_risk_times=[0])
    assert not empty.estimable and empty.table.empty and list(empty.at_risk["n_risk"]) == [0, 0]
    single = kaplan_meier([5.0], [1], ["a"])
    assert single.medians["median"].iloc[0] == 5.0


# PFS by baseline ctDNA status on the synthetic cut n = 20, seed 7 (issue 18's small cut): the
# only positive participant is censored at 134 days, before the only event (211 days). R 4.2.2,
# survival::survdiff(Surv(t, e) ~ g) on these data prints "Chisq= 0 on 0 degrees of freedom,
# p= 1": no event happens while both groups are at risk, so the test has no information.
# statsmodels' survdiff raised numpy.linalg.LinAlgError (Singular matrix) and stopped the run.
NO_SHARED_RISK_TIME = [19, 93, 99, 114, 116, 128, 134, 211, 278, 288, 308, 315, 334, 348, 541,
                       553, 554]
NO_SHARED_RISK_EVENT = [0] * 7 + [1] + [0] * 9
NO_SHARED_RISK_GROUP = ["negative"] * 6 + ["positive"] + ["negative"] * 10


def test_logrank_without_a_shared_risk_set_is_not_estimable():
    res = kaplan_meier(NO_SHARED_RISK_TIME, NO_SHARED_RISK_EVENT, NO_SHARED_RISK_GROUP,
                       groups=["negative", "positive"])
    assert math.isnan(res.logrank_chi2) and math.isnan(res.logrank_p)
    assert ("log-rank test not estimable: no event while both groups were at risk "
            "(the test has no information)") in res.notes
    # the curves themselves are still estimated: S(211) = 1 - 1/10 in the negative group
    neg = res.table[(res.table["group"] == "negative") & (res.table["n_event"] > 0)]
    assert list(neg["time"]) == [211.0] and neg["survival"].iloc[0] == pytest.approx(0.9)


def test_logrank_when_everyone_at_risk_together_has_the_event_is_not_estimable():
    # Both groups are at risk together only at t = 5 (b's other participant is censored at 3),
    # and both participants then at risk have the event: the hypergeometric variance
    # n1 n2 d (n - d) / (n^2 (n - 1)) is 0 (Collett, section 2.6). R 4.2.2's
    # survdiff(Surv(c(3, 5, 5), c(0, 1, 1)) ~ c("b", "a", "b")) stops with "system is exactly
    # singular".
    res = kaplan_meier([3, 5, 5], [0, 1, 1], ["b", "a", "b"], groups=["a", "b"])
    assert res.notes == ("log-rank test not estimable: no event while both groups were at risk "
                         "(the test has no information)",)
    assert math.isnan(res.logrank_p)
    # one survivor of the shared time gives the test information; R 4.2.2:
    # survdiff(Surv(c(5, 5, 6, 8), c(1, 1, 0, 1)) ~ c("a", "b", "b", "a")): Chisq = 0 on 1 df,
    # p = 1
    ok = kaplan_meier([5, 5, 6, 8], [1, 1, 0, 1], ["a", "b", "b", "a"], groups=["a", "b"])
    assert ok.notes == ()
    assert ok.logrank_chi2 == pytest.approx(0.0, abs=1e-12)
    assert ok.logrank_p == pytest.approx(1.0)
