"""Numbers that are not finite and dates out of range quarantine their row, never the file.

``float("nan")`` reads "nan", "inf" and "1e999" as numbers: stored, a NaN wait fails the whole
import on SQLite (it binds NaN as NULL, and wait_s is NOT NULL) and is kept as NaN on
PostgreSQL, where every average over it turns NaN. A year-9999 time overflows the first
arithmetic on it (the call's end, its local day). Each such row is quarantined with a reason,
alike on both databases, and the rows around it are stored.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicelevel.collectors.mapped.csv_file import import_csv
from servicelevel.collectors.mapped.mapping import parse_mapping
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.schema import Call, Complaint, IngestRun, Quarantine, Rollup

SPEC = RollupSpec.of(5, [20])
PARIS = ZoneInfo("Europe/Paris")

CALLS = """
kind = "calls"
[columns]
callid = "id"
queue = "queue"
entered_at = "entered"
outcome = "outcome"
wait_s = "wait"
talk_s = "talk"
"""
EPOCH_CALLS = CALLS.replace('entered_at = "entered"', 'entered_at = { column = "entered", '
                            'format = "epoch" }')  # fmt: skip
COMPLAINTS = """
kind = "complaints"
[columns]
key = "ticket"
opened_at = "opened"
resolved_at = "resolved"
compensation = "paid"
"""


def load(engine, path: Path, mapping: str, kind: str, lines: list[str]):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = import_csv(
        engine, path, parse_mapping(mapping, "m.toml"), SPEC, kind=kind, default_tz=PARIS
    )
    assert result.read == result.stored + result.duplicates + result.quarantined, result
    with Session(engine) as session:
        assert session.get(IngestRun, result.run_id).status == "ok"
    return result


def quarantined(engine) -> dict[str, str]:
    with Session(engine) as session:
        return dict(session.execute(select(Quarantine.location, Quarantine.reason)).all())


def test_waits_that_are_not_finite_or_are_negative_are_quarantined(engine, tmp_path):
    result = load(engine, tmp_path / "calls.csv", CALLS, "calls-csv", [
        "id,queue,entered,outcome,wait,talk",
        "c-1,sales,2026-03-02 09:00:00,answered,12,60",
        "c-2,sales,2026-03-02 09:01:00,answered,nan,60",
        "c-3,sales,2026-03-02 09:02:00,abandoned,inf,",
        "c-4,sales,2026-03-02 09:03:00,answered,1e999,60",
        "c-5,sales,2026-03-02 09:04:00,answered,-3,60",
        "c-6,sales,2026-03-02 09:05:00,answered,10,NaN",
        "c-7,sales,2026-03-02 09:06:00,answered,8,30",
    ])  # fmt: skip
    assert (result.read, result.stored, result.quarantined) == (7, 2, 5)
    assert result.reasons == {
        "wait_s not a finite number": 3, "wait_s negative": 1, "talk_s not a finite number": 1,
    }  # fmt: skip
    reasons = quarantined(engine)
    assert reasons["calls.csv:3"] == 'wait_s: "nan" in column wait is not a finite number'
    assert reasons["calls.csv:6"] == 'wait_s: "-3" in column wait is negative'
    with Session(engine) as session:
        assert session.execute(select(Call.callid).order_by(Call.callid)).scalars().all() == [
            "c-1", "c-7",
        ]  # fmt: skip
        assert session.execute(select(func.sum(Rollup.wait_sum_answered))).scalar_one() == 20.0


def test_a_time_out_of_range_is_quarantined_instead_of_stopping_the_import(engine, tmp_path):
    result = load(engine, tmp_path / "calls.csv", EPOCH_CALLS, "calls-csv", [
        "id,queue,entered,outcome,wait,talk",
        "c-1,sales,1772442000,answered,12,60",
        "c-2,sales,253402300799,answered,12,60",  # 9999-12-31 23:59:59 UTC
        "c-3,sales,0,answered,12,60",  # an empty time written as epoch 0
        "c-4,sales,1772442100,answered,12,60",
    ])  # fmt: skip
    assert (result.read, result.stored, result.quarantined) == (4, 2, 2)
    assert result.reasons == {"entered_at out of range": 2}
    assert quarantined(engine)["calls.csv:3"].startswith(
        'entered_at: "253402300799" in column entered is 9999-12-31 23:59 UTC, out of range'
    )


def test_a_local_time_near_the_end_of_time_is_quarantined(engine, tmp_path):
    result = load(engine, tmp_path / "calls.csv", CALLS, "calls-csv", [
        "id,queue,entered,outcome,wait,talk",
        "c-1,sales,9999-12-31 23:30:00,answered,3600,60",
        "c-2,sales,2026-03-02 09:00:00,answered,12,60",
    ])  # fmt: skip
    assert (result.stored, result.quarantined) == (1, 1)
    assert result.reasons == {"entered_at out of range": 1}


def test_a_far_future_no_end_marker_is_quarantined_with_a_hint(engine, tmp_path):
    result = load(engine, tmp_path / "complaints.csv", COMPLAINTS, "complaints-csv", [
        "ticket,opened,resolved,paid",
        "T-1,2026-03-02 09:00:00,9999-12-31 00:00:00,",
        "T-2,2026-03-02 09:00:00,2026-03-03 09:00:00,nan",
        "T-3,2026-03-02 09:00:00,2026-03-03 09:00:00,12.5",
    ])  # fmt: skip
    assert (result.stored, result.quarantined) == (1, 2)
    assert result.reasons == {
        "resolved_at out of range": 1, "compensation not a finite number": 1,
    }  # fmt: skip
    reason = quarantined(engine)["complaints.csv:2"]
    assert "if it means none, list it in the field's empty values" in reason
    with Session(engine) as session:
        assert session.execute(select(Complaint.complaint_key)).scalars().all() == ["T-3"]


ORDERS = """
kind = "orders"
[columns]
key = { join = ["order", "line"], sep = "/" }
ordered_at = "date"
units = "qty"
"""


def test_a_nul_byte_in_a_key_quarantines_its_row_on_both_databases(engine, tmp_path):
    # PostgreSQL text cannot hold a NUL: before, the key reached its lookup of known keys and
    # the whole import failed (DataError); SQLite stored it. Now the row is refused on both.
    result = load(engine, tmp_path / "complaints.csv", COMPLAINTS, "complaints-csv", [
        "ticket,opened,resolved,paid",
        "k-1,2026-03-02 09:00:00,,5",
        "k-\x002,2026-03-02 09:01:00,,5",
        "k-3,2026-03-02 09:02:00,,5",
    ])  # fmt: skip
    assert (result.stored, result.quarantined) == (2, 1)
    assert quarantined(engine) == {"complaints.csv:3": "key: contains a NUL byte"}
    with Session(engine) as session:
        keys = session.scalars(select(Complaint.complaint_key)).all()
    assert sorted(keys) == ["k-1", "k-3"]


def test_a_nul_byte_in_a_joined_key_quarantines_its_row(engine, tmp_path):
    result = load(engine, tmp_path / "orders.csv", ORDERS, "orders-csv", [
        "order,line,date,qty",
        "o-1,1,2026-03-02 09:00:00,1",
        "o-1,\x00,2026-03-02 09:00:00,1",
    ])  # fmt: skip
    assert (result.stored, result.quarantined) == (1, 1)


@pytest.mark.parametrize("qty", ["99999999999999999999", "9223372036854775808", "1e30"])
def test_units_beyond_the_integer_column_quarantine_their_row(engine, tmp_path, qty):
    # A 20-digit quantity passed as a whole number and overflowed SQLite's 64-bit integer
    # (OverflowError, the whole import failed); PostgreSQL refused the batch.
    result = load(engine, tmp_path / "orders.csv", ORDERS, "orders-csv", [
        "order,line,date,qty",
        "o-1,1,2026-03-02 09:00:00,2",
        f"o-1,2,2026-03-02 09:00:00,{qty}",
        "o-1,3,2026-03-02 09:00:00,3",
    ])  # fmt: skip
    assert (result.stored, result.quarantined) == (2, 1)
    (reason,) = quarantined(engine).values()
    assert reason.startswith("units: "), reason
