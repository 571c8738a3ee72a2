"""Time windows of the operation.

Why this module exists: every figure a supervisor is judged by belongs to a *local* day, week or
month of the operation, while the store keeps UTC. Converting in one place keeps DST days at 23 or
25 hours and stops "midnight" from drifting to UTC midnight (a classic wallboard bug).

Rollups are kept per 15-minute interval keyed by its UTC start. Every real time-zone offset is a
multiple of 15 minutes, so a local quarter-hour boundary is also a UTC quarter-hour boundary and a
window is always a whole number of intervals.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

INTERVAL_SECONDS = 900
INTERVAL = timedelta(seconds=INTERVAL_SECONDS)
WINDOW_NAMES = ("15min", "hour", "day", "week", "month")


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` as an aware UTC datetime; naive input is refused, not guessed."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} has no time zone")
    return moment.astimezone(UTC)


def interval_start(moment: datetime) -> datetime:
    """UTC start of the 15-minute interval holding ``moment`` (aware; on the ingest hot path).

    ``timestamp()`` of an aware datetime does not depend on its zone, so no conversion is needed.
    """
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} has no time zone")
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % INTERVAL_SECONDS, UTC)


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open window [start, end) of the operation, known in UTC and in local time."""

    kind: str
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC
    tz: ZoneInfo

    @property
    def start_local(self) -> datetime:
        return self.start.astimezone(self.tz)

    @property
    def end_local(self) -> datetime:
        return self.end.astimezone(self.tz)

    def label(self) -> str:
        """Short human label in local time, e.g. ``2026-W47`` or ``2026-11-24 14:15``."""
        local = self.start_local
        if self.kind == "month":
            return local.strftime("%Y-%m")
        if self.kind == "week":
            year, week, _ = local.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "day":
            return local.strftime("%a %Y-%m-%d")
        return local.strftime("%Y-%m-%d %H:%M")

    def intervals(self) -> Iterator[datetime]:
        """UTC starts of the 15-minute intervals inside the window."""
        moment = self.start
        while moment < self.end:
            yield moment
            moment += INTERVAL


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def _day_start(kind: str, day: date) -> date:
    if kind == "week":
        return day - timedelta(days=day.weekday())
    if kind == "month":
        return day.replace(day=1)
    return day


def _next_day_start(kind: str, first: date) -> date:
    if kind == "week":
        return first + timedelta(days=7)
    if kind == "month":
        return (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first + timedelta(days=1)


def window_containing(kind: str, moment: datetime, tz: ZoneInfo) -> Window:
    """The window of ``kind`` that holds ``moment`` (aware), in the operation's zone ``tz``."""
    utc = as_utc(moment)
    if kind == "15min":
        start = interval_start(utc)
        return Window(kind, start, start + INTERVAL, tz)
    if kind == "hour":
        # Floor on the local wall clock; astimezone() sets ``fold`` so the repeated hour of a
        # DST fall-back day maps back to the right UTC instant.
        local = utc.astimezone(tz).replace(minute=0, second=0, microsecond=0)
        start = local.astimezone(UTC)
        return Window(kind, start, start + timedelta(hours=1), tz)
    if kind not in ("day", "week", "month"):
        raise ValueError(f"unknown window {kind!r}; expected one of {', '.join(WINDOW_NAMES)}")
    first = _day_start(kind, utc.astimezone(tz).date())
    return Window(
        kind, _local_midnight(first, tz), _local_midnight(_next_day_start(kind, first), tz), tz
    )


def windows_between(kind: str, start: datetime, end: datetime, tz: ZoneInfo) -> list[Window]:
    """Every window of ``kind`` that starts in [start, end) (aware datetimes)."""
    windows: list[Window] = []
    window = window_containing(kind, start, tz)
    if window.start < as_utc(start):
        window = window_containing(kind, window.end, tz)
    end_utc = as_utc(end)
    while window.start < end_utc:
        windows.append(window)
        window = window_containing(kind, window.end, tz)
    return windows


def local_day_bounds(first: date, last_exclusive: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC instants of local midnight at ``first`` and at ``last_exclusive``."""
    return _local_midnight(first, tz), _local_midnight(last_exclusive, tz)
