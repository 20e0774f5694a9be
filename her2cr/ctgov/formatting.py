"""Numbers as ClinicalTrials.gov text: counts, estimates, p-values, confidence levels.

ClinicalTrials.gov stores every value as text. Formatting happens once, in the builders, so that the
PRS XML and the API JSON carry identical strings; the rules are fixed here so that the same inputs
always give the same text.
"""

from __future__ import annotations

import math
from decimal import Decimal

from her2cr.formatting import plural  # noqa: F401  (the builders' counts in words)

# Significant digits of estimates, confidence limits and summary statistics. Four keeps a risk
# difference such as 0.2381 and an odds ratio such as 12.47 at a precision the report also shows.
SIG_DIGITS = 4
# p-values: three significant digits; below this threshold written as "<0.001".
P_SIG_DIGITS = 3
P_FLOOR = 0.001


def is_missing(x) -> bool:
    """True for None, NaN and pandas NA (not for infinities)."""
    if x is None:
        return True
    try:
        return bool(x != x)  # NaN and pd.NA (pd.NA != pd.NA is NA -> bool raises)
    except TypeError:
        return True


def is_finite_number(x) -> bool:
    return not is_missing(x) and math.isfinite(float(x))


def fmt_count(x) -> str:
    """A count of participants as an integer string; rejects fractions and negatives."""
    if is_missing(x):
        raise ValueError("a count of participants is missing")
    f = float(x)
    if f != int(f) or f < 0:
        raise ValueError(f"a count of participants must be a whole number >= 0, got {x!r}")
    return str(int(f))


def _plain(d: Decimal) -> str:
    """Decimal to plain notation (never 1e-05), without trailing zeros or a negative zero."""
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s in ("-0", ""):
        s = "0"
    return s


def fmt_number(x, sig: int = SIG_DIGITS) -> str:
    """A finite number rounded to `sig` significant digits, in plain decimal notation.

    Examples: 0.238095 -> "0.2381", 12.4667 -> "12.47", 58.0 -> "58", 1.2345e-05 -> "0.00001235".
    """
    if not is_finite_number(x):
        raise ValueError(f"not a finite number: {x!r}")
    f = float(x)
    if f == 0:
        return "0"
    return _plain(Decimal(f"{f:.{sig}g}"))


def fmt_p_value(p) -> str:
    """A p-value as text: "<0.001" below 0.001, else 3 significant digits ("0.0123", "1.00")."""
    if not is_finite_number(p):
        raise ValueError(f"not a p-value: {p!r}")
    f = float(p)
    if f < 0 or f > 1:
        raise ValueError(f"a p-value must lie in [0, 1], got {p!r}")
    from her2cr.formatting import p_text

    return p_text(f)  # one rule for the report and the posting files


def fmt_ci_pct(level) -> str:
    """Confidence level as a percentage string: 0.95 or 95 -> "95", 0.975 -> "97.5"."""
    if not is_finite_number(level):
        raise ValueError(f"confidence level missing: {level!r}")
    f = float(level)
    if 0 < f < 1:
        f *= 100
    if not 0 < f < 100:
        raise ValueError(f"confidence level out of range: {level!r}")
    return _plain(Decimal(repr(round(f, 6))))
