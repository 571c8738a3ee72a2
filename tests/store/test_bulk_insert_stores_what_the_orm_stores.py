"""The driver-level bulk insert (store/bulk.py) stores byte for byte what the ORM path stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from servicelevel.store import bulk
from servicelevel.store.engine import make_engine
from servicelevel.store.ingest import CALL_COLUMNS
from servicelevel.store.schema import Call

PARIS_SUMMER = timezone(timedelta(hours=2))
ROWS = [
    ("src", "1.1", "sales", datetime(2024, 3, 31, 0, 59, 59, tzinfo=UTC), "answered", 12.0,
     datetime(2024, 3, 31, 1, 5, tzinfo=UTC), 300.5, "SIP/1", None, 0),
    ("src", "1.2", "sales", datetime(2024, 6, 1, 12, 0, 0, 123456, tzinfo=PARIS_SUMMER),
     "abandoned", 3.0, None, None, None, "ab" * 32, 2),
]  # fmt: skip


def stored(url: str) -> list[tuple[object, ...]]:
    engine = make_engine(url, upgrade=False)
    try:
        with engine.connect() as conn:
            query = text(f"SELECT {', '.join(CALL_COLUMNS)} FROM calls ORDER BY callid")
            return [tuple(row) for row in conn.execute(query)]
    finally:
        engine.dispose()


def test_bulk_insert_stores_what_the_orm_stores(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session, session.begin():
            session.execute(insert(Call), [dict(zip(CALL_COLUMNS, r, strict=True)) for r in ROWS])
        orm = stored(db_url)
        with Session(engine) as session, session.begin():
            session.execute(text("DELETE FROM calls"))
            bulk.insert_rows(session, Call.__table__, CALL_COLUMNS, ROWS)
        assert stored(db_url) == orm
    finally:
        engine.dispose()
