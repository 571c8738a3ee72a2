"""A call-record export with its own column names, read through a mapping (calls-csv).

The export below is shaped like the ones ACDs give (Genesys, Amazon Connect, 3CX): semicolons,
day-first local times, a result column in the vendor's words, a wait in seconds with a decimal
comma, and columns we must never keep (the caller's name and number).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from servicelevel.collectors.mapped.csv_file import import_csv
from servicelevel.collectors.mapped.mapping import parse_mapping
from servicelevel.collectors.replay import replay
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.schema import Call, IngestRun, Quarantine, Rollup

SPEC = RollupSpec.of(5, [20])
UTC_ZONE = ZoneInfo("UTC")

MAPPING = """
kind = "calls"
delimiter = ";"
timezone = "Europe/Paris"
datetime_format = "%d/%m/%Y %H:%M:%S"
decimal = ","

[columns]
callid = "Conversation ID"
queue = "Queue Name"
entered_at = "Queue Start"
answered_at = "Answered At"
wait_s = "Wait (s)"
caller = "ANI"

[columns.outcome]
column = "Result"
values = { Handled = "answered", Abandoned = "abandoned", Timeout = "timeout" }
"""

HEADER = "Conversation ID;Queue Name;Caller Name;ANI;Queue Start;Answered At;Wait (s);Result"
ROWS = [
    "c-1;Billing;Ann Smith;+33612345678;01/03/2026 09:00:05;01/03/2026 09:00:17;12,0;Handled",
    "c-2;Billing;Bob Jones;+33698765432;01/03/2026 09:01:00;;40,5;Abandoned",
    "c-3;Sales;Cy Twombly;+33611112222;01/03/2026 09:14:59;01/03/2026 09:15:29;30;Handled",
    "c-4;Sales;Di Prince;+33633334444;01/03/2026 09:20:00;;2;Abandoned",
]


def export(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text(header + "\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def run(engine, path: Path, mapping_text: str = MAPPING, **options):
    mapping = parse_mapping(mapping_text, "genesys.toml")
    result = import_csv(
        engine, path, mapping, SPEC, kind="calls-csv", default_tz=UTC_ZONE, **options
    )
    assert result.read == result.stored + result.duplicates + result.quarantined, result
    with Session(engine) as session:
        row = session.get(IngestRun, result.run_id)
        assert (row.read, row.stored, row.duplicates, row.quarantined, row.status) == (
            result.read, result.stored, result.duplicates, result.quarantined, "ok",
        )  # fmt: skip
    return result


def test_the_users_columns_become_our_calls(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("SERVICELEVEL_PSEUDONYM_KEY", "test-secret")
    result = run(engine, export(tmp_path / "export.csv", ROWS))
    assert (result.read, result.stored, result.quarantined) == (4, 4, 0)
    with Session(engine) as session:
        stored = {c.callid: c for c in session.execute(select(Call)).scalars()}
        rollups = {
            (r.queue, r.interval_start): r for r in session.execute(select(Rollup)).scalars()
        }
    first = stored["c-1"]
    # Paris is UTC+1 on 1 March: 09:00:05 local is 08:00:05 UTC.
    assert first.entered_at == datetime(2026, 3, 1, 8, 0, 5, tzinfo=UTC)
    assert (first.outcome, first.wait_s) == ("answered", 12.0)
    assert (stored["c-2"].outcome, stored["c-2"].wait_s) == ("abandoned", 40.5)
    assert len(first.caller_hash) == 64 and "612345678" not in first.caller_hash
    billing = rollups[("Billing", datetime(2026, 3, 1, 8, 0, tzinfo=UTC))]
    assert (billing.offered, billing.answered, billing.abandoned) == (2, 1, 1)
    sales_short = rollups[("Sales", datetime(2026, 3, 1, 8, 15, tzinfo=UTC))]
    assert (sales_short.offered, sales_short.short_abandoned) == (0, 1)


def test_names_and_numbers_are_never_stored(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("SERVICELEVEL_PSEUDONYM_KEY", "test-secret")
    broken = [*ROWS, "c-5;Sales;Ed Wood;+33655556666;not a date;;3;Handled"]
    run(engine, export(tmp_path / "export.csv", broken))
    with engine.connect() as connection:
        everything = " ".join(
            str(row)
            for table in ("calls", "quarantine", "rollups_15min", "sources", "ingest_runs")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
        )
    for personal in ("Ann Smith", "Ed Wood", "612345678", "655556666"):
        assert personal not in everything


def test_a_second_export_overlapping_the_first_counts_duplicates(engine, tmp_path):
    run(engine, export(tmp_path / "monday.csv", ROWS[:3]))
    second = run(engine, export(tmp_path / "tuesday.csv", ROWS[1:]))
    assert (second.read, second.stored, second.duplicates) == (3, 1, 2)
    with Session(engine) as session:
        assert session.execute(select(func.sum(Rollup.offered))).scalar_one() == 3


def test_it_resumes_after_the_last_committed_row_as_the_file_grows(engine, tmp_path):
    path = export(tmp_path / "live.csv", ROWS[:2])
    first = run(engine, path, final=False)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(ROWS[2] + "\n" + ROWS[3][:12])  # the last row is half written
    second = run(engine, path, final=False)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(ROWS[3][12:] + "\n")
    third = run(engine, path, final=False)
    assert (first.read, second.read, third.read) == (2, 1, 1)
    assert second.quarantined == third.quarantined == 0


def test_a_replaced_export_is_read_again_from_its_header(engine, tmp_path):
    path = export(tmp_path / "export.csv", ROWS[:2])
    run(engine, path)
    path.unlink()
    export(path, [ROWS[3], ROWS[2], ROWS[1], ROWS[0]])  # the inode may well be reused
    again = run(engine, path)
    assert (again.read, again.stored, again.duplicates) == (4, 2, 2)


def test_a_bad_row_is_quarantined_with_its_reason_then_replayed_once_the_mapping_is_fixed(
    engine, tmp_path
):
    rows = [*ROWS, "c-6;Sales;Fay Wray;+33600000000;01/03/2026 10:00:00;;3;Voicemail"]
    result = run(engine, export(tmp_path / "export.csv", rows))
    assert (result.stored, result.quarantined) == (4, 1)
    assert result.reasons == {"outcome not in its values": 1}
    with Session(engine) as session:
        (kept,) = session.execute(select(Quarantine)).scalars()
    assert kept.location == "export.csv:6"
    assert kept.reason.startswith('outcome: "Voicemail" in column Result is not in its values')
    assert "Fay Wray" not in kept.raw and json.loads(kept.raw)["Result"] == "Voicemail"

    fixed = parse_mapping(
        MAPPING.replace('Timeout = "timeout"', 'Timeout = "timeout", Voicemail = "abandoned"'),
        "genesys.toml",
    )
    (outcome,) = replay(engine, SPEC, default_tz=UTC_ZONE, source="export.csv", mapping=fixed)
    assert outcome.error is None
    assert (outcome.result.read, outcome.result.stored, outcome.result.quarantined) == (1, 1, 0)
    with Session(engine) as session:
        assert session.execute(select(Quarantine.replayed_at)).scalar_one() is not None
        late = session.execute(select(Call).where(Call.callid == "c-6")).scalar_one()
        interval = session.get(Rollup, ("Sales", datetime(2026, 3, 1, 9, 0, tzinfo=UTC)))
    assert late.outcome == "abandoned" and interval.short_abandoned == 1


def test_a_replay_with_the_same_mistake_leaves_the_row_in_quarantine(engine, tmp_path):
    rows = [*ROWS, "c-6;Sales;Fay Wray;+33600000000;01/03/2026 10:00:00;;3;Voicemail"]
    run(engine, export(tmp_path / "export.csv", rows))
    same = parse_mapping(MAPPING, "genesys.toml")
    (outcome,) = replay(engine, SPEC, default_tz=UTC_ZONE, mapping=same)
    assert (outcome.result.read, outcome.result.quarantined) == (1, 1)
    with Session(engine) as session:
        rows_left = session.execute(select(Quarantine)).scalars().all()
    assert len(rows_left) == 1 and rows_left[0].replayed_at is None


def test_a_column_the_export_does_not_have_stops_the_file_with_a_hint(engine, tmp_path):
    from servicelevel.errors import IngestError

    with pytest.raises(IngestError, match=r'"Queue Name" .*did you mean "Queue name"'):
        run(
            engine,
            export(tmp_path / "export.csv", ROWS, HEADER.replace("Queue Name", "Queue name")),
        )
