"""Replaying quarantined queue_log lines (collectors.replay), and what a quarantined line keeps."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from queue_log_calls import calls, interleaved, text
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicelevel.collectors.queue_log.importer import import_file
from servicelevel.collectors.replay import replay
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.schema import Call, IngestRun, Quarantine

SPEC = RollupSpec.of(5, [20])


def test_lines_quarantined_by_a_wrong_clock_are_stored_by_a_replay(engine, tmp_path):
    log = tmp_path / "queue_log"
    log.write_text(text(interleaved(calls(3))))
    # The collector's clock was years behind: every line looked like it came from the future.
    wrong_now = datetime(2020, 1, 1, tzinfo=UTC)
    first = import_file(engine, log, SPEC, now=wrong_now)
    assert first.quarantined == first.read == 8
    (outcome,) = replay(engine, SPEC, default_tz=ZoneInfo("UTC"))
    result = outcome.result
    assert (result.read, result.stored, result.quarantined) == (8, 8, 0), result
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Call)).scalar_one() == 3
        left = session.execute(select(Quarantine).where(Quarantine.replayed_at.is_(None))).all()
        collectors = session.execute(select(IngestRun.collector)).scalars().all()
    assert left == [] and collectors == ["asterisk-queue-log", "replay:asterisk-queue-log"]


def test_lines_that_still_fail_stay_in_quarantine_with_their_reason(engine, tmp_path):
    log = tmp_path / "queue_log"
    log.write_text(
        "1795000000|c1|sales|NONE|NOSUCHEVENT|1\n1795000000|c2|sales|NONE|ABANDON|1|1|9\n"
    )
    import_file(engine, log, SPEC)
    (outcome,) = replay(engine, SPEC, default_tz=ZoneInfo("UTC"))
    assert (outcome.result.read, outcome.result.quarantined) == (2, 2)
    assert outcome.result.reasons == {"unknown event": 1, "no ENTERQUEUE for this call": 1}
    with Session(engine) as session:
        kept = session.execute(select(Quarantine.reason, Quarantine.replayed_at)).all()
    assert sorted(kept) == [
        ("no ENTERQUEUE for this call", None),
        ("unknown event: 'NOSUCHEVENT'", None),
    ]


def test_a_quarantined_enterqueue_keeps_no_phone_number(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("SERVICELEVEL_PSEUDONYM_KEY", "test-secret")
    log = tmp_path / "queue_log"
    log.write_text("1795000000|c1|NONE|NONE|ENTERQUEUE||0612345678|1\n")  # no queue: unusable
    import_file(engine, log, SPEC)
    with Session(engine) as session:
        raw = session.execute(select(Quarantine.raw)).scalar_one()
    assert "0612345678" not in raw and "|pseudonym:" in raw
