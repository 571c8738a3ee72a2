"""The rollup rebuild job: one process at a time, progress in ``rollup_rebuilds``.

Who runs it: the scheduler (``worker``, and ``serve``'s in-process scheduler) every
``servicelevel.scheduler.ROLLUPS_EVERY`` seconds, and synchronously the commands that write:
every import (through :func:`ensure_rollups`) and ``servicelevel db rebuild``. Readers never do;
they serve the stored figures marked "recomputing" (:func:`rollup_state`).

Why a lease: two workers (or a worker and an ``import``) seeing the same change must not both
spend minutes recounting. The lease (``job_leases``, name :data:`LEASE`) is renewed at every
chunk, so it only runs out when its holder died; whoever finds it held skips, since the holder's
rebuild counts every call committed before its final write, theirs included.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.orm import Session

from servicelevel.reports import sendlog
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.rollups_rebuild import (
    CHUNK,
    Finish,
    Progress,
    RollupState,
    rebuild_rollups,
    regroup_day_rollups,
    rollup_state,
)
from servicelevel.store.schema import JobLease, RollupRebuild

log = logging.getLogger(__name__)

LEASE = "rollup-rebuild"
LEASE_FOR = timedelta(minutes=10)
KEEP_RUNS = 50

__all__ = [
    "LEASE",
    "RebuildOutcome",
    "RollupRebuildJob",
    "RollupState",
    "ensure_rollups",
    "latest_runs",
    "rollup_state",
]


class RebuildStopped(Exception):
    """The worker is shutting down: the rebuild stopped before writing (old figures stay)."""


@dataclass(frozen=True, slots=True)
class RebuildOutcome:
    """What a run did: ``kind`` is calls (recounted from the raw calls) or days (regrouped);
    ``rows`` the calls counted or the quarter hours regrouped."""

    kind: str
    rows: int
    run_id: int


def _now() -> datetime:
    return datetime.now(UTC)


class RollupRebuildJob:
    """Brings the rollups to a spec, under the lease; ``run_once`` is the whole job."""

    def __init__(
        self,
        engine: Engine,
        *,
        owner: str | None = None,
        lease: timedelta = LEASE_FOR,
        stop: threading.Event | None = None,
        on_progress: Progress | None = None,
        chunk: int = CHUNK,
    ) -> None:
        self.engine = engine
        self.owner = owner or sendlog.worker_id()
        self.lease = lease
        self.stop = stop  # set by a shutting-down worker: the rebuild gives up at its next chunk
        self.on_progress = on_progress  # after each chunk is recorded (the CLI prints it)
        self.chunk = chunk

    def state(self, spec: RollupSpec) -> RollupState:
        with Session(self.engine) as session:
            return rollup_state(session, spec)

    def run_once(self, spec: RollupSpec) -> RebuildOutcome | None:
        """Rebuild if the stored rollups differ from ``spec``; None when there was nothing to
        do or another process holds the lease (it is rebuilding right now)."""
        if not self.state(spec).needs_rebuild:  # the usual case: two metadata reads
            return None
        if not sendlog.acquire_lease(
            self.engine, LEASE, now=_now(), owner=self.owner, lease=self.lease
        ):
            log.info("rollups: another process is rebuilding them, skipped")
            return None
        error = None
        try:
            state = self.state(spec)  # again, under the lease: it may have been done meanwhile
            if not state.needs_rebuild:
                return None
            return self._rebuild(spec, state)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            sendlog.release_lease(self.engine, LEASE, now=_now(), owner=self.owner, error=error)

    def _rebuild(self, spec: RollupSpec, state: RollupState) -> RebuildOutcome:
        recount = state.stored is None or state.recounting
        kind = "calls" if recount else "days"
        run_id = self._start(kind, spec)
        finish = self._finisher(run_id)
        try:
            if recount:
                rows = rebuild_rollups(self.engine, spec, chunk=self.chunk,
                                       progress=self._progress(run_id), finish=finish)  # fmt: skip
            else:
                assert spec.calendar is not None  # regrouping implies a wanted calendar
                rows = regroup_day_rollups(self.engine, spec.calendar, finish=finish)
        except RebuildStopped:
            self._fail(run_id, "stopped: the process was shutting down", status="interrupted")
            raise
        except Exception as exc:
            self._fail(run_id, f"{type(exc).__name__}: {exc}")
            raise
        log.info("rollups rebuilt (%s): %d rows", kind, rows)
        return RebuildOutcome(kind, rows, run_id)

    # -- the run's row ------------------------------------------------------------------------

    def _start(self, kind: str, spec: RollupSpec) -> int:
        """Open the run's row; rows left running by a dead process say so ("interrupted")."""
        now = _now()
        signature = spec.signature() + (
            "" if spec.calendar is None else " " + spec.calendar.signature()
        )
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(RollupRebuild)
                .where(RollupRebuild.status == "running")
                .values(status="interrupted", finished_at=now,
                        error="the process stopped before the rebuild committed")
                .execution_options(synchronize_session=False)
            )  # fmt: skip
            run_id = session.execute(
                insert(RollupRebuild)
                .values(kind=kind, spec=signature, owner=self.owner, status="running",
                        started_at=now, rows_done=0, rows_total=0)
                .returning(RollupRebuild.id)
            ).scalar_one()  # fmt: skip
            session.execute(delete(RollupRebuild).where(RollupRebuild.id <= run_id - KEEP_RUNS))
        return int(run_id)

    def _progress(self, run_id: int) -> Progress:
        def step(done: int, total: int) -> None:
            if self.stop is not None and self.stop.is_set():
                raise RebuildStopped()
            now = _now()
            with Session(self.engine) as session, session.begin():
                session.execute(
                    update(RollupRebuild)
                    .where(RollupRebuild.id == run_id)
                    .values(rows_done=done, rows_total=total)
                    .execution_options(synchronize_session=False)
                )
                # Renew the lease: it only runs out if this process dies.
                session.execute(
                    update(JobLease)
                    .where(JobLease.name == LEASE, JobLease.owner == self.owner)
                    .values(leased_until=now + self.lease)
                    .execution_options(synchronize_session=False)
                )
            if self.on_progress is not None:
                self.on_progress(done, total)

        return step

    def _finisher(self, run_id: int) -> Finish:
        def finish(session: Session, rows: int) -> None:
            # In the rebuild's own transaction: "done" commits with the new figures, or not at all.
            session.execute(
                update(RollupRebuild)
                .where(RollupRebuild.id == run_id)
                .values(status="done", finished_at=_now(), rows_done=rows, rows_total=rows)
                .execution_options(synchronize_session=False)
            )

        return finish

    def _fail(self, run_id: int, error: str, status: str = "failed") -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(RollupRebuild)
                .where(RollupRebuild.id == run_id)
                .values(status=status, finished_at=_now(), error=error[:2000])
                .execution_options(synchronize_session=False)
            )


def ensure_rollups(engine: Engine, spec: RollupSpec) -> bool:
    """For writers (imports, ``db rebuild``, tests): make the rollups match ``spec`` now.

    Returns True when a rebuild from the raw calls happened on a store that had rollups (a new
    threshold or short-abandon limit). A change of ``spec.calendar`` only (or day rows not built
    yet, as after the migration that created them) regroups the 15-minute rows into day rows and
    returns False; so does a store with no spec yet (it simply records this one) and a store
    another process is rebuilding right now.
    """
    with Session(engine) as session:
        had = rollup_state(session, spec).stored is not None
    outcome = RollupRebuildJob(engine).run_once(spec)
    return outcome is not None and outcome.kind == "calls" and had


def latest_runs(engine: Engine, limit: int = 5) -> list[RollupRebuild]:
    """The newest runs of the job, newest first (the Sources page)."""
    with Session(engine) as session:
        return list(
            session.execute(
                select(RollupRebuild).order_by(RollupRebuild.id.desc()).limit(limit)
            ).scalars()
        )
