"""Optional p-values for the baseline table (off by default: the cohorts are not randomised).

- Continuous: Wilcoxon rank-sum (Mann-Whitney U), scipy.stats.mannwhitneyu, two-sided; the exact
  null distribution when a group has <= 8 values and there are no ties (scipy's own rule for
  'auto'), otherwise the normal approximation with tie and continuity correction. The method
  used is stated per row.
- Two levels: Fisher's exact test, scipy.stats.fisher_exact, two-sided.
- More than two levels (r x 2): the Fisher-Freeman-Halton exact test (Freeman & Halton 1951,
  Biometrika 38:141). scipy has no exact r x c test (only Monte Carlo), so it is computed here by
  enumerating every table with the observed margins: p = sum of the probabilities of the tables no
  more probable than the observed one (the same two-sided rule as scipy's 2 x 2 test and R's
  fisher.test, with R's relative tolerance 1e-7). With this study's size (<= 50 participants,
  <= 7 levels) that is at most a few hundred thousand tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.special import gammaln

WILCOXON_EXACT = "Wilcoxon rank-sum, exact"
WILCOXON_ASYMPTOTIC = "Wilcoxon rank-sum, normal approximation"
FISHER = "Fisher's exact"
FREEMAN_HALTON = "Fisher-Freeman-Halton exact"

# R's fisher.test treats tables within this relative distance of the observed probability as ties
_REL_TOL = 1e-7
_MAX_TABLES = 5_000_000


@dataclass(frozen=True)
class Comparison:
    p_value: float
    test: str


def wilcoxon_rank_sum(a: Sequence[float], b: Sequence[float]) -> Comparison:
    """Two-sided Wilcoxon rank-sum test; NaN when a group has no value."""
    xa = np.asarray(a, dtype=float)
    xb = np.asarray(b, dtype=float)
    xa, xb = xa[~np.isnan(xa)], xb[~np.isnan(xb)]
    if xa.size == 0 or xb.size == 0:
        return Comparison(math.nan, "")
    pooled = np.concatenate([xa, xb])
    ties = np.unique(pooled).size < pooled.size
    exact = min(xa.size, xb.size) <= 8 and not ties
    method = "exact" if exact else "asymptotic"
    res = stats.mannwhitneyu(xa, xb, alternative="two-sided", method=method, use_continuity=True)
    return Comparison(float(res.pvalue), WILCOXON_EXACT if exact else WILCOXON_ASYMPTOTIC)


def fisher_r_by_2(counts_a: Sequence[int], counts_b: Sequence[int]) -> Comparison:
    """Exact test of equal level distributions in two groups (counts per level, same order)."""
    a = np.asarray(counts_a, dtype=int)
    b = np.asarray(counts_b, dtype=int)
    keep = (a + b) > 0
    a, b = a[keep], b[keep]
    if a.sum() == 0 or b.sum() == 0 or a.size < 2:
        return Comparison(math.nan, "")
    if a.size == 2:
        res = stats.fisher_exact(np.column_stack([a, b]), alternative="two-sided")
        return Comparison(float(res.pvalue), FISHER)
    return Comparison(freeman_halton_p(a, b), FREEMAN_HALTON)


def freeman_halton_p(counts_a: Sequence[int], counts_b: Sequence[int]) -> float:
    """Exact two-sided p-value of the Freeman-Halton test for an r x 2 table."""
    a = np.asarray(counts_a, dtype=int)
    rows = a + np.asarray(counts_b, dtype=int)
    n_a = int(a.sum())
    # log P(x) = sum log C(rows_i, x_i) - log C(N, n_a)  (multivariate hypergeometric)
    log_norm = _log_choose(int(rows.sum()), n_a)
    log_obs = float(np.sum(_log_choose(rows, a))) - log_norm
    threshold = log_obs + math.log1p(_REL_TOL)
    total = 0.0
    count = 0
    for x in _tables(rows, n_a):
        count += 1
        if count > _MAX_TABLES:
            raise ValueError("table too large for exact enumeration")
        lp = float(np.sum(_log_choose(rows, x))) - log_norm
        if lp <= threshold:
            total += math.exp(lp)
    return min(total, 1.0)


def _log_choose(n, k):
    n, k = np.asarray(n), np.asarray(k)
    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


def _tables(rows: np.ndarray, n_a: int):
    """Every vector x with 0 <= x_i <= rows_i and sum(x) = n_a."""
    rows = [int(r) for r in rows]
    # the most the remaining rows can still take, to prune impossible branches
    tail = np.cumsum(rows[::-1])[::-1].tolist() + [0]

    def rec(i: int, left: int, prefix: list[int]):
        if i == len(rows) - 1:
            if left <= rows[i]:
                yield np.array(prefix + [left])
            return
        lo = max(0, left - tail[i + 1])
        hi = min(rows[i], left)
        for xi in range(lo, hi + 1):
            yield from rec(i + 1, left - xi, prefix + [xi])

    yield from rec(0, n_a, [])
