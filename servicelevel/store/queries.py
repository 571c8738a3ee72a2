"""Read queries: everything the evaluation, dashboard and email need, and nothing else.

Why here: callers never build SQL; they ask for sums over a time range and get plain data back.
Call KPIs read only the 15-minute rollups, never the raw calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import Table, and_, func, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.sql import FromClause
from sqlalchemy.types import NullType

from servicelevel.store.schema import (
    Complaint,
    OpenCall,
    Order,
    Return,
    Rollup,
    RollupDay,
    RollupDayThreshold,
    RollupThreshold,
    Source,
    Survey,
    UTCDateTime,
)

ROLLUP_COLUMNS = (
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "unanswered_other",
    "wait_sum_answered",
    "max_wait",
)


def call_rollups(
    session: Session, start: datetime, end: datetime, queues: Sequence[str] | None = None
) -> pd.DataFrame:
    """Rollup rows with ``start <= interval_start < end``, one row per (queue, interval).

    Threshold counts come as columns ``aw:<T>`` (answered within T) and ``bw:<T>`` (abandoned
    within T).
    """
    query = select(
        Rollup.queue, Rollup.interval_start, *(getattr(Rollup, c) for c in ROLLUP_COLUMNS)
    )
    query = query.where(Rollup.interval_start >= start, Rollup.interval_start < end)
    if queues:
        query = query.where(Rollup.queue.in_(list(queues)))
    rows = session.execute(query).all()
    frame = pd.DataFrame(rows, columns=["queue", "interval_start", *ROLLUP_COLUMNS])
    tquery = select(
        RollupThreshold.queue,
        RollupThreshold.interval_start,
        RollupThreshold.threshold_s,
        RollupThreshold.answered_within,
        RollupThreshold.abandoned_within,
    ).where(RollupThreshold.interval_start >= start, RollupThreshold.interval_start < end)
    if queues:
        tquery = tquery.where(RollupThreshold.queue.in_(list(queues)))
    trows = session.execute(tquery).all()
    if trows and not frame.empty:
        tframe = pd.DataFrame(trows, columns=["queue", "interval_start", "t", "aw", "bw"])
        wide = tframe.pivot_table(
            index=["queue", "interval_start"], columns="t", values=["aw", "bw"], aggfunc="sum"
        )
        wide.columns = [f"{kind}:{float(t)}" for kind, t in wide.columns]
        frame = frame.merge(wide.reset_index(), on=["queue", "interval_start"], how="left")
    for column in frame.columns:
        if column.startswith(("aw:", "bw:")):
            frame[column] = frame[column].fillna(0).astype("int64")
    return frame


def _with_thresholds(
    rows: Table, counts: Table, keys: Sequence[str], thresholds: Sequence[float]
) -> tuple[FromClause, list[Any]]:
    """``rows`` outer-joined to its threshold counts, one alias per threshold, and the labelled
    ``aw:<T>`` / ``bw:<T>`` columns: each threshold's counts land on their row in the database
    (primary-key look-ups), not in a pandas pivot."""
    joined: FromClause = rows
    columns: list[Any] = []
    for i, threshold in enumerate(thresholds):
        t = counts.alias(f"t{i}")
        on = and_(*(t.c[k] == rows.c[k] for k in keys), t.c.threshold_s == float(threshold))
        joined = joined.outerjoin(t, on)
        columns += [
            t.c.answered_within.label(f"aw:{float(threshold)}"),
            t.c.abandoned_within.label(f"bw:{float(threshold)}"),
        ]
    return joined, columns


def call_rollup_columns(
    session: Session, start: datetime, end: datetime, thresholds: Sequence[float]
) -> pd.DataFrame:
    """The same rows as :func:`call_rollups`, for evaluating many windows at once.

    Why a second reader: a year of a large centre is millions of rollup rows, and turning each
    value into a Python object (and pivoting the thresholds in pandas) cost more than the
    evaluation itself. Here the database joins each threshold's counts onto its interval
    (primary-key look-ups), and ``interval_start`` comes back as ``datetime64[ns, UTC]``,
    converted column-wise. Threshold columns (``aw:<T>``, ``bw:<T>``) are present only for the
    thresholds with counts in the range, as in :func:`call_rollups`.
    """
    r = Rollup.__table__
    joined, threshold_columns = _with_thresholds(
        r, RollupThreshold.__table__, ("queue", "interval_start"), thresholds
    )
    query = (
        select(
            r.c.queue,
            type_coerce(r.c.interval_start, NullType()).label("interval_start"),
            *(r.c[c] for c in ROLLUP_COLUMNS),
            *threshold_columns,
        )
        .select_from(joined)
        .where(r.c.interval_start >= start, r.c.interval_start < end)
    )
    result = session.execute(query)
    names = list(result.keys())
    rows = result.all()
    # Column by column: pandas inspecting each Row object costs more than the query.
    columns = zip(*rows, strict=True) if rows else ([] for _ in names)
    frame = pd.DataFrame(dict(zip(names, (list(c) for c in columns), strict=True)))
    if frame.empty:
        return call_rollups(session, start, end)  # the same empty shape
    # Stored naive UTC: text on SQLite, datetime on PostgreSQL.
    frame["interval_start"] = pd.to_datetime(frame["interval_start"]).dt.tz_localize(UTC)
    for column in [c for c in frame.columns if c.startswith(("aw:", "bw:"))]:
        if frame[column].isna().all():
            frame = frame.drop(columns=column)
        else:
            frame[column] = frame[column].fillna(0).astype("int64")
    return frame


def call_day_rows(
    session: Session, first: date, last_exclusive: date, thresholds: Sequence[float]
) -> pd.DataFrame:
    """Stored day rows (``rollups_day``) of the local days [first, last_exclusive).

    Why: day, week and month windows are unions of whole local days, and the day level holds
    their sums already (queues x days x 2 rows for a year, where the 15-minute level has a
    million). Columns: ``queue``, ``day`` (a ``datetime.date``), ``open`` (bool), the
    :data:`ROLLUP_COLUMNS`, and ``aw:<T>`` / ``bw:<T>`` for the thresholds with any row in the
    range (as :func:`call_rollup_columns`). The caller makes sure the day rows are built for its
    calendar (``rollups.ensure_rollups``).
    """
    d = RollupDay.__table__
    joined, threshold_columns = _with_thresholds(
        d, RollupDayThreshold.__table__, ("queue", "day", "open"), thresholds
    )
    query = (
        select(
            d.c.queue,
            type_coerce(d.c.day, NullType()).label("day"),
            type_coerce(d.c.open, NullType()).label("open"),
            *(d.c[c] for c in ROLLUP_COLUMNS),
            *threshold_columns,
        )
        .select_from(joined)
        .where(d.c.day >= first, d.c.day < last_exclusive)
    )
    result = session.execute(query)
    names = list(result.keys())
    rows = result.all()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    # Column by column into typed arrays (pandas inferring each object column cost more than
    # the query). Raw values: ISO text and 0/1 on SQLite, date and bool on PostgreSQL.
    data: dict[str, Any] = {}
    for name, values in zip(names, columns, strict=True):
        if name == "queue":
            data[name] = list(values)
        elif name == "day":
            if values and isinstance(values[0], str):
                parsed = {v: date.fromisoformat(v) for v in set(values)}
                data[name] = [parsed[v] for v in values]
            else:
                data[name] = list(values)
        elif name == "open":
            data[name] = np.array(values, dtype=bool)
        elif name in ("wait_sum_answered", "max_wait"):
            data[name] = np.array(values, dtype=np.float64)  # None (no wait) -> NaN
        elif name.startswith(("aw:", "bw:")):
            counts = np.array(values, dtype=np.float64)  # None: no threshold row
            if rows and not np.isnan(counts).all():
                data[name] = np.nan_to_num(counts).astype(np.int64)
        else:
            data[name] = np.array(values, dtype=np.int64)
    return pd.DataFrame(data)


def known_queues(session: Session) -> list[str]:
    """Every queue with a rollup. The day level, when built, has the same queues in far fewer
    rows (a distinct over a year of quarter hours costs more than a year of day figures)."""
    found = session.execute(select(RollupDay.queue).distinct()).scalars().all()
    if not found:
        found = session.execute(select(Rollup.queue).distinct()).scalars().all()
    return sorted(found)


def units_sold(session: Session, start: datetime, end: datetime) -> int:
    query = select(func.coalesce(func.sum(Order.units), 0)).where(
        Order.ordered_at >= start, Order.ordered_at < end
    )
    return int(session.execute(query).scalar_one())


def units_returned(session: Session, start: datetime, end: datetime) -> int:
    query = select(func.coalesce(func.sum(Return.units), 0)).where(
        Return.returned_at >= start, Return.returned_at < end
    )
    return int(session.execute(query).scalar_one())


def survey_counts(session: Session, start: datetime, end: datetime) -> tuple[int, int]:
    """(satisfied, respondents): complainants' latest answer in the window, 4-5 = satisfied."""
    query = (
        select(Survey.complaint_key, Survey.score, Survey.answered_at, Survey.id)
        .where(Survey.answered_at >= start, Survey.answered_at < end)
        .where(Survey.complaint_key.is_not(None))
        .order_by(Survey.answered_at, Survey.id)
    )
    latest: dict[str | None, int] = {}  # keys are never None (filtered above)
    for key, score, _at, _id in session.execute(query):
        latest[key] = score
    return sum(1 for s in latest.values() if s >= 4), len(latest)


