"""Rollup maths: how one call adds to its 15-minute interval and its day, and the stored spec.

Why a "spec": which calls are short abandons and which thresholds are counted depend on the
targets file. The rollups record the spec they were built with (``store_meta``); when the targets
change it (a new threshold, another short-abandon limit), a rebuild job recomputes them from the
raw calls (:mod:`servicelevel.store.rollups_rebuild`), so a definition change applies to the past
too (as Genesys does for its views). Until it has run, readers keep the figures of the stored spec.

Two levels are stored. ``rollups_15min`` (per queue and UTC quarter hour) serves intraday windows
and drill-down; ``rollups_day`` (per queue, *local* day and open-or-closed) holds the same sums
added up per day, so a year of day, week and month windows reads queues x days x 2 rows instead
of every quarter hour. The day level depends on the operation's calendar (time zone, business
hours, holidays: a :class:`DayCalendar`), recorded separately in ``store_meta``: both levels are
updated in the same transaction by :func:`apply_deltas`, and a calendar change regroups the day
level from the 15-minute rows (seconds), not from the raw calls.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import Insert
from sqlalchemy.sql.elements import Case, ColumnElement

from servicelevel.store import bulk
from servicelevel.store.rollups_calendar import DayCalendar, _day_mapper
from servicelevel.store.schema import (
    Meta,
    Rollup,
    RollupDay,
    RollupDayThreshold,
    RollupThreshold,
)
from servicelevel.timeutil import interval_start

__all__ = [
    "DAY_META_KEY",
    "META_KEY",
    "DayCalendar",
    "IntervalDelta",
    "RollupSpec",
    "add_call",
    "apply_deltas",
    "stored_calendar",
    "stored_spec",
]

META_KEY = "rollup_spec"
DAY_META_KEY = "rollup_day_calendar"  # the migration r0120_rollups_day clears it too


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


def _insert_for_dialect(dialect: Dialect) -> Any:
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
    upsert: Insert = stmt.on_conflict_do_update(
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
    return upsert


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
    upsert: Insert = tstmt.on_conflict_do_update(
        index_elements=[ttable.c[k] for k in keys],
        set_={
            "answered_within": ttable.c.answered_within + tstmt.excluded.answered_within,
            "abandoned_within": ttable.c.abandoned_within + tstmt.excluded.abandoned_within,
        },
    )
    return upsert


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
    calendar they record; if the targets changed it, the next rebuild regroups them. A late
    call (imported days after it happened) lands in its own day like any other.
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


def _case_max(current: ColumnElement[Any], incoming: ColumnElement[Any]) -> Case[Any]:
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


def record_calendar(session: Session, calendar: DayCalendar | None) -> None:
    # Core statements, not session.merge: the ORM identity map may hold an older row.
    session.execute(delete(Meta).where(Meta.key == DAY_META_KEY))
    if calendar is not None:
        session.execute(insert(Meta).values(key=DAY_META_KEY, value=calendar.signature()))
