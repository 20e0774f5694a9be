"""How numbers are written for readers: one rule per kind of quantity, used everywhere.

The summary, the report's tables, its estimates table, the posting preview, the change report and
the co-investigators' sub-analysis tables all write a quantity of one kind the same way, so a
reviewer never sees 0.29 in one place and 0.293 in another:

| kind        | quantity                                   | rule                                   |
|-------------|--------------------------------------------|----------------------------------------|
| percent     | a proportion, shown as a percentage        | 100 x, 1 decimal: "22.7"               |
| pp          | a difference of proportions                | 100 x, 1 decimal, percentage points     |
| ratio       | odds ratios                                | 2 decimals: "0.29", "1.10"             |
| p           | p-values                                   | 3 significant digits, "<0.001" below   |
| months      | durations (stored in days)                 | days / DAYS_PER_MONTH, 1 decimal       |
| count       | counts of participants, draws, events      | whole number                           |
| measure     | other estimates (MTM/mL, test statistics)  | 3 significant digits, trailing zeros   |
|             |                                            | kept; whole numbers from 100 up        |
| summary     | a baseline characteristic's mean, SD,      | the characteristic's decimals (1       |
|             | median, quartiles                          | unless its table row says otherwise)   |
| bound       | its minimum and maximum                    | as summary; whole values whole ("38")  |
| smd         | standardised mean differences              | 2 decimals                             |

Negative numbers carry the minus sign U+2212 (MINUS) in every format the report is read in.
Missing values are "NE" (not estimable) and unbounded confidence limits "∞"; the notes of the
tables that can show them say so. The posting files keep ClinicalTrials.gov's own precision
(her2cr.ctgov.formatting), and the report's posting preview says where it differs.
"""

from __future__ import annotations

import math

from her2cr.settings import DAYS_PER_MONTH

MINUS = "\u2212"
NE = "NE"
INFINITY = "\u221e"
P_FLOOR = 0.001
P_SIG_DIGITS = 3

KINDS = ("percent", "pp", "ratio", "p", "months", "count", "measure", "summary", "bound", "smd")
# The kind of each parameter of results/estimates.csv (the logrank row's estimate is a
# chi-square statistic: a measure).
PARAMETER_KINDS = {"proportion": "percent", "risk_difference": "pp", "odds_ratio": "ratio",
                   "median": "measure", "median_days": "months", "logrank": "measure"}
# Estimates written as percentages (a proportion 0.182 is "18.2%"), kept for the change report.
PERCENT_PARAMETERS = ("proportion", "risk_difference")


def is_missing(x) -> bool:
    if x is None:
        return True
    try:
        f = float(x)
    except (TypeError, ValueError):  # pandas' NA, text
        return True
    return math.isnan(f)


def display_text(text) -> str:
    """Text quoted from an output (a posted value, a category label) as the report writes it: the
    minus sign U+2212 before a number, and \u2264 / \u2265 where the text spells "<=" and ">="."""
    import re

    if text is None:
        return ""
    text = str(text).replace("<=", "\u2264").replace(">=", "\u2265")
    return re.sub(r"(?<![\w.])-(?=\d)", MINUS, text)


def visit_label(visit) -> str:
    """A visit code as readers read it: "baseline" -> "Baseline", "month_3" -> "Month 3"."""
    text = display_text(visit)
    if text.startswith("month_") and text[6:].isdigit():
        return f"Month {int(text[6:])}"
    return text[:1].upper() + text[1:]


# How a text quoted from an output file is shown, by the kind of text (her2cr.trace.Quote).
QUOTE_RULES = {"quote": display_text, "visit": visit_label}


def with_minus(text: str) -> str:
    """A leading hyphen-minus of a number becomes the minus sign U+2212."""
    return MINUS + text[1:] if text.startswith("-") else text


def _sig(f: float, digits: int = 3) -> str:
    """`digits` significant digits with trailing zeros kept, never an exponent; whole numbers
    from 10**digits up: 0.2552 -> "0.255", 1.1 -> "1.10", 1234.4 -> "1234"."""
    if f == 0:
        return "0" if digits <= 1 else "0." + "0" * (digits - 1)
    if abs(f) >= 10 ** (digits - 1) - 0.5:
        return f"{f:.0f}"
    decimals = digits - 1 - math.floor(math.log10(abs(f)))
    text = f"{f:.{max(decimals, 0)}f}"
    # rounding up may add a digit (0.9996 -> "1.000"): write it again at its new magnitude
    if len(text.replace("-", "").replace(".", "").lstrip("0")) > digits and "." in text:
        text = f"{f:.{max(decimals - 1, 0)}f}"
    return text


