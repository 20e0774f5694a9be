"""Standardised mean differences (SMD) between two groups.

No library in the pinned environment computes them (statsmodels and scipy do not), so they are
written here and tested against published numbers (tests/test_smd.py).

- Continuous: d = (mean_a - mean_b) / sqrt((s_a^2 + s_b^2) / 2), sample variances (ddof = 1)
  (Austin 2009, Stat Med 28:3083; Yang & Dalton 2012, SAS Global Forum paper 335-2012).
- Categorical with k levels: the multivariate SMD of Yang & Dalton (2012),
  d = sqrt((p_a - p_b)' S^-1 (p_a - p_b)), p the vectors of the proportions of k - 1 levels (the
  first level is dropped: the proportions sum to one), S = (V_a + V_b) / 2 with V the multinomial
  covariance matrix (diagonal p_i (1 - p_i), off-diagonal -p_i p_j; the paper prints the
  off-diagonal without its minus sign, the R package tableone notes the erratum). With two levels
  it is |p_a - p_b| / sqrt((p_a (1 - p_a) + p_b (1 - p_b)) / 2).

Edge cases, chosen so that a table never crashes and never claims more than the data show:
NaN when a group has no usable value (or a continuous group has fewer than 2); 0 when both groups
have the same single level or the same constant value; inf when the groups do not overlap and
have no within-group variation (a difference divided by zero spread). S is inverted with the
Moore-Penrose pseudo-inverse (as tableone does with MASS::ginv) after dropping levels that are
empty in both groups.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# relative tolerance for "the difference lies in the span of S" (pseudo-inverse residual)
_SPAN_TOL = 1e-10


def smd_from_summary(mean_a: float, sd_a: float, mean_b: float, sd_b: float) -> float:
    """Signed SMD (a minus b) from group means and standard deviations."""
    diff = mean_a - mean_b
    pooled = math.sqrt((sd_a**2 + sd_b**2) / 2.0)
    if math.isnan(diff) or math.isnan(pooled):
        return math.nan
    if pooled == 0.0:
        return 0.0 if diff == 0.0 else math.copysign(math.inf, diff)
    return diff / pooled


def smd_continuous(a: Sequence[float], b: Sequence[float]) -> float:
    """Signed SMD (a minus b) of two samples; missing values are dropped."""
    xa = _clean(a)
    xb = _clean(b)
    if xa.size < 2 or xb.size < 2:
        return math.nan
    return smd_from_summary(xa.mean(), xa.std(ddof=1), xb.mean(), xb.std(ddof=1))


def smd_binary(p_a: float, p_b: float) -> float:
    """Signed SMD (a minus b) of two proportions."""
    return smd_from_summary(p_a, math.sqrt(p_a * (1 - p_a)), p_b, math.sqrt(p_b * (1 - p_b)))


def multinomial_cov(p: np.ndarray) -> np.ndarray:
    """Covariance matrix of one multinomial draw: diag p(1-p), off-diagonal -p_i p_j."""
    v = -np.outer(p, p)
    np.fill_diagonal(v, p * (1 - p))
    return v


def smd_categorical(counts_a: Sequence[float], counts_b: Sequence[float]) -> float:
    """Yang-Dalton multivariate SMD (>= 0) from the counts per level of two groups.

    `counts_a` and `counts_b` list the same levels in the same order.
    """
    a = np.asarray(counts_a, dtype=float)
    b = np.asarray(counts_b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("counts_a and counts_b must be 1-d and list the same levels")
    if a.sum() <= 0 or b.sum() <= 0:
        return math.nan
    keep = (a + b) > 0
    a, b = a[keep], b[keep]
    if a.size <= 1:
        return 0.0  # one level observed: both groups are 100% in it
    pa = (a / a.sum())[1:]
    pb = (b / b.sum())[1:]
    d = pa - pb
    s = (multinomial_cov(pa) + multinomial_cov(pb)) / 2.0
    s_inv = np.linalg.pinv(s)
    residual = d - s @ (s_inv @ d)
    if np.linalg.norm(residual) > _SPAN_TOL * max(1.0, np.linalg.norm(d)):
        return math.inf  # a difference where neither group varies: no overlap
    return float(math.sqrt(max(float(d @ s_inv @ d), 0.0)))


def _clean(x: Sequence[float]) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    return arr[~np.isnan(arr)]
