"""APScheduler wiring: collectors, alerts and the weekly summary, run by ``servicelevel worker``
(or inside ``servicelevel serve`` through :func:`start_scheduler`).

Decisions, each with its reason:

* **Jobs live in the database** (APScheduler's SQLAlchemy job store, table ``apscheduler_jobs``):
  a restart finds each job with the next run time it had, so nothing is lost or re-run. At start
  a job whose trigger is unchanged is left as stored; re-adding it would move its next run past
  a run missed while we were down.
* **Missed runs, deliberately**: every job coalesces (after downtime, one run, not one per
  missed slot). The weekly summary may run up to 6 days late (a Monday report still goes out
  when the worker comes back on Thursday); collectors and alert checks are skipped when more
  than one interval late, because the next regular run does the same work.
* **Two workers, one run**: each run takes the job's lease (``job_leases``) first, and the
  weekly send is claimed in ``send_log``, so two workers on one database send one email.
* **Retry**: a weekly summary that fails to send (mail server down) is retried by a one-off job
  5, 15, 60 minutes later and then hourly; the send log makes the retry send it once.
* **Rollup rebuilds run here, not in readers**: a thread of the worker checks at start and
  every :data:`ROLLUPS_EVERY` seconds whether the targets changed what the rollups count (a
  threshold, the short-abandon limit, the calendar) and if so rebuilds them
  (:class:`~servicelevel.store.rollups_job.RollupRebuildJob`, under its own lease, with progress
  for the Sources page). Until it commits, the dashboard serves the old figures "recomputing".
  A thread, not a stored job: it is a watcher, not a timetable, so it has no missed runs to
  catch up after a restart and writes nothing to the job store when there is nothing to do.
  Shutdown stops a rebuild at its next chunk; the old figures stay until the next run.
* **Collectors plug in** with :func:`register_collector` (or ``collectors=`` on
  :func:`start_scheduler`): a name, an interval and ``run(engine, targets)``.

Jobs are stored as the text reference ``servicelevel.scheduler:run_job`` plus the job's name,
so a stored job never pickles an engine or a password; :func:`run_job` hands it to the worker
running in this process (one worker per process).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import ConflictingIdError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from servicelevel.config import Targets, TargetsWatcher
from servicelevel.config.delivery import Settings, report_settings
from servicelevel.errors import ConfigError, ServicelevelError
from servicelevel.reports import sendlog
from servicelevel.store.rollups_job import RollupRebuildJob
from servicelevel.store.runs import failure_text, failure_traceback

log = logging.getLogger(__name__)

JOB_FUNC = "servicelevel.scheduler:run_job"
WEEKLY = "weekly-report"
ALERTS = "alerts"
ROLLUPS_EVERY = 15.0  # seconds: when nothing changed, a check is two metadata reads
RETRY_PREFIX = "retry:"
WEEKLY_GRACE = timedelta(days=6)
RETRY_DELAYS = (timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
RETRY_ATTEMPTS = 24
DEFAULT_LEASE = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class CollectorJob:
    """A collector run on an interval: ``run(engine, targets)`` imports what is new."""

    name: str
    every_seconds: float
    run: Callable[[Engine, Targets], Any]


_collectors: dict[str, CollectorJob] = {}


def register_collector(
    name: str, every_seconds: float, run: Callable[[Engine, Targets], Any]
) -> CollectorJob:
    """Make a collector part of every worker started afterwards in this process."""
    job = CollectorJob(name, every_seconds, run)
    _collectors[name] = job
    return job


@dataclass(frozen=True, slots=True)
class JobSpec:
    id: str
    trigger: BaseTrigger
    misfire_grace_time: int | None
    args: tuple[str, ...] = ()


def _same_trigger(a: BaseTrigger, b: BaseTrigger) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, IntervalTrigger):
        return bool(a.interval == b.interval)
    return repr(a) == repr(b)  # cron: fields and time zone


class Worker:
    """One scheduler over one database; see the module docstring."""

    def __init__(
        self,
        engine: Engine,
        targets_path: str | Path,
        *,
        collectors: Sequence[CollectorJob] = (),
        owner: str | None = None,
        ssl_context: Any = None,
        threads: int = 4,
        rollups_every: float = ROLLUPS_EVERY,
    ) -> None:
        self.engine = engine
        self.watcher = TargetsWatcher(targets_path)
        self.collectors = {c.name: c for c in [*_collectors.values(), *collectors]}
        self.owner = owner or sendlog.worker_id()
        self.ssl_context = ssl_context
        targets = self.targets()
        self.scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=engine)},
            executors={"default": ThreadPoolExecutor(threads)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=targets.operation.tz,
        )
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.rollups_every = rollups_every
        self.rollups_job = RollupRebuildJob(engine, owner=self.owner, stop=self._stopping)
        self._rollups_thread: threading.Thread | None = None

    # -- configuration ------------------------------------------------------------------

    def targets(self) -> Targets:
        targets, errors = self.watcher.current()
        if targets is None:
            raise ConfigError("; ".join(str(e) for e in errors) or "no targets")
        for issue in errors:  # a bad edit: we keep running on the last good file
            log.warning("targets file not reloaded: %s", issue)
        return targets

    def settings(self, targets: Targets) -> Settings:
        settings = report_settings(targets)
        for issue in settings.issues:
            log.error("%s", issue)
        return settings

    def wanted_jobs(self) -> list[JobSpec]:
        targets = self.targets()
        settings = self.settings(targets)
        tz = targets.operation.tz
        jobs = []
        if settings.weekly is not None and not settings.issues:
            hour, minute = settings.weekly.hour_minute
            trigger = CronTrigger(
                day_of_week=settings.weekly.weekday, hour=hour, minute=minute, timezone=tz
            )
            jobs.append(JobSpec(WEEKLY, trigger, int(WEEKLY_GRACE.total_seconds())))
        if settings.alerts is not None and not settings.issues:
            seconds = settings.alerts.check_every_minutes * 60
            jobs.append(
                JobSpec(ALERTS, IntervalTrigger(seconds=seconds, timezone=tz), int(seconds))
            )
        for collector in self.collectors.values():
            every = collector.every_seconds
            trigger = IntervalTrigger(seconds=every, timezone=tz)
            jobs.append(JobSpec(f"collector:{collector.name}", trigger, max(int(every), 1)))
        return jobs

    # -- life cycle -----------------------------------------------------------------------

    def start(self) -> Worker:
        global _active
        _active = self
        self.scheduler.start(paused=True)  # loads the job store without running anything yet
        self.reconcile()
        self.scheduler.resume()
        self._rollups_thread = threading.Thread(
            target=self._watch_rollups, name="rollup-rebuild", daemon=True
        )
        self._rollups_thread.start()
        log.info("worker %s started: %s", self.owner, ", ".join(self.job_ids()))
        return self

    def reconcile(self) -> None:
        """Make the stored jobs match the targets file, keeping unchanged jobs as stored."""
        wanted = self.wanted_jobs()
        for spec in wanted:
            job = self.scheduler.get_job(spec.id)
            if job is not None and _same_trigger(job.trigger, spec.trigger):
                continue
            if job is not None:
                job.modify(misfire_grace_time=spec.misfire_grace_time)
                job.reschedule(spec.trigger)
                continue
            with contextlib.suppress(ConflictingIdError):  # another worker added it just now
                self.scheduler.add_job(
                    JOB_FUNC, trigger=spec.trigger, args=[spec.id, *spec.args], id=spec.id,
                    name=spec.id, misfire_grace_time=spec.misfire_grace_time,
                )  # fmt: skip
        keep = {s.id for s in wanted}
        for job in self.scheduler.get_jobs():
            if job.id not in keep and not job.id.startswith(RETRY_PREFIX):
                job.remove()

    def job_ids(self) -> list[str]:
        return [job.id for job in self.scheduler.get_jobs()]

    def shutdown(self, wait: bool = True) -> None:
        """Stop; with ``wait`` the jobs running now finish first (SIGTERM in ``worker``)."""
        global _active
        self._stopping.set()  # a rebuild in progress stops at its next chunk
        if self._rollups_thread is not None and wait:
            self._rollups_thread.join()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        if _active is self:
            _active = None

    # -- running one job ------------------------------------------------------------------

    def execute(self, name: str, *args: str) -> Any:
        """Run job ``name`` under its lease; skip if another worker holds it right now."""
        now = datetime.now(UTC)
        lease_name = WEEKLY if name.startswith(RETRY_PREFIX) else name
        if not sendlog.acquire_lease(
            self.engine, lease_name, now=now, owner=self.owner, lease=DEFAULT_LEASE
        ):
            log.info("%s: running in another worker, skipped", name)
            return None
        error = None
        try:
            return self._body(name, args)
        except Exception as exc:
            # The send log and the log keep no row data (see store.runs.failure_text).
            error = str(exc) if isinstance(exc, ServicelevelError) else failure_text(exc)
            log.error("job %s failed: %s\n%s", name, error, failure_traceback(exc))
            raise
        finally:
            sendlog.release_lease(
                self.engine, lease_name, now=datetime.now(UTC), owner=self.owner, error=error
            )

    def _body(self, name: str, args: Sequence[str]) -> Any:
        from servicelevel.reports import alerts
        from servicelevel.reports import weekly as report

        targets = self.targets()
        if name.startswith("collector:"):
            collector = self.collectors.get(name.split(":", 1)[1])
            if collector is None:
                log.warning("%s: no such collector in this worker", name)
                return None
            return collector.run(self.engine, targets)
        settings = self.settings(targets)
        if settings.issues:
            return None
        if name == ALERTS:
            return alerts.run_alerts_job(self.engine, targets, settings)
        if name == WEEKLY or name.startswith(RETRY_PREFIX):
            if settings.weekly is None:
                return None
            now = datetime.now(UTC)
            week = report.Week.parse(args[0]) if args else report.due_week(now, targets, settings)
            try:
                return report.send_weekly(
                    self.engine, targets, settings, week, now=now, ssl_context=self.ssl_context
                )
            except Exception:
                self._schedule_retry(week.label, now)
                raise
        log.warning("unknown job %s", name)
        return None

    def rebuild_rollups(self) -> Any:
        """One check of the rollups thread: rebuild if the targets changed their definition."""
        from servicelevel.context import rollup_spec

        return self.rollups_job.run_once(rollup_spec(self.targets()))

    def _watch_rollups(self) -> None:
        while not self._stopping.is_set():
            try:
                self.rebuild_rollups()
            except Exception as exc:  # logged; the old figures stay and the next check retries
                if not self._stopping.is_set():
                    log.error("rollup rebuild failed\n%s", failure_traceback(exc))
            if self._stopping.wait(self.rollups_every):
                return

    def _schedule_retry(self, week: str, now: datetime) -> None:
        from servicelevel.reports.weekly import KIND

        row = sendlog.send_status(self.engine, KIND, week)
        attempts = row.attempts if row is not None else 1
        if attempts >= RETRY_ATTEMPTS:
            log.error("weekly summary %s: giving up after %d attempts", week, attempts)
            return
        delay = RETRY_DELAYS[min(attempts - 1, len(RETRY_DELAYS) - 1)]
        job_id = f"{RETRY_PREFIX}{WEEKLY}:{week}"
        self.scheduler.add_job(
            JOB_FUNC, trigger=DateTrigger(now + delay), args=[job_id, week], id=job_id,
            name=job_id, misfire_grace_time=None, replace_existing=True,
        )  # fmt: skip
        log.warning("weekly summary %s: retry at %s", week, (now + delay).isoformat())


_active: Worker | None = None


def run_job(name: str, *args: str) -> Any:
    """What every stored job calls: the job named ``name`` in this process's worker."""
    worker = _active
    if worker is None:
        raise RuntimeError(f"job {name}: no worker is running in this process")
    return worker.execute(name, *args)


def start_scheduler(
    engine: Engine,
    targets_path: str | Path,
    *,
    collectors: Sequence[CollectorJob] = (),
    ssl_context: Any = None,
) -> Worker:
    """Start the jobs in background threads of this process; call ``.shutdown()`` on exit.

    For ``servicelevel serve``: ``worker = start_scheduler(engine, targets_path)`` before
    ``app.run(...)``, and ``worker.shutdown()`` after it returns.
    """
    return Worker(engine, targets_path, collectors=collectors, ssl_context=ssl_context).start()
