"""The worker: weekly summary every Monday, no duplicates across restarts or two workers.

The clock is frozen with time-machine and moved by hand; the scheduler is the real APScheduler
with its jobs in the real database, woken after each move instead of sleeping until then.
"""

from __future__ import annotations

import queue
import time
from datetime import datetime

import pytest
import time_machine
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from mailsink import SmtpSink
from weekdata import TZ, fill, load, write_targets

from servicelevel.scheduler import WEEKLY, CollectorJob, Worker
from servicelevel.store import make_engine

CODES = {EVENT_JOB_EXECUTED: "executed", EVENT_JOB_ERROR: "error", EVENT_JOB_MISSED: "missed"}


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


@pytest.fixture
def smtp():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def site(tmp_path, smtp, sqlite_url):
    path = write_targets(tmp_path, smtp_port=smtp.port)
    engine = make_engine(sqlite_url)
    fill(engine, load(path))
    yield path, sqlite_url
    engine.dispose()


class Started:
    """A worker whose job events we can wait for."""

    def __init__(self, url: str, path, **options) -> None:
        self.engine = make_engine(url, upgrade=False)
        self.worker = Worker(self.engine, path, **options)
        self.events: queue.Queue[tuple[str, str]] = queue.Queue()
        self.worker.scheduler.add_listener(
            lambda e: self.events.put((e.job_id, CODES[e.code])),
            EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED,
        )
        self.worker.start()

    def wait(self, job_id: str = WEEKLY, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                seen, code = self.events.get(timeout=0.1)
            except queue.Empty:
                continue
            if seen == job_id:
                return code
        raise AssertionError(f"job {job_id} did not run")

    def quiet(self, seconds: float = 0.6) -> list[tuple[str, str]]:
        time.sleep(seconds)
        out = []
        while not self.events.empty():
            out.append(self.events.get())
        return out

    def next_run(self, job_id: str = WEEKLY) -> datetime:
        return self.worker.scheduler.get_job(job_id).next_run_time

    def stop(self) -> None:
        self.worker.shutdown()
        self.engine.dispose()


def subjects(smtp) -> list[str]:
    return [m["Subject"].split(" – ")[1].split(" (")[0] for m in smtp.messages]


def test_it_sends_every_monday_and_a_restart_mid_week_repeats_nothing(site, smtp):
    path, url = site
    with time_machine.travel(local(2026, 11, 23, 6, 0), tick=False) as clock:
        first = Started(url, path)
        assert first.next_run() == local(2026, 11, 23, 7, 0)
        clock.move_to(local(2026, 11, 23, 7, 0, 5))
        first.worker.scheduler.wakeup()
        assert first.wait() == "executed"
        assert len(smtp.wait_for(1)) == 1
        first.stop()

        clock.move_to(local(2026, 11, 25, 10, 0))  # Wednesday: a restart
        second = Started(url, path)
        assert second.next_run() == local(2026, 11, 30, 7, 0)  # as stored, not recomputed
        assert second.quiet() == []
        assert len(smtp.messages) == 1

        clock.move_to(local(2026, 11, 30, 7, 0, 5))
        second.worker.scheduler.wakeup()
        assert second.wait() == "executed"
        smtp.wait_for(2)
        second.stop()
    assert subjects(smtp) == ["week 47", "week 48"]


def test_a_monday_missed_while_down_is_sent_once_on_restart(site, smtp):
    path, url = site
    with time_machine.travel(local(2026, 11, 22, 20, 0), tick=False) as clock:
        Started(url, path).stop()  # Sunday evening, then down over Monday 07:00
        clock.move_to(local(2026, 11, 23, 11, 30))
        back = Started(url, path)
        assert back.wait() == "executed"  # the misfire is within its grace: one late run
        assert back.quiet() == []
        back.stop()
    smtp.wait_for(1)
    assert subjects(smtp) == ["week 47"]


def test_after_weeks_down_only_the_latest_week_goes_out(site, smtp):
    path, url = site
    with time_machine.travel(local(2026, 11, 16, 6, 0), tick=False) as clock:
        Started(url, path).stop()
        clock.move_to(local(2026, 11, 30, 9, 0))  # three Mondays missed: coalesced into one
        back = Started(url, path)
        assert back.wait() == "executed"
        assert back.quiet() == []
        back.stop()
    smtp.wait_for(1)
    assert subjects(smtp) == ["week 48"]


def test_two_workers_on_one_database_send_one_email(site, smtp):
    path, url = site
    with time_machine.travel(local(2026, 11, 23, 6, 0), tick=False) as clock:
        one, two = Started(url, path, owner="one"), Started(url, path, owner="two")
        clock.move_to(local(2026, 11, 23, 7, 0, 5))
        one.worker.scheduler.wakeup()
        two.worker.scheduler.wakeup()
        ran = [one.wait()]
        ran += [code for _, code in two.quiet(1.5) + one.quiet(0)]
        one.stop()
        two.stop()
    assert "executed" in ran
    assert len(smtp.wait_for(2, timeout=1)) == 1


def test_a_failed_send_is_retried_later_and_sent_once(site, smtp):
    path, url = site
    smtp.refuse = True
    with time_machine.travel(local(2026, 11, 23, 6, 0), tick=False) as clock:
        worker = Started(url, path)
        clock.move_to(local(2026, 11, 23, 7, 0, 5))
        worker.worker.scheduler.wakeup()
        assert worker.wait() == "error"
        retry = f"retry:{WEEKLY}:2026-W47"
        assert worker.next_run(retry) == local(2026, 11, 23, 7, 5, 5)

        smtp.refuse = False
        clock.move_to(local(2026, 11, 23, 7, 5, 10))
        worker.worker.scheduler.wakeup()
        assert worker.wait(retry) == "executed"
        assert worker.worker.scheduler.get_job(retry) is None  # a one-off: gone once run
        worker.stop()
    smtp.wait_for(1)
    assert subjects(smtp) == ["week 47"]


def test_collectors_plug_in_on_their_interval(site):
    path, url = site
    runs = []
    collector = CollectorJob(
        "queue-log", 60, lambda engine, targets: runs.append(len(targets.targets))
    )
    with time_machine.travel(local(2026, 11, 24, 10, 0), tick=False) as clock:
        worker = Started(url, path, collectors=[collector])
        assert "collector:queue-log" in worker.worker.job_ids()
        clock.move_to(local(2026, 11, 24, 10, 1, 1))
        worker.worker.scheduler.wakeup()
        assert worker.wait("collector:queue-log") == "executed"
        worker.stop()
    assert runs == [5]


def test_a_changed_schedule_in_the_targets_moves_the_job(site):
    path, url = site
    with time_machine.travel(local(2026, 11, 24, 10, 0), tick=False):
        worker = Started(url, path)
        assert worker.next_run() == local(2026, 11, 30, 7, 0)
        worker.stop()
        path.write_text(
            path.read_text().replace('day = "monday"', 'day = "friday"'), encoding="utf-8"
        )
        worker = Started(url, path)
        assert worker.next_run() == local(2026, 11, 27, 7, 0)
        worker.stop()


def test_the_worker_rebuilds_the_rollups_after_a_threshold_change(site):
    """Readers only mark the figures "recomputing"; the worker's rollups thread rebuilds."""
    from sqlalchemy.orm import Session

    from servicelevel.config import load_targets
    from servicelevel.context import rollup_spec
    from servicelevel.store.rollups_job import latest_runs, rollup_state

    path, url = site
    path.write_text(
        path.read_text().replace("threshold_seconds = 20", "threshold_seconds = 25", 1),
        encoding="utf-8",
    )
    wanted = rollup_spec(load_targets(path).unwrap())
    engine = make_engine(url, upgrade=False)
    with Session(engine) as session:
        assert rollup_state(session, wanted).recomputing
    worker = Started(url, path, rollups_every=0.2)
    try:
        deadline = time.monotonic() + 60
        while True:
            with Session(engine) as session:
                if not rollup_state(session, wanted).recomputing:
                    break
            assert time.monotonic() < deadline, "the worker never rebuilt the rollups"
            time.sleep(0.2)
        run = latest_runs(engine, 1)[0]
        assert (run.kind, run.status) == ("calls", "done") and run.rows_done > 0
        assert run.owner == worker.worker.owner
        assert worker.quiet(0.5) == []  # a thread, not a stored job: no scheduler event
    finally:
        worker.stop()
        engine.dispose()
