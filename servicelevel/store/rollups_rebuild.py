"""Rebuilding the rollups for a changed definition, and what readers serve until it is done.

Why out of the read path: a new threshold or short-abandon limit means recounting every raw call
(minutes at 10 M calls), and a calendar change regrouping every quarter hour; done inside the
first web request after the change, it held that request (and the store's write lock) for as
long. Now readers only compare the stored spec with the targets' (:func:`rollup_state`) and serve
the stored figures marked "recomputing", and a job (:mod:`servicelevel.store.rollups_job`) runs
:func:`rebuild_rollups` or :func:`rebuild_day_rollups`.

Why a reader never sees half a rebuild: :func:`rebuild_rollups` reads the calls in short chunks
(no write lock, progress committed between them), adds them up in memory, and writes the new
rollups in **one** transaction: lock the rollup tables, count the calls committed meanwhile,
replace every rollup row, record the spec. A crash before that commit leaves the old, complete
figures; imports go on during the long read and only wait for the short write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    Engine,
    MetaData,
    Table,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session

from servicelevel.store import bulk
from servicelevel.store.rollups import (
    DAY_COLUMNS,
    DAY_THRESHOLD_COLUMNS,
    META_KEY,
    IntervalDelta,
    RollupSpec,
    add_call,
    apply_deltas,
    record_calendar,
    stored_calendar,
    stored_spec,
)
from servicelevel.store.rollups_calendar import DayCalendar, _day_mapper
from servicelevel.store.schema import (
    Call,
    Meta,
    Rollup,
    RollupDay,
    RollupDayThreshold,
    RollupThreshold,
    UTCDateTime,
)

CHUNK = 50_000
ROLLUP_TABLES = ("rollups_15min", "rollup_thresholds", "rollups_day", "rollup_day_thresholds")

# Called with (calls read, calls to read) after each chunk; may raise to stop the rebuild.
Progress = Callable[[int, int], None]
# Called inside the rebuild's one write transaction, just before it commits (calls counted).
Finish = Callable[[Session, int], None]


@dataclass(frozen=True, slots=True)
class RollupState:
    """The stored rollups against what the targets want: what a reader may serve.

    ``stored`` is the counting spec the rollups were built with (None: nothing built yet, an
    empty store), ``calendar`` the calendar of the day rows (None: not grouped yet).
    """

    wanted: RollupSpec
    stored: RollupSpec | None
    calendar: DayCalendar | None

    @property
    def recounting(self) -> bool:
        """The 15-minute rows count by another definition: a recount from the calls is due."""
        return self.stored is not None and self.stored != self.wanted.counting()

    @property
    def regrouping(self) -> bool:
        """The day rows follow another calendar (or none yet): a regroup is due."""
        if self.stored is None or self.wanted.calendar is None:
            return False
        return self.calendar != self.wanted.calendar

    @property
    def recomputing(self) -> bool:
        """What readers show: their figures are the stored spec's until the job has run."""
        return self.recounting or self.regrouping

    @property
    def needs_rebuild(self) -> bool:
        """What the job checks: also true for a store that has recorded no spec yet."""
        return self.stored is None or self.recomputing

    def has_threshold(self, threshold: float) -> bool:
        """Whether the stored rollups count answers within ``threshold`` (an empty store: yes)."""
        return self.stored is None or float(threshold) in self.stored.thresholds


def rollup_state(session: Session, wanted: RollupSpec) -> RollupState:
    """Two ``store_meta`` reads: cheap enough for every evaluation."""
    return RollupState(wanted, stored_spec(session), stored_calendar(session))


