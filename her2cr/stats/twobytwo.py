"""Comparison of two independent proportions (a 2x2 table): differences, odds ratio, exact tests.

Group 1 is the comparison group (here: stopped), group 2 the reference (continuing); the
difference is p1 - p2 and the odds ratio is the odds of a positive result in group 1 over group 2.

Library calls: scipy.stats.fisher_exact (two-sided p as in R's fisher.test: tables with
probability <= that of the observed table, with a small relative tolerance),
scipy.stats.contingency.odds_ratio(kind="conditional") (conditional MLE and exact conditional
interval, Fisher 1935), scipy.stats.boschloo_exact (Boschloo 1970, unconditional test whose
statistic is Fisher's one-sided p; two-sided = twice the smaller one-sided p, as R's
Exact::exact.test with tsmethod="central").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from her2cr.settings import BOSCHLOO_MAX_TABLES
from her2cr.stats._result import NAN, Estimate, stack
from her2cr.stats.proportions import (
    MIETTINEN_NURMINEN,
    NEWCOMBE,
    ProportionResult,
    miettinen_nurminen_diff_ci,
    miettinen_nurminen_p_value,
    newcombe_diff_ci,
    proportion,
)

FISHER = "Fisher exact (two-sided)"
CONDITIONAL_OR = "conditional maximum likelihood; exact conditional interval"
BOSCHLOO = "Boschloo exact unconditional test (two-sided)"


@dataclass(frozen=True, eq=False)
class TwoByTwoComparison:
    """Group proportions and their comparison; each part is an `Estimate` row."""

    group1: ProportionResult
    group2: ProportionResult
    risk_difference: Estimate  # Newcombe interval, Fisher p-value
    odds_ratio: Estimate | None  # None when not asked for (full=False)
    risk_difference_mn: Estimate | None  # Miettinen-Nurminen interval and score-test p-value
    boschloo: Estimate | None  # difference with the Boschloo p-value (no interval)

    @property
    def estimable(self) -> bool:
        return self.risk_difference.estimable

    @property
    def notes(self) -> list[str]:
        parts = [self.group1, self.group2, self.risk_difference, self.odds_ratio]
        return [p.note for p in parts if p is not None and p.note]

    def rows(self) -> list[Estimate]:
        out = [self.group1, self.group2, self.risk_difference, self.odds_ratio,
               self.risk_difference_mn, self.boschloo]
        return [r for r in out if r is not None]

    def to_frame(self) -> pd.DataFrame:
        return stack(self.rows())


def _not_estimable(parameter: str, label: str, n: int, N: int, level: float, method: str,
                   note: str) -> Estimate:
    return Estimate(parameter=parameter, group=label, n=n, N=N, estimate=NAN, ci_level=level,
                    method=method, estimable=False, note=note)


def _odds_ratio(table: np.ndarray, label: str, level: float, p_value: float) -> Estimate:
    from scipy.stats.contingency import odds_ratio

    n, N = int(table[:, 0].sum()), int(table.sum())
    if table[:, 0].sum() == 0 or table[:, 1].sum() == 0:
        which = "positive" if table[:, 0].sum() == 0 else "negative"
        return _not_estimable("odds_ratio", label, n, N, level, CONDITIONAL_OR,
                              f"odds ratio not estimable: no {which} participants in either cohort")
    res = odds_ratio(table, kind="conditional")
    ci = res.confidence_interval(confidence_level=level)
    estimate, note = float(res.statistic), ""
    if math.isinf(estimate) or estimate == 0.0:
        # The conditional MLE sits on the boundary when a cell of the table is empty (e.g. every
        # participant of one cohort positive); one limit is still informative, so keep the row.
        bound = "lower" if math.isinf(estimate) else "upper"
        note = (f"odds ratio {'infinite' if math.isinf(estimate) else 'zero'} (an empty cell in "
                f"the 2x2 table); only the {bound} limit is informative")
    return Estimate(parameter="odds_ratio", group=label, n=n, N=N, estimate=estimate,
                    ci_lower=float(ci.low), ci_upper=float(ci.high), ci_level=level,
                    p_value=p_value, method=CONDITIONAL_OR + "; p: " + FISHER, note=note)




def _boschloo(table: np.ndarray, label: str, diff: float, n: int, N: int) -> Estimate:
    from scipy.stats import boschloo_exact

    note = ""
    n1, n2 = (int(v) for v in table.sum(axis=1))
    if n1 * n2 > BOSCHLOO_MAX_TABLES:
        return Estimate(parameter="risk_difference", group=label, n=n, N=N, estimate=diff,
                        p_value=NAN, method=BOSCHLOO + "; no interval", estimable=False,
                        note=(f"not computed: Boschloo's exact test is run up to n1 \u00d7 n2 = "
                              f"{BOSCHLOO_MAX_TABLES:,} ({n1} \u00d7 {n2} here); use Fisher's test"))
    if table[:, 0].sum() == 0 or table[:, 1].sum() == 0:
        # Every participant has the same result: the observed Fisher p is 1, so the Boschloo
        # p-value (sup over the nuisance parameter of P(Fisher p <= 1)) is exactly 1. scipy
        # returns nan here.
        p, note = 1.0, "all participants have the same result: p = 1 by definition"
    else:
        # scipy takes each group as a column of the table (its Notes: "each column stores the
        # binomial experiment"); this table has a group per row
        p = float(boschloo_exact(table.T, alternative="two-sided").pvalue)
        p = min(p, 1.0)
    return Estimate(parameter="risk_difference", group=label, n=n, N=N, estimate=diff,
                    p_value=p, method=BOSCHLOO + "; no interval", note=note)


def compare_proportions(
    x1: int, n1: int, x2: int, n2: int,
    names: tuple[str, str] = ("stopped", "continuing"),
    level: float = 0.95,
    boschloo: bool = False,
    full: bool = True,
) -> TwoByTwoComparison:
    """Compare x1/n1 (group names[0]) with x2/n2 (group names[1]).

    full=False gives the proportions and the Newcombe/Fisher difference only (no odds ratio, no
    Miettinen-Nurminen interval): the exact conditional odds-ratio interval costs seconds on
    large tables, and sensitivity and subgroup analyses report the difference alone.
    Never raises on degenerate counts: parts that cannot be estimated are NaN with a note.
    """
    x1, n1, x2, n2 = int(x1), int(n1), int(x2), int(n2)
    label = f"{names[0]} vs {names[1]}"
    g1 = proportion(x1, n1, names[0], level)
    g2 = proportion(x2, n2, names[1], level)
    n, N = x1 + x2, n1 + n2
    rd_method = NEWCOMBE + "; p: " + FISHER
    mn_method = MIETTINEN_NURMINEN + "; p: score test"
    if n1 == 0 or n2 == 0:
        empty = " and ".join(name for name, m in zip(names, (n1, n2)) if m == 0)
        note = f"not estimable: no evaluable participants in cohort {empty}"
        rd = _not_estimable("risk_difference", label, n, N, level, rd_method, note)
        return TwoByTwoComparison(
            group1=g1, group2=g2, risk_difference=rd,
            odds_ratio=_not_estimable("odds_ratio", label, n, N, level,
                                      CONDITIONAL_OR + "; p: " + FISHER, note) if full else None,
            risk_difference_mn=_not_estimable("risk_difference", label, n, N, level, mn_method,
                                              note) if full else None,
            boschloo=(_not_estimable("risk_difference", label, n, N, NAN,
                                     BOSCHLOO + "; no interval", note) if boschloo else None),
        )

    from scipy.stats import fisher_exact

    table = np.array([[x1, n1 - x1], [x2, n2 - x2]])
    diff = x1 / n1 - x2 / n2
    p_fisher = float(fisher_exact(table, alternative="two-sided").pvalue)
    lo, hi = newcombe_diff_ci(x1, n1, x2, n2, level)
    rd = Estimate(parameter="risk_difference", group=label, n=n, N=N, estimate=diff,
                  ci_lower=lo, ci_upper=hi, ci_level=level, p_value=p_fisher, method=rd_method)
    if not full:
        return TwoByTwoComparison(group1=g1, group2=g2, risk_difference=rd, odds_ratio=None,
                                  risk_difference_mn=None,
                                  boschloo=_boschloo(table, label, diff, n, N) if boschloo else None)
    mlo, mhi = miettinen_nurminen_diff_ci(x1, n1, x2, n2, level)
    mn = Estimate(parameter="risk_difference", group=label, n=n, N=N, estimate=diff,
                  ci_lower=mlo, ci_upper=mhi, ci_level=level,
                  p_value=miettinen_nurminen_p_value(x1, n1, x2, n2), method=mn_method)
    return TwoByTwoComparison(
        group1=g1, group2=g2, risk_difference=rd,
        odds_ratio=_odds_ratio(table, label, level, p_fisher),
        risk_difference_mn=mn,
        boschloo=_boschloo(table, label, diff, n, N) if boschloo else None,
    )
