"""Rollup maths and upkeep: how one call adds to its 15-minute interval, and rebuilds.

Why a "spec": which calls are short abandons and which thresholds are counted depend on the
targets file. The rollups record the spec they were built with (``store_meta``); when the targets
change it (a new threshold, another short-abandon limit), :func:`ensure_rollups` rebuilds them from
the raw calls, so a definition change applies to the past too (as Genesys does for its views).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import Insert

from servicelevel.store import bulk
from servicelevel.store.schema import Call, Meta, Rollup, RollupThreshold
from servicelevel.timeutil import interval_start

META_KEY = "rollup_spec"


@dataclass(frozen=True, slots=True)
class RollupSpec:
    """What the rollups count: the short-abandon limit and the service-level thresholds."""

    short_abandon_s: float = 5.0
    thresholds: tuple[float, ...] = (20.0,)

    @classmethod
    def of(cls, short_abandon_s: float, thresholds: Iterable[float]) -> RollupSpec:
        return cls(float(short_abandon_s), tuple(sorted({float(t) for t in thresholds})))

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


def _rollup_upsert(dialect: Dialect) -> Insert:
    table = Rollup.__table__
    stmt = _insert_for_dialect(dialect)(table)
    excluded = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=[table.c.queue, table.c.interval_start],
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
    ttable = RollupThreshold.__table__
    tstmt = _insert_for_dialect(dialect)(ttable)
    return tstmt.on_conflict_do_update(
        index_elements=[ttable.c.queue, ttable.c.interval_start, ttable.c.threshold_s],
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


def rebuild_rollups(session: Session, spec: RollupSpec, chunk: int = 50_000) -> int:
    """Recompute every rollup from the raw calls with ``spec``; returns the calls read."""
    session.execute(delete(RollupThreshold))
    session.execute(delete(Rollup))
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
    return count


def ensure_rollups(engine: Engine, spec: RollupSpec) -> bool:
    """Make the rollups match ``spec``, rebuilding them if the definition changed.

    Returns True when a rebuild happened. A store with no calls simply records the spec.
    """
    with Session(engine) as session, session.begin():
        current = stored_spec(session)
        if current == spec:
            return False
        rebuild_rollups(session, spec)
        return current is not None
