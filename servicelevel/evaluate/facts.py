"""Fact KPIs (returns, surveys, repurchase): one whole-operation figure per window.

Why apart from calls: these read counts straight from their fact tables per window (no
rollups), and repurchase has a follow-up period during which a shortfall is not yet a breach.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from servicelevel.config import Target
from servicelevel.evaluate.status import ALL, Status, judge
from servicelevel.kpi import maths as kpis
from servicelevel.store import queries
from servicelevel.timeutil import Window

REPURCHASE_DAYS = 90


def fact_status(session: Session, target: Target, window: Window, now: datetime) -> Status:
    details: dict[str, Any] = {}
    if target.kpi == "return_rate":
        returned = queries.units_returned(session, window.start, window.end)
        sold = queries.units_sold(session, window.start, window.end)
        value = kpis.return_rate(returned, sold)
        details = {"units_returned": returned, "units_sold": sold}
    elif target.kpi == "complaint_satisfaction":
        satisfied, respondents = queries.survey_counts(session, window.start, window.end)
        value = kpis.complaint_satisfaction(satisfied, respondents)
        details = {"satisfied": satisfied, "respondents": respondents}
    elif target.kpi == "complainant_repurchase":
        buyers, resolved = queries.repurchase_counts(
            session, window.start, window.end, days=REPURCHASE_DAYS
        )
        value = kpis.complainant_repurchase(buyers, resolved)
        # Customers resolved late in the window have not had their 90 days yet, so the value
        # can still rise: a shortfall is not a breach until the follow-up period is over
        # (while "met" or "ideal" can only stay true).
        final_on = window.end + timedelta(days=REPURCHASE_DAYS)
        details = {
            "repurchasers": buyers,
            "resolved": resolved,
            "provisional": final_on > now,
            "final_on": final_on.astimezone(window.tz).date().isoformat(),
        }
        status = judge(target, value)
        if status == "breach" and final_on > now:
            status = "no_data"
        return Status(target, ALL, window, value, status, None, details)
    else:
        raise ValueError(f"{target.kpi} is not a fact KPI")
    return Status(target, ALL, window, value, judge(target, value), None, details)
