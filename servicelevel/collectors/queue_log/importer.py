"""Asterisk ``queue_log``: turn queue events into calls, nothing lost, nothing counted twice.

Line format (Asterisk docs): ``epoch|callid|queue|agent|EVENT|data1|data2|...``. One call is one
ENTERQUEUE per (callid, queue); its outcome is the first CONNECT, ABANDON, EXITWITHTIMEOUT,
EXITWITHKEY or EXITEMPTY that follows. Field order follows Asterisk:

* CONNECT ``holdtime|bridged uniqueid|ringtime`` -> wait = holdtime
* ABANDON / EXITWITHTIMEOUT / EXITEMPTY ``position|origposition|waittime`` -> wait = waittime
* EXITWITHKEY ``key|position|origposition|waittime`` -> wait = waittime
* COMPLETEAGENT / COMPLETECALLER ``holdtime|calltime|origposition``, TRANSFER and
  BLINDTRANSFER ``extension|context|holdtime|calltime|origposition``, ATTENDEDTRANSFER
  ``method|method data|holdtime|calltime|origposition`` -> talk time. The method data is one
  field (BRIDGE, APP) or two (LINK names both channels), so its call time is read from the right.

Older Asterisk versions log fewer fields (EXITWITHTIMEOUT with ``position`` only); the wait is
then the time between ENTERQUEUE and the outcome line. Agent and system events (logins, pauses,
members, QUEUESTART...) are kept in ``queue_events`` on purpose; an event we do not know is
quarantined, never guessed.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from servicelevel.collectors.base import RunResult
from servicelevel.collectors.queue_log import columnar as queue_log_columnar
from servicelevel.store import ingest
from servicelevel.store.ingest import CallColumns, CallFact, CallKey
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.rollups_job import ensure_rollups

COLLECTOR = "asterisk-queue-log"
OUTCOME_EVENTS = {
    "CONNECT": ("answered", 0),
    "ABANDON": ("abandoned", 2),
    "EXITWITHTIMEOUT": ("timeout", 2),
    "EXITEMPTY": ("exitempty", 2),
    "EXITWITHKEY": ("exitkey", 3),
}
# (index of holdtime, index of calltime) in the data fields
TALK_EVENTS = {
    "COMPLETEAGENT": 1,
    "COMPLETECALLER": 1,
    "TRANSFER": 3,
    "BLINDTRANSFER": 3,
    "ATTENDEDTRANSFER": 3,
}
OTHER_EVENTS = frozenset(
    {
        "ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL",
        "AGENTLOGIN", "AGENTLOGOFF", "AGENTCALLBACKLOGIN", "AGENTCALLBACKLOGOFF",
        "QUEUESTART", "CONFIGRELOAD", "AGENTDUMP", "SYSCOMPAT", "PENALTY", "JOINEMPTY",
        "JOINUNAVAIL", "INFO", "DID", "RINGCANCELED", "REQUEUE",
    }
)  # fmt: skip
MAX_FUTURE = timedelta(days=1)
BATCH_LINES = 250_000  # lines per transaction of import_file: few round trips, bounded memory
READ_BYTES = 1 << 24


@dataclass(slots=True)
class Line:
    """One parsed queue_log line (a row of the realtime table looks the same)."""

    epoch: int
    callid: str
    queue: str
    agent: str
    event: str
    data: list[str]
    location: str
    raw: str


class LineError(ValueError):
    """A line that cannot be used; the message is the quarantine reason."""


def parse_line(raw: str, location: str) -> Line:
    parts = raw.rstrip("\r\n").split("|")
    if len(parts) < 5:
        raise LineError(
            f"missing fields: expected at least 5 '|'-separated fields, got {len(parts)}"
        )
    stamp, callid, queue, agent, event = parts[:5]
    try:
        epoch = int(float(stamp)) if "." in stamp else int(stamp)
    except ValueError:
        raise LineError(f"bad timestamp: {stamp[:30]!r} is not a Unix time") from None
    if epoch <= 0:
        raise LineError(f"bad timestamp: {epoch} is not a Unix time")
    return Line(
        epoch,
        callid.strip(),
        queue.strip(),
        agent.strip(),
        event.strip().upper(),
        parts[5:],
        location,
        raw.rstrip("\r\n"),
    )


def _calltime(line: Line) -> float | None:
    """Talk time of a COMPLETE*/TRANSFER line (None when the Asterisk version omits it)."""
    index = TALK_EVENTS[line.event]
    if line.event == "ATTENDEDTRANSFER" and len(line.data) > 5:
        index = len(line.data) - 2  # LINK|chan1|chan2|holdtime|calltime|origposition
    return _seconds(line.data, index, "calltime")


def _seconds(data: list[str], index: int, what: str) -> float | None:
    """A duration field, None when absent (older Asterisk), LineError when malformed."""
    if index >= len(data) or data[index].strip() == "":
        return None
    try:
        value = float(data[index])
    except ValueError:
        raise LineError(f"bad {what}: {data[index][:30]!r} is not a number of seconds") from None
    if not math.isfinite(value):  # float() reads "nan" and "inf"; no database stores NaN
        raise LineError(f"bad {what}: {data[index][:30]!r} is not a number of seconds")
    if value < 0:
        raise LineError(f"bad {what}: {value} is negative")
    return value


HASHED = "pseudonym:"  # a caller id already replaced by its keyed hash (quarantined lines)


def _without_caller_number(raw: str) -> str:
    """A quarantined ENTERQUEUE keeps its caller id only as a keyed hash: phone numbers are
    personal data and never stored."""
    parts = raw.split("|")
    if len(parts) > 6 and parts[4].strip().upper() == "ENTERQUEUE" and parts[6].strip():
        if not parts[6].startswith(HASHED):
            hashed = ingest.pseudonym(parts[6])
            parts[6] = f"{HASHED}{hashed}" if hashed else ""
        return "|".join(parts)
    return raw


@dataclass
class _Batch:
    resolved: list[CallFact] = field(default_factory=list)
    closed_persisted: list[CallKey] = field(default_factory=list)
    events: list[dict[str, object]] = field(default_factory=list)
    quarantined: list[tuple[str, str, str]] = field(default_factory=list)
    quarantined_lines: list[int] = field(default_factory=list)  # input lines behind each row
    orphans: list[Line] = field(default_factory=list)
    talk_updates: list[Line] = field(default_factory=list)
    fast: list[CallColumns] = field(default_factory=list)  # calls of the columnar path
    lines: int = 0


class QueueLogImporter:
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
        self.engine = engine
        self.spec = spec
        self.source = source
        self.batch_lines = batch_lines
        self.expire_open_after = expire_open_after
        self.now = now
        self.open: dict[tuple[str, str], CallFact] = {}
        self.persisted: set[CallKey] = set()
        self.answered_recent: dict[tuple[str, str], CallFact] = {}
        self.result = RunResult(source=source, collector=COLLECTOR)
        self.batch = _Batch()
        self.newest: datetime | None = None
        self.counted: dict[CallKey, int] = {}  # lines of waiting calls counted stored this run
        self._flushed = (0, 0, 0, 0)  # counters already written to the run row
        self._surely_past = int(((now or datetime.now(UTC)) + MAX_FUTURE).timestamp())
        # Read once, not per call: a key set in the middle of an import would mix the two.
        self._hash_callers = bool(os.environ.get(ingest.PSEUDONYM_ENV))
        ensure_rollups(engine, spec)
        with Session(engine) as session, session.begin():
            for fact in ingest.load_open_calls(session, source):
                self.open[(fact.callid, fact.queue)] = fact
                self.persisted.add(fact.key)
            self.result.run_id = ingest.start_run(session, source, COLLECTOR)

    # -- the state machine -------------------------------------------------------------------
    def feed(self, line: Line) -> None:
        self.batch.lines += 1
        self.result.read += 1
        try:
            self._apply(line)
        except LineError as exc:
            self._quarantine(line.location, str(exc), line.raw)

    def feed_raw(self, raw: str, location: str) -> None:
        try:
            line = parse_line(raw, location)
        except LineError as exc:
            self.batch.lines += 1
            self.result.read += 1
            self._quarantine(location, str(exc), raw.rstrip("\r\n"))
            return
        self.feed(line)

    def feed_bytes(self, raw: bytes, location: str) -> None:
        """One line of a file as read (its newline included)."""
        if raw.strip():
            self.feed_raw(_decode(raw), location)
        else:
            self.batch.lines += 1
            self.result.read += 1
            self._quarantine(location, "empty line", "")

    def feed_lines(self, buf: bytes, offset: int, line_no: int | None, file_name: str) -> None:
        """Whole lines of a file: ordinary calls by the columnar path, the rest one by one.

        ``offset`` is the file offset of ``buf``; ``line_no`` the number of its first line when
        known (a read from the start), else locations are byte offsets.
        """
        split = queue_log_columnar.split_batch(
            buf,
            source=self.source,
            surely_past=self._surely_past,
            skip_pairs=set(self.open) | {(k[0], k[1]) for k in self.persisted},
            pseudonym=ingest.pseudonym if self._hash_callers else None,
        )
        if split.calls is not None:
            self.batch.fast.append(split.calls)
            self.batch.lines += split.fast_lines
            self.result.read += split.fast_lines
            assert split.newest is not None
            newest = datetime.fromtimestamp(split.newest, UTC)
            if self.newest is None or newest > self.newest:
                self.newest = newest
        starts, ends = split.starts.tolist(), split.ends.tolist()
        for i in split.slow.tolist():
            if line_no is not None:
                where = f"{file_name}:{line_no + i}"
            else:
                where = f"{file_name}@{offset + starts[i]}"
            self.feed_bytes(buf[starts[i] : ends[i]], where)

    def _quarantine(self, location: str, reason: str, raw: str) -> None:
        raw = _without_caller_number(raw)
        self.batch.quarantined.append((location, reason, raw))
        self.batch.quarantined_lines.append(1)
        self.result.quarantined += 1
        self.result.count_reason(reason)

    def _apply(self, line: Line) -> None:
        at = datetime.fromtimestamp(line.epoch, UTC)
        # The clock only moves forward: below the limit taken at start, no need to read it.
        if line.epoch > self._surely_past and at > (self.now or datetime.now(UTC)) + MAX_FUTURE:
            raise LineError(f"timestamp in the future: {at.isoformat()} (clock wrong?)")
        if self.newest is None or at > self.newest:
            self.newest = at
        event = line.event
        if event == "ENTERQUEUE":
            self._enter(line, at)
        elif event in OUTCOME_EVENTS:
            self._outcome(line, at)
        elif event in TALK_EVENTS:
            self._talk(line)
        elif event == "RINGNOANSWER":
            fact = self.open.get((line.callid, line.queue))
            if fact is None:
                raise LineError("RINGNOANSWER for a call not waiting in this queue")
            fact.ring_no_answer += 1
            fact.lines += 1
        elif event in OTHER_EVENTS or line.queue == "NONE":
            self.batch.events.append(
                {
                    "line_hash": hashlib.sha1(line.raw.encode()).hexdigest(),
                    "source": self.source,
                    "at": at,
                    "queue": line.queue,
                    "agent": line.agent,
                    "event": event,
                    "data": "|".join(line.data),
                }
            )
        else:
            raise LineError(f"unknown event: {event[:40]!r}")

    def _require_call(self, line: Line) -> None:
        if not line.callid or line.callid.upper() == "NONE":
            raise LineError(f"missing callid on {line.event}")
        if not line.queue or line.queue == "NONE":
            raise LineError(f"missing queue on {line.event}")

    def _enter(self, line: Line, at: datetime) -> None:
        self._require_call(line)
        pair = (line.callid, line.queue)
        earlier = self.open.get(pair)
        if earlier is not None:
            if earlier.entered_at == at:
                self.result.duplicates += 1  # the same ENTERQUEUE read twice: one call
                return
            self._expire(earlier, "ENTERQUEUE never closed: the call entered the queue again")
        caller = line.data[1] if len(line.data) > 1 else None
        if caller and caller.startswith(HASHED):  # a replayed line: already a keyed hash
            caller_hash: str | None = caller[len(HASHED) :]
        else:
            caller_hash = ingest.pseudonym(caller) if self._hash_callers else None
        self.open[pair] = CallFact(
            source=self.source,
            callid=line.callid,
            queue=line.queue,
            entered_at=at,
            caller_hash=caller_hash,
        )

    def _outcome(self, line: Line, at: datetime) -> None:
        self._require_call(line)
        outcome, index = OUTCOME_EVENTS[line.event]
        wait = _seconds(line.data, index, "holdtime" if outcome == "answered" else "waittime")
        fact = self.open.pop((line.callid, line.queue), None)
        if fact is None:
            self.batch.orphans.append(line)  # decided at flush: re-import, or no ENTERQUEUE
            return
        if wait is None:
            wait = max((at - fact.entered_at).total_seconds(), 0.0)
        fact.outcome, fact.wait_s, fact.ended_at = outcome, wait, at
        fact.lines += 1
        if outcome == "answered":
            fact.agent = line.agent or None
            self.answered_recent[(line.callid, line.queue)] = fact
        if fact.key in self.persisted:
            self.batch.closed_persisted.append(fact.key)
            self.persisted.discard(fact.key)
        self.counted.pop(fact.key, None)
        self.batch.resolved.append(fact)

    def _talk(self, line: Line) -> None:
        self._require_call(line)
        talk = _calltime(line)
        fact = self.answered_recent.pop((line.callid, line.queue), None)
        if fact is None:
            self.batch.talk_updates.append(line)  # its CONNECT was stored by an earlier batch
            return
        fact.talk_s = talk
        fact.lines += 1

    def _expire(self, fact: CallFact, reason: str) -> None:
        """Quarantine a call whose ENTERQUEUE never got an outcome."""
        self.open.pop((fact.callid, fact.queue), None)
        raw = f"{int(fact.entered_at.timestamp())}|{fact.callid}|{fact.queue}|NONE|ENTERQUEUE|"
        self.batch.quarantined.append((f"call {fact.callid}", reason, raw))
        self.result.count_reason(reason)
        if fact.key in self.persisted:
            self.batch.closed_persisted.append(fact.key)
            self.persisted.discard(fact.key)
        counted_here = self.counted.pop(fact.key, 0)
        self.batch.quarantined_lines.append(counted_here + fact.lines)
        if counted_here == 0 and fact.lines == 0:
            # Read and counted "stored" by an earlier run; reported separately.
            self.result.expired_from_earlier_runs += 1
            return
        self.result.stored -= counted_here  # counted "stored" earlier in this run
        self.result.quarantined += counted_here + fact.lines
        fact.lines = 0

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

    def flush(
        self,
        *,
        position: tuple[int, int] | None = None,
        final: bool = False,
        also: Callable[[Session], None] | None = None,
    ) -> None:
        """Write the batch, the counters and the position in one transaction.

        ``also`` makes more writes in the same transaction (a table reader's watermark).
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
                fact = self.open.get((key[0], key[1]))
                if fact is not None and fact.key == key:
                    del self.open[(key[0], key[1])]
                    result.duplicates += fact.lines
                    fact.lines = 0
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
                    inode=inode, offset=offset, last_event_at=self.newest,
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
            fact = max(mine, key=lambda f: f.entered_at, default=None)
            if fact is not None and (not entries or fact.entered_at > max(entries)):
                # Answered in this very batch, not stored yet (e.g. the talk line read twice).
                talk = _calltime(line)
                if fact.talk_s == talk:
                    self.result.duplicates += 1
                else:
                    fact.talk_s = talk
                    self.result.stored += 1
                continue
            if not entries:
                self._quarantine(line.location, f"{line.event} without CONNECT", line.raw)
                continue
            stored.append(((line.callid, line.queue, max(entries)), _calltime(line)))
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


def _read_batches(
    handle, offset: int, final: bool, batch_lines: int
) -> Iterator[tuple[bytes, int]]:  # type: ignore[no-untyped-def]
    """Yield (whole lines, file offset) of at most ``batch_lines`` lines each.

    A trailing partial line is left unless ``final``.
    """
    handle.seek(offset)
    buf, start, eof = b"", offset, False
    while True:
        while not eof and buf.count(b"\n") < batch_lines:
            more = handle.read(READ_BYTES)
            if more:
                buf += more
            else:
                eof = True
        if not buf:
            return
        newlines = np.flatnonzero(np.frombuffer(buf, dtype=np.uint8) == 10)
        if len(newlines) >= batch_lines:
            cut = int(newlines[batch_lines - 1]) + 1
        elif final:
            cut = len(buf)
        else:
            cut = int(newlines[-1]) + 1 if len(newlines) else 0
        if cut == 0:
            return
        yield buf[:cut], start
        start, buf = start + cut, buf[cut:]


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # Asterisk writes caller names in whatever the trunk sent


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
    """Import ``path`` from where the last run stopped (offset + inode), in committed batches.

    ``final`` means the file is complete (a one-off import): a last line without a newline is
    read and calls still open after ``expire_open_after`` are quarantined. A live follower passes
    ``final=False``.

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
        if known is not None and known.inode == stat.st_ino and (known.offset or 0) <= stat.st_size:
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
    line_no = 1 if offset == 0 else None  # number of the next line, when known
    end = offset
    file_name = path.name
    try:
        with path.open("rb") as handle:
            for buf, start in _read_batches(handle, offset, final, batch_lines):
                importer.feed_lines(buf, start, line_no, file_name)
                end = start + len(buf)
                if line_no is not None:
                    line_no += buf.count(b"\n") + (not buf.endswith(b"\n"))
                if importer.batch.lines >= batch_lines:
                    importer.flush(position=(stat.st_ino, end))
                    if bar is not None:
                        bar.update(end - bar.n)
        importer.flush(position=(stat.st_ino, end), final=final)
        if not final:
            with Session(engine) as session, session.begin():
                assert importer.result.run_id is not None
                ingest.finish_run(session, importer.result.run_id, "ok")
    except Exception as exc:
        importer.finish_failed(f"{type(exc).__name__}: {exc}")
        raise
    finally:
        if bar is not None:
            bar.update(max(end - bar.n, 0))
            bar.close()
    return importer.result
