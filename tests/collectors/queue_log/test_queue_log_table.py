"""The realtime queue_log table (servicelevel.collectors.queue_log.table), on both databases.

The table lives in the test's own database next to the store's tables, so the reader is tried
against SQLite and PostgreSQL as sources too. Both column layouts Asterisk uses are covered.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from queue_log_calls import calls, interleaved
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session

from servicelevel.collectors.queue_log.table import import_queue_log_table
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.schema import Call, OpenCall, Quarantine

SPEC = RollupSpec.of(5, [20])
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def split_table(engine) -> Table:
    """id, time as text (Asterisk's default), data1..data5."""
    meta = MetaData()
    table = Table(
        "queue_log", meta,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("time", String(26)), Column("callid", String(40)), Column("queuename", String(20)),
        Column("agent", String(20)), Column("event", String(20)),
        *(Column(f"data{i}", String(100), server_default="") for i in range(1, 6)),
    )  # fmt: skip
    meta.create_all(engine)
    return table


def joined_table(engine) -> Table:
    """No id, time as DATETIME, one data column."""
    meta = MetaData()
    table = Table(
        "queue_log", meta,
        Column("time", DateTime), Column("callid", String(40)), Column("queuename", String(20)),
        Column("agent", String(20)), Column("event", String(20)), Column("data", String(200)),
    )  # fmt: skip
    meta.create_all(engine)
    return table


def local(epoch: int) -> datetime:
    """Asterisk writes the server's local wall-clock time, without a zone."""
    return datetime.fromtimestamp(epoch, PARIS).replace(tzinfo=None)


def split_rows(lines: list[str]) -> list[dict]:
    rows = []
    for line in lines:
        stamp, callid, queue, agent, event, *data = line.split("|")
        row = {"time": local(int(stamp)).isoformat(sep=" ") + ".000000", "callid": callid,
               "queuename": queue, "agent": agent, "event": event}  # fmt: skip
        row.update({f"data{i + 1}": (data[i] if i < len(data) else "") for i in range(5)})
        rows.append(row)
    return rows


def joined_rows(lines: list[str]) -> list[dict]:
    rows = []
    for line in lines:
        stamp, callid, queue, agent, event, *data = line.split("|")
        rows.append({"time": local(int(stamp)), "callid": callid, "queuename": queue,
                     "agent": agent, "event": event, "data": "|".join(data)})  # fmt: skip
    return rows


def read(engine, url, *, final=False):
    result = import_queue_log_table(engine, url, SPEC, tz=PARIS, final=final, now=NOW)
    assert result.read == result.stored + result.duplicates + result.quarantined, result
    return result


def count(engine, model) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_it_reads_rows_past_the_id_watermark(engine, db_url):
    table = split_table(engine)
    lines = interleaved(calls(10))
    with engine.begin() as connection:
        connection.execute(insert(table), split_rows(lines[:12]))
    first = read(engine, db_url)
    with engine.begin() as connection:
        connection.execute(insert(table), split_rows(lines[12:]))
    second = read(engine, db_url)
    assert (first.read, second.read) == (12, len(lines) - 12)
    assert count(engine, Call) == 10 and count(engine, OpenCall) == 0
    assert count(engine, Quarantine) == 0
    assert read(engine, db_url).read == 0
    with Session(engine) as session:
        waits = sorted(session.execute(select(Call.wait_s)).scalars())
    assert waits == sorted(float(c.wait) for c in calls(10))


def test_one_data_column_and_a_time_watermark_hold_back_the_newest_second(engine, db_url):
    table = joined_table(engine)
    lines = interleaved(calls(4))
    with engine.begin() as connection:
        connection.execute(insert(table), joined_rows(lines))
    live = read(engine, db_url)
    newest = max(int(line.split("|")[0]) for line in lines)
    held = sum(1 for line in lines if int(line.split("|")[0]) == newest)
    assert live.read == len(lines) - held  # more rows of that second may still be written
    rest = read(engine, db_url, final=True)
    assert rest.read == held
    assert count(engine, Call) == 4 and count(engine, Quarantine) == 0


def test_a_bad_row_is_quarantined_with_its_reason_and_the_rest_goes_on(engine, db_url):
    table = split_table(engine)
    rows = split_rows(interleaved(calls(2)))
    rows.insert(1, {**rows[0], "time": "yesterday", "callid": "x"})
    with engine.begin() as connection:
        connection.execute(insert(table), rows)
    result = read(engine, db_url)
    assert result.quarantined == 1 and count(engine, Call) == 2
    with Session(engine) as session:
        (bad,) = session.execute(select(Quarantine)).scalars()
    assert bad.reason.startswith("bad timestamp") and bad.location == "queue_log id=2"
