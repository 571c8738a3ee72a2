"""The call state machine of one queue_log source: lines in, calls and quarantined lines out.

One call is one ENTERQUEUE per (callid, queue); its outcome is the first CONNECT, ABANDON,
EXITWITHTIMEOUT, EXITWITHKEY or EXITEMPTY that follows, and a COMPLETE*/TRANSFER line after a
CONNECT gives its talk time (line format: :mod:`.parse`). The machine only fills a batch in
memory; :class:`~servicelevel.collectors.queue_log.importer.QueueLogImporter` decides, at each
flush, what the batch means against the store (a re-read, an orphan) and commits it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from servicelevel.collectors.base import RunResult
from servicelevel.collectors.queue_log import columnar as queue_log_columnar
from servicelevel.collectors.queue_log.parse import (
    COLLECTOR,
    HASHED,
    MAX_FUTURE,
    OTHER_EVENTS,
    OUTCOME_EVENTS,
    TALK_EVENTS,
    Line,
    LineError,
    calltime,
    decode,
    parse_line,
    seconds,
    without_caller_number,
)
from servicelevel.store import ingest
from servicelevel.store.ingest import CallColumns, CallFact, CallKey


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


class CallStates:
    """What is known of the calls of one source between two flushes, and the lines fed so far."""

    def __init__(
        self,
        source: str,
        *,
        expire_open_after: timedelta = timedelta(hours=12),
        now: datetime | None = None,
        hash_callers: bool = False,
    ) -> None:
        self.source = source
        self.expire_open_after = expire_open_after
        self.now = now
        self.open: dict[tuple[str, str], CallFact] = {}
        self.persisted: set[CallKey] = set()
        self.answered_recent: dict[tuple[str, str], CallFact] = {}
        self.result = RunResult(source=source, collector=COLLECTOR)
        self.batch = _Batch()
        self.newest: datetime | None = None
        self.counted: dict[CallKey, int] = {}  # lines of waiting calls counted stored this run
        self._surely_past = int(((now or datetime.now(UTC)) + MAX_FUTURE).timestamp())
        self._hash_callers = hash_callers

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
            self.feed_raw(decode(raw), location)
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
        raw = without_caller_number(raw)
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
        wait = seconds(line.data, index, "holdtime" if outcome == "answered" else "waittime")
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
        talk = calltime(line)
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
