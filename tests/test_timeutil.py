"""Local windows of the operation (servicelevel.timeutil), checked on Europe/Paris.

Paris is UTC+1 in winter (CET) and UTC+2 in summer (CEST). In 2026 summer time starts on
Sunday 29 March at 02:00 local (01:00 UTC: clocks jump to 03:00) and ends on Sunday 25 October
at 03:00 local (01:00 UTC: clocks go back to 02:00, so 02:00-03:00 happens twice).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from servicelevel.timeutil import (
    as_utc,
    interval_start,
    local_day_bounds,
    window_containing,
    windows_between,
)

PARIS = ZoneInfo("Europe/Paris")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def paris(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=PARIS, fold=fold)


# --- days, including the two DST days ---------------------------------------------------


def test_an_ordinary_day_is_24_hours_from_local_midnight():
    day = window_containing("day", paris(2026, 11, 24, 14, 0), PARIS)
    # 2026-11-24 00:00 CET = 2026-11-23 23:00 UTC; next midnight 2026-11-24 23:00 UTC
    assert day.start == utc(2026, 11, 23, 23, 0)
    assert day.end == utc(2026, 11, 24, 23, 0)
    assert day.start_local.isoformat() == "2026-11-24T00:00:00+01:00"


def test_the_spring_forward_day_has_23_hours():
    day = window_containing("day", paris(2026, 3, 29, 12, 0), PARIS)
    # starts 00:00 CET = 2026-03-28 23:00 UTC, ends 2026-03-30 00:00 CEST = 2026-03-29 22:00 UTC
    assert day.start == utc(2026, 3, 28, 23, 0)
    assert day.end == utc(2026, 3, 29, 22, 0)
    assert day.end - day.start == timedelta(hours=23)
    assert len(list(day.intervals())) == 23 * 4  # 92 quarter hours


def test_the_fall_back_day_has_25_hours():
    day = window_containing("day", paris(2026, 10, 25, 12, 0), PARIS)
    # starts 00:00 CEST = 2026-10-24 22:00 UTC, ends 2026-10-26 00:00 CET = 2026-10-25 23:00 UTC
    assert day.start == utc(2026, 10, 24, 22, 0)
    assert day.end == utc(2026, 10, 25, 23, 0)
    assert day.end - day.start == timedelta(hours=25)
    assert len(list(day.intervals())) == 25 * 4  # 100 quarter hours
    assert day.end_local.isoformat() == "2026-10-26T00:00:00+01:00"


def test_local_midnight_not_utc_midnight_decides_the_day():
    # 2026-11-24 23:30 UTC is already 2026-11-25 00:30 in Paris
    day = window_containing("day", utc(2026, 11, 24, 23, 30), PARIS)
    assert day.start_local.date().isoformat() == "2026-11-25"


# --- hours, and the repeated hour of fall-back ------------------------------------------


def test_the_repeated_hour_of_fall_back_is_two_different_hour_windows():
    # 02:30 CEST = 00:30 UTC; an hour later the clock shows 02:30 again, now CET = 01:30 UTC
    first = window_containing("hour", utc(2026, 10, 25, 0, 30), PARIS)
    second = window_containing("hour", utc(2026, 10, 25, 1, 30), PARIS)
    assert (first.start, first.end) == (utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 1, 0))
    assert (second.start, second.end) == (utc(2026, 10, 25, 1, 0), utc(2026, 10, 25, 2, 0))
    assert first.start_local.isoformat() == "2026-10-25T02:00:00+02:00"
    assert second.start_local.isoformat() == "2026-10-25T02:00:00+01:00"


def test_a_wall_clock_time_in_the_second_pass_maps_to_the_second_window():
    # 02:15 with fold=1 is the second 02:15 (CET) = 01:15 UTC
    window = window_containing("hour", paris(2026, 10, 25, 2, 15, fold=1), PARIS)
    assert window.start == utc(2026, 10, 25, 1, 0)


def test_the_fall_back_day_has_25_hour_windows_and_the_spring_day_23():
    autumn = windows_between("hour", paris(2026, 10, 25, 0, 0), paris(2026, 10, 26, 0, 0), PARIS)
    spring = windows_between("hour", paris(2026, 3, 29, 0, 0), paris(2026, 3, 30, 0, 0), PARIS)
    assert len(autumn) == 25
    assert len(spring) == 23
    # Spring: 00, 01, then 03 (02:00-03:00 never happens on the clock)
    assert [w.start_local.hour for w in spring[:3]] == [0, 1, 3]
    # Autumn: 00, 01, 02 (CEST), 02 (CET), 03
    assert [w.start_local.hour for w in autumn[:5]] == [0, 1, 2, 2, 3]
    assert all(w.end - w.start == timedelta(hours=1) for w in autumn + spring)


# --- weeks start on Monday, local -------------------------------------------------------


def test_a_week_runs_from_monday_local_midnight_to_the_next_monday():
    # 2026-11-26 is a Thursday; its week starts Monday 2026-11-23 00:00 CET = 22 Nov 23:00 UTC
    week = window_containing("week", paris(2026, 11, 26, 9, 0), PARIS)
    assert week.start == utc(2026, 11, 22, 23, 0)
    assert week.end == utc(2026, 11, 29, 23, 0)
    assert week.start_local.strftime("%A") == "Monday"
    assert week.label() == "2026-W48"


def test_sunday_night_utc_can_already_be_the_next_local_week():
    # Sunday 2026-11-29 23:30 UTC = Monday 2026-11-30 00:30 CET: the next week
    week = window_containing("week", utc(2026, 11, 29, 23, 30), PARIS)
    assert week.start_local.isoformat() == "2026-11-30T00:00:00+01:00"


def test_the_week_holding_spring_forward_is_one_hour_short():
    # Monday 23 March to Monday 30 March 2026: 7 x 24 - 1 = 167 hours
    week = window_containing("week", paris(2026, 3, 25, 12, 0), PARIS)
    assert week.end - week.start == timedelta(hours=167)


# --- months -----------------------------------------------------------------------------


def test_a_month_starts_on_the_first_at_local_midnight():
    # 2026-02-28 23:30 UTC = 2026-03-01 00:30 CET: already March
    month = window_containing("month", utc(2026, 2, 28, 23, 30), PARIS)
    assert month.start == utc(2026, 2, 28, 23, 0)  # 1 March 00:00 CET
    assert month.end == utc(2026, 3, 31, 22, 0)  # 1 April 00:00 CEST
    # 31 days minus the hour lost on 29 March: 31 x 24 - 1 = 743 hours
    assert month.end - month.start == timedelta(hours=743)
    assert month.label() == "2026-03"


def test_december_rolls_over_into_january_of_the_next_year():
    month = window_containing("month", paris(2026, 12, 15, 12, 0), PARIS)
    assert month.end_local.isoformat() == "2027-01-01T00:00:00+01:00"
    assert month.end - month.start == timedelta(days=31)


def test_february_of_a_leap_year_has_29_days():
    month = window_containing("month", paris(2028, 2, 10, 12, 0), PARIS)
    assert month.end - month.start == timedelta(days=29)


# --- quarter hours ----------------------------------------------------------------------


def test_a_quarter_hour_window_floors_to_the_quarter():
    window = window_containing("15min", utc(2026, 11, 24, 10, 44, 59), PARIS)
    assert (window.start, window.end) == (utc(2026, 11, 24, 10, 30), utc(2026, 11, 24, 10, 45))
    assert interval_start(utc(2026, 11, 24, 10, 45)) == utc(2026, 11, 24, 10, 45)


# --- windows_between is half-open --------------------------------------------------------


def test_windows_between_takes_windows_starting_in_a_half_open_range():
    # [Mon 23 Nov 00:00, Wed 25 Nov 00:00): the days 23 and 24, not 25
    days = windows_between("day", paris(2026, 11, 23, 0, 0), paris(2026, 11, 25, 0, 0), PARIS)
    assert [d.start_local.day for d in days] == [23, 24]


def test_windows_between_skips_a_window_that_started_before_the_range():
    # Starting at noon on the 23rd: the day of the 23rd started before, so it is not listed
    days = windows_between("day", paris(2026, 11, 23, 12, 0), paris(2026, 11, 26, 0, 0), PARIS)
    assert [d.start_local.day for d in days] == [24, 25]


def test_windows_between_an_empty_range_is_empty():
    moment = paris(2026, 11, 23, 0, 0)
    assert windows_between("day", moment, moment, PARIS) == []


def test_local_day_bounds_cover_whole_local_days():
    start, end = local_day_bounds(
        paris(2026, 10, 25, 0, 0).date(), paris(2026, 10, 26, 0, 0).date(), PARIS
    )
    assert (start, end) == (utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 23, 0))


# --- refusing to guess ------------------------------------------------------------------


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="naive"):
        as_utc(datetime(2026, 11, 24, 12, 0))


def test_an_unknown_window_kind_is_refused():
    with pytest.raises(ValueError, match="unknown window"):
        window_containing("fortnight", utc(2026, 11, 24), PARIS)
