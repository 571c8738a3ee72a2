"""Read queries: everything the evaluation, dashboard and email need, and nothing else.

Why here: callers never build SQL; they ask for sums over a time range and get plain data back.
Call KPIs read only the 15-minute rollups, never the raw calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicelevel.store.schema import (
    Complaint,
    OpenCall,
    Order,
    Return,
    Rollup,
    RollupThreshold,
    Source,
    Survey,
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


def known_queues(session: Session) -> list[str]:
    return sorted(session.execute(select(Rollup.queue).distinct()).scalars())


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
    latest: dict[str, int] = {}
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
    for customer, resolved_at in resolved:
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
    for queue, count, oldest in rows:
        if isinstance(oldest, str):  # SQLite aggregate bypasses the column type
            oldest = Rollup.__table__.c.interval_start.type.process_result_value(oldest, None)
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
