"""Firth's penalised-likelihood logistic regression (Firth 1993; Heinze & Schemper 2002).

Not in statsmodels or scipy, so implemented here and tested against R's logistf on its `sex2`
example. It follows logistf's defaults:
- estimates maximise l*(b) = l(b) + 1/2 log det I(b), with I(b) = X'WX (Jeffreys prior penalty);
  Newton-Raphson on the Firth-modified score U*(b) = X'(y - pi + h (1/2 - pi)), h the hat values;
- confidence intervals from the profile penalised likelihood: {b_j : 2 [l*(b^) - max l*(b | b_j)]
  <= chi2(1, level)}, the penalty always computed from the full design matrix;
- p-values from the penalised likelihood ratio test of b_j = 0 (the same profile at 0).

Participants with the same covariates and outcome contribute identical terms, so a large design
with few distinct rows (100,000 participants, a handful of binary covariates) is fitted on its
distinct rows weighted by their counts: the log-likelihood, the information X'WX (and so the
penalty), and the modified score, in which every member of a row has the same hat value, are the
same sums. That is done from 1,000 participants when it at least halves the design
(GROUP_FROM, GROUP_SHRINK); smaller designs are fitted row by row as before, so their numbers do
not move in the last digit. Tested both ways on logistf's `sex2`, which is published as 36
distinct rows with counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

METHOD = "Firth penalised likelihood; profile penalised-likelihood interval; p: penalised LR test"
GROUP_FROM = 1000  # participants from which identical rows are fitted once, with their count
GROUP_SHRINK = 2  # ... if that makes the design at least this many times shorter
CONTINUATION = 20  # steps from b^_j to a profile point when the direct start is degenerate


@dataclass(frozen=True, eq=False)
class FirthResult:
    """Coefficients (log odds ratios) with profile-likelihood intervals and LR-test p-values."""

    names: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray  # Wald standard errors from the inverse information at the estimate
    ci_lower: np.ndarray
    ci_upper: np.ndarray
    chi2: np.ndarray  # penalised likelihood-ratio statistic for b_j = 0
    p_value: np.ndarray
    loglik: float  # maximised penalised log-likelihood
    n: int
    events: int
    ci_level: float
    converged: bool
    n_iter: int
    estimable: bool = True
    note: str = ""  # about the whole model
    term_notes: tuple[str, ...] = ()  # about one coefficient (a limit or test that failed)

    def term_note(self, j: int) -> str:
        """The model's note and coefficient j's own, as one text."""
        own = self.term_notes[j] if j < len(self.term_notes) else ""
        return "; ".join(filter(None, [self.note, own]))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({
            "term": list(self.names), "coef": self.coef, "se": self.se,
            "ci_lower": self.ci_lower, "ci_upper": self.ci_upper, "chi2": self.chi2,
            "p_value": self.p_value, "odds_ratio": np.exp(self.coef),
            "or_ci_lower": np.exp(self.ci_lower), "or_ci_upper": np.exp(self.ci_upper),
            "ci_level": self.ci_level, "n": self.n, "events": self.events,
            "estimable": self.estimable,
            "note": [self.term_note(j) for j in range(len(self.names))],
        })


def not_estimable(names, n: int, events: int, level: float, note: str) -> FirthResult:
    nan = np.full(len(names), np.nan)
    return FirthResult(tuple(names), nan, nan, nan, nan, nan, nan, math.nan, n, events, level,
                       False, 0, estimable=False, note=note)


def _penalised_loglik(X: np.ndarray, y: np.ndarray, m: np.ndarray, beta: np.ndarray) -> float:
    """y: events of each row; m: participants of each row (all 1 when not grouped)."""
    eta = X @ beta
    # log-likelihood written with log1p(exp) for stability at large |eta|
    loglik = float(np.sum(y * eta - m * np.logaddexp(0.0, eta)))
    pi = special.expit(eta)
    info = X.T @ (X * (m * pi * (1.0 - pi))[:, None])
    sign, logdet = np.linalg.slogdet(info)
    if sign <= 0:
        return -math.inf
    return loglik + 0.5 * logdet


def _score_and_info(X: np.ndarray, y: np.ndarray, m: np.ndarray, beta: np.ndarray):
    pi = special.expit(X @ beta)
    w = pi * (1.0 - pi)
    info = X.T @ (X * (m * w)[:, None])
    info_inv = np.linalg.inv(info)
    hat = w * np.einsum("ij,jk,ik->i", X, info_inv, X)  # of one participant of the row
    score = X.T @ (y - m * pi + m * hat * (0.5 - pi))
    return score, info


def _fit(X, y, m, beta0, free, max_iter=200, max_step=5.0, max_halvings=30, tol=1e-10,
         damping=1.0):
    """Maximise the penalised likelihood over the coefficients in `free`, others held fixed.

    Steps solve X'WX d = U* (the information, not the penalised Hessian, as logistf does). In a
    tiny design full steps can cycle for ever between two points either side of the maximum
    (both with the same penalised likelihood); if max_iter full steps do not converge, the fit
    goes on from there with half steps (damping 0.5), which land between them.
    """
    beta = beta0.astype(float).copy()
    ll = _penalised_loglik(X, y, m, beta)
    for it in range(1, max_iter + 1):
        score, info = _score_and_info(X, y, m, beta)
        step = np.linalg.solve(info[np.ix_(free, free)], score[free]) * damping
        biggest = np.max(np.abs(step)) if step.size else 0.0
        if biggest > max_step:  # logistf's maxstep: keeps early iterations from overshooting
            step *= max_step / biggest
        new = beta.copy()
        new[free] += step
        new_ll = _penalised_loglik(X, y, m, new)
        halvings = 0
        # Step-halving only on a real decrease: with many observations the sum's rounding error
        # exceeds 1e-12, and an absolute tolerance would halve every step near the optimum.
        slack = 1e-12 * max(1.0, abs(ll))
        while (not new_ll >= ll - slack) and halvings < max_halvings:
            step /= 2.0
            new = beta.copy()
            new[free] += step
            new_ll = _penalised_loglik(X, y, m, new)
            halvings += 1
        beta, ll = new, new_ll
        small_step = np.max(np.abs(step), initial=0.0) < tol
        if small_step and np.max(np.abs(score[free]), initial=0.0) < 1e-6:
            return beta, ll, it, True
    if damping == 1.0:
        beta, ll, more, converged = _fit(X, y, m, beta, free, max_iter, max_step, max_halvings,
                                         tol, damping=0.5)
        return beta, ll, max_iter + more, converged
    return beta, ll, max_iter, False


def _fit_fixed(X, y, m, beta_hat, j, b, known=(), found=None):
    """Maximise the penalised likelihood over the other coefficients with b_j held at b.

    On sparse data the penalised likelihood with b_j held can have more than one local maximum
    in the other coefficients, and a local one overstates the profile deviance (HER2 CR's
    synthetic n = 20, seed 7 cut, one positive participant: at log OR 5.63 of PR vs CR a fit
    started from b^ stops at l* = -5.787, one started from zero reaches -5.443; the upper limit
    was 279.7 where the profile crosses at 1759.5). Some maxima lie on a branch that grows in
    proportion to b_j (towards a separating direction), which neither start reaches. So the fit
    starts from b^, from zero, from the maxima already found at other values of b_j (`known`,
    following each branch), and from b^ and each of those scaled by b / (their b_j) (these only
    where events or non-events are few: SPARSE_EVENTS); b_j is
    held at b in every start, and the largest l* is kept (every converged one is appended to
    `found`, when given, for the next value of b_j). A start whose fitted probabilities
    are all 0 or 1 in floating point (a singular information: numpy LinAlgError) is skipped;
    if every start fails, b_j is walked from b^_j to b in CONTINUATION steps, each fit started
    from the last one's solution. Raises LinAlgError if that fails too.
    """
    free = [k for k in range(X.shape[1]) if k != j]
    starts = [beta_hat, np.zeros_like(beta_hat)]
    if min(y.sum(), (m - y).sum()) <= SPARSE_EVENTS:
        starts += [*known, *(s * (b / s[j]) for s in (beta_hat, *known) if abs(s[j]) > 1e-8)]
    best = None
    for start in starts:
        beta = np.asarray(start, dtype=float).copy()
        beta[j] = b
        if not np.all(np.isfinite(beta)):
            continue
        try:
            fit = _fit(X, y, m, beta, free)
        except np.linalg.LinAlgError:
            continue
        if found is not None and fit[3]:
            found.append(fit[0])
        if best is None or fit[1] > best[1]:
            best = fit
    if best is not None:
        return best
    beta = beta_hat.copy()
    for t in np.linspace(beta_hat[j], b, CONTINUATION + 1)[1:]:
        beta[j] = t
        beta, ll, n_iter, converged = _fit(X, y, m, beta, free)
    return beta, ll, n_iter, converged


# The branches and rays are followed only where the fewer of events and non-events is at most
# this many: a second maximum needs near-separation, which many of both rule out, and the extra
# starts made a profile of 20,000 participants six times slower.
SPARSE_EVENTS = 50
KNOWN_MAXIMA = 8  # the distinct constrained maxima a profile follows from one b_j to the next


def _profile_limit(X, y, m, beta_hat, ll_hat, j, crit, direction, se_j):
    """Root of 2 [l*(b^) - l*_j(b)] = crit on one side of b^_j; +-inf if the profile stays flat."""
    known: list[np.ndarray] = []

    def deviance_minus_crit(b):
        found: list[np.ndarray] = []
        _, ll_b, _, _ = _fit_fixed(X, y, m, beta_hat, j, b, tuple(known), found)
        others = np.arange(len(beta_hat)) != j
        for beta_b in found:
            if not any(np.allclose(beta_b[others], k[others], atol=1e-6) for k in known):
                known.append(beta_b)
        del known[:-KNOWN_MAXIMA]
        return 2.0 * (ll_hat - ll_b) - crit

    width = max(se_j, 0.1)
    far = beta_hat[j] + direction * 2.0 * width
    tries = 0
    while deviance_minus_crit(far) < 0.0:
        width *= 2.0
        far = beta_hat[j] + direction * 2.0 * width
        tries += 1
        if tries > 12 or abs(far - beta_hat[j]) > 100.0:
            return direction * math.inf
    a, b = sorted((beta_hat[j], far))
    return optimize.brentq(deviance_minus_crit, a, b, xtol=1e-10)


def grouped(X: np.ndarray, y: np.ndarray):
    """The distinct rows of X, the events and the participants of each (in the rows' sort order)."""
    rows, inverse, counts = np.unique(X, axis=0, return_inverse=True, return_counts=True)
    events = np.bincount(inverse.ravel(), weights=y, minlength=len(rows))
    return rows, events, counts.astype(float)


def firth_logit(y, X, names, level: float = 0.95, profile: bool = True,
                group: bool | None = None) -> FirthResult:
    """Fit a Firth logistic regression. X must include the intercept column if wanted.

    group: fit on the distinct rows of X with their counts (the same likelihood); None: when
    there are at least GROUP_FROM rows and GROUP_SHRINK times fewer distinct ones.

    Returns a not-estimable result (never raises) when the outcome does not vary or the design
    is rank deficient.
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    names = tuple(names)
    n, k = X.shape
    events = int(y.sum())
    if n == 0 or events == 0 or events == n:
        what = "no participants" if n == 0 else ("no events" if events == 0 else "no non-events")
        return not_estimable(names, n, events, level, f"not estimable: {what}")
    if n <= k or np.linalg.matrix_rank(X) < k:
        return not_estimable(names, n, events, level,
                             f"not estimable: {n} participants for {k} coefficients, or a "
                             "covariate does not vary")
    Xf, yf, m = X, y, np.ones(n)
    if group is not False and (group or n >= GROUP_FROM):
        rows, events_by_row, counts = grouped(X, y)
        if group or len(rows) * GROUP_SHRINK <= n:
            Xf, yf, m = rows, events_by_row, counts
    try:
        beta, ll, n_iter, converged = _fit(Xf, yf, m, np.zeros(k), list(range(k)))
        _, info = _score_and_info(Xf, yf, m, beta)
        se = np.sqrt(np.diag(np.linalg.inv(info)))
    except np.linalg.LinAlgError:
        return not_estimable(names, n, events, level, "not estimable: the information matrix is "
                             "singular (fitted probabilities of 0 or 1; too few participants)")
    crit = stats.chi2.ppf(level, 1)
    lower, upper, chi2 = (np.full(k, np.nan) for _ in range(3))
    term_notes = [[] for _ in range(k)]
    for j in range(k):
        if profile:
            for limits, direction, which in ((lower, -1.0, "lower"), (upper, +1.0, "upper")):
                try:
                    limits[j] = _profile_limit(Xf, yf, m, beta, ll, j, crit, direction, se[j])
                except np.linalg.LinAlgError:
                    term_notes[j].append(f"{which} limit not estimable (the profile penalised "
                                         "likelihood has a singular information matrix)")
        else:
            z = stats.norm.ppf(0.5 + level / 2.0)
            lower[j], upper[j] = beta[j] - z * se[j], beta[j] + z * se[j]
        try:
            _, ll0, _, _ = _fit_fixed(Xf, yf, m, beta, j, 0.0)
            chi2[j] = max(2.0 * (ll - ll0), 0.0)
        except np.linalg.LinAlgError:
            term_notes[j].append("p-value not estimable (the penalised likelihood at 0 has a "
                                 "singular information matrix)")
    note = "" if converged else "Newton-Raphson did not converge"
    return FirthResult(names, beta, se, lower, upper, chi2, stats.chi2.sf(chi2, 1), ll, n,
                       events, level, converged, n_iter, estimable=converged, note=note,
                       term_notes=tuple("; ".join(t) for t in term_notes))
