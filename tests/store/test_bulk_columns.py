"""Column-wise inserts and upserts through a temporary table store what the row paths store.

``insert_columns`` (the columnar queue_log path) against ``insert_rows`` (itself checked against
the ORM), and on PostgreSQL ``execute_many`` through COPY + ``INSERT ... SELECT`` against plain
executemany, including the cases it must hand back (two rows for one key).
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from servicelevel.store import bulk
from servicelevel.store.engine import make_engine
from servicelevel.store.ingest import CALL_COLUMNS
from servicelevel.store.rollups import ROLLUP_COLUMNS, _rollup_upsert
from servicelevel.store.schema import Call, Rollup

EPOCHS = [1_704_060_000, 1_711_846_799, 1_717_243_200, 946_684_800, 4_102_444_799]


def test_epoch_text_is_the_text_sqlalchemy_stores_on_sqlite():
    expected = [
        datetime.fromtimestamp(e, UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        for e in EPOCHS
    ]
    assert bulk.epoch_text(np.array(EPOCHS, dtype=np.int64)).tolist() == expected


def _calls(url: str) -> list[tuple[object, ...]]:
    engine = make_engine(url, upgrade=False)
    try:
        with engine.connect() as conn:
            query = text(f"SELECT {', '.join(CALL_COLUMNS)} FROM calls ORDER BY callid")
            return [tuple(row) for row in conn.execute(query)]
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("source", "agent"),
    [
        ("/var/log/asterisk/queue_log", "SIP/1"),
        ("C:\\logs\\queue\tlog", "SIP/1"),
        ("/var/log/asterisk/queue_log", "\\N"),  # not NULL: the two characters
        ("/var/log/asterisk/queue_log", "a\tb\\c"),
    ],
)
def test_insert_columns_stores_what_insert_rows_stores(db_url, source, agent):
    n = len(EPOCHS)
    columns = {
        "source": source,
        "callid": np.array([f"{e}.{i}" for i, e in enumerate(EPOCHS)], dtype=object),
        "queue": np.array(["sales", "support", "sales", "vip", "q"], dtype=object),
        "entered_at": np.array(EPOCHS, dtype=np.int64),
        "outcome": np.array(["answered", "abandoned", "timeout", "exitkey", "answered"], object),
        "wait_s": np.array([0.0, 4.5, 20.0, 1e-7, 123456.25]),
        "ended_at": np.array(EPOCHS, dtype=np.int64) + 30,
        "talk_s": np.array([61.0, np.nan, np.nan, np.nan, 0.1]),
        "agent": np.array([agent, None, None, None, "Agent/2"], dtype=object),
        "caller_hash": np.array([None, "ab" * 32, None, None, None], dtype=object),
        "ring_no_answer": np.array([0, 2, 0, 1, 0], dtype=np.int64),
    }
    rows = [
        (
            source, columns["callid"][i], columns["queue"][i],
            datetime.fromtimestamp(EPOCHS[i], UTC), columns["outcome"][i],
            float(columns["wait_s"][i]), datetime.fromtimestamp(EPOCHS[i] + 30, UTC),
            None if np.isnan(columns["talk_s"][i]) else float(columns["talk_s"][i]),
            columns["agent"][i], columns["caller_hash"][i], int(columns["ring_no_answer"][i]),
        )
        for i in range(n)
    ]  # fmt: skip
    engine = make_engine(db_url)
    try:
        with Session(engine) as session, session.begin():
            bulk.insert_rows(session, Call.__table__, CALL_COLUMNS, rows)
        by_rows = _calls(db_url)
        with Session(engine) as session, session.begin():
            session.execute(text("DELETE FROM calls"))
            bulk.insert_columns(session, Call.__table__, columns)
        assert _calls(db_url) == by_rows
    finally:
        engine.dispose()


def _rollups(session: Session) -> list[tuple[object, ...]]:
    query = text(f"SELECT {', '.join(ROLLUP_COLUMNS)} FROM rollups_15min ORDER BY 1, 2")
    return [tuple(row) for row in session.execute(query)]


def _upsert_twice(pg_url: str, rows: list[tuple[object, ...]], minimum: int, monkeypatch):
    monkeypatch.setattr(bulk, "COPY_UPSERT_MIN_ROWS", minimum)
    engine = make_engine(pg_url)
    try:
        with Session(engine) as session, session.begin():
            session.execute(text("DELETE FROM rollups_15min"))
            for _ in range(2):  # the second time every row meets its conflict
                bulk.execute_many(
                    session, "rollups_15min:upsert", _rollup_upsert, Rollup.__table__,
                    ROLLUP_COLUMNS, rows,
                )  # fmt: skip
            return _rollups(session)
    finally:
        engine.dispose()


def _rollup_rows(n: int, repeat_key: bool) -> list[tuple[object, ...]]:
    rows = []
    for i in range(n):
        start = datetime.fromtimestamp(1_704_060_000 + 900 * (i // 3), UTC)
        queue = f"q{i % 3}" if not repeat_key else "q0"
        max_wait = None if i % 7 == 0 else float(i % 50)
        rows.append((queue, start, i % 5 + 1, i % 3, 1, 0, 0, 0.5 * i, max_wait))
    return rows


@pytest.mark.parametrize("repeat_key", [False, True])
def test_upsert_through_a_temporary_table_equals_executemany(pg_url, monkeypatch, repeat_key):
    rows = _rollup_rows(300, repeat_key)
    by_copy = _upsert_twice(pg_url, rows, 1, monkeypatch)
    by_executemany = _upsert_twice(pg_url, rows, 10**9, monkeypatch)
    assert by_copy == by_executemany
    assert len(by_copy) == (100 if repeat_key else 300)