def number(kind: str, x, missing: str = NE, digits: int = 1) -> str:
    """The one rule: x written as a quantity of `kind` (see the module's table), without its unit.
    digits: the decimals of "summary" and "bound" (a baseline characteristic's own).

    Infinite values are "∞" (with the minus sign when negative); missing ones `missing`."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of quantity {kind!r}; one of {', '.join(KINDS)}")
    if is_missing(x):
        return missing
    f = float(x)
    if math.isinf(f):
        return INFINITY if f > 0 else MINUS + INFINITY
    if kind == "p":
        return p_text(f)
    if kind == "count":
        if f != int(f):
            raise ValueError(f"a count must be a whole number, got {x!r}")
        text = str(int(f))
    elif kind in ("percent", "pp"):
        text = f"{100 * f:.1f}"
    elif kind in ("ratio", "smd"):
        text = f"{f:.2f}"
    elif kind == "summary" or (kind == "bound" and not f.is_integer()):
        text = f"{f:.{digits}f}"
    elif kind == "bound":
        text = f"{f:.0f}"
    elif kind == "months":
        text = f"{f / DAYS_PER_MONTH:.1f}"
    else:
        text = _sig(f)
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]  # no negative zero
    return with_minus(text)


UNITS = {"percent": "%", "pp": " percentage points", "months": " months"}


def with_unit(kind: str, x, missing: str = NE) -> str:
    """number() followed by its unit where it has one: "22.7%", "6.8 percentage points"."""
    text = number(kind, x, missing)
    return text if text == missing else text + UNITS.get(kind, "")


def count_of(n, big_n, percent: bool = True) -> str:
    """A count with its denominator: "5/22 (22.7%)"; "5/0" has no percentage."""
    text = f"{number('count', n)}/{number('count', big_n)}"
    if percent and not is_missing(big_n) and float(big_n) > 0:
        text += f" ({number('percent', float(n) / float(big_n))}%)"
    return text


def p_text(p) -> str:
    """"<0.001" below 0.001, else 3 significant digits with trailing zeros ("0.0500", "1.00");
    "" when missing."""
    if is_missing(p):
        return ""
    f = float(p)
    if f < P_FLOOR:
        return "<0.001"
    return f"{f:#.{P_SIG_DIGITS}g}"


def p_phrase(p) -> str:
    """A p-value in a sentence: "p = 0.0123", "p < 0.001", or "p not estimable"."""
    t = p_text(p)
    if not t:
        return "p not estimable"
    return "p < 0.001" if t.startswith("<") else f"p = {t}"


def plain_number(x: float, sign: str = "") -> str:
    """The measure rule (3 significant digits, whole numbers from 100 up); sign="+" writes the sign
    of a change. Negative numbers carry U+2212."""
    text = _sig(float(x))
    if sign == "+" and not text.startswith("-"):
        text = "+" + text
    return with_minus(text)


def estimate_text(parameter: str, x, missing: str = NE, unit: bool = False) -> str:
    """An estimate or a confidence limit of results/estimates.csv by its parameter's kind: "18.2%"
    for proportions; unit=True also names the unit of differences ("6.8 percentage points") and
    of medians of times ("9.6 months")."""
    kind = PARAMETER_KINDS.get(parameter, "measure")
    text = number(kind, x, missing)
    if text == missing or INFINITY in text:
        return text
    if kind == "percent":
        return text + "%"
    return text + UNITS.get(kind, "") if unit else text


def change_text(parameter: str, change) -> str:
    """A change between two cuts, signed, in the unit of its kind: proportions and differences
    in percentage points ("+2.0 percentage points"), medians of times in months."""
    kind = PARAMETER_KINDS.get(parameter, "measure")
    text = number("pp" if kind == "percent" else kind, change)
    if not text.startswith(MINUS) and text != NE:
        text = "+" + text
    return text + UNITS.get("pp" if kind == "percent" else kind, "")


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """"1 participant", "2 participants" (or the plural given)."""
    return f"{n} {noun if n == 1 else (nouns or noun + 's')}"
