"""Trends and breaches over a range of days, as plain data (no Dash here).

A trend point is a target evaluated over a smaller or larger window than its own (hourly points
of a daily target), judged against the minimum and ideal in force then. A breach is a run of
consecutive breached windows of one target and scope, merged into one event whose depth is the
worst distance below (or above) the minimum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine

from servicelevel.config import Targets
from servicelevel.config.history import History
from servicelevel.evaluate import ALL, Status, evaluate_range, evaluate_windows
from servicelevel.kpi.maths import distance_to_minimum
from servicelevel.kpi.registry import KPIS
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
    tz = targets.operation.tz
    start, end = local_day_bounds(first, last_exclusive, tz)
    windows = windows_between(granularity, start, end, tz)
    statuses = evaluate_windows(engine, only, {target_id: windows}, now=now, history=history)
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


@dataclass(frozen=True, slots=True)
class Breach:
    target_id: str
    target_name: str
    kpi: str
    scope: str
    start: datetime  # UTC
    end: datetime  # UTC; the end of the last breached window (may be in the future)
    ongoing: bool
    windows: int
    worst_value: float | None
    depth: float
    unit: str
    minimum: float

    def row(self, targets: Targets, now: datetime) -> dict[str, Any]:
        tz = targets.operation.tz
        until = min(self.end, now) if self.ongoing else self.end
        day = self.start.astimezone(tz).date().isoformat()
        queue = self.scope if self.scope != ALL else ALL
        return {
            "target": self.target_name,
            "target_id": self.target_id,
            "queue": fmt.scope_text(self.scope),
            "start": fmt.local_datetime(self.start, tz),
            "end": "ongoing" if self.ongoing else fmt.local_datetime(self.end, tz),
            "duration": fmt.duration_text((until - self.start).total_seconds()),
            "duration_s": (until - self.start).total_seconds(),
            "worst": fmt.value_text(self.worst_value, self.unit),
            "minimum": fmt.bound_text(self.minimum, self.unit),
            "depth": fmt.bound_text(round(self.depth, 1), self.unit),
            "depth_value": round(self.depth, 3),
            "windows": self.windows,
            "day": day,
            "drilldown": markdown_link(f"Open {day}", page_href("/queue", queue=queue, day=day))
            if KPIS[self.kpi].calls
            else "",
        }


def merge_breaches(statuses: Sequence[Status], now: datetime) -> list[Breach]:
    """Consecutive breached windows of one target and scope become one breach."""
    runs: list[Breach] = []
    ordered = sorted(
        (s for s in statuses if s.status == "breach"),
        key=lambda s: (s.target.id, s.scope, s.window.start),
    )
    for s in ordered:
        depth = distance_to_minimum(s.kpi, s.target.minimum, s.target.higher_is_better) or 0.0
        last = runs[-1] if runs else None
        if (
            last is not None
            and last.target_id == s.target.id
            and last.scope == s.scope
            and last.end == s.window.start
        ):
            worse = depth > last.depth
            runs[-1] = Breach(
                last.target_id,
                last.target_name,
                last.kpi,
                last.scope,
                last.start,
                s.window.end,
                s.window.end > now,
                last.windows + 1,
                s.value if worse else last.worst_value,
                max(depth, last.depth),
                last.unit,
                last.minimum,
            )
            continue
        runs.append(
            Breach(
                s.target.id,
                s.target.name,
                s.target.kpi,
                s.scope,
                s.window.start,
                s.window.end,
                s.window.end > now,
                1,
                s.value,
                depth,
                s.target.unit,
                s.target.minimum,
            )
        )
    runs.sort(key=lambda b: b.start, reverse=True)
    return runs


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
    """Every breach that starts in the local days [first, last_exclusive), newest first."""
    statuses = evaluate_range(
        engine,
        targets,
        first,
        last_exclusive,
        now=now,
        target_ids=list(target_ids) if target_ids else None,
        history=history,
    )
    if queues:
        statuses = [s for s in statuses if s.scope in set(queues)]
    return merge_breaches(statuses, now)
