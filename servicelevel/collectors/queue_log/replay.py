"""Replay of quarantined queue_log lines (file or table): the state machine, once more.

The lines go through the call state machine again in their order, as one run of their own
(``replay:asterisk-queue-log``). A line quarantined again for the same reason keeps its row; the
others leave the quarantine. The whole replay contract is in :mod:`servicelevel.collectors.replay`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from servicelevel.collectors.base import REPLAY_BATCH, ReplayOutcome
from servicelevel.collectors.mapped.tabular import label_replay_run
from servicelevel.collectors.queue_log.importer import COLLECTOR, QueueLogImporter
from servicelevel.store import ingest
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.schema import Quarantine


def replay_lines(
    engine: Engine, spec: RollupSpec, name: str, items: list[Quarantine]
) -> ReplayOutcome:
    """Feed the quarantined lines through the call state machine again, in their order."""
    outcome = ReplayOutcome(name)
    importer = QueueLogImporter(engine, spec, name, batch_lines=REPLAY_BATCH)
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
            label_replay_run(session, result.run_id, COLLECTOR)
            assert result.run_id is not None
            ingest.finish_run(session, result.run_id, "ok")

    reasons = {item.id: item.reason for item in items}
    waiting_before = set(importer.persisted)
    for key in ids_by_line:
        importer.feed_raw(*key)
        chunk.append(key)
        if importer.batch.lines >= REPLAY_BATCH:
            importer.flush(also=lambda session: settle(session, False))
            chunk = []
    # A replayed ENTERQUEUE whose outcome never came is quarantined again, as it was first.
    for fact in list(importer.open.values()):
        if fact.key not in waiting_before:
            importer._expire(fact, f"ENTERQUEUE never closed after {importer.expire_open_after}")
    importer.flush(also=lambda session: settle(session, True))
    outcome.result = result
    return outcome
