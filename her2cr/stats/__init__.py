"""Statistical methods for the HER2 CR report, each tested against a published value.

Modules: `proportions` (Clopper-Pearson; Newcombe hybrid score, Miettinen-Nurminen and Mee
intervals for a difference), `twobytwo` (comparison of two proportions: difference, Fisher,
conditional odds ratio, Boschloo), `firth` (Firth logistic regression with profile penalised
likelihood intervals), `survival` (Kaplan-Meier, numbers at risk, log-rank).
"""

from her2cr.stats._result import Estimate, stack
from her2cr.stats.firth import FirthResult, firth_logit
from her2cr.stats.proportions import (
    ProportionResult,
    clopper_pearson,
    miettinen_nurminen_diff_ci,
    miettinen_nurminen_p_value,
    newcombe_diff_ci,
    proportion,
    score_diff_ci,
)
from her2cr.stats.survival import KMResult, kaplan_meier
from her2cr.stats.twobytwo import TwoByTwoComparison, compare_proportions

__all__ = [
    "Estimate", "FirthResult", "KMResult", "ProportionResult", "TwoByTwoComparison",
    "clopper_pearson", "compare_proportions", "firth_logit", "kaplan_meier",
    "miettinen_nurminen_diff_ci", "miettinen_nurminen_p_value", "newcombe_diff_ci",
    "proportion", "score_diff_ci", "stack",
]
