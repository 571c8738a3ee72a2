"""Bookkeeping of the ingest transaction: each source's position and health, each run's counts.

These rows commit in the same transaction as the batch they describe (see
:mod:`servicelevel.store.ingest`, which re-exports these), so a resumed run starts where the
last committed batch ended.
"""

from __future__ import annotations

import re
import traceback
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from servicelevel.store.schema import IngestRun, Source

FAILURE_TEXT_LIMIT = 300
_QUOTED_AFTER_COLON = re.compile(r""":\s*(['"]).*$""")
_ALL_QUOTED = re.compile(r"""^(['"]).*\1$""")


def failure_text(exc: BaseException) -> str:
    """What may be kept and shown of a failure: its class and a short first line, no row data.

    Why: the message of a refused batch holds the batch. SQLAlchemy's shows the statement and
    its parameters (agent names, call ids), PostgreSQL's the failing row ("DETAIL: Failing row
    contains (...)", "CONTEXT: COPY calls, line 1: ..."), Python's the value it could not
    convert. ``sources.last_error`` and ``ingest_runs.error`` are shown on the Sources page and
    by the CLI. Kept: the driver's exception class and its primary message's first line (the
    server's own, without DETAIL or CONTEXT), a quoted value after a colon replaced.
    """
    orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
    inner = orig if isinstance(orig, BaseException) else exc
    diag = getattr(inner, "diag", None)  # psycopg: the server's message in parts
    message = str(getattr(diag, "message_primary", None) or inner).strip()
    first = message.splitlines()[0].strip() if message else ""
    first = _QUOTED_AFTER_COLON.sub(": (value not shown)", first)
    first = _ALL_QUOTED.sub("(value not shown)", first)
    text = f"{type(inner).__name__}: {first}" if first else type(inner).__name__
    return text[:FAILURE_TEXT_LIMIT]


def failure_traceback(exc: BaseException) -> str:
    """A failure's traceback for the log, with each exception's message as :func:`failure_text`.

    Why: ``log.exception`` prints the message of every exception in the chain, and a refused
    batch's message holds rows (PostgreSQL's DETAIL and CONTEXT lines quote them, psycopg's
    COPY errors the failing line); logs are mailed, shipped and pasted into tickets. The frames
    (file, line, code) stay, since they are what a developer needs; the values do not.
    """
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = "".join(traceback.format_tb(current.__traceback__))
        parts.append(f"Traceback (most recent call last):\n{frames}{failure_text(current)}")
        if current.__cause__ is not None:
            current, link = current.__cause__, "The above was caused by:"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, "While handling:"
        else:
            break
        parts.append(link)
    return "\n".join(parts)  # the failure first, then what caused it (the reverse of Python's)


def save_position(
    session: Session,
    name: str,
    *,
    collector: str,
    kind: str,
    inode: int | None = None,
    offset: int | None = None,
    watermark: str | None = None,
    last_event_at: datetime | None = None,
) -> None:
    source = session.get(Source, name)
    if source is None:
        source = Source(name=name, collector=collector, kind=kind)
        session.add(source)
    source.inode, source.offset = inode, offset
    if watermark is not None:
        source.watermark = watermark
    if last_event_at is not None and (
        source.last_event_at is None or last_event_at > source.last_event_at
    ):
        source.last_event_at = last_event_at


def get_source(session: Session, name: str) -> Source | None:
    return session.get(Source, name)


def mark_source(
    session: Session, name: str, *, collector: str, kind: str, error: str | None = None
) -> None:
    """Record that a source was read successfully (or failed) just now; drives "stale"."""
    source = session.get(Source, name)
    if source is None:
        source = Source(name=name, collector=collector, kind=kind)
        session.add(source)
    now = datetime.now(UTC)
    if error is None:
        source.last_ok_at = now
        source.last_error = None
    else:
        source.last_error, source.last_error_at = error, now


def start_run(session: Session, source: str, collector: str) -> int:
    run = IngestRun(source=source, collector=collector, started_at=datetime.now(UTC))
    session.add(run)
    session.flush()
    return run.id


def add_to_run(
    session: Session, run_id: int, *, read: int, stored: int, duplicates: int, quarantined: int
) -> None:
    session.execute(
        update(IngestRun)
        .where(IngestRun.id == run_id)
        .values(
            read=IngestRun.read + read,
            stored=IngestRun.stored + stored,
            duplicates=IngestRun.duplicates + duplicates,
            quarantined=IngestRun.quarantined + quarantined,
        )
    )


def finish_run(session: Session, run_id: int, status: str, error: str | None = None) -> IngestRun:
    run = session.get(IngestRun, run_id)
    assert run is not None
    run.status, run.error, run.finished_at = status, error, datetime.now(UTC)
    return run