def rebuild_day_rollups(session: Session, calendar: DayCalendar) -> int:
    """Regroup the 15-minute rollups into day rows by ``calendar``; returns the intervals mapped.

    Why from the 15-minute rows: a calendar change (time zone, business hours, holidays) moves
    whole quarter hours between days or between open and closed, never a call within its quarter
    hour, so the raw calls need not be read again. The database does the adding up, joined to a
    temporary (quarter hour -> day, open) table of the distinct interval starts. The caller owns
    the transaction: the old day rows and the calendar they record are replaced together.
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
    record_calendar(session, calendar)
    return len(rows)


def _add_calls(
    connection: Connection | Session,
    deltas: dict[tuple[str, datetime], IntervalDelta],
    spec: RollupSpec,
    after: int,
    upto: int | None,
    limit: int | None = None,
) -> tuple[int, int]:
    """Add the calls with ``after < id <= upto`` (in id order, ``limit`` at most) to ``deltas``;
    returns (calls added, last id added)."""
    query = select(Call.id, Call.queue, Call.entered_at, Call.outcome, Call.wait_s).where(
        Call.id > after
    )
    if upto is not None:
        query = query.where(Call.id <= upto)
    query = query.order_by(Call.id)
    if limit is not None:
        query = query.limit(limit)
    count, last = 0, after
    for call_id, queue, entered_at, outcome, wait_s in connection.execute(query):
        add_call(deltas, spec, queue, entered_at, outcome, wait_s)
        count += 1
        last = call_id
    return count, last


def _lock_rollups(session: Session) -> None:
    """Hold imports off the rollups for the write; readers go on reading the old rows.

    PostgreSQL: EXCLUSIVE conflicts with an import's ROW EXCLUSIVE, not with readers' ACCESS
    SHARE, and waits for an import that already touched the rollups to commit (so its calls are
    counted below). SQLite: the first DELETE takes the database's one write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"LOCK TABLE {', '.join(ROLLUP_TABLES)} IN EXCLUSIVE MODE"))


def rebuild_rollups(
    engine: Engine,
    spec: RollupSpec,
    *,
    chunk: int = CHUNK,
    progress: Progress | None = None,
    finish: Finish | None = None,
) -> int:
    """Recompute every rollup from the raw calls with ``spec``; returns the calls counted.

    Calls are only ever inserted, so the calls up to the highest id seen at the start are read
    chunk by chunk outside the write transaction; inside it, the calls committed since are added
    (and, should a call with a lower id have committed late, everything is recounted there). The
    day rows are then regrouped from the new 15-minute rows, by ``spec.calendar`` or else by the
    calendar the store had (if any), in the same transaction.
    """
    with Session(engine) as session:
        upto = session.execute(select(func.max(Call.id))).scalar() or 0
        total = session.execute(select(func.count(Call.id)).where(Call.id <= upto)).scalar() or 0
    deltas: dict[tuple[str, datetime], IntervalDelta] = {}
    done, last = 0, 0
    if progress is not None:
        progress(0, total)
    with engine.connect() as connection:
        while True:
            added, last = _add_calls(connection, deltas, spec, last, upto, chunk)
            connection.rollback()  # end the read: no snapshot held between chunks
            done += added
            if progress is not None:
                progress(done, total)
            if added < chunk:
                break
    with Session(engine) as session, session.begin():
        _lock_rollups(session)
        session.execute(delete(RollupDayThreshold))  # on SQLite, the write lock from here on
        calendar = spec.calendar or stored_calendar(session)
        session.execute(delete(RollupDay))
        session.execute(delete(RollupThreshold))
        session.execute(delete(Rollup))
        record_calendar(session, None)  # the day rows are regrouped once at the end
        below = select(func.count(Call.id)).where(Call.id <= upto)
        now_below = session.execute(below).scalar() or 0
        if now_below != done:  # a call with a lower id committed after its chunk was read
            deltas.clear()
            done, _last = _add_calls(session, deltas, spec, 0, upto)
        late, _last = _add_calls(session, deltas, spec, upto, None)
        done += late
        items = list(deltas.items())
        for start in range(0, len(items), chunk):
            apply_deltas(session, dict(items[start : start + chunk]), spec)
        session.execute(delete(Meta).where(Meta.key == META_KEY))
        session.execute(insert(Meta).values(key=META_KEY, value=spec.signature()))
        if calendar is not None:
            rebuild_day_rollups(session, calendar)
        if finish is not None:
            finish(session, done)
    return done


def regroup_day_rollups(
    engine: Engine, calendar: DayCalendar, *, finish: Finish | None = None
) -> int:
    """:func:`rebuild_day_rollups` in its own transaction (seconds: no raw call is read)."""
    with Session(engine) as session, session.begin():
        _lock_rollups(session)
        mapped = rebuild_day_rollups(session, calendar)
        if finish is not None:
            finish(session, mapped)
    return mapped
