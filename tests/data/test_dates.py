"""Why a value written YYYY-MM-DD is not a date (her2cr.data.dates): the reason the intake's EDC03
and the validator give, so that 2024-02-30 is not reported as a problem of form."""

import datetime as dt

import pandas as pd
import pytest

from her2cr.data.dates import FIRST_DATE, LAST_DATE, NOT_IN_CALENDAR, OUT_OF_RANGE, calendar_problem, calendar_rule


@pytest.mark.parametrize("value,kind,why", [
    ("2024-02-30", "calendar", "February 2024 has 29 days"),  # 2024 is a leap year
    ("2023-02-29", "calendar", "February 2023 has 28 days"),
    ("1900-02-29", "calendar", "February 1900 has 28 days"),  # divisible by 100, not by 400
    ("2000-02-29", "", ""),  # divisible by 400: a leap year
    ("2024-04-31", "calendar", "April 2024 has 30 days"),
    ("2024-13-01", "calendar", "there is no month 13"),
    ("2024-00-10", "calendar", "there is no month 0"),
    ("2024-04-00", "calendar", "there is no day 0"),
    ("0000-01-01", "calendar", "there is no year 0"),
    ("1500-01-01", "range", "before 1677-09-22, the first date the analysis can hold"),
    ("2300-01-01", "range", "after 2262-04-11, the last date the analysis can hold"),
    ("2024-12-31", "", ""),
])
def test_the_reason_a_date_written_yyyy_mm_dd_is_not_a_date(value, kind, why):
    assert calendar_problem(value) == (kind, why)
    assert calendar_rule(value) == {"calendar": NOT_IN_CALENDAR, "range": OUT_OF_RANGE}.get(kind, NOT_IN_CALENDAR)


def test_the_range_is_the_one_pandas_holds_and_every_other_date_parses():
    assert FIRST_DATE == pd.Timestamp.min.ceil("D").date()
    assert LAST_DATE == pd.Timestamp.max.floor("D").date()
    for day in (FIRST_DATE, LAST_DATE):
        assert calendar_problem(day.isoformat()) == ("", "")
        assert not pd.isna(pd.to_datetime(day.isoformat(), format="%Y-%m-%d"))
    for day in (FIRST_DATE - dt.timedelta(days=1), LAST_DATE + dt.timedelta(days=1)):
        assert calendar_problem(day.isoformat())[0] == "range"
        assert pd.isna(pd.to_datetime(day.isoformat(), format="%Y-%m-%d", errors="coerce"))
    # every day of a leap year and of a common year: no reason exactly where pandas parses
    for year in (2023, 2024):
        for month in range(1, 13):
            for day in range(0, 33):
                value = f"{year}-{month:02d}-{day:02d}"
                parsed = pd.to_datetime(value, format="%Y-%m-%d", errors="coerce")
                assert (calendar_problem(value) == ("", "")) == (not pd.isna(parsed)), value
