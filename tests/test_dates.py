"""Date services: calendar months clamp at month end; week deadlines move off weekends and holidays."""

from __future__ import annotations

from datetime import date

import pytest

from sps_rules.model.dates import add_period, is_working_day, next_weekday


@pytest.mark.parametrize(
    ("anchor", "months", "due"),
    [(date(2026, 5, 31), 3, date(2026, 8, 31)), (date(2026, 1, 31), 1, date(2026, 2, 28)),
     (date(2024, 1, 31), 1, date(2024, 2, 29)), (date(2026, 8, 31), 6, date(2027, 2, 28)),
     (date(2026, 3, 15), 12, date(2027, 3, 15))],
)
def test_calendar_months_clamp_at_month_end(anchor: date, months: int, due: date) -> None:
    assert add_period(anchor, months=months) == due


def test_four_weeks_is_28_days_not_counting_the_anchor() -> None:
    assert add_period(date(2026, 3, 2), weeks=4) == date(2026, 3, 30)


@pytest.mark.parametrize(
    ("day", "moved"),
    [
        (date(2026, 3, 28), date(2026, 3, 30)),  # Saturday -> Monday
        (date(2026, 3, 29), date(2026, 3, 30)),  # Sunday -> Monday
        (date(2026, 4, 2), date(2026, 4, 7)),  # Skærtorsdag, Langfredag, weekend, 2. påskedag
        (date(2026, 12, 25), date(2026, 12, 28)),  # Juledag, 2. juledag (Saturday), Sunday
        (date(2026, 5, 14), date(2026, 5, 15)),  # Kristi himmelfartsdag
        (date(2026, 6, 5), date(2026, 6, 5)),  # Grundlovsdag is not a helligdag
        (date(2026, 12, 24), date(2026, 12, 24)),  # Juleaftensdag is not a helligdag
        (date(2026, 3, 30), date(2026, 3, 30)),  # an ordinary Monday stays
    ],
)
def test_next_weekday(day: date, moved: date) -> None:
    assert next_weekday(day) == moved


def test_store_bededag_was_a_holiday_until_2023_only() -> None:
    assert not is_working_day(date(2023, 5, 5))
    assert is_working_day(date(2024, 4, 26))
