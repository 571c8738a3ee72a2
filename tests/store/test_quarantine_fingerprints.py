"""Quarantined rows matched by fingerprint (source, place, reason, text), on both databases.

Only a re-read of the same row is a duplicate: identical rows at one place (an SQL source's rows
sharing a watermark value) are each kept, and the rows a mapped source quarantined before the
fingerprint existed are found again after ``db upgrade``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from servicelevel.store import make_engine
from servicelevel.store.engine import upgrade_schema
from servicelevel.store.ingest import quarantine, row_fingerprint
from servicelevel.store.schema import Quarantine, Source

BEFORE = "r0130_rollup_rebuilds"  # the revision before quarantine.fingerprint
ROW = '{"callid": "", "queue": "sales"}'


def test_identical_rows_at_one_place_are_each_kept_and_found_again(db_url):
    engine = make_engine(db_url)
    try:
        rows = [("updated_at=2026-03-02", "callid is empty", ROW)] * 2
        with Session(engine) as session, session.begin():
            first = quarantine(session, "crm", rows, texts=["", ""])
        with Session(engine) as session, session.begin():
            again = quarantine(session, "crm", rows, texts=["", ""])
            other = quarantine(session, "crm-copy", rows[:1], texts=[""])
        with Session(engine) as session:
            kept = session.execute(select(Quarantine.source)).scalars().all()
    finally:
        engine.dispose()
    assert (first, again, other) == ([False, False], [True, True], [False])
    assert sorted(kept) == ["crm", "crm", "crm-copy"]


def test_the_upgrade_gives_a_mapped_sources_rows_their_fingerprint(db_url):
    engine = make_engine(db_url, upgrade=False)
    try:
        upgrade_schema(engine, BEFORE)
        now = datetime(2026, 3, 2, tzinfo=UTC)
        with Session(engine) as session, session.begin():
            session.add(Source(name="acd", collector="calls-csv", kind="calls"))
            session.add(Source(name="pbx", collector="asterisk-queue-log", kind="calls"))
            session.flush()
            session.execute(insert(Quarantine.__table__).values([
                {"source": "acd", "location": "export.csv:7", "reason": "callid is empty",
                 "raw": ROW, "quarantined_at": now},
                {"source": "acd", "location": "export.csv:9", "reason": "3 fields",
                 "raw": "", "quarantined_at": now},
                {"source": "pbx", "location": "queue_log:4", "reason": "unknown event",
                 "raw": "1|2|q|NONE|FOO", "quarantined_at": now},
            ]))  # fmt: skip
        upgrade_schema(engine)
        with Session(engine) as session:
            query = select(Quarantine.location, Quarantine.fingerprint)
            prints = dict(session.execute(query).all())
        assert prints == {
            "export.csv:7": row_fingerprint("acd", "export.csv:7", "callid is empty", ROW),
            "export.csv:9": None,  # kept no text: nothing to recognise it by
            "queue_log:4": None,  # queue_log rows are matched on (raw, reason)
        }
        with Session(engine) as session, session.begin():
            reread = quarantine(session, "acd", [("export.csv:7", "callid is empty", ROW)],
                                texts=[""])  # fmt: skip
        assert reread == [True]
    finally:
        engine.dispose()
