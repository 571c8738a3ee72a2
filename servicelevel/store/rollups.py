"""Rollup maths and upkeep: how one call adds to its 15-minute interval and its day, and rebuilds.

Why a "spec": which calls are short abandons and which thresholds are counted depend on the
targets file. The rollups record the spec they were built with (``store_meta``); when the targets
change it (a new threshold, another short-abandon limit), :func:`ensure_rollups` rebuilds them from
the raw calls, so a definition change applies to the past too (as Genesys does for its views).

Two levels are stored. ``rollups_15min`` (per queue and UTC quarter hour) serves intraday windows
and drill-down; ``rollups_day`` (per queue, *local* day and open-or-closed) holds the same sums
added up per day, so a year of day, week and month windows reads queues x days x 2 rows instead
of every quarter hour. The day level depends on the operation's calendar (time zone, business
hours, holidays: a :class:`DayCalendar`), recorded separately in ``store_meta``: both levels are
updated in the same transaction by :func:`apply_deltas`, and a calendar change rebuilds the day
level from the 15-minute rows (seconds), not from the raw calls.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Engine,
    MetaData,
    Table,
    delete,
    insert,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import Insert

from servicelevel.store import bulk
from servicelevel.store.schema import (
    Call,
    Meta,
    Rollup,
    RollupDay,
    RollupDayThreshold,
    RollupThreshold,
    UTCDateTime,
)
from servicelevel.timeutil import interval_start

if TYPE_CHECKING:
    from servicelevel.config import Targets

META_KEY = "rollup_spec"
DAY_META_KEY = "rollup_day_calendar"  # the migration r0120_rollups_day clears it too
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


@dataclass(frozen=True, slots=True)
class RollupSpec:
    """What the rollups count: the short-abandon limit and the service-level thresholds.

    ``calendar`` is what the day level needs (None: keep the calendar the store has). It is
    recorded apart from the rest because changing it only regroups the 15-minute rows.
    """

    short_abandon_s: float = 5.0
    thresholds: tuple[float, ...] = (20.0,)
    calendar: DayCalendar | None = None

    @classmethod
    def of(
        cls,
        short_abandon_s: float,
        thresholds: Iterable[float],
        calendar: DayCalendar | None = None,
    ) -> RollupSpec:
        return cls(float(short_abandon_s), tuple(sorted({float(t) for t in thresholds})), calendar)

    def counting(self) -> RollupSpec:
        """This spec without its calendar: what the 15-minute rows depend on."""
        return RollupSpec(self.short_abandon_s, self.thresholds)

    def signature(self) -> str:
        return json.dumps({"short_abandon_s": self.short_abandon_s, "thresholds": self.thresholds})


@dataclass(slots=True)
class IntervalDelta:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    unanswered_other: int = 0
    wait_sum_answered: float = 0.0
    max_wait: float | None = None
    answered_within: dict[float, int] = field(default_factory=dict)
    abandoned_within: dict[float, int] = field(default_factory=dict)


def add_call(
    deltas: dict[tuple[str, datetime], IntervalDelta],
    spec: RollupSpec,
    queue: str,
    entered_at: datetime,
    outcome: str,
    wait_s: float,
) -> None:
    """Add one resolved call to the delta of its (queue, interval of entry)."""
    key = (queue, interval_start(entered_at))
    delta = deltas.get(key)
    if delta is None:
        delta = deltas[key] = IntervalDelta()
    if outcome == "abandoned" and wait_s < spec.short_abandon_s:
        delta.short_abandoned += 1
        return
    delta.offered += 1
    if delta.max_wait is None or wait_s > delta.max_wait:
        delta.max_wait = wait_s
    if outcome == "answered":
        delta.answered += 1
        delta.wait_sum_answered += wait_s
        for threshold in spec.thresholds:
            if wait_s <= threshold:
                delta.answered_within[threshold] = delta.answered_within.get(threshold, 0) + 1
    elif outcome == "abandoned":
        delta.abandoned += 1
        for threshold in spec.thresholds:
            if wait_s <= threshold:
                delta.abandoned_within[threshold] = delta.abandoned_within.get(threshold, 0) + 1
    else:
        delta.unanswered_other += 1


def _insert_for_dialect(dialect: Dialect):  # type: ignore[no-untyped-def]
    return postgresql.insert if dialect.name == "postgresql" else sqlite.insert


ROLLUP_COLUMNS = (
    "queue", "interval_start", "offered", "answered", "abandoned", "short_abandoned",
    "unanswered_other", "wait_sum_answered", "max_wait",
)  # fmt: skip
THRESHOLD_COLUMNS = (
    "queue", "interval_start", "threshold_s", "answered_within", "abandoned_within",
)  # fmt: skip


DAY_COLUMNS = (
    "queue", "day", "open", "offered", "answered", "abandoned", "short_abandoned",
    "unanswered_other", "wait_sum_answered", "max_wait",
)  # fmt: skip
DAY_THRESHOLD_COLUMNS = (
    "queue", "day", "open", "threshold_s", "answered_within", "abandoned_within",
)  # fmt: skip


def _rollup_upsert(dialect: Dialect) -> Insert:
    return _sums_upsert(dialect, Rollup.__table__, ("queue", "interval_start"))


def _day_upsert(dialect: Dialect) -> Insert:
    return _sums_upsert(dialect, RollupDay.__table__, ("queue", "day", "open"))


def _sums_upsert(dialect: Dialect, table: Any, keys: tuple[str, ...]) -> Insert:
    stmt = _insert_for_dialect(dialect)(table)
    excluded = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys],
        set_={
            "offered": table.c.offered + excluded.offered,
            "answered": table.c.answered + excluded.answered,
            "abandoned": table.c.abandoned + excluded.abandoned,
            "short_abandoned": table.c.short_abandoned + excluded.short_abandoned,
            "unanswered_other": table.c.unanswered_other + excluded.unanswered_other,
            "wait_sum_answered": table.c.wait_sum_answered + excluded.wait_sum_answered,
            # CASE rather than max()/greatest(): one spelling for both databases.
            "max_wait": _case_max(table.c.max_wait, excluded.max_wait),
        },
    )


def _threshold_upsert(dialect: Dialect) -> Insert:
    return _within_upsert(
        dialect, RollupThreshold.__table__, ("queue", "interval_start", "threshold_s")
    )


def _day_threshold_upsert(dialect: Dialect) -> Insert:
    return _within_upsert(
        dialect, RollupDayThreshold.__table__, ("queue", "day", "open", "threshold_s")
    )


def _within_upsert(dialect: Dialect, ttable: Any, keys: tuple[str, ...]) -> Insert:
    tstmt = _insert_for_dialect(dialect)(ttable)
    return tstmt.on_conflict_do_update(
        index_elements=[ttable.c[k] for k in keys],
        set_={
            "answered_within": ttable.c.answered_within + tstmt.excluded.answered_within,
            "abandoned_within": ttable.c.abandoned_within + tstmt.excluded.abandoned_within,
        },
    )


def apply_deltas(
    session: Session, deltas: dict[tuple[str, datetime], IntervalDelta], spec: RollupSpec
) -> None:
    """Upsert interval deltas: counts add up, the longest wait keeps the larger value."""
    if not deltas:
        return
    ordered = sorted(deltas.items())
    rows = [
        (
            queue, start, d.offered, d.answered, d.abandoned, d.short_abandoned,
            d.unanswered_other, d.wait_sum_answered, d.max_wait,
        )
        for (queue, start), d in ordered
    ]  # fmt: skip
    bulk.execute_many(
        session, "rollups_15min:upsert", _rollup_upsert, Rollup.__table__, ROLLUP_COLUMNS, rows
    )
    threshold_rows = [
        (
            queue, start, threshold,
            d.answered_within.get(threshold, 0), d.abandoned_within.get(threshold, 0),
        )
        for (queue, start), d in ordered
        for threshold in spec.thresholds
        if d.answered_within.get(threshold) or d.abandoned_within.get(threshold)
    ]  # fmt: skip
    bulk.execute_many(
        session,
        "rollup_thresholds:upsert",
        _threshold_upsert,
        RollupThreshold.__table__,
        THRESHOLD_COLUMNS,
        threshold_rows,
    )
    calendar = stored_calendar(session)
    if calendar is not None:
        _apply_day_deltas(session, ordered, spec, calendar)


def _apply_day_deltas(
    session: Session,
    ordered: list[tuple[tuple[str, datetime], IntervalDelta]],
    spec: RollupSpec,
    calendar: DayCalendar,
) -> None:
    """Add the same deltas to their (queue, local day, open) rows, by the stored calendar.

    Why the stored calendar and not ``spec.calendar``: the day rows must stay consistent with the
    calendar they record; if the targets changed it, the next :func:`ensure_rollups` regroups
    them. A late call (imported days after it happened) lands in its own day like any other.
    """
    day_of = _day_mapper(calendar).day_of
    days: dict[tuple[str, date, bool], IntervalDelta] = {}
    for (queue, start), d in ordered:
        day, opened = day_of(start)
        key = (queue, day, opened)
        total = days.get(key)
        if total is None:
            days[key] = total = IntervalDelta(max_wait=None)
        total.offered += d.offered
        total.answered += d.answered
        total.abandoned += d.abandoned
        total.short_abandoned += d.short_abandoned
        total.unanswered_other += d.unanswered_other
        total.wait_sum_answered += d.wait_sum_answered
        if d.max_wait is not None and (total.max_wait is None or d.max_wait > total.max_wait):
            total.max_wait = d.max_wait
        for threshold, n in d.answered_within.items():
            total.answered_within[threshold] = total.answered_within.get(threshold, 0) + n
        for threshold, n in d.abandoned_within.items():
            total.abandoned_within[threshold] = total.abandoned_within.get(threshold, 0) + n
    rows = [
        (
            queue, day, opened, d.offered, d.answered, d.abandoned, d.short_abandoned,
            d.unanswered_other, d.wait_sum_answered, d.max_wait,
        )
        for (queue, day, opened), d in sorted(days.items())
    ]  # fmt: skip
    bulk.execute_many(
        session, "rollups_day:upsert", _day_upsert, RollupDay.__table__, DAY_COLUMNS, rows
    )
    threshold_rows = [
        (
            queue, day, opened, threshold,
            d.answered_within.get(threshold, 0), d.abandoned_within.get(threshold, 0),
        )
        for (queue, day, opened), d in sorted(days.items())
        for threshold in spec.thresholds
        if d.answered_within.get(threshold) or d.abandoned_within.get(threshold)
    ]  # fmt: skip
    bulk.execute_many(
        session,
        "rollup_day_thresholds:upsert",
        _day_threshold_upsert,
        RollupDayThreshold.__table__,
        DAY_THRESHOLD_COLUMNS,
        threshold_rows,
    )


def _case_max(current, incoming):  # type: ignore[no-untyped-def]
    from sqlalchemy import case

    return case(
        (current.is_(None), incoming),
        (incoming.is_(None), current),
        (incoming > current, incoming),
        else_=current,
    )


def stored_spec(session: Session) -> RollupSpec | None:
    raw = session.get(Meta, META_KEY)
    if raw is None:
        return None
    data = json.loads(raw.value)
    return RollupSpec(float(data["short_abandon_s"]), tuple(float(t) for t in data["thresholds"]))


def stored_calendar(session: Session) -> DayCalendar | None:
    """The calendar the day rows were built with; None when they are not built yet.

    A column read, not ``session.get``: a long-lived session must not use a cached value after
    another session rebuilt the day rows for another calendar.
    """
    raw = session.execute(select(Meta.value).where(Meta.key == DAY_META_KEY)).scalar()
    return None if raw is None else _calendar_of(raw)


@lru_cache(maxsize=8)
def _calendar_of(raw: str) -> DayCalendar:
    return DayCalendar.from_signature(raw)


def _record_calendar(session: Session, calendar: DayCalendar | None) -> None:
    # Core statements, not session.merge: the ORM identity map may hold an older row.
    session.execute(delete(Meta).where(Meta.key == DAY_META_KEY))
    if calendar is not None:
        session.execute(insert(Meta).values(key=DAY_META_KEY, value=calendar.signature()))


def rebuild_day_rollups(session: Session, calendar: DayCalendar) -> int:
    """Regroup the 15-minute rollups into day rows by ``calendar``; returns the intervals mapped.

    Why from the 15-minute rows: a calendar change (time zone, business hours, holidays) moves
    whole quarter hours between days or between open and closed, never a call within its quarter
    hour, so the raw calls need not be read again. The database does the adding up, joined to a
    temporary (quarter hour -> day, open) table of the distinct interval starts.
    """
    session.execute(delete(RollupDayThreshold))
    session.execute(delete(RollupDay))
    starts = session.execute(select(Rollup.interval_start).distinct()).scalars().all()
    day_of = _day_mapper(calendar).day_of
    mapping = Table(
        "sl_day_map",
        MetaData(),
        Column("interval_start", UTCDateTime(), primary_key=True),
        Column("day", Date(), nullable=False),
        Column("open", Boolean(), nullable=False),
        prefixes=["TEMPORARY"],
    )
    connection = session.connection()
    mapping.drop(connection, checkfirst=True)
    mapping.create(connection)
    try:
        rows = [(start, *day_of(start)) for start in starts]
        bulk.insert_rows(session, mapping, ("interval_start", "day", "open"), rows)
        sums = ", ".join(
            f"MAX(r.{c})" if c == "max_wait" else f"SUM(r.{c})" for c in DAY_COLUMNS[3:]
        )
        session.execute(
            text(
                f"INSERT INTO rollups_day ({', '.join(DAY_COLUMNS)}) "
                f"SELECT r.queue, m.day, m.open, {sums} FROM rollups_15min r "
                "JOIN sl_day_map m ON m.interval_start = r.interval_start "
                "GROUP BY r.queue, m.day, m.open"
            )
        )
        session.execute(
            text(
                f"INSERT INTO rollup_day_thresholds ({', '.join(DAY_THRESHOLD_COLUMNS)}) "
                "SELECT t.queue, m.day, m.open, t.threshold_s, SUM(t.answered_within), "
                "SUM(t.abandoned_within) FROM rollup_thresholds t "
                "JOIN sl_day_map m ON m.interval_start = t.interval_start "
                "GROUP BY t.queue, m.day, m.open, t.threshold_s"
            )
        )
    finally:
        mapping.drop(connection)
    _record_calendar(session, calendar)
    return len(rows)


def rebuild_rollups(session: Session, spec: RollupSpec, chunk: int = 50_000) -> int:
    """Recompute every rollup from the raw calls with ``spec``; returns the calls read.

    The day rows are then regrouped from the new 15-minute rows, by ``spec.calendar`` or else
    by the calendar the store had (if any).
    """
    calendar = spec.calendar or stored_calendar(session)
    session.execute(delete(RollupThreshold))
    session.execute(delete(Rollup))
    _record_calendar(session, None)  # the day rows are regrouped once at the end
    deltas: dict[tuple[str, datetime], IntervalDelta] = {}
    count = 0
    query = select(Call.queue, Call.entered_at, Call.outcome, Call.wait_s).execution_options(
        yield_per=chunk
    )
    for queue, entered_at, outcome, wait_s in session.execute(query):
        add_call(deltas, spec, queue, entered_at, outcome, wait_s)
        count += 1
    items = list(deltas.items())
    for start in range(0, len(items), chunk):
        apply_deltas(session, dict(items[start : start + chunk]), spec)
    session.merge(Meta(key=META_KEY, value=spec.signature()))
    if calendar is not None:
        rebuild_day_rollups(session, calendar)
    else:
        session.execute(delete(RollupDayThreshold))
        session.execute(delete(RollupDay))
    return count


def ensure_rollups(engine: Engine, spec: RollupSpec) -> bool:
    """Make the rollups match ``spec``, rebuilding them if the definition changed.

    Returns True when a rebuild from the raw calls happened (a new threshold or short-abandon
    limit). A change of ``spec.calendar`` only (or day rows not built yet, as after the migration
    that created them) regroups the 15-minute rows into day rows and returns False. A store with
    no calls simply records the spec.
    """
    with Session(engine) as session, session.begin():
        current = stored_spec(session)
        if current != spec.counting():
            rebuild_rollups(session, spec)
            return current is not None
        if spec.calendar is not None and stored_calendar(session) != spec.calendar:
            rebuild_day_rollups(session, spec.calendar)
        return False
