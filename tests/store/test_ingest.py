"""The write path (servicelevel.store.ingest) on both databases: idempotent by natural key."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicelevel.store import make_engine
from servicelevel.store.ingest import (
    CallFact,
    load_open_calls,
    pseudonym,
    sync_open_calls,
    write_calls,
    write_events,
)
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.rollups_job import ensure_rollups
from servicelevel.store.schema import Call, OpenCall, QueueEvent, Rollup

SPEC = RollupSpec.of(5, [20])
AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    ensure_rollups(engine, SPEC)
    yield engine
    engine.dispose()


def calls(n: int, *, source: str = "a") -> list[CallFact]:
    # n answered calls a minute apart, each waiting 10 s
    return [
        CallFact(
            source=source,
            callid=f"17000000{i}.1",
            queue="sales",
            entered_at=AT + timedelta(minutes=i),
            outcome="answered",
            wait_s=10.0,
        )
        for i in range(n)
    ]


def write(engine, facts):
    with Session(engine) as session, session.begin():
        return write_calls(session, facts, SPEC)


def totals(engine) -> tuple[int, int]:
    with Session(engine) as session:
        n_calls = session.execute(select(func.count()).select_from(Call)).scalar_one()
        offered = session.execute(select(func.sum(Rollup.offered))).scalar_one() or 0
    return n_calls, offered


def test_importing_the_same_calls_twice_adds_nothing(engine):
    assert write(engine, calls(5)) == []
    assert totals(engine) == (5, 5)
    duplicates = write(engine, calls(5))
    assert len(duplicates) == 5
    assert totals(engine) == (5, 5)  # neither the calls nor the rollups grew


def test_a_call_repeated_inside_one_batch_is_stored_once(engine):
    batch = calls(3) + calls(3)[:1]
    assert len(write(engine, batch)) == 1
    assert totals(engine) == (3, 3)


def test_the_same_calls_from_another_source_are_duplicates(engine):
    # Natural key (callid, queue, entered_at): where the line came from does not matter
    write(engine, calls(4, source="queue_log"))
    assert len(write(engine, calls(4, source="queue_log.1"))) == 4
    assert totals(engine) == (4, 4)


def test_a_partly_known_batch_stores_only_the_new_calls(engine):
    write(engine, calls(3))
    duplicates = write(engine, calls(5))  # calls 0-2 known, 3-4 new
    assert sorted(d.callid for d in duplicates) == ["170000000.1", "170000001.1", "170000002.1"]
    assert totals(engine) == (5, 5)


def test_a_large_batch_spanning_many_instants_is_deduplicated_too(engine):
    # Over 400 distinct entry times takes the range-scan path of the duplicate look-up.
    write(engine, calls(450))
    assert len(write(engine, calls(450))) == 450
    assert totals(engine) == (450, 450)


def test_the_same_callid_entering_twice_is_two_calls(engine):
    # A caller who leaves with a key and joins the queue again 5 minutes later
    [first] = calls(1)
    again = replace(first, entered_at=first.entered_at + timedelta(minutes=5), wait_s=30.0)
    write(engine, [first, again])
    assert totals(engine) == (2, 2)


def test_waiting_calls_are_stored_once_and_forgotten_when_resolved(engine):
    [waiting] = calls(1)
    waiting.outcome = "waiting"
    with Session(engine) as session, session.begin():
        assert sync_open_calls(session, [waiting], []) == []
    with Session(engine) as session, session.begin():
        # Seen again (a re-read): a duplicate opening, not a second row
        assert sync_open_calls(session, [waiting], []) == [waiting]
    with Session(engine) as session:
        assert [f.callid for f in load_open_calls(session, "a")] == [waiting.callid]
        assert load_open_calls(session, "another source") == []
    with Session(engine) as session, session.begin():
        sync_open_calls(session, [], [waiting.key])
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(OpenCall)).scalar_one() == 0


def test_queue_events_are_deduplicated_by_line(engine):
    event = {
        "line_hash": "ab" * 20,
        "source": "a",
        "at": AT,
        "queue": "sales",
        "agent": "PJSIP/201",
        "event": "PAUSE",
        "data": "",
    }
    with Session(engine) as session, session.begin():
        assert write_events(session, [event, dict(event)]) == 1  # the repeat in the batch
    with Session(engine) as session, session.begin():
        assert write_events(session, [event]) == 1  # already stored
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(QueueEvent)).scalar_one() == 1


def test_no_pseudonym_key_means_no_caller_id_is_kept(monkeypatch):
    monkeypatch.delenv("SERVICELEVEL_PSEUDONYM_KEY", raising=False)
    assert pseudonym("+33612345678") is None


def test_a_pseudonym_is_keyed_and_never_the_number(monkeypatch):
    monkeypatch.setenv("SERVICELEVEL_PSEUDONYM_KEY", "k1")
    first = pseudonym("+33612345678")
    assert first is not None and "33612345678" not in first
    assert pseudonym(" +33612345678 ") == first  # trimmed
    monkeypatch.setenv("SERVICELEVEL_PSEUDONYM_KEY", "k2")
    assert pseudonym("+33612345678") != first
