"""How numbers are written for readers: one rule for p-values everywhere.

The report, the notebooks, the change report and the ClinicalTrials.gov files all write a
p-value the same way, so a reviewer never sees 0.73 in one place and 0.725 in another.
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
