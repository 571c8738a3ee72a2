"""Asterisk ``queue_log`` import: batches of lines through the call state machine, committed.

What a line means is :mod:`.parse`; how lines become calls is :mod:`.state`; this module is the
batch and transaction side. Each flush resolves what only the store can tell (an outcome whose
ENTERQUEUE an earlier run read, a talk line for a call already stored, a line read twice), then
writes the batch, the run's counters and the position in one transaction, so nothing is lost
and nothing is counted twice across a kill or a re-import.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from servicelevel.collectors.base import RunResult
from servicelevel.collectors.queue_log.parse import COLLECTOR, calltime
from servicelevel.collectors.queue_log.reading import (
    WholeLines,
    fingerprint,
    resumes_at,
    settled_size,
)
from servicelevel.collectors.queue_log.state import CallStates, _Batch
from servicelevel.store import ingest
from servicelevel.store.ingest import CallFact, CallKey
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.rollups_job import ensure_rollups

BATCH_LINES = 250_000  # lines per transaction of import_file: few round trips, bounded memory


class QueueLogImporter(CallStates):
    """The call state machine of one queue_log source, writing through the store in batches."""

    def __init__(
        self,
        engine: Engine,
        spec: RollupSpec,
        source: str,
        *,
        batch_lines: int = 20_000,
        expire_open_after: timedelta = timedelta(hours=12),
        now: datetime | None = None,
    ) -> None:
        # The pseudonym key is read once, not per call: a key set in the middle of an import
        # would mix the two.
        super().__init__(
            source,
            expire_open_after=expire_open_after,
            now=now,
            hash_callers=bool(os.environ.get(ingest.PSEUDONYM_ENV)),
        )
        self.engine = engine
        self.spec = spec
        self.batch_lines = batch_lines
        self._flushed = (0, 0, 0, 0)  # counters already written to the run row
        ensure_rollups(engine, spec)
        with Session(engine) as session, session.begin():
            for fact in ingest.load_open_calls(session, source):
                self.open[(fact.callid, fact.queue)] = fact
                self.persisted.add(fact.key)
            self.result.run_id = ingest.start_run(session, source, COLLECTOR)

    # -- committing ---------------------------------------------------------------------------
    def expire_stale(self) -> None:
        """Quarantine calls still waiting ``expire_open_after`` before the newest line read."""
        if self.newest is None:
            return
        limit = self.newest - self.expire_open_after
        stale = [f for f in self.open.values() if f.entered_at < limit]
        if not stale:
            return
        # One may be an ENTERQUEUE read again after its call was stored: a duplicate line.
        unchecked = [f.key for f in stale if f.key not in self.persisted]
        stored = {f.key for f in self.batch.resolved}
        if unchecked:
            with Session(self.engine) as session:
                stored |= ingest.resolved_keys(session, unchecked)
        for fact in stale:
            if fact.key in stored and fact.key not in self.persisted:
                del self.open[(fact.callid, fact.queue)]
                self.result.duplicates += fact.lines
                fact.lines = 0
                continue
            self._expire(fact, f"ENTERQUEUE never closed after {self.expire_open_after}")

    def feed_file(
        self,
        handle: IO[bytes],
        inode: int,
        lines: WholeLines,
        *,
        file_name: str,
        line_no: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Feed the batches of ``lines`` (of the open file ``inode``), committing each full batch
        with the file position reached; the caller flushes the rest.

        ``line_no`` is the number of the first line when known (a read from the start): the
        quarantine then names lines by number, else by byte offset. ``progress`` gets the
        offset after each commit.
        """
        for buf, start in lines:
            self.feed_lines(buf, start, line_no, file_name)
            if line_no is not None:
                line_no += buf.count(b"\n") + (not buf.endswith(b"\n"))
            if self.batch.lines >= self.batch_lines:
                self.flush_at(handle, inode, lines.end)
                if progress is not None:
                    progress(lines.end)

    def flush_at(self, handle: IO[bytes], inode: int, offset: int, *, final: bool = False) -> None:
        """:meth:`flush` with a file position: its inode, offset and the fingerprint of the bytes
        before the offset (:mod:`.reading`), which tells the next run whether to resume there."""
        mark = fingerprint(handle, offset)
        self.flush(position=(inode, offset), mark=mark, final=final)

    def flush(
        self,
        *,
        position: tuple[int, int] | None = None,
        mark: str | None = None,
        final: bool = False,
        also: Callable[[Session], None] | None = None,
    ) -> None:
        """Write the batch, the counters and the position in one transaction.

        ``mark`` is the position's fingerprint; ``also`` makes more writes in the same
        transaction (a table reader's watermark).
        """
        if final:
            self.expire_stale()
        batch, result = self.batch, self.result
        with Session(self.engine) as session, session.begin():
            self._resolve_orphans(session, batch)
            self._apply_talk(session, batch)
            dups = ingest.write_calls(session, batch.resolved, self.spec)
            dup_lines = sum(f.lines for f in dups)
            result.duplicates += dup_lines
            result.stored += sum(f.lines for f in batch.resolved) - dup_lines
            for fact in batch.resolved:
                fact.lines = 0
            for calls in batch.fast:
                fast_dups = ingest.write_call_columns(session, calls, self.spec)
                result.duplicates += fast_dups
                result.stored += int(calls.lines.sum()) - fast_dups
            # Calls still waiting: store the new ones, count lines folded into stored ones.
            fresh = [f for f in self.open.values() if f.key not in self.persisted]
            dup_keys = {
                f.key for f in ingest.sync_open_calls(session, fresh, batch.closed_persisted)
            }
            # An ENTERQUEUE read again after its call was stored (a line sent twice, a re-read)
            # is a duplicate, not a call still waiting: forget it, or it would expire later.
            for key in ingest.resolved_keys(session, list(dup_keys)) if dup_keys else ():
                waiting = self.open.get((key[0], key[1]))
                if waiting is not None and waiting.key == key:
                    del self.open[(key[0], key[1])]
                    result.duplicates += waiting.lines
                    waiting.lines = 0
                    self.counted.pop(key, None)
            # A RINGNOANSWER for a call an earlier batch stored as waiting: keep its count.
            ingest.update_open_calls(
                session, [f for f in self.open.values() if f.lines and f.key in self.persisted]
            )
            for fact in self.open.values():
                if not fact.lines:
                    continue
                if fact.key in dup_keys:
                    result.duplicates += fact.lines
                else:
                    result.stored += fact.lines
                    self.counted[fact.key] = self.counted.get(fact.key, 0) + fact.lines
                fact.lines = 0
            self.persisted.update(f.key for f in fresh if (f.callid, f.queue) in self.open)
            event_dups = ingest.write_events(session, batch.events)
            result.duplicates += event_dups
            result.stored += len(batch.events) - event_dups
            known = ingest.quarantine(session, self.source, batch.quarantined)
            rows = zip(batch.quarantined, batch.quarantined_lines, known, strict=True)
            for (_, reason, _), lines, seen in rows:
                if seen and lines:  # quarantined before: these lines are a re-read
                    result.quarantined -= lines
                    result.duplicates += lines
                    result.count_reason(reason, -1)
            result.reasons = {k: n for k, n in result.reasons.items() if n > 0}
            snapshot = (result.read, result.stored, result.duplicates, result.quarantined)
            read, stored, dups_n, quar = (
                a - b for a, b in zip(snapshot, self._flushed, strict=True)
            )
            self._flushed = snapshot
            assert result.run_id is not None
            ingest.add_to_run(
                session, result.run_id, read=read, stored=stored,
                duplicates=dups_n, quarantined=quar,
            )  # fmt: skip
            if position is not None:
                inode, offset = position
                ingest.save_position(
                    session, self.source, collector=COLLECTOR, kind="calls",
                    inode=inode, offset=offset, watermark=mark, last_event_at=self.newest,
                )  # fmt: skip
            ingest.mark_source(session, self.source, collector=COLLECTOR, kind="calls")
            if also is not None:
                also(session)
            if final:
                ingest.finish_run(session, result.run_id, "ok")
        self.batch = _Batch()
        # Answered calls are now rows: a talk line in a later batch must update the row (and
        # be counted), not a fact that will never be written again.
        self.answered_recent.clear()

    def _resolve_orphans(self, session: Session, batch: _Batch) -> None:
        """Outcome lines without an ENTERQUEUE in memory: a re-import, or really orphaned."""
        if not batch.orphans:
            return
        known = ingest.find_resolved(session, [(o.callid, o.queue) for o in batch.orphans])
        for fact in batch.resolved:  # resolved in this very batch, not yet written
            known.setdefault((fact.callid, fact.queue), []).append(fact.entered_at)
        for line in batch.orphans:
            at = datetime.fromtimestamp(line.epoch, UTC)
            if any(entered <= at for entered in known.get((line.callid, line.queue), [])):
                self.result.duplicates += 1
            else:
                self._quarantine(line.location, "no ENTERQUEUE for this call", line.raw)

    def _apply_talk(self, session: Session, batch: _Batch) -> None:
        if not batch.talk_updates:
            return
        known = ingest.find_resolved(session, [(t.callid, t.queue) for t in batch.talk_updates])
        in_batch: dict[tuple[str, str], list[CallFact]] = {}
        for fact in batch.resolved:
            in_batch.setdefault((fact.callid, fact.queue), []).append(fact)
        stored: list[tuple[CallKey, float | None]] = []
        for line in batch.talk_updates:
            at = datetime.fromtimestamp(line.epoch, UTC)
            entries = [e for e in known.get((line.callid, line.queue), []) if e <= at]
            mine = [f for f in in_batch.get((line.callid, line.queue), []) if f.entered_at <= at]
            latest = max(mine, key=lambda f: f.entered_at, default=None)
            if latest is not None and (not entries or latest.entered_at > max(entries)):
                # Answered in this very batch, not stored yet (e.g. the talk line read twice).
                talk = calltime(line)
                if latest.talk_s == talk:
                    self.result.duplicates += 1
                else:
                    latest.talk_s = talk
                    self.result.stored += 1
                continue
            if not entries:
                self._quarantine(line.location, f"{line.event} without CONNECT", line.raw)
                continue
            stored.append(((line.callid, line.queue, max(entries)), calltime(line)))
        # Stored calls: one look-up and one executemany for the batch, not a query per line.
        current = ingest.talk_times(session, [key for key, _ in stored])
        changed: dict[CallKey, float | None] = {}
        for key, talk in stored:
            if current[key] == talk:
                self.result.duplicates += 1
            else:
                current[key] = changed[key] = talk
                self.result.stored += 1
        ingest.set_talk_times(session, list(changed.items()))

    def finish_failed(self, error: str) -> None:
        with Session(self.engine) as session, session.begin():
            assert self.result.run_id is not None
            ingest.finish_run(session, self.result.run_id, "failed", error)
            ingest.mark_source(session, self.source, collector=COLLECTOR, kind="calls", error=error)


