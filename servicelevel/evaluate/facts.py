"""Fact KPIs (returns, surveys, repurchase): one whole-operation figure per window.

Why apart from calls: these read their two counts straight from their fact tables per window
(no rollups), and a KPI with a follow-up period (repurchase) cannot breach until it is over.
What a fact KPI is (unit, formula, labels, maths) is its registry definition; what is here is
only the query that counts it, registered by KPI name with :func:`counted_by`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from servicelevel.config import Target
from servicelevel.evaluate.status import ALL, Status, judge
from servicelevel.kpi.registry import KPIS, KpiDefinition
from servicelevel.store import queries
from servicelevel.timeutil import Window

# (session, window start, window end, definition) -> (numerator, denominator)
CountReader = Callable[[Session, datetime, datetime, KpiDefinition], tuple[int, int]]
FACT_COUNTS: dict[str, CountReader] = {}


def counted_by(name: str) -> Callable[[CountReader], CountReader]:
    """Register the query giving a fact KPI's (numerator, denominator) in a window."""

    def register(reader: CountReader) -> CountReader:
        FACT_COUNTS[name] = reader
        return reader

    return register


@counted_by("return_rate")
def _returns(
    session: Session, start: datetime, end: datetime, _k: KpiDefinition
) -> tuple[int, int]:
    return queries.units_returned(session, start, end), queries.units_sold(session, start, end)


@counted_by("complaint_satisfaction")
def _surveys(
    session: Session, start: datetime, end: datetime, _k: KpiDefinition
) -> tuple[int, int]:
    return queries.survey_counts(session, start, end)


@counted_by("complainant_repurchase")
def _repurchases(
    session: Session, start: datetime, end: datetime, k: KpiDefinition
) -> tuple[int, int]:
    assert k.follow_up_days is not None
    return queries.repurchase_counts(session, start, end, days=k.follow_up_days)


def fact_status(session: Session, target: Target, window: Window, now: datetime) -> Status:
    """The target's figure in the window, judged; its counts are the status details."""
    kpi = KPIS[target.kpi]
    if kpi.calls or target.kpi not in FACT_COUNTS:
        raise ValueError(f"{target.kpi} is not a fact KPI")
    numerator, denominator = FACT_COUNTS[target.kpi](session, window.start, window.end, kpi)
    value = kpi.of_facts(numerator, denominator)
    details: dict[str, Any] = {kpi.numerator.key: numerator, kpi.denominator.key: denominator}
    status = judge(target, value)
    if kpi.follow_up_days is not None:
        # Customers resolved late in the window have not had their follow-up days yet, so the
        # value can still rise: a shortfall is not a breach until the follow-up period is over
        # (while "met" or "ideal" can only stay true).
        final_on = window.end + timedelta(days=kpi.follow_up_days)
        details["provisional"] = final_on > now
        details["final_on"] = final_on.astimezone(window.tz).date().isoformat()
        if status == "breach" and final_on > now:
            status = "no_data"
    return Status(target, ALL, window, value, status, None, details)
