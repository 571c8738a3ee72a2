"""Replay quarantined rows once their cause is fixed (usually the mapping).

A quarantined row keeps its source, location, reason and a copy of what was read (the queue_log
line, or the mapped columns of a CSV/SQL row). Replaying feeds those copies through the source's
collector again, as a run of its own (collector ``replay:<kind>`` in ``ingest_runs``, with the
same accounting). A row that now becomes a fact, or turns out to be a duplicate, is marked
``replayed_at`` and leaves the list; one that fails again for the same reason stays as it is; one
that fails for another reason is quarantined anew with that reason.

Rows quarantined without a copy (a CSV record that could not be split into columns) cannot be
replayed: fix the file and import it again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session

from servicelevel.collectors.base import RunResult
from servicelevel.collectors.mapped.mapping import (
    CSV_KINDS,
    QUEUE_LOG_FILE,
    QUEUE_LOG_TABLE,
    SQL_KINDS,
    Mapping,
    SourceConfig,
)
from servicelevel.collectors.mapped.records import RowMapper
from servicelevel.collectors.mapped.tabular import TabularImporter
from servicelevel.collectors.queue_log.importer import COLLECTOR as QUEUE_LOG_COLLECTOR
from servicelevel.collectors.queue_log.importer import QueueLogImporter
from servicelevel.errors import IngestError
from servicelevel.store import ingest
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.schema import IngestRun, Quarantine, Source

BATCH = 2_000


@dataclass(slots=True)
class ReplayOutcome:
    source: str
    result: RunResult | None = None
    error: str | None = None
    not_replayable: int = 0
    notes: list[str] = field(default_factory=list)


def pending(
    session: Session,
    source: str | None = None,
    ids: Sequence[int] = (),
    include_replayed: bool = False,
) -> list[Quarantine]:
    """Quarantined rows, oldest first, optionally of one source (exact name or a part of it)."""
    query = select(Quarantine).order_by(Quarantine.id)
    if not include_replayed:
        query = query.where(Quarantine.replayed_at.is_(None))
    if source:
        query = query.where(
            or_(Quarantine.source == source, Quarantine.source.contains(source, autoescape=True))
        )
    if ids:
        query = query.where(Quarantine.id.in_(list(ids)))
    return list(session.execute(query).scalars())


def replay(
    engine: Engine,
    spec: RollupSpec,
    *,
    default_tz: ZoneInfo,
    source: str | None = None,
    ids: Sequence[int] = (),
    mapping: Mapping | None = None,
    configured: Sequence[SourceConfig] = (),
) -> list[ReplayOutcome]:
    """Replay the pending quarantined rows (of ``source``, or ``ids``), source by source."""
    with Session(engine) as session:
        rows = pending(session, source, ids)
        names = sorted({row.source for row in rows})
        known = {
            s.name: s
            for s in session.execute(select(Source).where(Source.name.in_(names))).scalars()
        }
        session.expunge_all()
    by_source: dict[str, list[Quarantine]] = {}
    for row in rows:
        by_source.setdefault(row.source, []).append(row)
    by_name = {s.name: s for s in configured}
    out = []
    for name, items in by_source.items():
        stored = known.get(name)
        collector = stored.collector if stored is not None else QUEUE_LOG_COLLECTOR
        try:
            if collector in (QUEUE_LOG_FILE, QUEUE_LOG_TABLE, QUEUE_LOG_COLLECTOR):
                out.append(_replay_queue_log(engine, spec, name, items))
            elif collector in CSV_KINDS or collector in SQL_KINDS:
                chosen = mapping or by_name.get(name)
                if chosen is None:
                    raise IngestError(
                        f"{name}: give the fixed mapping with --mapping FILE to replay its rows"
                    )
                kind = CSV_KINDS.get(collector) or SQL_KINDS[collector]
                tz = chosen.tz(default_tz)
                out.append(
                    _replay_rows(
                        engine, spec, name, collector, RowMapper(chosen, kind, tz, name), items
                    )
                )
            else:
                raise IngestError(f"{name}: rows of a {collector} source cannot be replayed")
        except IngestError as exc:
            out.append(ReplayOutcome(name, error=str(exc)))
    return out


def _label_run(session: Session, run_id: int | None, collector: str) -> None:
    session.execute(
        update(IngestRun).where(IngestRun.id == run_id).values(collector=f"replay:{collector}"[:40])
    )


def _replay_rows(
    engine: Engine,
    spec: RollupSpec,
    name: str,
    collector: str,
    mapper: RowMapper,
    items: list[Quarantine],
) -> ReplayOutcome:
    outcome = ReplayOutcome(name)
    importer = TabularImporter(engine, spec, name, collector, mapper, batch_rows=BATCH, mark=False)
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
    importer.flush(final=True, also=lambda session: _label_run(session, run_id, collector))
    outcome.result = importer.result
    return outcome


def _replay_queue_log(
    engine: Engine, spec: RollupSpec, name: str, items: list[Quarantine]
) -> ReplayOutcome:
    """Feed the quarantined lines through the call state machine again, in their order."""
    outcome = ReplayOutcome(name)
    importer = QueueLogImporter(engine, spec, name, batch_lines=BATCH)
    result = importer.result
    ids_by_line: dict[tuple[str, str], list[int]] = {}
    for item in items:
        if not item.raw:
            outcome.not_replayable += 1
            continue
        ids_by_line.setdefault((item.raw, item.location), []).append(item.id)
    chunk: list[tuple[str, str]] = []

    def settle(session: Session, final: bool) -> None:
        # Lines quarantined again for the same reason were counted as duplicates by the
        # importer (it saw the same line and reason in the quarantine): they are still
        # quarantined, and keep their row. The others leave the list.
        again = {(raw, reason) for _, reason, raw in importer.batch.quarantined}
        same = {
            (raw, loc)
            for raw, loc in chunk
            for qid in ids_by_line[(raw, loc)]
            if (raw, reasons[qid]) in again
        }
        if same:
            n = len(same)
            for raw, loc in same:
                result.count_reason(reasons[ids_by_line[(raw, loc)][0]])
            result.duplicates -= n
            result.quarantined += n
            assert result.run_id is not None
            ingest.add_to_run(
                session, result.run_id, read=0, stored=0, duplicates=-n, quarantined=n
            )
            importer._flushed = (result.read, result.stored, result.duplicates, result.quarantined)
        done = [qid for key in chunk if key not in same for qid in ids_by_line[key]]
        if done:
            session.execute(
                update(Quarantine)
                .where(Quarantine.id.in_(done))
                .values(replayed_at=datetime.now(UTC))
            )
        if final:
            _label_run(session, result.run_id, QUEUE_LOG_COLLECTOR)
            assert result.run_id is not None
            ingest.finish_run(session, result.run_id, "ok")

    reasons = {item.id: item.reason for item in items}
    waiting_before = set(importer.persisted)
    for key in ids_by_line:
        importer.feed_raw(*key)
        chunk.append(key)
        if importer.batch.lines >= BATCH:
            importer.flush(also=lambda session: settle(session, False))
            chunk = []
    # A replayed ENTERQUEUE whose outcome never came is quarantined again, as it was first.
    for fact in list(importer.open.values()):
        if fact.key not in waiting_before:
            importer._expire(fact, f"ENTERQUEUE never closed after {importer.expire_open_after}")
    importer.flush(also=lambda session: settle(session, True))
    outcome.result = result
    return outcome