def repurchase_counts(
    session: Session, start: datetime, end: datetime, days: int = 90
) -> tuple[int, int]:
    """(repurchasers, complainants resolved in the window) by pseudonymous customer key."""
    resolved = session.execute(
        select(Complaint.customer_hash, func.min(Complaint.resolved_at))
        .where(Complaint.resolved_at >= start, Complaint.resolved_at < end)
        .where(Complaint.customer_hash.is_not(None))
        .group_by(Complaint.customer_hash)
    ).all()
    if not resolved:
        return 0, 0
    buyers = 0
    horizon = timedelta(days=days)
    for customer, first_resolved in resolved:
        # The minimum over rows with resolved_at >= start: never None.
        resolved_at = cast(datetime, first_resolved)
        hit = session.execute(
            select(Order.id)
            .where(Order.customer_hash == customer)
            .where(Order.ordered_at > resolved_at, Order.ordered_at <= resolved_at + horizon)
            .limit(1)
        ).first()
        buyers += hit is not None
    return buyers, len(resolved)


@dataclass(frozen=True, slots=True)
class Waiting:
    queue: str
    calls: int
    oldest_entered_at: datetime | None


def waiting_now(session: Session) -> list[Waiting]:
    query = select(OpenCall.queue, func.count(), func.min(OpenCall.entered_at)).group_by(
        OpenCall.queue
    )
    rows = session.execute(query).all()
    out = []
    for queue, count, raw in rows:
        oldest: datetime | str | None = raw
        if isinstance(oldest, str):  # SQLite aggregate bypasses the column type
            column_type = cast(UTCDateTime, Rollup.__table__.c.interval_start.type)
            oldest = column_type.process_result_value(oldest, None)
        out.append(Waiting(queue, int(count), oldest))
    return sorted(out, key=lambda w: w.queue)


def source_health(session: Session) -> list[Source]:
    return list(session.execute(select(Source).order_by(Source.name)).scalars())


def last_ok(session: Session, kinds: Sequence[str]) -> datetime | bool | None:
    """Newest successful read among sources of ``kinds``; False when no such source exists."""
    rows = (
        session.execute(select(Source.last_ok_at).where(Source.kind.in_(list(kinds))))
        .scalars()
        .all()
    )
    if not rows:
        return False
    seen = [r for r in rows if r is not None]
    return max(seen) if seen else None
