"""Why a value written YYYY-MM-DD is still not a date the analysis can use.

The intake (EDC03) and the contract validator both refuse such values; a data manager told only
"not a valid date YYYY-MM-DD" about 2024-02-30 looks for a format problem that is not there. Both
say instead what is wrong: not a date of the calendar (February 2024 has 29 days), or a real date
outside the years the analysis can hold.
"""

from __future__ import annotations

import calendar
import datetime as dt

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")  # not calendar.month_name, which follows the locale
# The first and last whole days pandas' datetime64[ns] holds (pd.Timestamp.min and .max, checked
# by a test); a date outside them cannot be analysed, real as it may be.
FIRST_DATE, LAST_DATE = dt.date(1677, 9, 22), dt.date(2262, 4, 11)

NOT_IN_CALENDAR = "is written YYYY-MM-DD but is not a date in the calendar"
OUT_OF_RANGE = (f"is written YYYY-MM-DD but is outside the dates the analysis can hold "
                f"({FIRST_DATE.isoformat()} to {LAST_DATE.isoformat()})")


def calendar_problem(value: str) -> tuple[str, str]:
    """(kind, reason) for a value of the form YYYY-MM-DD: ("", "") for a date the analysis can
    hold, ("calendar", "February 2024 has 29 days") for one the calendar does not have, ("range",
    "before 1677-09-22, the first date the analysis can hold") for a real date it cannot hold."""
    year, month, day = (int(part) for part in value.strip().split("-"))
    if not 1 <= month <= 12:
        return "calendar", f"there is no month {month}"
    if day == 0:
        return "calendar", "there is no day 0"
    if year == 0:
        return "calendar", "there is no year 0"
    last = calendar.monthrange(year, month)[1]
    if day > last:
        return "calendar", f"{MONTHS[month - 1]} {year} has {last} days"
    date = dt.date(year, month, day)
    if date < FIRST_DATE:
        return "range", f"before {FIRST_DATE.isoformat()}, the first date the analysis can hold"
    if date > LAST_DATE:
        return "range", f"after {LAST_DATE.isoformat()}, the last date the analysis can hold"
    return "", ""


def calendar_rule(value: str) -> str:
    """The validator's rule for a value written YYYY-MM-DD that is not a usable date: one text per
    kind of problem (the listing counts issues by rule; the value itself is shown beside it)."""
    kind, _ = calendar_problem(value)
    return OUT_OF_RANGE if kind == "range" else NOT_IN_CALENDAR
