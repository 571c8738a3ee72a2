"""Complainant repurchase: a shortfall is no breach before the 90-day follow-up is over.

Hand-made facts, Europe/Paris, window = month of October 2026 (minimum 40 %, ideal 60 %):

    complaint  customer  resolved      order after resolution        within 90 days?
    c1         A         2026-10-05    2026-11-01                    yes
    c2         B         2026-10-10    2027-02-01 (114 days later)   no
    c3         C         2026-10-20    none                          no
    c4         D         2026-09-28    (resolved in September: not in the window)

October: 1 of 3 complainants bought again = 33.33 % < 40 %. The window ends on
2026-11-01 00:00 local; its follow-up is over on 2027-01-30 (90 days later).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from servicelevel.config import parse_targets
from servicelevel.evaluate import evaluate_range
from servicelevel.store import make_engine
from servicelevel.store.schema import Complaint, Order

PARIS = ZoneInfo("Europe/Paris")
TARGETS = """
[operation]
timezone = "Europe/Paris"

[[target]]
id = "buy-again"
name = "Complainants who buy again"
kpi = "complainant_repurchase"
window = "month"
minimum = 40
ideal = 60
min_volume = 1
"""


def _at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 12, tzinfo=PARIS)


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    complaints = [("c1", "A", _at(2026, 10, 5)), ("c2", "B", _at(2026, 10, 10)),
                  ("c3", "C", _at(2026, 10, 20)), ("c4", "D", _at(2026, 9, 28))]  # fmt: skip
    orders = [("o1", "A", _at(2026, 11, 1)), ("o2", "B", _at(2027, 2, 1))]
    with Session(engine) as session, session.begin():
        session.execute(
            insert(Complaint),
            [{"complaint_key": k, "customer_hash": c, "opened_at": r, "resolved_at": r}
             for k, c, r in complaints],
        )  # fmt: skip
        session.execute(
            insert(Order),
            [{"order_key": k, "customer_hash": c, "ordered_at": t, "units": 1}
             for k, c, t in orders],
        )  # fmt: skip
    yield engine
    engine.dispose()


def october(engine, now: datetime):
    targets = parse_targets(TARGETS).unwrap()
    (status,) = evaluate_range(engine, targets, date(2026, 10, 1), date(2026, 11, 1), now=now)
    return status


def test_a_shortfall_inside_the_follow_up_period_is_not_yet_a_breach(engine):
    status = october(engine, now=datetime(2026, 12, 1, tzinfo=UTC))
    assert status.kpi.numerator == 1 and status.kpi.denominator == 3
    assert status.value == pytest.approx(100 / 3)
    assert status.status == "no_data"
    assert status.details["provisional"] is True
    assert status.details["final_on"] == "2027-01-30"


def test_the_same_shortfall_is_a_breach_once_the_90_days_are_over(engine):
    status = october(engine, now=datetime(2027, 3, 1, tzinfo=UTC))
    assert status.value == pytest.approx(100 / 3)
    assert status.status == "breach"
    assert status.details["provisional"] is False


def test_a_provisional_value_already_at_the_minimum_is_met(engine):
    # One more October complainant who has already bought again: 2 of 4 = 50 % >= 40 %.
    with Session(engine) as session, session.begin():
        session.execute(insert(Complaint).values(complaint_key="c5", customer_hash="E",
                                                 opened_at=_at(2026, 10, 25),
                                                 resolved_at=_at(2026, 10, 25)))  # fmt: skip
        session.execute(insert(Order).values(order_key="o5", customer_hash="E",
                                             ordered_at=_at(2026, 10, 30), units=1))  # fmt: skip
    status = october(engine, now=datetime(2026, 12, 1, tzinfo=UTC))
    assert (status.kpi.numerator, status.kpi.denominator) == (2, 4)
    assert status.status == "met"
