"""The batch writer of mapped sources (CSV files, SQL queries, quarantine replays).

Why one writer: the contract is the same whatever the rows come from. Every row read is counted
once, as stored, duplicate or quarantined (with its reason), and a batch's facts, quarantined
rows, run counters and the source's position commit in one transaction. A kill at any moment
leaves the store as it was after the last whole batch; the next run resumes from the position
saved with it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from servicelevel.collectors.base import REPLAY_BATCH, ReplayOutcome, RunResult
from servicelevel.collectors.mapped.records import Fact, RowError, RowMapper
from servicelevel.store import ingest
from servicelevel.store.facts import NEW, UPDATED, write_facts
from servicelevel.store.ingest import CallFact
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.rollups_job import ensure_rollups
from servicelevel.store.schema import IngestRun, Quarantine

SURVEYS_SUFFIX = " (surveys)"  # the survey answers read from a complaints source


@dataclass(slots=True)
class Position:
    """Where a source stopped: a file offset (with its inode) or a watermark."""

    inode: int | None = None
    offset: int | None = None
    watermark: str | None = None


@dataclass(slots=True)
class _Row:
    location: str
    row: Mapping[str, Any] | None
    problem: str | None = None  # set for rows that could not even be split into columns
    text: str = ""  # such a row's own text: not kept, only digested to tell it from others
    replay_id: int | None = None  # the quarantine row this is a replay of


def close_interrupted_runs(engine: Engine, source: str) -> None:
    """Runs of ``source`` still "running" were killed: say so before a new run starts."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(IngestRun)
            .where(IngestRun.source == source, IngestRun.status == "running")
            .values(status="interrupted", error="the process stopped before the run finished")
        )


def label_replay_run(session: Session, run_id: int | None, collector: str) -> None:
    """A replay is a run of its own, told apart in ``ingest_runs`` as ``replay:<kind>``."""
    session.execute(
        update(IngestRun).where(IngestRun.id == run_id).values(collector=f"replay:{collector}"[:40])
    )


