"""Why a figure is "no data": one function, so the Live tiles and ``status`` give the same reason.

Why it matters: a grey "No data" tile looks the same whether the operation is closed today, it
is before opening, too few calls came in, the queue name is wrong or nothing was ever imported,
and each calls for something else (nothing, patience, a look at min_volume, a typo fix, an
import). Checked in that order of "most fundamental first":

``recomputing`` > ``no_source`` > ``no_data_ever`` > ``closed_day`` > ``outside_hours`` >
``below_min_volume`` > ``empty``.

Reasons are computed on demand, not during the evaluation: a year of 15-minute windows is a few
hundred thousand statuses, and only the ones shown need one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from servicelevel.config import Targets
from servicelevel.evaluate.freshness import Freshness, read_freshness
from servicelevel.evaluate.status import ALL, Status


@dataclass(frozen=True, slots=True)
class NoDataReason:
    """``code`` for programs (``status --json``), ``text`` for people (tiles, ``status``)."""

    code: str
    text: str


def no_data_reason(status: Status, targets: Targets, freshness: Freshness) -> NoDataReason | None:
    """Why ``status`` has no figure; None unless its status is ``no_data``."""
    if status.status != "no_data":
        return None
    target, kpi = status.target, status.target.definition
    if status.details.get("reason") == "recomputing":
        return NoDataReason("recomputing", "being recomputed for the new definition")
    kinds = " or ".join(kpi.sources)
    verdict = freshness.of_kinds(kpi.sources)
    if not verdict.has_data:
        if not verdict.sourced:
            return NoDataReason("no_source", f"no source of {kinds} has been imported")
        return NoDataReason("no_data_ever", f"no {kinds} imported yet")
    left_out = ""
    if kpi.calls:
        unseen = _unseen_queues(status, freshness)
        if unseen:
            names = ", ".join(f'"{q}"' for q in unseen)
            return NoDataReason("no_data_ever", f"no call ever seen in queue {names}")
        out_of_hours = status.counts.out_of_hours if status.counts is not None else 0
        if out_of_hours:
            left_out = f"; {out_of_hours} call(s) outside business hours left out"
        closed = _calendar_reason(status, targets, freshness.now)
        if closed is not None:
            return NoDataReason(closed.code, closed.text + left_out)
    volume, needed = status.kpi.volume, target.min_volume
    if volume < needed:
        text = f"below min_volume: {volume} of {needed} {kpi.volume}"
        return NoDataReason("below_min_volume", text + left_out)
    return NoDataReason("empty", f"no {kpi.volume} in this window" + left_out)


def no_data_reasons(
    engine: Engine, targets: Targets, statuses: Sequence[Status], now: dt.datetime
) -> list[NoDataReason | None]:
    """:func:`no_data_reason` of each status, the sources read once (for ``status``)."""
    if not any(s.status == "no_data" for s in statuses):
        return [None] * len(statuses)
    with Session(engine) as session:
        freshness = read_freshness(session, targets, now)
    return [no_data_reason(s, targets, freshness) for s in statuses]


def _unseen_queues(status: Status, freshness: Freshness) -> list[str]:
    if status.scope != ALL:
        return [] if status.scope in freshness.queues else [status.scope]
    listed = [q for q in status.target.queues if q != ALL]
    if listed and not any(q in freshness.queues for q in listed):
        return listed
    return []


def _days(status: Status) -> list[dt.date]:
    first = status.window.start_local.date()
    last = (status.window.end_local - dt.timedelta(microseconds=1)).date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _hours_text(span: tuple[dt.time, dt.time]) -> str:
    closes = "24:00" if span[1] == dt.time.max else f"{span[1]:%H:%M}"
    return f"{span[0]:%H:%M}–{closes}"


def _calendar_reason(status: Status, targets: Targets, now: dt.datetime) -> NoDataReason | None:
    """Closed that day (weekday or holiday), or a window outside business hours."""
    hours = targets.business_hours
    if hours is None:
        return None
    days = _days(status)
    open_days = [d for d in days if hours.hours(d) is not None and not hours.is_holiday(d)]
    if not open_days:
        if len(days) > 1:
            return NoDataReason("closed_day", f"closed all {status.window.kind}")
        day = days[0]
        holiday = hours.holiday_name(day)
        if holiday is not None:
            return NoDataReason("closed_day", f"closed: public holiday ({holiday})")
        return NoDataReason("closed_day", f"closed on {day:%A}s")
    window, tz = status.window, status.window.tz
    span = hours.hours(open_days[0])
    assert span is not None
    if window.kind in ("15min", "hour"):
        if not any(hours.is_open(i.astimezone(tz)) for i in window.intervals()):
            return NoDataReason("outside_hours", f"outside business hours ({_hours_text(span)})")
        return None
    today = window.kind == "day" and window.start <= now < window.end
    if today and status.kpi.volume == 0 and now.astimezone(tz).time() < span[0]:
        return NoDataReason("outside_hours", f"not open yet: opens at {span[0]:%H:%M}")
    return None
