"""The error budget as the dashboard words it: a Live tile's line, and Trends' budget series.

Why apart from :mod:`.data`: the figures are :mod:`servicelevel.evaluate.budget`'s (the same as
``status --json`` and the weekly email's); this module only turns them into the page's words and
rows, so the Live and Trends modules stay small.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Engine

from servicelevel.config import Targets
from servicelevel.config.history import History
from servicelevel.evaluate import Status
from servicelevel.evaluate.budget import (
    budget,
    budget_of,
    budget_text,
    headroom_text,
    success_share,
    successes_of,
)
from servicelevel.timeutil import local_day_bounds, window_containing

from . import fmt
from .data_history import trend_statuses


def budget_line(status: Status, when: str) -> tuple[str, str]:
    """(the tile's line, the detail under "How it is counted"); empty without a budget.

    ``when`` names the window as the tile does ("today", "this week"), so the line reads
    "12 more late answers today keep the minimum".
    """
    found = budget_of(status.target, status.kpi)
    if found is None:
        return "", ""
    return headroom_text(status.target, found, when), both_budgets(status)


def both_budgets(status: Status) -> str:
    """The minimum's budget, then the ideal's: "1 of 4 ... left (25 %); to the ideal: ..."."""
    target = status.target
    minimum = budget_text(target, budget_of(target, status.kpi))
    ideal = budget_text(target, budget_of(target, status.kpi, ideal=True))
    return f"{minimum}; to the ideal: {ideal}" if ideal else minimum


# --------------------------------------------------------------------------------------------
# Trends: the budget over the window
# --------------------------------------------------------------------------------------------

BUDGET_COLUMNS = [
    "start", "end", "label", "scope", "window_label", "allowed", "spent", "remaining",
    "remaining_share", "text",
]  # fmt: skip
# Points nest in a target window when they are finer (a week does not nest in a month).
_RANK = {"15min": 0, "hour": 1, "day": 2, "week": 3, "month": 3}


def nests(granularity: str, window: str) -> bool:
    """Whether points of ``granularity`` add up to the target's own windows."""
    return _RANK[granularity] < _RANK[window]


def budget_frame(
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
    """One row per point (and queue): the error budget of the target's own window as it stood
    at the point's end, against the minimum in force on that window's first day.

    Points finer than the target's window are added up from the window's start (read from
    before ``first`` when the range begins inside a window), so hourly points of a daily
    target draw the day's budget being spent hour by hour; other points are each their own
    window. Empty (no rows) for a KPI without a budget.
    """
    target = targets.target(target_id)
    if not target.definition.has_budget:
        return pd.DataFrame([], columns=BUDGET_COLUMNS)
    tz = targets.operation.tz
    start, end = local_day_bounds(first, last_exclusive, tz)
    cumulative = nests(granularity, target.window)
    read_from = window_containing(target.window, start, tz).start if cumulative else start
    statuses = trend_statuses(
        engine, targets, history, target_id, read_from, end, granularity,
        queues=queues, per_queue=per_queue, now=now,
    )  # fmt: skip
    sums: dict[tuple[datetime, str], tuple[int, int, Status]] = {}
    rows = []
    for s in statuses:
        own = window_containing(target.window, s.window.start, tz) if cumulative else s.window
        key = (own.start, s.scope)
        successes, volume, opening = sums.get(key, (0, 0, s))
        if s.kpi.exact is not None:
            den = int(s.kpi.denominator)
            successes += successes_of(target.definition, int(s.kpi.numerator), den)
            volume += den
        sums[key] = (successes, volume, opening)
        if s.window.start < start:
            continue  # read only to add up the window's start
        bound = opening.target  # the version that judges the whole window
        found = None
        if volume >= max(bound.min_volume, 1):
            found = budget(success_share(bound.minimum, bound.higher_is_better), successes, volume)
        share = found.remaining_share if found is not None else None
        rows.append(
            {
                "start": s.window.start_local.replace(tzinfo=None),
                "end": s.window.end_local.replace(tzinfo=None),
                "label": s.window.label(),
                "scope": fmt.scope_text(s.scope),
                "window_label": own.label(),
                "allowed": found.allowed if found else None,
                "spent": found.spent if found else None,
                "remaining": found.remaining if found else None,
                "remaining_share": float(share) if share is not None else None,
                "text": budget_text(bound, found) if found else "n/a",
            }
        )
    return pd.DataFrame(rows, columns=BUDGET_COLUMNS)
