"""Trends and breaches over a range of days, as plain data (no Dash here).

A trend point is a target evaluated over a smaller or larger window than its own (hourly points
of a daily target), judged against the minimum and ideal in force then. Breaches are the breach
model's (:mod:`servicelevel.evaluate.breaches`), here turned into the page's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine

from servicelevel.config import Targets
from servicelevel.config.history import History
from servicelevel.evaluate import ALL, Status, evaluate_windows
from servicelevel.evaluate.breaches import Breach, find_breaches
from servicelevel.kpi.registry import KPIS
from servicelevel.reports.text import format_duration
from servicelevel.timeutil import local_day_bounds, windows_between

from . import fmt
from .links import markdown_link, page_href

GRANULARITIES = ("15min", "hour", "day", "week", "month")
GRANULARITY_LABEL = {
    "15min": "15 minutes",
    "hour": "Hour",
    "day": "Day",
    "week": "Week",
    "month": "Month",
}
# Finer points over long ranges would be unreadable and slow; the page says so.
MAX_DAYS = {"15min": 7, "hour": 62, "day": 400, "week": 800, "month": 1900}
PRESETS = {"today": 0, "7d": 6, "30d": 29, "90d": 89}


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """(first day, day after the last) of a preset, ending today."""
    back = PRESETS.get(preset, 6)
    return today - timedelta(days=back), today + timedelta(days=1)


# --------------------------------------------------------------------------------------------
# Trends
# --------------------------------------------------------------------------------------------

TREND_COLUMNS = [
    "start", "end", "label", "scope", "value", "value_text", "status", "volume", "minimum",
    "ideal",
]  # fmt: skip
# The next finer points when a range holds none of the chosen ones (a day always fits: ranges
# are whole local days).
FALLBACK = {"month": "week", "week": "day"}


def fitting_granularity(granularity: str, first: date, last_exclusive: date, tz: ZoneInfo) -> str:
    """``granularity``, or the next finer one while the range holds no point of it.

    A point is a whole calendar period (hour, day, week, month) that starts in the range: the
    evaluation counts whole periods, and a week that began before "Today" would count days the
    supervisor did not ask about. So a range shorter than its points ("Today" with weekly
    points on a Tuesday) falls back to the largest points that fit (there: one day), and the
    page says so, instead of drawing nothing although calls came in.
    """
    start, end = local_day_bounds(first, last_exclusive, tz)
    chosen = granularity
    while chosen in FALLBACK and not windows_between(chosen, start, end, tz):
        chosen = FALLBACK[chosen]
    return chosen


def trend_statuses(
    engine: Engine,
    targets: Targets,
    history: History,
    target_id: str,
    start: datetime,
    end: datetime,
    granularity: str,
    *,
    queues: Sequence[str] = (),
    per_queue: bool = False,
    now: datetime | None = None,
) -> list[Status]:
    """The target evaluated over every ``granularity`` window starting in [start, end), for the
    chosen queues (together or per queue), each judged by the version in force then."""
    target = targets.target(target_id)
    update: dict[str, Any] = {"window": granularity}
    if target.definition.calls:
        update["queues"] = list(queues) if queues else target.queues
        update["per_queue"] = per_queue
    variant = target.model_copy(update=update)
    # Keep every other target: the rollup spec (thresholds) must stay the store's own, or the
    # evaluation would rebuild the rollups for a narrower definition.
    only = targets.model_copy(
        update={"targets": [variant if t.id == target_id else t for t in targets.targets]}
    )
    windows = windows_between(granularity, start, end, targets.operation.tz)
    return evaluate_windows(engine, only, {target_id: windows}, now=now, history=history)


def trend_frame(
    engine: Engine,
    targets: Targets,
    history: History,
    target_id: str,
    first: date,
    last_exclusive: date,
    granularity: str,
    *,
    queues: Sequence[str] = (),
    per_queue: bool = False,
    now: datetime | None = None,
) -> pd.DataFrame:
    """One row per window (and queue when ``per_queue``): the value, its status, the volume
    and the minimum and ideal that applied. Times are local wall times without a zone (the
    page names the zone), so Plotly draws them as the operation sees them."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"unknown granularity {granularity!r}")
    start, end = local_day_bounds(first, last_exclusive, targets.operation.tz)
    statuses = trend_statuses(
        engine, targets, history, target_id, start, end, granularity,
        queues=queues, per_queue=per_queue, now=now,
    )  # fmt: skip
    rows = [
        {
            "start": s.window.start_local.replace(tzinfo=None),
            "end": s.window.end_local.replace(tzinfo=None),
            "label": s.window.label(),
            "scope": fmt.scope_text(s.scope),
            "value": s.value,
            "value_text": fmt.value_text(s.value, s.target.unit),  # "n/a" for an empty window
            "status": s.status,
            "volume": s.kpi.volume,
            "minimum": s.target.minimum,
            "ideal": s.target.ideal,
        }
        for s in statuses
    ]
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


# --------------------------------------------------------------------------------------------
# Breaches
# --------------------------------------------------------------------------------------------


def breach_row(breach: Breach, targets: Targets, now: datetime) -> dict[str, Any]:
    """One breach as the page's table shows it (the figures are the breach model's)."""
    tz = targets.operation.tz
    day = breach.start.astimezone(tz).date().isoformat()
    queue = breach.scope if breach.scope != ALL else ALL
    # The name is the target's current one (what the filters list); bounds are as they applied.
    name = next((t.name for t in targets.targets if t.id == breach.target_id), breach.target_id)
    return {
        "target": name,
        "target_id": breach.target_id,
        "queue": fmt.scope_text(breach.scope),
        "start": fmt.local_datetime(breach.start, tz),
        "end": "ongoing" if breach.ongoing else fmt.local_datetime(breach.end, tz),
        # In the same words as the email and ``status --breaches`` (hours and minutes).
        "duration": format_duration(breach.wall_time),
        "duration_s": breach.wall_time.total_seconds(),
        "open_time": format_duration(breach.open_time),
        "open_s": breach.open_time.total_seconds(),
        "worst": fmt.value_text(breach.worst_value, breach.unit),
        "minimum": fmt.bound_text(breach.minimum, breach.unit),
        "depth": fmt.bound_text(round(breach.depth, 1), breach.unit),
        "depth_value": round(breach.depth, 3),
        "customers": breach.customers_affected,
        "windows": breach.windows,
        "day": day,
        "drilldown": markdown_link(f"Open {day}", page_href("/queue", queue=queue, day=day))
        if KPIS[breach.kpi].calls
        else "",
    }


def breaches(
    engine: Engine,
    targets: Targets,
    history: History,
    first: date,
    last_exclusive: date,
    *,
    now: datetime,
    target_ids: Sequence[str] | None = None,
    queues: Sequence[str] | None = None,
) -> list[Breach]:
    """Every breach that starts in the local days [first, last_exclusive), newest first.

    The breaches are :func:`servicelevel.evaluate.breaches.find_breaches`', the same as the
    weekly email's, the alerts' and ``servicelevel status --breaches``.
    """
    found = find_breaches(
        engine, targets, first, last_exclusive, now=now,
        target_ids=list(target_ids) if target_ids else None,
        scopes=list(queues) if queues else None, history=history,
    )  # fmt: skip
    return sorted(found, key=lambda b: b.start, reverse=True)  # ties keep target, queue order
