"""Claims: do a piece of scheduled work once, even with two workers or after a restart.

Two tables, one pattern (healthchecks' ``sendreports``: "a sort of optimistic lock"):

* ``send_log``: one row per (kind, period), e.g. ("weekly", "2026-W47"). A sender *claims*
  the row (insert, or a conditional update of a failed/expired row) and commits the claim
  before it talks to the mail server. Whoever's insert or update does not land skips.
* ``job_leases``: one row per scheduled job; a run holds the lease until it finishes (or its
  lease runs out after a crash), so two workers never run the same job at the same time.

Both are plain SQL that behaves the same on SQLite and PostgreSQL: a unique key and
``UPDATE ... WHERE <what we read>`` whose row count says who won.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from servicelevel.store.schema import JobLease, SendLog

# A claim older than this whose sender never said "sent" or "failed" (it was killed) may be
# taken over. If the process died after the server accepted the message but before we wrote
# "sent", that one message goes out twice: we prefer a rare duplicate to a lost report.
SENDING_EXPIRES = timedelta(minutes=30)


def worker_id() -> str:
    """Who claims: host and process, for the log and the send_log row."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class Claim:
    id: int
    kind: str
    period: str
    attempt: int


def claim_send(
    engine: Engine,
    kind: str,
    period: str,
    *,
    now: datetime,
    owner: str | None = None,
    recipients: str = "",
    force: bool = False,
) -> Claim | None:
    """Claim the sending of (kind, period); None when it is sent, or someone else is on it.

    ``force`` takes the row whatever its state (``report weekly --send --force``).
    """
    owner = owner or worker_id()
    try:
        with Session(engine) as session, session.begin():
            row_id = session.execute(
                insert(SendLog)
                .values(
                    kind=kind, period=period, status="sending", owner=owner, attempts=1,
                    claimed_at=now, recipients=recipients,
                )
                .returning(SendLog.id)
            ).scalar_one()  # fmt: skip
        return Claim(row_id, kind, period, 1)
    except IntegrityError:
        pass  # the row exists: take it over if it failed, expired, or we force
    takeable = or_(
        SendLog.status == "failed",
        (SendLog.status == "sending") & (SendLog.claimed_at < now - SENDING_EXPIRES),
    )
    # One conditional UPDATE: whoever's statement changes the row has the claim. (A read then
    # a write would let two workers both read "failed".)
    with Session(engine) as session, session.begin():
        row = session.execute(
            update(SendLog)
            .where(SendLog.kind == kind, SendLog.period == period)
            .where(true() if force else takeable)
            .values(
                status="sending", owner=owner, attempts=SendLog.attempts + 1, claimed_at=now,
                recipients=recipients, error=None,
            )
            .returning(SendLog.id, SendLog.attempts)
            .execution_options(synchronize_session=False)
        ).first()  # fmt: skip
    if row is None:
        return None
    return Claim(row[0], kind, period, row[1])


def finish_send(engine: Engine, claim: Claim, *, now: datetime, error: str | None = None) -> None:
    """Record the outcome of a claimed send: ``sent``, or ``failed`` (retried next run)."""
    values: dict[str, object] = {"status": "failed", "error": error}
    if error is None:
        values = {"status": "sent", "sent_at": now, "error": None}
    with Session(engine) as session, session.begin():
        session.execute(
            update(SendLog)
            .where(SendLog.id == claim.id, SendLog.attempts == claim.attempt)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def send_status(engine: Engine, kind: str, period: str) -> SendLog | None:
    with Session(engine) as session:
        return session.execute(
            select(SendLog).where(SendLog.kind == kind, SendLog.period == period)
        ).scalar_one_or_none()


def acquire_lease(
    engine: Engine, name: str, *, now: datetime, owner: str, lease: timedelta
) -> bool:
    """Take the job's lease if it is free or expired; True when we hold it."""
    until = now + lease
    with Session(engine) as session, session.begin():
        result = session.execute(
            update(JobLease)
            .where(
                JobLease.name == name,
                or_(JobLease.leased_until.is_(None), JobLease.leased_until <= now),
            )
            .values(owner=owner, leased_until=until, last_started_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return True
    try:
        with Session(engine) as session, session.begin():
            session.execute(
                insert(JobLease).values(
                    name=name, owner=owner, leased_until=until, last_started_at=now
                )
            )
        return True
    except IntegrityError:
        return False  # exists and is held by someone else


def release_lease(
    engine: Engine, name: str, *, now: datetime, owner: str, error: str | None = None
) -> None:
    with Session(engine) as session, session.begin():
        session.execute(
            update(JobLease)
            .where(JobLease.name == name, JobLease.owner == owner)
            .values(leased_until=None, last_finished_at=now, last_error=error)
            .execution_options(synchronize_session=False)
        )