class TabularImporter:
    """Rows of one mapped source -> facts in the store, in committed batches."""

    def __init__(
        self,
        engine: Engine,
        spec: RollupSpec,
        source: str,
        collector: str,
        mapper: RowMapper,
        *,
        batch_rows: int = 5_000,
        mark: bool = True,
    ) -> None:
        self.engine = engine
        self.spec = spec
        self.source = source
        self.collector = collector
        self.mapper = mapper
        self.batch_rows = batch_rows
        self.mark = mark  # False for a replay: it says nothing about the source's health
        self.rows: list[_Row] = []
        self.result = RunResult(source=source, collector=collector)
        self.newest: datetime | None = None
        self._flushed = (0, 0, 0, 0)
        if mapper.kind == "calls":
            ensure_rollups(engine, spec)
        if mark:  # a replay runs beside the source's own runs: leave those alone
            close_interrupted_runs(engine, source)
        with Session(engine) as session, session.begin():
            self.result.run_id = ingest.start_run(session, source, collector)

    @property
    def full(self) -> bool:
        return len(self.rows) >= self.batch_rows

    def add(self, location: str, row: Mapping[str, Any], *, replay_id: int | None = None) -> None:
        self.result.read += 1
        self.rows.append(_Row(location, row, replay_id=replay_id))

    def add_broken(self, location: str, problem: str, text: str = "") -> None:
        """A row that could not be split into columns (bad quoting, wrong field count).

        Nothing of it is kept (a name can sit in any misaligned field); ``text``, its own text,
        only tells it apart from the other rows quarantined at the same place for the same
        reason (another day's export under the same name).
        """
        self.result.read += 1
        self.rows.append(_Row(location, None, problem, text))

    def flush(
        self,
        position: Position | None = None,
        *,
        final: bool = False,
        also: Callable[[Session], None] | None = None,
    ) -> None:
        """Map and write the batch, with the counters and ``position``, in one transaction."""
        rows, self.rows = self.rows, []
        quarantined: list[tuple[_Row, str, str, str]] = []  # (row, reason, group, raw)
        mapped: list[tuple[_Row, list[CallFact | Fact]]] = []
        for item in rows:
            if item.row is None:
                reason = item.problem or "unreadable row"
                quarantined.append((item, reason, reason, ""))
                continue
            try:
                mapped.append((item, self.mapper.map(item.row)))
            except RowError as exc:
                raw = self.mapper.safe_raw(item.row)
                quarantined.append((item, str(exc), exc.group, raw))
        result = self.result
        with Session(self.engine) as session, session.begin():
            calls = [f for _, facts in mapped for f in facts if isinstance(f, CallFact)]
            others = [f for _, facts in mapped for f in facts if isinstance(f, Fact)]
            duplicate_calls = {id(f) for f in ingest.write_calls(session, calls, self.spec)}
            statuses = dict(zip(map(id, others), write_facts(session, others), strict=True))
            replayed: list[int] = []
            for item, facts in mapped:
                changed = [
                    statuses[id(f)] if isinstance(f, Fact) else
                    (NEW if id(f) not in duplicate_calls else "same")
                    for f in facts
                ]  # fmt: skip
                if NEW in changed or UPDATED in changed:
                    result.stored += 1
                    result.updated += NEW not in changed
                else:
                    result.duplicates += 1
                for fact in facts:
                    at = fact.entered_at if isinstance(fact, CallFact) else _fact_time(fact)
                    if at is not None and (self.newest is None or at > self.newest):
                        self.newest = at
                if item.replay_id is not None:
                    replayed.append(item.replay_id)
            # Matched by source, place, reason and text: only a re-read of the same row is a
            # duplicate, so each file's read = stored + duplicates + quarantined holds.
            known = ingest.quarantine(
                session,
                self.source,
                [(item.location, reason, raw) for item, reason, _, raw in quarantined],
                texts=[item.text for item, _, _, _ in quarantined],
            )
            for (item, _, group, _), seen in zip(quarantined, known, strict=True):
                if seen and item.replay_id is None:
                    result.duplicates += 1  # the same row, quarantined before for the same reason
                    continue
                result.quarantined += 1
                result.count_reason(group)
                if item.replay_id is not None and not seen:
                    replayed.append(item.replay_id)  # quarantined again, for a new reason
            if replayed:
                session.execute(
                    update(Quarantine)
                    .where(Quarantine.id.in_(replayed))
                    .values(replayed_at=datetime.now(UTC))
                )
            self._count(session)
            kind = self.mapper.kind
            if position is not None:
                ingest.save_position(
                    session, self.source, collector=self.collector, kind=kind,
                    inode=position.inode, offset=position.offset,
                    watermark=position.watermark, last_event_at=self.newest,
                )  # fmt: skip
            if self.mark:
                ingest.mark_source(session, self.source, collector=self.collector, kind=kind)
            if self.mark and self.mapper.mapping.survey is not None:
                ingest.mark_source(
                    session, self.source[: 200 - len(SURVEYS_SUFFIX)] + SURVEYS_SUFFIX,
                    collector=self.collector, kind="surveys",
                )  # fmt: skip
            if also is not None:
                also(session)
            if final:
                assert result.run_id is not None
                ingest.finish_run(session, result.run_id, "ok")

    def _count(self, session: Session) -> None:
        result = self.result
        snapshot = (result.read, result.stored, result.duplicates, result.quarantined)
        read, stored, dups, quar = (a - b for a, b in zip(snapshot, self._flushed, strict=True))
        self._flushed = snapshot
        assert result.run_id is not None
        ingest.add_to_run(
            session, result.run_id, read=read, stored=stored, duplicates=dups, quarantined=quar
        )

    def fail(self, error: str) -> None:
        """Record a source that could not be read (its targets turn stale), keep the counts."""
        with Session(self.engine) as session, session.begin():
            assert self.result.run_id is not None
            ingest.finish_run(session, self.result.run_id, "failed", error)
            ingest.mark_source(
                session, self.source, collector=self.collector, kind=self.mapper.kind, error=error
            )


def _fact_time(fact: Fact) -> datetime | None:
    for name in ("answered_at", "opened_at", "ordered_at", "returned_at"):
        value = fact.values.get(name)
        if isinstance(value, datetime):
            return value
    return None


def replay_rows(
    engine: Engine,
    spec: RollupSpec,
    name: str,
    collector: str,
    mapper: RowMapper,
    items: list[Quarantine],
) -> ReplayOutcome:
    """Map the columns kept with each quarantined row again (with the fixed mapping)."""
    outcome = ReplayOutcome(name)
    importer = TabularImporter(
        engine, spec, name, collector, mapper, batch_rows=REPLAY_BATCH, mark=False
    )
    run_id = importer.result.run_id
    for item in items:
        try:
            row = json.loads(item.raw) if item.raw else None
        except ValueError:
            row = None
        if not isinstance(row, dict):
            outcome.not_replayable += 1
            continue
        importer.add(item.location, row, replay_id=item.id)
        if importer.full:
            importer.flush()
    importer.flush(final=True, also=lambda session: label_replay_run(session, run_id, collector))
    outcome.result = importer.result
    return outcome
