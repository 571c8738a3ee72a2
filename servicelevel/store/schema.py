"""Tables of the store (SQLAlchemy 2 declarative); Alembic migrations mirror this module.

Why these tables: raw facts (``calls``, ``orders``...) stay for drill-down and for re-computing
rollups after a definition changes; ``rollups_15min`` and ``rollup_thresholds`` are what KPI
evaluation reads, so a window never rescans raw rows. Natural keys (unique constraints) make every
import idempotent. Times are stored as naive UTC (``UTCDateTime``) on every database so SQLite and
PostgreSQL hold identical values.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Id = BigInteger().with_variant(Integer, "sqlite")
# A text column that identifies something (a call, a queue, a fact, or the fact it refers to):
# a value too long for it is refused, never cut, since cutting could make two values one
# (servicelevel.store.bounds). Other text is cut to its column's size.
KEY: dict[str, object] = {"too_long": "refuse"}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored naive in UTC.

    Naive input is refused: a time without a zone is a bug waiting for the next DST change.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(
        self, value: datetime | str | None, dialect: object
    ) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw SQL on SQLite
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    # Every model maps one Table (none is mapped to a select): say so, for the type checker.
    __table__: ClassVar[Table]


class Call(Base):
    """One resolved call: one ENTERQUEUE per (callid, queue), with its outcome."""

    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("callid", "queue", "entered_at"),
        Index("ix_calls_queue_entered", "queue", "entered_at"),
        Index("ix_calls_entered", "entered_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(200))
    callid: Mapped[str] = mapped_column(String(80), info=KEY)
    queue: Mapped[str] = mapped_column(String(80), info=KEY)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # answered | abandoned | timeout | exitkey | exitempty
    outcome: Mapped[str] = mapped_column(String(16))
    wait_s: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    talk_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    agent: Mapped[str | None] = mapped_column(String(120), nullable=True)
    caller_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ring_no_answer: Mapped[int] = mapped_column(Integer, default=0)


class OpenCall(Base):
    """A call still waiting in queue; the wallboard's "calls waiting" and "oldest wait"."""

    __tablename__ = "open_calls"
    __table_args__ = (UniqueConstraint("callid", "queue", "entered_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(200), index=True)
    callid: Mapped[str] = mapped_column(String(80), info=KEY)
    queue: Mapped[str] = mapped_column(String(80), info=KEY)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    caller_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ring_no_answer: Mapped[int] = mapped_column(Integer, default=0)


class Rollup(Base):
    """Counts per queue x 15-minute interval of entry (UTC start)."""

    __tablename__ = "rollups_15min"
    # The primary key leads with the queue; windows ask for a time range over all queues.
    __table_args__ = (Index("ix_rollups_15min_interval_start", "interval_start"),)

    queue: Mapped[str] = mapped_column(String(80), primary_key=True)
    interval_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    offered: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    abandoned: Mapped[int] = mapped_column(Integer, default=0)
    short_abandoned: Mapped[int] = mapped_column(Integer, default=0)
    unanswered_other: Mapped[int] = mapped_column(Integer, default=0)
    wait_sum_answered: Mapped[float] = mapped_column(Float, default=0.0)
    max_wait: Mapped[float | None] = mapped_column(Float, nullable=True)


class RollupThreshold(Base):
    """Answered / abandoned within each configured service-level threshold, per interval."""

    __tablename__ = "rollup_thresholds"

    queue: Mapped[str] = mapped_column(String(80), primary_key=True)
    interval_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    threshold_s: Mapped[float] = mapped_column(Float, primary_key=True)
    answered_within: Mapped[int] = mapped_column(Integer, default=0)
    abandoned_within: Mapped[int] = mapped_column(Integer, default=0)


class RollupDay(Base):
    """Counts per queue x local day x open-or-closed: the 15-minute rollups added up per day.

    Why: a year of day, week and month windows would otherwise read every 15-minute row of the
    year (a million rows for 50 queues) where queues x days x 2 rows hold the same sums. The day
    and the open flag follow the operation's calendar (time zone, business hours, holidays)
    recorded in ``store_meta``; the rows are kept up to date with the 15-minute rollups and
    rebuilt from them when that calendar changes.
    """

    __tablename__ = "rollups_day"
    # The primary key leads with the queue; windows ask for a range of days over all queues.
    __table_args__ = (Index("ix_rollups_day_day", "day"),)

    queue: Mapped[str] = mapped_column(String(80), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    open: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    offered: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    abandoned: Mapped[int] = mapped_column(Integer, default=0)
    short_abandoned: Mapped[int] = mapped_column(Integer, default=0)
    unanswered_other: Mapped[int] = mapped_column(Integer, default=0)
    wait_sum_answered: Mapped[float] = mapped_column(Float, default=0.0)
    max_wait: Mapped[float | None] = mapped_column(Float, nullable=True)


class RollupDayThreshold(Base):
    """Answered / abandoned within each threshold, per queue x local day x open-or-closed."""

    __tablename__ = "rollup_day_thresholds"

    queue: Mapped[str] = mapped_column(String(80), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    open: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    threshold_s: Mapped[float] = mapped_column(Float, primary_key=True)
    answered_within: Mapped[int] = mapped_column(Integer, default=0)
    abandoned_within: Mapped[int] = mapped_column(Integer, default=0)


class Meta(Base):
    """Key/value facts about the store, e.g. the definition the rollups were built with."""

    __tablename__ = "store_meta"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class QueueEvent(Base):
    """Agent and system events of a queue_log (logins, pauses, members), kept for drill-down."""

    __tablename__ = "queue_events"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    line_hash: Mapped[str] = mapped_column(String(40), unique=True)
    source: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    queue: Mapped[str] = mapped_column(String(80), info=KEY)
    agent: Mapped[str] = mapped_column(String(120))
    event: Mapped[str] = mapped_column(String(40))
    data: Mapped[str] = mapped_column(Text, default="")


class Quarantine(Base):
    """An input row that could not be used, with its reason; replayable once the cause is fixed."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(200), index=True)
    location: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(300))
    raw: Mapped[str] = mapped_column(Text)
    quarantined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    replayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Which row this is: its source, its place, its reason and its text, digested
    # (servicelevel.store.ingest.row_fingerprint). The same fingerprint again is a re-read of
    # the same row, a duplicate; NULL for rows matched on (raw, reason) instead (queue_log).
    fingerprint: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)


class IngestRun(Base):
    """Accounting of one import: read = stored + duplicates + quarantined."""

    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(200), index=True)
    collector: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|ok|failed
    read: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class Source(Base):
    """A collector's source: where it stopped (offset/inode or watermark) and when it last worked.

    The position is written in the same transaction as the rows it covers, so a kill at any
    moment neither loses nor repeats a row.
    """

    __tablename__ = "sources"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    collector: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))  # calls | orders | returns | complaints | surveys
    inode: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    offset: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    watermark: Mapped[str | None] = mapped_column(String(200), nullable=True)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    order_key: Mapped[str] = mapped_column(String(120), unique=True, info=KEY)
    customer_hash: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    product: Mapped[str | None] = mapped_column(String(120), nullable=True)
    units: Mapped[int] = mapped_column(Integer, default=1)


class Return(Base):
    __tablename__ = "returns"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    return_key: Mapped[str] = mapped_column(String(120), unique=True, info=KEY)
    order_key: Mapped[str | None] = mapped_column(String(120), nullable=True, info=KEY)
    returned_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    product: Mapped[str | None] = mapped_column(String(120), nullable=True)
    units: Mapped[int] = mapped_column(Integer, default=1)


class Complaint(Base):
    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    complaint_key: Mapped[str] = mapped_column(String(120), unique=True, info=KEY)
    customer_hash: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True, nullable=True)
    nature: Mapped[str | None] = mapped_column(String(200), nullable=True)
    solution: Mapped[str | None] = mapped_column(String(200), nullable=True)
    follow_up: Mapped[str | None] = mapped_column(String(200), nullable=True)
    compensation: Mapped[float | None] = mapped_column(Float, nullable=True)


class Survey(Base):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    survey_key: Mapped[str] = mapped_column(String(120), unique=True, info=KEY)
    complaint_key: Mapped[str | None] = mapped_column(
        String(120), index=True, nullable=True, info=KEY
    )
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    score: Mapped[int] = mapped_column(Integer)


class Audit(Base):
    """Who changed what and when (targets edits, replays)."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str] = mapped_column(Text, default="")


# --- reports, alerts and the scheduler (servicelevel.reports, servicelevel.scheduler) ------------


class SendLog(Base):
    """One scheduled email per (kind, period), e.g. ("weekly", "2026-W47").

    The row is claimed (status ``sending``) and committed *before* the SMTP conversation, so two
    workers or a restart never send the same week twice; a ``failed`` row is claimed again by the
    next run, which is how a retry after an SMTP failure sends the report then, once.
    """

    __tablename__ = "send_log"
    __table_args__ = (UniqueConstraint("kind", "period"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))  # sending | sent | failed
    owner: Mapped[str] = mapped_column(String(120))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    recipients: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class AlertState(Base):
    """Where one (target, scope) stands for alerting, and the streak that may change it.

    ``version`` is an optimistic lock: an update that finds another version lost a race.
    """

    __tablename__ = "alert_states"

    target_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))  # ok | breach
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    streak_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    streak_windows: Mapped[int] = mapped_column(Integer, default=0)
    streak_window_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=0)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own protocol


class AlertFlip(Base):
    """A confirmed change of a (target, scope): into breach, or recovered (healthchecks' Flip).

    ``processed`` is set when a sender claims the flip, before any message goes out.
    """

    __tablename__ = "alert_flips"
    __table_args__ = (
        # For alerts.send_pending: "WHERE processed IS NULL ORDER BY id".
        Index(
            "ix_alert_flips_pending",
            "id",
            sqlite_where=text("processed IS NULL"),
            postgresql_where=text("processed IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    target_id: Mapped[str] = mapped_column(String(80))
    scope: Mapped[str] = mapped_column(String(80))
    old_status: Mapped[str] = mapped_column(String(16))
    new_status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    minimum: Mapped[float] = mapped_column(Float)
    ideal: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text, default="")
    processed: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # A burn-rate flip's rule, windows and burns as JSON (servicelevel.reports.burn_alerts);
    # None for a breach flip.
    details: Mapped[str | None] = mapped_column(Text, nullable=True)


class BurnState(Base):
    """Where one burn-rate rule stands for one (target, scope): ``ok`` or ``firing``.

    ``streak_since`` is when the rule's verdict first disagreed with the state (burning while
    ok, calm while firing); the state changes once that has lasted the rule's ``for`` (or
    ``keep firing``) minutes, so one burst fires once and resolves once. ``window_start`` is the
    target window the alert fired in: when that window is over, so is its burn. ``version`` is
    an optimistic lock, as on ``alert_states``.
    """

    __tablename__ = "burn_states"

    target_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    rule: Mapped[str] = mapped_column(String(40), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))  # ok | firing
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    streak_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_long_burn: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_short_burn: Mapped[float | None] = mapped_column(Float, nullable=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=0)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own protocol


class JobLease(Base):
    """Who runs a scheduled job right now: one worker at a time, even with two started."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class RollupRebuild(Base):
    """One run of the rollup rebuild job, with its progress (the Sources page shows them).

    Why a row per run: readers serve the last complete figures marked "recomputing" until a
    rebuild commits; this says since when, how far it is, and whether the last one failed.
    ``kind`` is ``calls`` (recount from the raw calls) or ``days`` (regroup the day rows);
    ``status`` is running, done, failed or interrupted (its process died: the old figures stay).
    """

    __tablename__ = "rollup_rebuilds"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    spec: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    rows_done: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_total: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


# --- the customer-focus self-assessment (servicelevel.assessment) -------------------------------


class AssessmentResult(Base):
    """One customer-focus self-assessment: the day, who rated, the statements and the ratings.

    Why the statements are kept: they are configurable (``[assessment]`` in targets.toml), so a
    result must say what was rated even after the file changes. Both are JSON text, area ->
    list, in the order asked. Scores are not stored: they are computed exactly from the ratings
    (``servicelevel.assessment.scoring``). One result per day and author: recording the same
    day again (a corrected file, a second Save) replaces it, so a re-run stores nothing twice.
    """

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("assessed_on", "author"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    assessed_on: Mapped[date] = mapped_column(Date, index=True)
    author: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    statements: Mapped[str] = mapped_column(Text)
    ratings: Mapped[str] = mapped_column(Text)
