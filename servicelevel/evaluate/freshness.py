"""Is each source's data current? Judged by the time of its newest fact, not only of its last read.

Why data time: a source can be read without a hitch every minute and still hold nothing new, as
when a 2010 export is imported today, or an export job stopped writing. Reads alone then said
"ok" and the wallboard showed grey "No data" tiles with a fresh-looking time. So a source is:

* ``failing``: its last read failed (the error is on the Sources page);
* ``silent``: not read for ``stale_after`` (wall-clock time: a collector runs day and night);
* ``stale``: read, but its newest fact is older than ``stale_after`` of *open* time, counted
  in the operation's business hours, so a night or a closed Sunday never makes a source
  stale, while an export that stopped on Friday is stale ``stale_after`` into Monday;
* ``ok`` otherwise (also a source with no fact yet: there is no data to be old).

``stale_after`` is the source's ``[[source]]`` ``stale_after_minutes``, else the operation's.
A target is stale when no source of its kinds is current: see :meth:`Freshness.of_kinds`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicelevel.config import Targets
from servicelevel.store import queries
from servicelevel.store.schema import Complaint, Order, Return, Rollup, Source, Survey

# A column of each kind's table, to ask "is there any row at all?" (calls: their rollups).
_ANY_ROW: dict[str, Any] = {
    "calls": Rollup.queue,
    "orders": Order.id,
    "returns": Return.id,
    "complaints": Complaint.id,
    "surveys": Survey.id,
}


def open_time_between(
    targets: Targets, start: datetime, end: datetime, enough: timedelta
) -> timedelta:
    """Business-hours time between ``start`` and ``end``, counted up to ``enough`` at most.

    Day by day in the operation's zone (DST days included); stops once ``enough`` is reached, so
    a source silent since 2010 costs a day or two of counting, not sixteen years.
    """
    # In UTC: two times of the same zone subtract as wall-clock times (wrong across DST).
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return timedelta()
    hours = targets.business_hours
    if hours is None:
        return min(end - start, enough)
    tz = targets.operation.tz
    day, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    total = timedelta()
    while day <= last and total < enough:
        span = hours.hours(day)
        if span is not None and not hours.is_holiday(day):
            opens = datetime.combine(day, span[0], tzinfo=tz).astimezone(UTC)
            if span[1] == time.max:  # "24:00": open to the next local midnight
                closes = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
            else:
                closes = datetime.combine(day, span[1], tzinfo=tz)
            low, high = max(opens, start), min(closes.astimezone(UTC), end)
            if high > low:
                total += high - low
        day += timedelta(days=1)
    return min(total, enough)


@dataclass(frozen=True, slots=True)
class SourceFreshness:
    """One source, judged at ``now``."""

    name: str
    kind: str
    last_read: datetime | None
    newest_fact: datetime | None
    failing: bool
    stale_after: timedelta
    silent: bool  # not read for stale_after (or never)
    data_stale: bool  # its newest fact is older than stale_after of open time

    @property
    def state(self) -> str:
        """failing, stale (old data: says more than "silent" when both hold), silent or ok."""
        if self.failing:
            return "failing"
        if self.data_stale:
            return "stale"
        return "silent" if self.silent else "ok"

    @property
    def current(self) -> bool:
        """Its figures can be trusted as of now."""
        return not self.silent and not self.data_stale

    @property
    def stale_since(self) -> datetime | None:
        """Since when its figures have been out of date: the newest fact if the data is old,
        else the last read; None if it is current (or was never read at all)."""
        if self.data_stale:
            return self.newest_fact
        return self.last_read if self.silent else None


@dataclass(frozen=True, slots=True)
class KindsFreshness:
    """What the sources of one KPI's kinds say about its figures now."""

    sourced: bool  # some source of these kinds has been recorded
    has_data: bool  # some fact of these kinds is stored
    stale: bool  # sourced, and none of those sources is current
    since: datetime | None  # the newest "stale since" among them (None: never read)


@dataclass(frozen=True, slots=True)
class Freshness:
    """Every source judged at ``now``, which kinds of facts exist, and the known queues: what
    staleness and the reasons for "no data" are decided from. Read once per evaluation."""

    now: datetime
    sources: tuple[SourceFreshness, ...]
    kinds_with_data: frozenset[str]
    queues: frozenset[str]

    def of_kinds(self, kinds: Sequence[str]) -> KindsFreshness:
        """Stale when no source of ``kinds`` is current. A source that never stored a fact
        vouches for nothing while another one has facts (its silence says as little as theirs);
        if none has any, their reads decide. ``has_data`` needs ``presence`` (see
        :func:`read_freshness`)."""
        mine = [s for s in self.sources if s.kind in kinds]
        has_data = any(k in self.kinds_with_data for k in kinds)
        if not mine:
            return KindsFreshness(False, has_data, False, None)
        mine = [s for s in mine if s.newest_fact is not None] or mine
        stale = not any(s.current for s in mine)
        moments = [s.stale_since for s in mine if s.stale_since is not None]
        return KindsFreshness(True, has_data, stale, max(moments) if stale and moments else None)


def judge_sources(
    targets: Targets, rows: Iterable[Source], now: datetime
) -> tuple[SourceFreshness, ...]:
    out = []
    for row in rows:
        limit = targets.stale_after(row.name)
        silent = row.last_ok_at is None or now - row.last_ok_at > limit
        old = row.last_event_at is not None and (
            open_time_between(targets, row.last_event_at, now, limit + timedelta(seconds=1)) > limit
        )
        out.append(
            SourceFreshness(
                row.name, row.kind, row.last_ok_at, row.last_event_at,
                bool(row.last_error), limit, silent, old,
            )
        )  # fmt: skip
    return tuple(out)


def read_freshness(
    session: Session, targets: Targets, now: datetime, *, presence: bool = True
) -> Freshness:
    """The sources judged at ``now``, plus which kinds of facts and which queues exist
    (``presence=False`` skips those look-ups: staleness needs only the sources)."""
    sources = judge_sources(targets, queries.source_health(session), now)
    if not presence:
        return Freshness(now, sources, frozenset(), frozenset())
    kinds = frozenset(
        kind
        for kind, column in _ANY_ROW.items()
        if session.execute(select(column).limit(1)).first() is not None
    )
    queues = frozenset(queries.known_queues(session)) if "calls" in kinds else frozenset()
    return Freshness(now, sources, kinds, queues)
