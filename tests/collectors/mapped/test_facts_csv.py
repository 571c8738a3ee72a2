"""Surveys, complaints, orders and returns from CSV exports, on both databases.

These facts change after their first export (a complaint is resolved days later, a daily total
is corrected): the same key with other values updates the stored fact; with the same values it
is a duplicate. Customers are joined by a keyed hash; without the key nothing is kept.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicelevel.collectors.mapped.csv_file import import_csv
from servicelevel.collectors.mapped.mapping import parse_mapping
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.schema import Complaint, Order, Return, Survey

SPEC = RollupSpec.of(5, [20])
PARIS = ZoneInfo("Europe/Paris")

COMPLAINTS = """
kind = "complaints"
date_format = "%d/%m/%Y"
decimal = ","
[columns]
key = "Ticket"
opened_at = "Opened"
resolved_at = "Closed"
nature = { column = "Category", categories = ["Late delivery", "Damaged item"] }
solution = "Resolution"
follow_up = "Follow-up"
compensation = "Goodwill"
customer = "Customer No"
"""
ORDERS = """
kind = "orders"
[columns]
key = { join = ["order", "line"], sep = "/" }
ordered_at = "date"
product = "sku"
units = "qty"
customer = "customer"
"""
RETURNS = """
kind = "returns"
[columns]
key = { join = ["day", "sku"], sep = "|" }
returned_at = "day"
product = "sku"
units = "returned"
"""
SURVEYS = """
kind = "surveys"
[columns]
key = "response_id"
answered_at = { column = "submitted", format = "epoch" }
complaint = "ticket"

[columns.score]
column = "How satisfied are you?"
[columns.score.values]
"Very unsatisfied" = 1
Unsatisfied = 2
Neutral = 3
Satisfied = 4
"Very satisfied" = 5
"""


def load(engine, path: Path, kind: str, mapping: str, rows: list[str]):
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = import_csv(
        engine, path, parse_mapping(mapping, f"{kind}.toml"), SPEC,
        kind=f"{kind}-csv", default_tz=PARIS,
    )  # fmt: skip
    assert result.read == result.stored + result.duplicates + result.quarantined, result
    return result


def test_a_complaint_resolved_in_a_later_export_updates_the_stored_one(
    engine, tmp_path, monkeypatch
):
    monkeypatch.setenv("SERVICELEVEL_PSEUDONYM_KEY", "test-secret")
    header = "Ticket,Opened,Closed,Category,Resolution,Follow-up,Goodwill,Customer No,Customer Name"
    damaged = (
        'T-2,02/03/2026,03/03/2026,Damaged item,Replaced,Call back in a week,"12,50",C-78,Bob Jones'
    )
    monday = load(engine, tmp_path / "monday.csv", "complaints", COMPLAINTS, [
        header,
        "T-1,02/03/2026,,Late delivery,,,,C-77,Ann Smith",
        damaged,
    ])  # fmt: skip
    friday = load(engine, tmp_path / "friday.csv", "complaints", COMPLAINTS, [
        header,
        "T-1,02/03/2026,06/03/2026,Late delivery,Refund,,,C-77,Ann Smith",
        damaged,
    ])  # fmt: skip
    assert (monday.stored, monday.updated) == (2, 0)
    assert (friday.stored, friday.updated, friday.duplicates) == (1, 1, 1)
    with Session(engine) as session:
        stored = {c.complaint_key: c for c in session.execute(select(Complaint)).scalars()}
    assert stored["T-1"].resolved_at == datetime(2026, 3, 5, 23, 0, tzinfo=UTC)  # 6 March, Paris
    assert stored["T-1"].solution == "Refund"
    assert stored["T-2"].compensation == 12.5 and stored["T-2"].follow_up == "Call back in a week"
    assert stored["T-1"].customer_hash != stored["T-2"].customer_hash
    assert "C-77" not in stored["T-1"].customer_hash


def test_without_a_pseudonym_key_no_customer_id_is_kept(engine, tmp_path, monkeypatch):
    monkeypatch.delenv("SERVICELEVEL_PSEUDONYM_KEY", raising=False)
    load(engine, tmp_path / "orders.csv", "orders", ORDERS, [
        "order,line,date,sku,qty,customer",
        "O-1,1,2026-03-02 10:00:00,BOOT-42,2,C-77",
    ])  # fmt: skip
    with Session(engine) as session:
        order = session.execute(select(Order)).scalar_one()
    assert (order.order_key, order.units, order.customer_hash) == ("O-1/1", 2, None)


def test_daily_return_totals_per_product_are_keyed_by_day_and_product(engine, tmp_path):
    rows = [
        "day,sku,returned",
        "2026-03-02,BOOT-42,3",
        "2026-03-02,HAT-1,0",
        "2026-03-02,BOOT-42,-1",
    ]
    result = load(engine, tmp_path / "returns.csv", "returns", RETURNS, rows)
    assert (result.stored, result.quarantined) == (2, 1)
    assert result.reasons == {"units not a whole number": 1}
    corrected = load(
        engine, tmp_path / "returns-2.csv", "returns", RETURNS, [rows[0], "2026-03-02,BOOT-42,4"]
    )
    assert (corrected.stored, corrected.updated) == (1, 1)
    with Session(engine) as session:
        units = {r.return_key: r.units for r in session.execute(select(Return)).scalars()}
    assert units == {"2026-03-02|BOOT-42": 4, "2026-03-02|HAT-1": 0}


def test_survey_answers_in_words_become_scores_linked_to_their_complaint(engine, tmp_path):
    result = load(engine, tmp_path / "surveys.csv", "surveys", SURVEYS, [
        "response_id,submitted,How satisfied are you?,ticket,email",
        "R-1,1772445600,Very satisfied,T-1,ann@example.com",
        "R-2,1772445600,Satisfied,,bob@example.com",
        "R-3,1772445600,Meh,T-2,cy@example.com",
    ])  # fmt: skip
    assert (result.stored, result.quarantined) == (2, 1)
    with Session(engine) as session:
        answers = {
            s.survey_key: (s.score, s.complaint_key)
            for s in session.execute(select(Survey)).scalars()
        }
    assert answers == {"R-1": (5, "T-1"), "R-2": (4, None)}
