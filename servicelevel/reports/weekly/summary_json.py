"""``servicelevel report weekly --json``: the whole weekly summary as one JSON object.

Why: a script (a ticket, a chat message, a spreadsheet import) must not scrape the email's
text. The object holds the same figures the email shows, from the same :class:`WeeklyReport`,
but unrounded: values as ``status --json`` gives them, breaches as ``status --breaches --json``
gives them (:meth:`servicelevel.evaluate.breaches.Breach.as_json`), and the problems with their
customers affected. Times are local with their UTC offset, and the week's bounds also in UTC.
A week without data says so: ``"verdict": "NO DATA"``, never an empty "all is well".

The keys are listed in docs/reports.md (``report weekly --json``); a test keeps them so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from servicelevel.evaluate import ALL
from servicelevel.evaluate.budget import budget_json
from servicelevel.reports.weekly.mail import LABEL, Headline
from servicelevel.reports.weekly.problems import Problem
from servicelevel.reports.weekly.report import TargetWeek, WeeklyReport


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def summary_json(report: WeeklyReport) -> dict[str, Any]:
    """The summary as plain JSON types (see the module docstring and docs/reports.md)."""
    targets = report.targets
    tz = targets.operation.tz
    window = report.week.window(targets)
    counts = Headline.of(report.rows)
    if counts.all_no_data:
        verdict = "NO DATA"
    elif counts.below:
        verdict = "BELOW MIN"
    else:
        verdict = "AT OR ABOVE MINIMUM"
    order = {t.id: i for i, t in enumerate(targets.targets)}
    breaches = sorted(
        (b for row in report.rows for b in row.breaches),
        key=lambda b: (b.start, order.get(b.target_id, len(order)), b.scope != ALL, b.scope),
    )
    affected = report.affected
    return {
        "operation": targets.operation.name,
        "week": {
            "label": report.week.label,
            "timezone": targets.operation.timezone,
            "start": window.start_local.isoformat(),
            "end": window.end_local.isoformat(),
            "start_utc": _utc(window.start),
            "end_utc": _utc(window.end),
            "hours": (window.end - window.start).total_seconds() / 3600,
        },
        "verdict": verdict,
        "summary": counts.subject(),
        "counts": {
            "targets": counts.targets,
            "judged": counts.judged,
            "below_minimum": counts.below,
            "no_data": counts.no_data,
        },
        "headline": {
            "targets_with_breaches": affected.targets_with_breaches if affected else 0,
            "customers_affected": affected.customers_affected if affected else 0,
            "contacts": affected.contacts if affected else 0,
            "by_contact": dict(affected.by_contact) if affected else {},
        },
        "targets": [_target(row) for row in report.rows],
        "breaches": [b.as_json() for b in breaches],
        "problems": [_problem(rank, p) for rank, p in enumerate(report.problems, start=1)],
        "complaints": report.complaints,
        "generated_at": report.generated_at.astimezone(tz).isoformat(),
    }


def _target(row: TargetWeek) -> dict[str, Any]:
    """A target over the week, with the minimum and ideal in force on the week's Monday."""
    target, week = row.target, row.week
    return {
        "id": target.id,
        "name": target.name,
        "kpi": target.kpi,
        "window": target.window,
        "per_queue": target.per_queue,
        "unit": target.unit,
        "higher_is_better": target.higher_is_better,
        "value": week.value,
        "minimum": row.bounds.minimum,
        "ideal": row.bounds.ideal,
        "volume": week.kpi.volume,
        "status": week.status,
        "label": LABEL[week.status],
        "previous_value": row.previous.value if row.previous else None,
        "breaches": len(row.breaches),
        "open_seconds_below_minimum": row.breach_time.total_seconds(),
        # The week's error budget, as status --json gives it (docs/budgets.md).
        **budget_json(week.target, week.kpi),
    }


def _problem(rank: int, problem: Problem) -> dict[str, Any]:
    return {
        "rank": rank,
        "title": problem.title,
        "kind": problem.kind,
        "kpi": problem.kpi,
        "scope": problem.scope,
        "customers_affected": problem.customers_affected,
        "contacts": problem.contacts,
        "below_minimum_for_week": problem.below_for_week,
        "targets": [
            {
                "id": part.target_id,
                "customers_affected": part.customers_affected,
                "breaches": len(part.breaches),
                "open_seconds": part.open_time.total_seconds(),
                "below_minimum_for_week": part.below_for_week,
            }
            for part in problem.involved
        ],
        "lines": list(problem.lines),
    }
