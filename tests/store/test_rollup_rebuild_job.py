"""The rollup rebuild job: one at a time, all or nothing, counting every call exactly once.

Checked against the hand recount of ``test_rollups`` (plain Python over the raw calls), on
SQLite and PostgreSQL. "A crash" is the rebuild's own ``finish`` hook raising inside its one
write transaction, or the worker's stop event set between two chunks.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from test_rollups import SPEC, fact, random_calls, recount, stored_rollups, write

from servicelevel.cli import main
from servicelevel.config import load_targets
from servicelevel.context import rollup_spec
from servicelevel.reports import sendlog
from servicelevel.store import make_engine
from servicelevel.store.ingest import write_calls
from servicelevel.store.rollups import RollupSpec, stored_spec
from servicelevel.store.rollups_job import (
    LEASE,
    RebuildStopped,
    RollupRebuildJob,
    ensure_rollups,
    latest_runs,
)
from servicelevel.store.rollups_rebuild import rebuild_rollups
from servicelevel.store.schema import Base, Call, RollupRebuild

WIDER = RollupSpec.of(5, [20, 30])


@pytest.fixture
def filled(engine):
    write(engine, random_calls(seed=17, n=400))
    assert stored_rollups(engine) == recount(engine, SPEC)
    return engine


class Crash(Exception):
    pass


def test_a_crash_before_the_commit_leaves_the_old_complete_rollups(filled):
    before = stored_rollups(filled)

    def finish(session, rows):
        assert rows == 400  # everything was written in this transaction...
        raise Crash()  # ...and is rolled back with it

    with pytest.raises(Crash):
        rebuild_rollups(filled, WIDER, chunk=50, finish=finish)
    assert stored_rollups(filled) == before
    with Session(filled) as session:
        assert stored_spec(session) == SPEC


def test_a_stopped_worker_leaves_the_old_rollups_and_says_interrupted(filled):
    before = stored_rollups(filled)
    stop = threading.Event()
    stop.set()
    with pytest.raises(RebuildStopped):
        RollupRebuildJob(filled, stop=stop).run_once(WIDER)
    assert stored_rollups(filled) == before
    run = latest_runs(filled, 1)[0]
    assert (run.status, run.kind) == ("interrupted", "calls")
    # The next run (the worker restarted) does the work and records it.
    outcome = RollupRebuildJob(filled).run_once(WIDER)
    assert outcome is not None and (outcome.kind, outcome.rows) == ("calls", 400)
    assert stored_rollups(filled) == recount(filled, WIDER)
    assert [r.status for r in latest_runs(filled, 2)] == ["done", "interrupted"]


def test_a_rebuild_left_running_by_a_dead_process_is_marked_interrupted(filled):
    with Session(filled) as session, session.begin():
        session.execute(
            insert(RollupRebuild).values(
                kind="calls", spec="{}", owner="dead:1", status="running", rows_done=100,
                rows_total=400, started_at=datetime.now(UTC) - timedelta(hours=1),
            )
        )  # fmt: skip
    RollupRebuildJob(filled).run_once(WIDER)
    done, dead = latest_runs(filled, 2)
    assert (done.status, dead.status) == ("done", "interrupted")
    assert dead.error and dead.finished_at is not None


def test_while_another_process_holds_the_lease_nothing_is_rebuilt(filled):
    now = datetime.now(UTC)
    assert sendlog.acquire_lease(filled, LEASE, now=now, owner="other:1", lease=timedelta(hours=1))
    before, runs = stored_rollups(filled), latest_runs(filled)
    assert RollupRebuildJob(filled).run_once(WIDER) is None
    assert ensure_rollups(filled, WIDER) is False
    assert stored_rollups(filled) == before
    assert [r.id for r in latest_runs(filled)] == [r.id for r in runs]
    sendlog.release_lease(filled, LEASE, now=now, owner="other:1")
    assert ensure_rollups(filled, WIDER) is True
    assert stored_rollups(filled) == recount(filled, WIDER)


def test_progress_is_recorded_chunk_by_chunk(filled):
    seen = []

    def look(_done, _total):
        with Session(filled) as session:  # another connection sees it: it is committed
            row = session.execute(select(RollupRebuild).order_by(RollupRebuild.id.desc())).first()
            seen.append((row[0].rows_done, row[0].rows_total, row[0].status))

    RollupRebuildJob(filled, on_progress=look, chunk=150).run_once(WIDER)
    assert seen == [
        (0, 400, "running"), (150, 400, "running"), (300, 400, "running"), (400, 400, "running")
    ]  # fmt: skip
    assert (latest_runs(filled, 1)[0].rows_done, latest_runs(filled, 1)[0].status) == (400, "done")


def test_calls_imported_during_the_read_are_counted_once(filled):
    """An import commits while the rebuild reads: with a new id, and with an id below the
    highest one seen at the start (a transaction that took its id earlier, committed later)."""
    with Session(filled) as session:
        low_id = session.execute(select(func.min(Call.id))).scalar()
    with Session(filled) as session, session.begin():  # free an id below the top one
        session.execute(Call.__table__.delete().where(Call.id == low_id))
    RollupRebuildJob(filled).run_once(RollupSpec.of(6, [20]))  # rollups without that call
    late = [fact("late-1", datetime(2026, 11, 23, 9, 1, tzinfo=UTC), "answered", 12)]
    imported = []

    def progress(done, total):
        if done and not imported:  # after the first chunk: one new call, one in the gap
            with Session(filled) as session, session.begin():
                write_calls(session, late, WIDER)
                session.execute(
                    insert(Call).values(
                        id=low_id, source="test", callid="gap-1", queue="a",
                        entered_at=datetime(2026, 11, 23, 8, 5, tzinfo=UTC),
                        outcome="abandoned", wait_s=25, ring_no_answer=0,
                    )
                )  # fmt: skip
            imported.append(True)

    rows = rebuild_rollups(filled, WIDER, chunk=100, progress=progress)
    assert imported and rows == 401
    assert stored_rollups(filled) == recount(filled, WIDER)


def test_db_rebuild_and_status_json_say_recomputing_until_it_ran(tmp_path):
    url = f"sqlite:///{tmp_path / 'sl.db'}"
    targets = tmp_path / "targets.toml"
    policy = (
        '[operation]\nname = "T"\ntimezone = "UTC"\n\n[[target]]\nid = "sl"\nname = "SL"\n'
        'kpi = "service_level"\nthreshold_seconds = 20\nwindow = "day"\nminimum = 80\n'
        "ideal = 90\n"
    )
    targets.write_text(policy, encoding="utf-8")
    engine = make_engine(url)
    write(engine, random_calls(seed=3, n=50), rollup_spec(load_targets(targets).unwrap()))
    runner = CliRunner()
    args = ["--db", url, "--targets", str(targets)]
    moment = ["--at", "2026-11-23T09:00+00:00", "--json"]
    first = runner.invoke(main, ["status", *args, *moment])
    assert first.exit_code == 0, first.output
    assert "recomputing" not in json.loads(first.output)[0]
    targets.write_text(policy.replace("threshold_seconds = 20", "threshold_seconds = 30"))

    stale = runner.invoke(main, ["status", *args, *moment])
    assert stale.exit_code == 0, stale.output
    assert [(s["status"], s["value"], s["recomputing"]) for s in json.loads(stale.output)] == [
        ("no_data", None, True)
    ]
    text = runner.invoke(main, ["status", *args, "--at", "2026-11-23T09:00+00:00"])
    assert "being recomputed" in text.output

    rebuilt = runner.invoke(main, ["db", "rebuild", *args])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert rebuilt.stdout.strip() == "rollups rebuilt: 50 calls recounted"
    assert "recounting: 50 of 50 calls" in rebuilt.stderr
    again = runner.invoke(main, ["db", "rebuild", *args])
    assert again.output.strip() == "rollups: already up to date"
    fresh = json.loads(runner.invoke(main, ["status", *args, *moment]).output)[0]
    assert "recomputing" not in fresh and fresh["value"] is not None
    engine.dispose()


def test_the_migrations_build_the_tables_of_the_models(db_url):
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