def source_name(path: Path) -> str:
    return str(path.resolve())


def import_file(
    engine: Engine,
    path: str | Path,
    spec: RollupSpec,
    *,
    final: bool = True,
    progress: bool = False,
    batch_lines: int = BATCH_LINES,
    now: datetime | None = None,
) -> RunResult:
    """Import ``path`` from where the last run stopped, in committed batches.

    The run resumes at the saved offset when the file only grew since, else reads it from its
    start (:mod:`.reading`; the lines read again are duplicates). ``final`` means a one-off
    import: calls still open after ``expire_open_after`` are quarantined, and a last line
    without a newline is read as it is once the file has settled (not modified for
    ``SETTLE_SECONDS``); until then it is left unread, said in a note, and read by the next
    run. A live follower passes ``final=False``: such a line always waits for its newline.

    Each batch of ``batch_lines`` lines is split by :mod:`queue_log_columnar`: ordinary calls
    are paired for the whole batch at once, every other line goes through the state machine;
    the batch, its counters and the position then commit together. Big batches because each
    one costs a few round trips and upserts rollup rows an interval may share with the next.
    """
    path = Path(path)
    name = source_name(path)
    stat = path.stat()
    with Session(engine) as session:
        known = ingest.get_source(session, name)
        offset = 0
        if (
            known is not None
            and known.inode == stat.st_ino
            and resumes_at(path, stat.st_size, known.offset or 0, known.watermark)
        ):
            offset = known.offset or 0
    if not final and known is not None and offset == stat.st_size:
        # A follower with nothing new: the source is alive, no run worth a row.
        with Session(engine) as session, session.begin():
            ingest.mark_source(session, name, collector=COLLECTOR, kind="calls")
        return RunResult(source=name, collector=COLLECTOR)
    importer = QueueLogImporter(engine, spec, name, batch_lines=batch_lines, now=now)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=stat.st_size, initial=offset, unit="B", unit_scale=True, desc=path.name)

    def advance(end: int) -> None:
        if bar is not None:
            bar.update(max(end - bar.n, 0))

    try:
        with path.open("rb") as handle:
            complete_at = settled_size(handle) if final else None
            lines = WholeLines(handle, offset, complete_at=complete_at, batch_lines=batch_lines)
            importer.feed_file(
                handle, stat.st_ino, lines, file_name=path.name,
                line_no=1 if offset == 0 else None, progress=advance,
            )  # fmt: skip
            if note := lines.note():
                importer.result.notes.append(note)
            importer.flush_at(handle, stat.st_ino, lines.end, final=final)
            advance(lines.end)
        if not final:
            with Session(engine) as session, session.begin():
                assert importer.result.run_id is not None
                ingest.finish_run(session, importer.result.run_id, "ok")
    except Exception as exc:
        importer.finish_failed(f"{type(exc).__name__}: {exc}")
        raise
    finally:
        if bar is not None:
            bar.close()
    return importer.result
