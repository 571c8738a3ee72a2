"""Any SQL source: a query past a watermark, mapped like a CSV (collectors.sql_query).

The source table lives in the test's own database, so queries run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from servicelevel.collectors.mapped.mapping import SourceConfig
from servicelevel.collectors.mapped.sql_query import import_query
from servicelevel.collectors.runner import run_sources
from servicelevel.store import make_engine
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.schema import Call, Order, Source

SPEC = RollupSpec.of(5, [20])
UTC_ZONE = ZoneInfo("UTC")


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text(
            "CREATE TABLE acd_calls (id INTEGER, skill VARCHAR(20), started TIMESTAMP, "
            "waited INTEGER, result VARCHAR(10), changed INTEGER)"
        ))  # fmt: skip
        connection.execute(text(
            "CREATE TABLE crm_orders "
            "(ref VARCHAR(20), sold TIMESTAMP, qty INTEGER, changed INTEGER)"
        ))  # fmt: skip
    yield engine
    engine.dispose()


def calls_source(url: str) -> SourceConfig:
    return SourceConfig.model_validate({
        "name": "acd", "kind": "calls-sql", "url": url, "watermark": "changed",
        "query": "SELECT id, skill, started, waited, result, changed FROM acd_calls;",
        "columns": {
            "callid": "id", "queue": "skill", "entered_at": "started", "wait_s": "waited",
            "outcome": {"column": "result", "values": {"OK": "answered", "LOST": "abandoned"}},
        },
    })  # fmt: skip


def add_calls(engine, rows) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO acd_calls VALUES (:id, :skill, :started, :waited, :result, :changed)"),  # noqa: E501
            [dict(zip(("id", "skill", "started", "waited", "result", "changed"), r, strict=True))
             for r in rows],
        )  # fmt: skip


def at(minute: int) -> datetime:
    return datetime(2026, 3, 2, 9, minute)


def test_each_run_reads_past_the_watermark_and_holds_back_the_newest_value(engine, db_url):
    source = calls_source(db_url)
    add_calls(engine, [(1, "sales", at(0), 10, "OK", 1), (2, "sales", at(1), 30, "LOST", 2),
                       (3, "care", at(2), 5, "OK", 2)])  # fmt: skip
    first = import_query(engine, source, SPEC, default_tz=UTC_ZONE)
    assert first.read == 1  # rows with changed = 2 may still be coming
    add_calls(engine, [(4, "care", at(3), 50, "LOST", 3)])
    second = import_query(engine, source, SPEC, default_tz=UTC_ZONE)
    assert second.read == 2
    last = import_query(engine, source, SPEC, default_tz=UTC_ZONE, final=True)
    assert last.read == 1 and last.stored == 1
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Call)).scalar_one() == 4
        assert session.get(Source, "acd").watermark == "int:3"


def test_a_bad_row_is_quarantined_and_the_watermark_still_moves_on(engine, db_url):
    add_calls(engine, [(1, "sales", at(0), 10, "MAYBE", 1), (2, "sales", at(1), 30, "OK", 2)])
    result = import_query(engine, calls_source(db_url), SPEC, default_tz=UTC_ZONE, final=True)
    assert (result.read, result.stored, result.quarantined) == (2, 1, 1)
    again = import_query(engine, calls_source(db_url), SPEC, default_tz=UTC_ZONE, final=True)
    assert again.read == 0


def test_a_broken_source_does_not_stop_the_others(engine, db_url):
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO crm_orders VALUES ('O-1', :t, 2, 1)"), {"t": at(5)})
    broken = calls_source(db_url).model_copy(
        update={"name": "old-acd", "query": "SELECT * FROM gone"}
    )
    orders = SourceConfig.model_validate({
        "name": "crm", "kind": "orders-sql", "url": db_url, "watermark": "changed",
        "query": "SELECT * FROM crm_orders",
        "columns": {"key": "ref", "ordered_at": "sold", "units": "qty"},
    })  # fmt: skip
    outcomes = run_sources(engine, [broken, orders], SPEC, default_tz=UTC_ZONE, final=True)
    assert [o.name for o in outcomes] == ["old-acd", "crm"]
    assert outcomes[0].result is None and "query failed" in outcomes[0].error
    assert outcomes[1].result.stored == 1
    with Session(engine) as session:
        failed = session.get(Source, "old-acd")
        order = session.execute(select(Order)).scalar_one()
    assert failed.last_ok_at is None and "gone" in failed.last_error
    assert order.ordered_at == datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
