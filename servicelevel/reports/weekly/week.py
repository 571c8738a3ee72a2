"""Calendar weeks of the operation: parsing ``2026-W47``, the last complete one, when one is due."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from servicelevel.config import Targets
from servicelevel.timeutil import Window, local_day_bounds

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Week:
    """An ISO week of the operation: local Monday 00:00 to the next Monday 00:00."""

    monday: date

    @classmethod
    def parse(cls, text: str) -> Week:
        m = _WEEK.match(text.strip())
        if m is None:
            raise ValueError(f'"{text}" is not a week; expected e.g. 2026-W47')
        try:
            return cls(date.fromisocalendar(int(m[1]), int(m[2]), 1))
        except ValueError:
            raise ValueError(f'"{text}": {m[1]} has no week {int(m[2])}') from None

    @classmethod
    def containing(cls, day: date) -> Week:
        return cls(day - timedelta(days=day.weekday()))

    @classmethod
    def last_complete(cls, now: datetime, targets: Targets) -> Week:
        """The latest week that has ended in the operation's local time."""
        today = now.astimezone(targets.operation.tz).date()
        return cls.containing(today).previous()

    @property
    def label(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def end(self) -> date:
        """The Monday after (exclusive)."""
        return self.monday + timedelta(days=7)

    def previous(self, weeks: int = 1) -> Week:
        return Week(self.monday - timedelta(days=7 * weeks))

    def window(self, targets: Targets) -> Window:
        tz = targets.operation.tz
        start, end = local_day_bounds(self.monday, self.end, tz)
        return Window("week", start, end, tz)

    def due(self, targets: Targets, weekday: int, hour: int, minute: int) -> datetime:
        """When the summary of this week is due: that weekday and time of the next week."""
        day = self.end + timedelta(days=weekday)
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=targets.operation.tz)
        return local.astimezone(UTC)

    def describe(self) -> str:
        last = self.end - timedelta(days=1)
        if self.monday.month == last.month:
            span = f"{self.monday:%a %-d} – {last:%a %-d %b %Y}"
        elif self.monday.year != last.year:
            span = f"{self.monday:%a %-d %b %Y} – {last:%a %-d %b %Y}"
        else:
            span = f"{self.monday:%a %-d %b} – {last:%a %-d %b %Y}"
        return f"week {self.monday.isocalendar()[1]} ({span})"
