"""How numbers are written for readers: one rule for p-values and one for estimates everywhere.

The report, the notebooks, the change report and the ClinicalTrials.gov files all write a
p-value the same way, so a reviewer never sees 0.73 in one place and 0.725 in another; the
report's estimates table and its changes section write an estimate the same way too.
"""

from __future__ import annotations

import math

P_FLOOR = 0.001
P_SIG_DIGITS = 3


def p_text(p) -> str:
    """"<0.001" below 0.001, else 3 significant digits with trailing zeros ("0.0500", "1.00");
    "" when missing."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    f = float(p)
    if math.isnan(f):
        return ""
    if f < P_FLOOR:
        return "<0.001"
    return f"{f:#.{P_SIG_DIGITS}g}"


def p_phrase(p) -> str:
    """A p-value in a sentence: "p = 0.0123", "p < 0.001", or "p not estimable"."""
    t = p_text(p)
    if not t:
        return "p not estimable"
    return "p < 0.001" if t.startswith("<") else f"p = {t}"


# Estimates written as percentages (a proportion 0.182 is "18.2%").
PERCENT_PARAMETERS = ("proportion", "risk_difference")


def plain_number(x: float, sign: str = "") -> str:
    """3 significant digits, but whole numbers from 100 up (days, MTM/mL) without exponent:
    a median of 1234 days is "1234", never "1.23e+03". sign="+" writes the sign of a change."""
    return f"{x:{sign}.0f}" if abs(x) >= 100 else f"{x:{sign}.3g}"


def estimate_text(parameter: str, x, missing: str = "NA") -> str:
    """An estimate or a confidence limit: "18.2%" for proportions and differences of them,
    plain_number otherwise; `missing` when there is none."""
    try:
        f = float(x)
    except (TypeError, ValueError):  # None, pandas' NA
        return missing
    if math.isnan(f):
        return missing
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    if parameter in PERCENT_PARAMETERS:
        return f"{100 * f:.1f}%"
    return plain_number(f)


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """"1 participant", "2 participants" (or the plural given)."""
    return f"{n} {noun if n == 1 else (nouns or noun + 's')}"
