"""The weekly summary's data: each target's week, its breaches and the problems that matter most.

Every figure comes from :mod:`servicelevel.evaluate` (see :mod:`servicelevel.reports.weekly`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from servicelevel.assessment import Assessment, latest_assessment
from servicelevel.config import Target, Targets
from servicelevel.config.history import load_history, version_on
from servicelevel.evaluate import ALL, Status, evaluate_range, evaluate_windows
from servicelevel.evaluate.breaches import Breach as Breach
from servicelevel.evaluate.breaches import breaches_of as breaches_of
from servicelevel.privacy import mask_text
from servicelevel.reports.text import format_duration as format_duration
from servicelevel.reports.text import window_label as window_label
from servicelevel.reports.weekly.problems import (
    PROBLEMS_NOTE,
    Affected,
    Problem,
    rank_problems,
    union_open_time,
)
from servicelevel.reports.weekly.week import Week
from servicelevel.store.schema import Complaint
from servicelevel.timeutil import Window, local_day_bounds

TREND_WEEKS = 8
# The footnote under the problems: how they are counted and ranked (kept as IMPACT_NOTE, its
# name before customers affected became the one unit).
IMPACT_NOTE = PROBLEMS_NOTE


@dataclass
class TargetWeek:
    target: Target
    week: Status
    previous: Status | None
    own: list[Status]  # the target's own windows that started in the week
    breaches: list[Breach]
    trend: dict[str, list[Status]] = field(default_factory=dict)  # series name -> points
    # The target as it applied to the week (minimum, ideal in force on its Monday): the file
    # holds the newest values, and an edit effective from a later day must not rewrite the past.
    applied: Target | None = None
    # Open hours with at least one of its windows below the minimum (any queue), set by
    # build_weekly: a union, so never more than the week's hours, however many queues.
    breach_time: timedelta = timedelta()

    @property
    def bounds(self) -> Target:
        return self.applied or self.target

    @property
    def change(self) -> float | None:
        if self.previous is None or self.previous.value is None or self.week.value is None:
            return None
        return self.week.value - self.previous.value

    @property
    def worst(self) -> Status | None:
        return worst_of(self.own) if len(self.own) > 1 else None


@dataclass
class WeeklyReport:
    targets: Targets
    week: Week
    rows: list[TargetWeek]
    problems: list[Problem]
    complaints: int
    generated_at: datetime
    # The latest customer-focus self-assessment assessed by the week's end, if any.
    assessment: Assessment | None = None
    affected: Affected | None = None  # the headline's counts (see .problems)


def worst_of(statuses: Sequence[Status]) -> Status | None:
    """The worst value among windows with enough volume to be judged."""
    with_value = [s for s in statuses if s.value is not None and s.status != "no_data"]
    if not with_value:
        return None
    higher = with_value[0].target.higher_is_better
    return (min if higher else max)(with_value, key=lambda s: s.value)  # type: ignore[arg-type,return-value]


def _variant(targets: Targets, **changes: Any) -> Targets:
    """The same targets measured another way (e.g. over whole weeks, all queues together)."""
    return targets.model_copy(
        update={"targets": [t.model_copy(update=changes) for t in targets.targets]}
    )


def complaint_natures(engine: Engine, window: Window) -> list[tuple[str, int]]:
    """(nature, complaints opened in the window), most first; categories only, no one's data.

    The mapped collector stores a category (``servicelevel.collectors.mapped.categories``).
    Rows imported before it did may still hold a source's free text, so what is read is also
    masked (:func:`servicelevel.privacy.mask_text`) and cut, and alike natures count together.
    """
    nature = func.coalesce(Complaint.nature, "unspecified")
    with Session(engine) as session:
        rows = session.execute(
            select(nature, func.count())
            .where(Complaint.opened_at >= window.start, Complaint.opened_at < window.end)
            .group_by(nature)
        ).all()
    counts: dict[str, int] = {}
    for name, count in rows:
        shown = mask_text(str(name))[:80]
        counts[shown] = counts.get(shown, 0) + int(count)
    return sorted(counts.items(), key=lambda r: (-r[1], r[0]))


def build_weekly(
    engine: Engine, targets: Targets, week: Week, *, now: datetime | None = None
) -> WeeklyReport:
    """Everything the weekly email shows, computed from the store."""
    now = now or datetime.now(UTC)
    history = load_history(engine)  # one read: every figure below is judged as it applied
    this = week.window(targets)
    trend_weeks = [week.previous(n).window(targets) for n in range(TREND_WEEKS - 1, -1, -1)]
    whole = _variant(targets, window="week", per_queue=False)
    weekly = evaluate_windows(
        engine, whole, {t.id: trend_weeks for t in targets.targets}, now=now, history=history
    )
    own = [s for s in evaluate_range(engine, targets, week.monday, week.end, now=now,
                                     history=history)
           if s.window.end <= this.end]  # fmt: skip
    daily_ids = [t.id for t in targets.targets if t.window in ("15min", "hour", "day")]
    days = [
        Window("day", *local_day_bounds(week.monday + timedelta(days=i),
                                        week.monday + timedelta(days=i + 1), this.tz), this.tz)
        for i in range(7)
    ]  # fmt: skip
    daily = evaluate_windows(
        engine, _variant(targets, window="day"), {tid: days for tid in daily_ids}, now=now,
        history=history,
    )  # fmt: skip
    rows = []
    for target in targets.targets:
        mine = [s for s in weekly if s.target.id == target.id]
        current = next(s for s in mine if s.window.start == this.start)
        previous = next((s for s in mine if s.window.start == trend_weeks[-2].start), None)
        own_statuses = [s for s in own if s.target.id == target.id]
        row = TargetWeek(
            target, current, previous, own_statuses,
            breaches_of(own_statuses, targets, now=now),
            applied=version_on(target, history, week.monday),
        )  # fmt: skip
        row.breach_time = union_open_time(row.breaches, targets, now)
        if target.id in daily_ids:
            points = [s for s in daily if s.target.id == target.id]
            scopes = sorted({s.scope for s in points})
            if len(scopes) > 5:  # too many lines to read: the whole operation instead
                points = [s for s in mine if s.window.start >= this.start]
                scopes = [ALL]
            row.trend = {sc: [p for p in points if p.scope == sc] for sc in scopes}
        else:
            row.trend = {ALL: mine}
        rows.append(row)
    natures = complaint_natures(engine, this)
    problems, affected = rank_problems(rows, natures, targets, now)
    return WeeklyReport(
        targets, week, rows, problems, sum(c for _, c in natures), now,
        assessment=latest_assessment(engine, until=week.end), affected=affected,
    )  # fmt: skip
