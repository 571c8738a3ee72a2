"""One target's verdict in one window: the :class:`Status` row, and how a value is judged.

Why apart: every evaluation path (call KPIs from rollups, fact KPIs from orders, returns,
surveys and complaints) ends in the same :class:`Status` and the same judgement, and a source
gone silent turns any of them "stale" the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from servicelevel.config import Target, Targets
from servicelevel.kpi import maths as kpis
from servicelevel.kpi.maths import CallCounts, KpiValue, StatusName
from servicelevel.store import queries
from servicelevel.timeutil import Window

ALL = "*"


@dataclass(frozen=True, slots=True)
class Status:
    """The status of one target, for one scope (a queue or ``*``), in one window."""

    target: Target
    scope: str
    window: Window
    kpi: KpiValue
    status: StatusName
    counts: CallCounts | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # The rollups are being rebuilt for a changed definition: figures of the stored one.
    recomputing: bool = False

    @property
    def value(self) -> float | None:
        return self.kpi.value

    def as_json(self) -> dict[str, Any]:
        """The ``status --json`` object: exactly the documented keys, value unrounded
        (``recomputing`` only while the rollups are rebuilt)."""
        out: dict[str, Any] = {
            "target": self.target.id,
            "kpi": self.target.kpi,
            "scope": self.scope,
            "window_start": self.window.start_local.isoformat(),
            "window_end": self.window.end_local.isoformat(),
            "value": self.kpi.value,
            "minimum": self.target.minimum,
            "ideal": self.target.ideal,
            "volume": self.kpi.volume,
            "status": self.status,
        }
        if self.recomputing:
            out["recomputing"] = True
        return out

    def breakdown(self) -> dict[str, Any]:
        """The counts behind the value (shown one click away on the dashboard)."""
        out: dict[str, Any] = {
            "numerator": self.kpi.numerator,
            "denominator": self.kpi.denominator,
        }
        if self.counts is not None:
            c = self.counts
            out.update(
                offered=c.offered,
                answered=c.answered,
                abandoned=c.abandoned,
                short_abandoned=c.short_abandoned,
                unanswered_other=c.unanswered_other,
                out_of_hours=c.out_of_hours,
            )
            if self.target.threshold_seconds is not None:
                t = float(self.target.threshold_seconds)
                out["answered_within_t"] = c.answered_within.get(t, 0)
                out["abandoned_within_t"] = c.abandoned_within.get(t, 0)
        out.update(self.details)
        return out


def judge(target: Target, value: KpiValue) -> StatusName:
    return kpis.status_of(
        value,
        minimum=target.minimum,
        ideal=target.ideal,
        higher_is_better=target.higher_is_better,
        min_volume=target.min_volume,
    )


def mark_stale(
    session: Session, targets: Targets, statuses: list[Status], now: datetime
) -> list[Status]:
    """A target whose source went silent is "stale" in the window that holds ``now``."""
    limit = now - timedelta(minutes=targets.operation.stale_after_minutes)
    freshness: dict[tuple[str, ...], datetime | bool | None] = {}
    out = []
    for status in statuses:
        kinds = status.target.definition.sources
        if kinds not in freshness:
            freshness[kinds] = queries.last_ok(session, kinds)
        seen = freshness[kinds]
        current = status.window.start <= now < status.window.end
        silent = seen is not False and (seen is None or seen < limit)  # type: ignore[operator]
        if current and silent:
            details = {**status.details, "last_data_at": seen or None}
            status = Status(status.target, status.scope, status.window, status.kpi, "stale",
                            status.counts, details)  # fmt: skip
        out.append(status)
    return out
