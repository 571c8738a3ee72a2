"""The write path every collector uses: facts, rollup deltas and the source position together.

Why one door: "ingest is a transaction". A collector parses and validates; it then hands a batch
to these functions inside one ``with session.begin()``, so the rows, the rollup deltas, the
quarantined lines, the run's counters and the source position commit together or not at all. A
kill at any moment leaves the database as it was after the last whole batch, and the position
tells the next run where to resume.

Duplicates are found by natural key before inserting (rather than by ``ON CONFLICT DO NOTHING``),
because the rollups may only receive the calls that are really new.

The columnar path (:mod:`servicelevel.store.call_columns`) and the source and run bookkeeping
(:mod:`servicelevel.store.runs`) are modules of their own, re-exported here: collectors import
this one module whatever part of the transaction they use.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, tuple_, update
from sqlalchemy.orm import Session

from servicelevel.store import bounds, bulk
from servicelevel.store.call_columns import CallColumns, column_deltas, write_call_columns
from servicelevel.store.rollups import IntervalDelta, RollupSpec, add_call, apply_deltas
from servicelevel.store.runs import (
    add_to_run,
    finish_run,
    get_source,
    mark_source,
    save_position,
    start_run,
)
from servicelevel.store.schema import Call, OpenCall, Quarantine, QueueEvent

__all__ = [  # the columnar path and the run bookkeeping live in their own modules
    "CALL_COLUMNS",
    "EVENT_COLUMNS",
    "PSEUDONYM_ENV",
    "CallColumns",
    "CallFact",
    "CallKey",
    "add_to_run",
    "column_deltas",
    "find_resolved",
    "finish_run",
    "get_source",
    "load_open_calls",
    "mark_source",
    "pseudonym",
    "quarantine",
    "resolved_keys",
    "row_fingerprint",
    "save_position",
    "set_talk_times",
    "start_run",
    "sync_open_calls",
    "talk_times",
    "update_open_calls",
    "write_call_columns",
    "write_calls",
    "write_events",
]

PSEUDONYM_ENV = "SERVICELEVEL_PSEUDONYM_KEY"
CallKey = tuple[str, str, datetime]  # (callid, queue, entered_at)
CALL_COLUMNS = (
    "source", "callid", "queue", "entered_at", "outcome", "wait_s", "ended_at", "talk_s",
    "agent", "caller_hash", "ring_no_answer",
)  # fmt: skip
EVENT_COLUMNS = ("line_hash", "source", "at", "queue", "agent", "event", "data")
_CHUNK = 400  # keys per IN (...) look-up: well under every database's bind-parameter limit


def pseudonym(value: str | None) -> str | None:
    """Keyed hash of a customer identifier, or None when no key is configured.

    Personal data stops at the collector: without a secret in the environment we keep nothing
    rather than an unkeyed (reversible by brute force) hash of a phone number.
    """
    key = os.environ.get(PSEUDONYM_ENV)
    if not value or not key:
        return None
    return hmac.new(key.encode(), value.strip().encode(), hashlib.sha256).hexdigest()


@dataclass(slots=True)
class CallFact:
    """A call as a collector sees it (times aware UTC)."""

    source: str
    callid: str
    queue: str
    entered_at: datetime
    outcome: str = "waiting"  # answered | abandoned | timeout | exitkey | exitempty | waiting
    wait_s: float = 0.0
    ended_at: datetime | None = None
    talk_s: float | None = None
    agent: str | None = None
    caller_hash: str | None = None
    ring_no_answer: int = 0
    lines: int = 1  # input lines that make up this call, for the run's accounting

    @property
    def key(self) -> CallKey:
        return (self.callid, self.queue, self.entered_at)

    def as_call_row(self) -> dict[str, object]:
        return {
            "source": self.source,
            "callid": self.callid,
            "queue": self.queue,
            "entered_at": self.entered_at,
            "outcome": self.outcome,
            "wait_s": self.wait_s,
            "ended_at": self.ended_at,
            "talk_s": self.talk_s,
            "agent": self.agent,
            "caller_hash": self.caller_hash,
            "ring_no_answer": self.ring_no_answer,
        }

    def as_call_tuple(self) -> tuple[object, ...]:
        """The same values as :meth:`as_call_row`, in ``CALL_COLUMNS`` order (bulk insert)."""
        return (
            self.source, self.callid, self.queue, self.entered_at, self.outcome, self.wait_s,
            self.ended_at, self.talk_s, self.agent, self.caller_hash, self.ring_no_answer,
        )  # fmt: skip

    def as_open_row(self) -> dict[str, object]:
        return {
            "source": self.source,
            "callid": self.callid,
            "queue": self.queue,
            "entered_at": self.entered_at,
            "caller_hash": self.caller_hash,
            "ring_no_answer": self.ring_no_answer,
        }


def _existing_keys(session: Session, model: type, keys: Sequence[CallKey]) -> set[CallKey]:
    """Which of ``keys`` already exist in ``model`` (calls or open_calls)."""
    if not keys:
        return set()
    found: set[CallKey] = set()
    low = min(k[2] for k in keys)
    high = max(k[2] for k in keys)
    wanted = set(keys)
    columns = (model.callid, model.queue, model.entered_at)  # type: ignore[attr-defined]
    if len({k[2] for k in keys}) <= _CHUNK:
        # Few distinct instants: look the call ids up and intersect in memory.
        found.update(_by_callid(session, columns, [k[0] for k in keys]))
        return found & wanted
    # Many: scan the time range once (index on entered_at) and intersect in memory.
    query = select(*columns).where(columns[2] >= low, columns[2] <= high)
    found.update(tuple(row) for row in session.execute(query))
    return found & wanted


def _by_callid(session: Session, columns: Sequence[Any], callids: Iterable[str]) -> Iterator[Any]:
    """Rows (of ``columns``, the first being a ``callid``) whose call id is one of ``callids``.

    Why by call id alone: it leads the natural-key index, so every database seeks; a row-value
    ``(callid, queue, entered_at) IN (...)`` is a full table scan on SQLite, which made each
    batch slower as the table grew. Callers keep only the exact keys they asked for.
    """
    wanted = sorted(set(callids))
    for start in range(0, len(wanted), _CHUNK):
        part = wanted[start : start + _CHUNK]
        yield from session.execute(select(*columns).where(columns[0].in_(part)))


def write_calls(session: Session, facts: Sequence[CallFact], spec: RollupSpec) -> list[CallFact]:
    """Store resolved calls that are new; return the ones that were duplicates."""
    if not facts:
        return []
    unique: dict[CallKey, CallFact] = {}
    duplicates: list[CallFact] = []
    for fact in facts:
        if fact.key in unique:
            duplicates.append(fact)
        else:
            unique[fact.key] = fact
    existing = _existing_keys(session, Call, list(unique))
    new = [fact for key, fact in unique.items() if key not in existing]
    duplicates.extend(fact for key, fact in unique.items() if key in existing)
    if new:
        bulk.insert_rows(session, Call.__table__, CALL_COLUMNS, [f.as_call_tuple() for f in new])
        deltas: dict[tuple[str, datetime], IntervalDelta] = {}
        for fact in new:
            add_call(deltas, spec, fact.queue, fact.entered_at, fact.outcome, fact.wait_s)
        apply_deltas(session, deltas, spec)
    return duplicates


def talk_times(session: Session, keys: Sequence[CallKey]) -> dict[CallKey, float | None]:
    """Stored talk time of each of ``keys`` (all of them must be stored calls)."""
    found: dict[CallKey, float | None] = {}
    wanted = set(keys)
    columns = (Call.callid, Call.queue, Call.entered_at, Call.talk_s)
    for callid, queue, entered_at, talk_s in _by_callid(session, columns, [k[0] for k in wanted]):
        if (callid, queue, entered_at) in wanted:
            found[(callid, queue, entered_at)] = talk_s
    return found


def set_talk_times(session: Session, updates: Sequence[tuple[CallKey, float | None]]) -> None:
    """Set the talk time of stored calls, by natural key, in one executemany."""
    if not updates:
        return
    table = Call.__table__
    statement = (
        update(table)
        .where(
            table.c.callid == bindparam("k_callid"),
            table.c.queue == bindparam("k_queue"),
            table.c.entered_at == bindparam("k_entered_at"),
        )
        .values(talk_s=bindparam("k_talk_s"))
    )
    session.connection().execute(
        statement,
        [
            {"k_callid": c, "k_queue": q, "k_entered_at": e, "k_talk_s": talk}
            for (c, q, e), talk in updates
        ],
    )


def resolved_keys(session: Session, keys: Sequence[CallKey]) -> set[CallKey]:
    """Which of ``keys`` are stored as resolved calls (to recognise a re-imported outcome)."""
    return _existing_keys(session, Call, list(keys))


def find_resolved(
    session: Session, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], list[datetime]]:
    """Entry times of stored calls for (callid, queue) pairs (re-imports of outcome lines)."""
    found: dict[tuple[str, str], list[datetime]] = {}
    wanted = set(pairs)
    columns = (Call.callid, Call.queue, Call.entered_at)
    for callid, queue, entered_at in _by_callid(session, columns, [p[0] for p in wanted]):
        if (callid, queue) in wanted:
            found.setdefault((callid, queue), []).append(entered_at)
    return found


def sync_open_calls(
    session: Session, opened: Sequence[CallFact], closed: Sequence[CallKey]
) -> list[CallFact]:
    """Persist calls still waiting and forget those resolved; return duplicate openings."""
    for start in range(0, len(closed), _CHUNK):
        part = list(closed[start : start + _CHUNK])
        session.execute(
            delete(OpenCall).where(
                tuple_(OpenCall.callid, OpenCall.queue, OpenCall.entered_at).in_(part)
            )
        )
    if not opened:
        return []
    keys = [fact.key for fact in opened]
    seen = _existing_keys(session, OpenCall, keys) | _existing_keys(session, Call, keys)
    new = [fact for fact in opened if fact.key not in seen]
    if new:
        session.execute(insert(OpenCall), [fact.as_open_row() for fact in new])
    return [fact for fact in opened if fact.key in seen]


def update_open_calls(session: Session, facts: Sequence[CallFact]) -> None:
    """Keep the ring count of calls still waiting that an earlier batch stored."""
    for fact in facts:
        session.execute(
            update(OpenCall)
            .where(
                OpenCall.callid == fact.callid,
                OpenCall.queue == fact.queue,
                OpenCall.entered_at == fact.entered_at,
            )
            .values(ring_no_answer=fact.ring_no_answer)
        )


def load_open_calls(session: Session, source: str) -> list[CallFact]:
    rows = session.execute(select(OpenCall).where(OpenCall.source == source)).scalars()
    return [
        CallFact(
            source=row.source,
            callid=row.callid,
            queue=row.queue,
            entered_at=row.entered_at,
            caller_hash=row.caller_hash,
            ring_no_answer=row.ring_no_answer,
            lines=0,  # its lines were counted by the run that read them
        )
        for row in rows
    ]


def write_events(session: Session, events: Sequence[dict[str, object]]) -> int:
    """Store agent/system events by line hash; returns how many were duplicates.

    The stored hashes are looked up by the batch's time range: an event's time is read from
    its own line, so the same line (the same hash) always has the same time. Why not by hash
    (``IN (...)``): right after a bulk load the planner has no statistics and scans the whole
    table for each chunk of hashes.
    """
    if not events:
        return 0
    by_hash = {str(e["line_hash"]): e for e in events}
    duplicates = len(events) - len(by_hash)
    times = [e["at"] for e in by_hash.values()]
    query = select(QueueEvent.line_hash).where(
        QueueEvent.at >= min(times),  # type: ignore[type-var]
        QueueEvent.at <= max(times),  # type: ignore[type-var]
    )
    existing = set(session.execute(query).scalars()) & by_hash.keys()
    new = [event for h, event in by_hash.items() if h not in existing]
    if new:
        # Through the driver (COPY / executemany): the ORM's per-row handling cost more than
        # the database's work for a big batch.
        rows = [[e[c] for c in EVENT_COLUMNS] for e in new]
        bulk.insert_rows(session, QueueEvent.__table__, EVENT_COLUMNS, rows)
    return duplicates + len(existing)


def row_fingerprint(
    source: str, location: str, reason: str, raw: str, text: str = "", occurrence: int = 0
) -> str:
    """Which row of which source a quarantined row is: the same row read again has the same.

    ``raw`` is what the quarantine keeps of the row; ``text`` the row's own text when nothing
    of it is kept (a record that could not be split into columns): only its digest enters,
    keyed with the pseudonym key when there is one, since a short line may be a phone number.
    ``occurrence`` tells apart identical rows at one place (an SQL source's rows sharing a
    watermark value). Migration r0140 computes the same for rows without ``text``: change
    neither alone.
    """
    digest = hashlib.sha256()
    for part in (source, location, reason, raw):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    if text:
        data = text.encode("utf-8", "surrogatepass")
        key = os.environ.get(PSEUDONYM_ENV)
        own = hmac.new(key.encode(), data, hashlib.sha256) if key else hashlib.sha256(data)
        digest.update(b"text:" + own.digest())
    if occurrence:
        digest.update(f"#{occurrence}".encode())
    return digest.hexdigest()


def quarantine(
    session: Session,
    source: str,
    rows: Sequence[tuple[str, str, str]],
    *,
    texts: Sequence[str] | None = None,
) -> list[bool]:
    """Keep unusable rows as (location, reason, raw) so they can be explained and replayed.

    Returns, row by row, whether it was already quarantined (the same row read again): those
    are duplicates and are not listed twice. Location and reason are cut to their columns.

    With ``texts`` (one per row: the row's text when ``raw`` keeps none of it, else ""), a row
    is the same only if it is the same row of the same source at the same place, for the same
    reason (:func:`row_fingerprint`): so each file's accounting holds on its own, and only a
    re-read counts as duplicates. Without, the same raw line quarantined for the same reason by
    any source is the same (a rotated queue_log read under its new name); an empty line is the
    same only at the same place (:func:`_same_line`).
    """
    if not rows:
        return []
    rows = [
        (bounds.fit_text("quarantine.location", loc), bounds.fit_text("quarantine.reason", reason),
         raw)
        for loc, reason, raw in rows
    ]  # fmt: skip
    if texts is not None:
        return _quarantine_rows(session, source, rows, texts)
    raws = sorted({raw for _, _, raw in rows})
    known: set[tuple[str, str, str]] = set()
    for start in range(0, len(raws), _CHUNK):
        part = raws[start : start + _CHUNK]
        query = select(Quarantine.raw, Quarantine.reason, Quarantine.location).where(
            Quarantine.raw.in_(part)
        )
        known.update(_same_line(*found) for found in session.execute(query))
    now = datetime.now(UTC)
    seen: list[bool] = []
    new: list[dict[str, object]] = []
    for loc, reason, raw in rows:
        same = _same_line(raw, reason, loc)
        repeated = same in known
        seen.append(repeated)
        if not repeated:
            new.append(
                {
                    "source": source,
                    "location": loc,
                    "reason": reason,
                    "raw": raw,
                    "quarantined_at": now,
                }
            )
            known.add(same)
    if new:
        session.execute(insert(Quarantine), new)
    return seen


_PLACE = re.compile(r"[:@]\d+$")


def _same_line(raw: str, reason: str, location: str) -> tuple[str, str, str]:
    """What makes two raw quarantined lines the same: their text and reason, whichever file
    held them (a rotated queue_log re-read under its new name), and for an empty line, which
    has no text to tell it apart, its place in the file too (its line number or byte offset),
    so that a file's three empty lines are three lines, not one line and two duplicates.
    """
    if raw:
        return raw, reason, ""
    place = _PLACE.search(location)
    return raw, reason, place.group() if place else location


def _quarantine_rows(
    session: Session, source: str, rows: Sequence[tuple[str, str, str]], texts: Sequence[str]
) -> list[bool]:
    """:func:`quarantine` by fingerprint (the rows already fitted to their columns)."""
    occurrences: dict[tuple[str, str, str, str], int] = {}
    prints = []
    for (loc, reason, raw), text in zip(rows, texts, strict=True):
        n = occurrences.get((loc, reason, raw, text), 0)
        occurrences[(loc, reason, raw, text)] = n + 1
        prints.append(row_fingerprint(source, loc, reason, raw, text, n))
    wanted = sorted(set(prints))
    known: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        part = wanted[start : start + _CHUNK]
        query = select(Quarantine.fingerprint).where(Quarantine.fingerprint.in_(part))
        known.update(f for f in session.execute(query).scalars() if f is not None)
    now = datetime.now(UTC)
    new = [
        {"source": source, "location": loc, "reason": reason, "raw": raw,
         "quarantined_at": now, "fingerprint": fingerprint}
        for (loc, reason, raw), fingerprint in zip(rows, prints, strict=True)
        if fingerprint not in known
    ]  # fmt: skip
    if new:
        session.execute(insert(Quarantine), new)
    return [fingerprint in known for fingerprint in prints]
