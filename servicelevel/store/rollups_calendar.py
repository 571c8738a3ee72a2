"""The operation's day calendar as the day rollups use it: local day and open-or-closed.

Why a module of its own: the day level (``rollups_day``) must group quarter hours exactly as
the evaluation does (:meth:`Targets.is_open`), and must be regrouped when the calendar changes,
so the calendar is a value with a signature recorded in ``store_meta`` next to the rollups.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from servicelevel.config import Targets

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True, slots=True)
class DayCalendar:
    """What decides a quarter hour's local day and whether the operation was open.

    Why its own value: the day level must use exactly the calendar the evaluation uses, and
    must be rebuilt when it changes; it is recorded in ``store_meta`` as :meth:`signature`.
    ``hours`` is None when open 24/7, else (open, close) in minutes after local midnight for
    Monday to Sunday (None: closed). ``holidays_version`` is the ``holidays`` package version,
    so an updated holiday list rebuilds the day level too.
    """

    timezone: str = "UTC"
    hours: tuple[tuple[int, int] | None, ...] | None = None
    holidays: str | None = None
    subdivision: str | None = None
    holidays_version: str = ""

    @classmethod
    def of(cls, targets: Targets) -> DayCalendar:
        """The calendar of a targets file, as :meth:`Targets.is_open` applies it."""
        timezone = targets.operation.timezone
        hours_section = targets.business_hours
        if hours_section is None:
            return cls(timezone)

        def minutes(moment: Any, closing: bool) -> int:
            if closing and moment.hour == 23 and moment.minute == 59:  # "24:00" is time.max
                return 24 * 60
            return int(moment.hour * 60 + moment.minute)

        hours = tuple(
            None
            if (pair := getattr(hours_section, day)) is None
            else (minutes(pair[0], False), minutes(pair[1], True))
            for day in WEEKDAYS
        )
        version = ""
        if hours_section.holidays is not None:
            import holidays as holidays_lib

            version = str(getattr(holidays_lib, "__version__", ""))
        return cls(timezone, hours, hours_section.holidays, hours_section.subdivision, version)

    def signature(self) -> str:
        return json.dumps(
            {
                "timezone": self.timezone,
                "hours": None if self.hours is None else [list(h) if h else None
                                                          for h in self.hours],
                "holidays": self.holidays,
                "subdivision": self.subdivision,
                "holidays_version": self.holidays_version,
            },
            sort_keys=True,
        )  # fmt: skip

    @classmethod
    def from_signature(cls, raw: str) -> DayCalendar:
        data = json.loads(raw)
        hours = data["hours"]
        return cls(
            data["timezone"],
            None if hours is None else tuple(tuple(h) if h else None for h in hours),
            data["holidays"],
            data["subdivision"],
            data["holidays_version"],
        )

    def day_of(self, start: datetime) -> tuple[date, bool]:
        """(local day, open) of the quarter hour starting at ``start`` (aware)."""
        return _day_mapper(self).day_of(start)


class _DayMapper:
    """:meth:`DayCalendar.day_of` with its look-ups cached: every queue shares an interval."""

    LIMIT = 400_000  # about ten years of quarter hours

    def __init__(self, calendar: DayCalendar) -> None:
        self.calendar = calendar
        self.tz = ZoneInfo(calendar.timezone)
        self.cache: dict[datetime, tuple[date, bool]] = {}
        self._holidays: Any = None
        self._lock = threading.Lock()

    def is_holiday(self, day: date) -> bool:
        if self.calendar.holidays is None:
            return False
        with self._lock:  # the holidays object fills in a year on first look-up
            if self._holidays is None:
                import holidays as holidays_lib

                self._holidays = holidays_lib.country_holidays(
                    self.calendar.holidays, subdiv=self.calendar.subdivision
                )
            return day in self._holidays

    def day_of(self, start: datetime) -> tuple[date, bool]:
        found = self.cache.get(start)
        if found is None:
            local = start.astimezone(self.tz)
            day = local.date()
            hours = self.calendar.hours
            if hours is None:
                opened = True
            else:
                pair = hours[day.weekday()]
                minute = local.hour * 60 + local.minute
                opened = (
                    pair is not None and pair[0] <= minute < pair[1] and not self.is_holiday(day)
                )
            if len(self.cache) >= self.LIMIT:
                self.cache.clear()
            found = self.cache[start] = (day, opened)
        return found


@lru_cache(maxsize=8)
def _day_mapper(calendar: DayCalendar) -> _DayMapper:
    return _DayMapper(calendar)
