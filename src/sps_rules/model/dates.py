"""Date services that rule files call by name. Pure functions: no clock is read here.

- Months are calendar months, clamped at month end: 2026-05-31 + 3 months = 2026-08-31.
- Weeks are 7 days; the anchor day itself is not counted (4 weeks from 2026-03-02 is 2026-03-30).
- ``next_weekday``: a date on a Saturday, Sunday or Danish public holiday moves to the next day
  that is none of these. Public holidays are the official Danish helligdage from the ``holidays``
  package (Store Bededag until 2023; not Grundlovsdag, juleaftensdag or nytårsaftensdag).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from dateutil.relativedelta import relativedelta


def add_period(anchor: date, *, years: int = 0, months: int = 0, weeks: int = 0, days: int = 0) -> date:
    """anchor + the period; calendar months clamp at month end."""
    return anchor + relativedelta(years=years, months=months, weeks=weeks, days=days)


@lru_cache(maxsize=512)
def danish_holidays(year: int) -> dict[date, str]:
    """The official Danish public holidays (helligdage) of a year, with their Danish names."""
    import holidays  # imported on first use: it takes longer to import than the rest of a decision

    return dict(holidays.country_holidays("DK", years=year, language="da"))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in danish_holidays(day.year)


def next_weekday(day: date) -> date:
    """The day itself if it is a working day, else the next working day."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def describe_day(day: date) -> str:
    """Why a day is not a working day, in Danish ('' if it is one)."""
    name = danish_holidays(day.year).get(day)
    if name:
        return f"helligdag ({name})"
    if day.weekday() == 5:
        return "lørdag"
    if day.weekday() == 6:
        return "søndag"
    return ""
