"""Confidence intervals for one proportion and for the difference of two independent proportions.

- One proportion: Clopper-Pearson exact interval (Newcombe 1998a, method 5), from statsmodels.
- Difference p1 - p2: Newcombe's hybrid score interval (Newcombe 1998b, method 10), from
  statsmodels; the Miettinen-Nurminen score interval (method 6) and Mee's interval (method 5) are
  implemented here because statsmodels 0.14.6 `confint_proportions_2indep(method="score")` does not
  reproduce Newcombe's Table II (it gives 0.0526 to 0.3440 for 56/70 - 48/80 instead of
  0.0528 to 0.3382, and fails with a root-finding error on six of the eight examples).

References: Newcombe RG (1998a) Stat Med 17:857-872; Newcombe RG (1998b) Stat Med 17:873-890;
Miettinen O, Nurminen M (1985) Stat Med 4:213-226; Farrington CP, Manning G (1990) Stat Med
9:1447-1454 (closed form of the restricted maximum likelihood estimates).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import optimize, stats

from her2cr.stats._result import NAN, Estimate

CLOPPER_PEARSON = "Clopper-Pearson exact"
NEWCOMBE = "Newcombe hybrid score (method 10)"
MIETTINEN_NURMINEN = "Miettinen-Nurminen score"


@dataclass(frozen=True, kw_only=True)
class ProportionResult(Estimate):
    """n positive out of N, with an exact (Clopper-Pearson) interval."""

    parameter: str = "proportion"


def _check_counts(x: int, n: int) -> None:
    if n < 0 or x < 0 or x > n:
        raise ValueError(f"need 0 <= x <= n, got x={x}, n={n}")


def clopper_pearson(x: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact two-sided interval for a binomial proportion x/n (n >= 1)."""
    from statsmodels.stats.proportion import proportion_confint

    _check_counts(x, n)
    if n == 0:
        raise ValueError("n must be >= 1")
    lower, upper = proportion_confint(x, n, alpha=1 - level, method="beta")
    # statsmodels returns nan at the boundaries in some versions; the exact limits are 0 and 1.
    lower = 0.0 if x == 0 else float(lower)
    upper = 1.0 if x == n else float(upper)
    return lower, upper


def proportion(x: int, n: int, group: str = "", level: float = 0.95) -> ProportionResult:
    """Proportion x/n with its Clopper-Pearson interval; not estimable when n == 0."""
    x, n = int(x), int(n)
    _check_counts(x, n)
    if n == 0:
        where = f"cohort {group}" if group else "the group"
        return ProportionResult(
            group=group, n=0, N=0, estimate=NAN, ci_level=level, method=CLOPPER_PEARSON,
            estimable=False, note=f"not estimable: no evaluable participants in {where}",
        )
    lower, upper = clopper_pearson(x, n, level)
    return ProportionResult(
        group=group, n=x, N=n, estimate=x / n, ci_lower=lower, ci_upper=upper,
        ci_level=level, method=CLOPPER_PEARSON,
    )


def newcombe_diff_ci(
    x1: int, n1: int, x2: int, n2: int, level: float = 0.95
) -> tuple[float, float]:
    """Newcombe's hybrid score interval for x1/n1 - x2/n2 (both n >= 1)."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    _check_counts(x1, n1)
    _check_counts(x2, n2)
    if n1 == 0 or n2 == 0:
        raise ValueError("both groups need at least one observation")
    lower, upper = confint_proportions_2indep(
        x1, n1, x2, n2, method="newcomb", compare="diff", alpha=1 - level
    )
    return max(-1.0, float(lower)), min(1.0, float(upper))


def _restricted_mle(p1: float, n1: int, p2: float, n2: int, delta: float) -> tuple[float, float]:
    """Maximum likelihood estimates of (pi1, pi2) under pi1 - pi2 = delta.

    Closed-form root of the likelihood cubic (Miettinen & Nurminen 1985, appendix; Farrington &
    Manning 1990, eq. 5).
    """
    theta = n2 / n1
    a = 1.0 + theta
    b = -(1.0 + theta + p1 + theta * p2 + delta * (theta + 2.0))
    c = delta * delta + delta * (2.0 * p1 + theta + 1.0) + p1 + theta * p2
    d = -p1 * delta * (1.0 + delta)
    v = b**3 / (27.0 * a**3) - b * c / (6.0 * a * a) + d / (2.0 * a)
    u2 = b * b / (9.0 * a * a) - c / (3.0 * a)
    if u2 <= 0.0:
        # triple root of the cubic
        pi1 = -b / (3.0 * a)
    else:
        u = math.copysign(math.sqrt(u2), v) if v != 0 else math.sqrt(u2)
        ratio = max(-1.0, min(1.0, v / u**3))
        w = (math.pi + math.acos(ratio)) / 3.0
        pi1 = 2.0 * u * math.cos(w) - b / (3.0 * a)
    pi1 = min(1.0, max(0.0, pi1))
    pi2 = min(1.0, max(0.0, pi1 - delta))
    return pi1, pi2


def score_statistic(x1: int, n1: int, x2: int, n2: int, delta: float, mn: bool = True) -> float:
    """Score statistic for H0: pi1 - pi2 = delta.

    mn=True gives Miettinen-Nurminen (variance times N/(N-1)); mn=False gives Mee (1984).
    """
    p1, p2 = x1 / n1, x2 / n2
    diff = p1 - p2 - delta
    if diff == 0.0:
        return 0.0
    pi1, pi2 = _restricted_mle(p1, n1, p2, n2, delta)
    var = pi1 * (1.0 - pi1) / n1 + pi2 * (1.0 - pi2) / n2
    if mn:
        total = n1 + n2
        var *= total / (total - 1.0)
    if var <= 0.0:
        return math.copysign(math.inf, diff)
    return diff / math.sqrt(var)


def score_diff_ci(
    x1: int, n1: int, x2: int, n2: int, level: float = 0.95, mn: bool = True
) -> tuple[float, float]:
    """Score interval for x1/n1 - x2/n2 by inverting the score test (MN when mn=True, else Mee)."""
    _check_counts(x1, n1)
    _check_counts(x2, n2)
    if n1 == 0 or n2 == 0:
        raise ValueError("both groups need at least one observation")
    z = stats.norm.ppf(0.5 + level / 2.0)
    d = x1 / n1 - x2 / n2
    eps = 1e-12

    def f(delta: float, target: float) -> float:
        return score_statistic(x1, n1, x2, n2, delta, mn) - target

    # The statistic decreases in delta: it is +z at the lower limit and -z at the upper limit.
    lower = -1.0 if d <= -1.0 else optimize.brentq(f, -1.0 + eps, d, args=(z,), xtol=1e-14)
    upper = 1.0 if d >= 1.0 else optimize.brentq(f, d, 1.0 - eps, args=(-z,), xtol=1e-14)
    return float(lower), float(upper)


def miettinen_nurminen_diff_ci(
    x1: int, n1: int, x2: int, n2: int, level: float = 0.95
) -> tuple[float, float]:
    """Miettinen-Nurminen score interval for x1/n1 - x2/n2 (Newcombe 1998b, method 6)."""
    return score_diff_ci(x1, n1, x2, n2, level, mn=True)


def miettinen_nurminen_p_value(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided p-value of the Miettinen-Nurminen score test of no difference.

    This is the test the MN interval inverts, so p < 0.05 exactly when the 95% interval excludes 0.
    """
    stat = score_statistic(x1, n1, x2, n2, 0.0, mn=True)
    return float(2.0 * stats.norm.sf(abs(stat)))
