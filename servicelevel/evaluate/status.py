"""One target's verdict in one window: the :class:`Status` row, and how a value is judged.

Why apart: every evaluation path (call KPIs from rollups, fact KPIs from orders, returns,
surveys and complaints) ends in the same :class:`Status` and the same judgement, and a source
gone silent, or whose newest fact is old (:mod:`.freshness`), turns any of them "stale" the
same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from servicelevel.config import Target, Targets
from servicelevel.evaluate.budget import budget_json
from servicelevel.evaluate.freshness import Freshness, KindsFreshness, read_freshness
from servicelevel.kpi import maths as kpis
from servicelevel.kpi.maths import CallCounts, KpiValue, StatusName
from servicelevel.timeutil import Window

if TYPE_CHECKING:
    from servicelevel.evaluate.reasons import NoDataReason

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

    @property
    def stale_since(self) -> datetime | None:
        """A stale figure's sources have been out of date since then (None: never read)."""
        since = self.details.get("stale_since")
        return since if isinstance(since, datetime) else None

    def as_json(self, reason: NoDataReason | None = None) -> dict[str, Any]:
        """The ``status --json`` object: exactly the documented keys, value unrounded
        (``recomputing`` only while the rollups are rebuilt, ``stale_since`` only when stale,
        ``no_data_reason`` and ``no_data_text`` when ``reason`` is given)."""
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
            # The error budget of a rate (null otherwise, or below min_volume): docs/budgets.md.
            **budget_json(self.target, self.kpi),
        }
        if self.recomputing:
            out["recomputing"] = True
        if self.status == "stale":
            since = self.stale_since
            out["stale_since"] = since.astimezone(self.window.tz).isoformat() if since else None
        if reason is not None:
            out["no_data_reason"], out["no_data_text"] = reason.code, reason.text
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
    session: Session,
    targets: Targets,
    statuses: list[Status],
    now: datetime,
    freshness: Freshness | None = None,
) -> list[Status]:
    """A target is "stale" in the window that holds ``now`` when no source of its kinds is
    current: none read lately, or none with a fact newer than its ``stale_after`` of open time
    (see :mod:`.freshness`). ``details["stale_since"]`` says since when (None: never read)."""
    if freshness is None:
        freshness = read_freshness(session, targets, now, presence=False)
    verdicts: dict[tuple[str, ...], KindsFreshness] = {}
    out = []
    for status in statuses:
        kinds = status.target.definition.sources
        if kinds not in verdicts:
            verdicts[kinds] = freshness.of_kinds(kinds)
        verdict = verdicts[kinds]
        if verdict.stale and status.window.start <= now < status.window.end:
            details = {**status.details, "stale_since": verdict.since}
            status = Status(status.target, status.scope, status.window, status.kpi, "stale",
                            status.counts, details)  # fmt: skip
        out.append(status)
    return out
