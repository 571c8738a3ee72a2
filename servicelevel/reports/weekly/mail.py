"""The weekly summary as an email: the templates' context, the preview, and sending it once.

Sending is claimed in ``send_log`` first (see :mod:`servicelevel.reports.sendlog`), so a week's
summary goes out once however many workers, restarts or retries there are.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from servicelevel.config import Targets
from servicelevel.config.delivery import Settings
from servicelevel.evaluate import ALL
from servicelevel.evaluate.budget import budget_of, budget_text
from servicelevel.reports.text import format_value
from servicelevel.reports.weekly.problems import problems_title
from servicelevel.reports.weekly.report import (
    IMPACT_NOTE,
    TREND_WEEKS,
    TargetWeek,
    WeeklyReport,
    build_weekly,
    format_duration,
    window_label,
)
from servicelevel.reports.weekly.week import Week

# The name the logger had before the module was split, so logging settings keep applying.
log = logging.getLogger("servicelevel.reports.weekly")

KIND = "weekly"
LABEL = {
    "breach": "BELOW MIN",
    "met": "MET",
    "ideal": "IDEAL",
    "no_data": "NO DATA",
    "stale": "STALE",
}
# (text colour, background) per status; the label above says the same in words.
COLOURS = {
    "breach": ("#ffffff", "#b42318"),
    "met": ("#7a2e0e", "#fedf89"),
    "ideal": ("#ffffff", "#067647"),
    "no_data": ("#344054", "#eaecf0"),
    "stale": ("#344054", "#eaecf0"),
}


def format_change(row: TargetWeek) -> str:
    change = row.change
    if change is None:
        return "n/a"
    unit = row.target.unit
    amount = f"{abs(change):.1f} pts" if unit == "%" else f"{abs(change):.0f} s"
    if (unit == "%" and round(change, 1) == 0) or (unit == "s" and round(change) == 0):
        return "no change"
    better = (change > 0) == row.target.higher_is_better
    sign = "+" if change > 0 else "−"
    return f"{sign}{amount} ({'better' if better else 'worse'})"


def week_budget(row: TargetWeek) -> str:
    """The week's error budget in words ("" for a mean or a maximum, or below min_volume),
    against the minimum in force on its Monday: the same figures as ``status --json``."""
    target, kpi = row.week.target, row.week.kpi
    found = budget_of(target, kpi)
    if found is None:
        return ""
    ideal = budget_of(target, kpi, ideal=True)
    return f"{budget_text(target, found)}; to the ideal: {budget_text(target, ideal)}"


def week_budget_over(row: TargetWeek) -> bool:
    """The minimum's budget (not only the ideal's) is overspent: the line is drawn in red."""
    found = budget_of(row.week.target, row.week.kpi)
    return found is not None and found.remaining < 0


def _worst_text(row: TargetWeek) -> str:
    worst = row.worst
    if worst is None:
        return "—"
    where = [window_label(worst.window)] if worst.window.kind != "week" else []
    if worst.scope != ALL:
        where.append(f"queue {worst.scope}")
    return f"{format_value(worst.value, row.target.unit)} ({', '.join(where)})"


def context(
    report: WeeklyReport, settings: Settings | None = None, chart_src: dict[str, str] | None = None
) -> dict[str, Any]:
    """The templates' context: plain strings and numbers, formatted once, here."""
    targets = report.targets
    chart_src = chart_src or {}
    rows = []
    for row in report.rows:
        target, unit = row.target, row.target.unit
        status = row.week.status
        colour, background = COLOURS[status]
        rows.append(
            {
                "id": target.id,
                "name": target.name,
                "kpi": target.kpi,
                "window": target.window,
                "per_queue": target.per_queue,
                "value": format_value(row.week.value, unit),
                "volume": row.week.kpi.volume,
                "status": status,
                "label": LABEL[status],
                "colour": colour,
                "background": background,
                "minimum": format_value(row.bounds.minimum, unit),  # as they applied
                "ideal": format_value(row.bounds.ideal, unit),
                "direction": "higher is better" if target.higher_is_better else "lower is better",
                "change": format_change(row),
                "previous": format_value(row.previous.value if row.previous else None, unit),
                "worst": _worst_text(row),
                "breaches": len(row.breaches),
                "breach_note": "" if row.own else f"judged per {target.window}",
                "breach_time": format_duration(row.breach_time) if row.breaches else "—",
                "formula": target.formula(targets.operation.short_abandon_seconds),
                "budget": week_budget(row),
                "budget_over": week_budget_over(row),
                "chart": chart_src.get(target.id),
                "chart_caption": _caption(row),
            }
        )
    counts = Headline.of(report.rows)
    affected = report.affected
    subject = settings.weekly.subject if settings and settings.weekly else None
    return {
        "operation": targets.operation.name,
        "subject_prefix": subject or f"{targets.operation.name}: weekly service report",
        "week_label": report.week.label,
        "week_text": report.week.describe(),
        "week_title": report.week.describe()[:1].upper() + report.week.describe()[1:],
        "timezone": targets.operation.timezone,
        "dashboard_url": targets.operation.dashboard_url,
        "rows": rows,
        "targets_count": counts.targets,
        "below_count": counts.below,
        "judged_count": counts.judged,
        "no_data_count": counts.no_data,
        "all_no_data": counts.all_no_data,
        "subject_summary": counts.subject(),
        "summary": counts.sentence(),
        # The headline: targets with breaches and customers counted once; never hours added
        # across targets (each row has its own).
        "breached_targets": affected.targets_with_breaches if affected else 0,
        "customers_affected": f"{affected.customers_affected:,}" if affected else "0",
        "affected_sentence": affected.sentence(counts.targets) if affected else "",
        "problems_title": problems_title(len(report.problems)),
        "problems": [
            {
                "title": p.title,
                "detail": p.detail,
                "lines": list(p.lines),
                "customers": f"{p.customers_affected:,}",
                "customers_word": "customer" if p.customers_affected == 1 else "customers",
                "kind": p.kind,
                "below_for_week": p.below_for_week,
            }
            for p in report.problems
        ],
        "complaints": report.complaints,
        "impact_note": IMPACT_NOTE,
        "generated": report.generated_at.astimezone(targets.operation.tz).strftime(
            "%a %-d %b %Y %H:%M %Z"
        ),
        "has_call_targets": any(r.target.definition.calls for r in report.rows),
        "assessment": _assessment(report),
    }


def _assessment(report: WeeklyReport) -> dict[str, str] | None:
    """The latest self-assessment for the email's short section; None leaves it out."""
    from servicelevel.assessment import BANDS, MAX_TOTAL, shown_total

    found = report.assessment
    if found is None:
        return None
    return {
        "date": f"{found.assessed_on:%a %-d %b %Y}",
        "total": f"{float(shown_total(found.total)):.2f} of {MAX_TOTAL}",
        "band": found.band,
        "band_text": BANDS[found.band],
        "weakest": found.weakest_text(),
    }


# Statuses that judge a target against its minimum; the others (no_data, stale) say nothing
# about whether it was kept, so they never count towards "all at or above minimum".
JUDGED = frozenset({"ideal", "met", "breach"})


@dataclass(frozen=True, slots=True)
class Headline:
    """The week's verdict in numbers, worded once for the subject and both bodies.

    Only targets with data are judged: a week without data (an empty or mistyped database, a
    collector that stopped) must never read "all at or above minimum".
    """

    targets: int
    judged: int
    below: int

    @classmethod
    def of(cls, rows: Sequence[TargetWeek]) -> Headline:
        judged = [r for r in rows if r.week.status in JUDGED]
        below = sum(1 for r in judged if r.week.status == "breach")
        return cls(len(rows), len(judged), below)

    @property
    def no_data(self) -> int:
        return self.targets - self.judged

    @property
    def all_no_data(self) -> bool:
        return self.judged == 0

    def subject(self) -> str:
        """The end of the subject (its start is the prefix and the week)."""
        if self.all_no_data:
            return f"none of the {self.targets} targets had data"
        with_data = "" if not self.no_data else " with data"
        if self.below:
            verdict = f"{self.below} of {self.judged} targets{with_data} BELOW MIN"
        else:
            verdict = f"all {self.judged} targets{with_data} at or above minimum"
        return verdict + (f", {self.no_data} NO DATA" if self.no_data else "")

    def sentence(self) -> str:
        """The body's first line."""
        if self.all_no_data:
            return (
                f"NO DATA: none of the {self.targets} targets had data this week, so none can "
                "be judged. Check that this is the right database and that its sources are "
                "imported (servicelevel status, the Sources page)."
            )
        with_data = "" if not self.no_data else " with data"
        if self.below:
            verdict = (
                f"{self.below} of {self.judged} targets{with_data} were BELOW MIN over the week."
            )
        elif self.no_data:
            verdict = (
                f"All {self.judged} targets with data were at or above their minimum over the week."
            )
        else:
            verdict = f"All {self.judged} targets were at or above their minimum over the week."
        if self.no_data:
            verdict += f" {self.no_data} of {self.targets} targets had no data this week (NO DATA)."
        return verdict


def _caption(row: TargetWeek) -> str:
    if row.target.window in ("15min", "hour", "day"):
        split = " per queue" if len(row.trend) > 1 else ""
        return f"{row.target.name}: each day of the week{split}"
    return f"{row.target.name}: the last {TREND_WEEKS} weeks"


@dataclass
class Rendered:
    subject: str
    text: str
    html: str


def render_weekly(
    report: WeeklyReport, settings: Settings | None = None, *, charts: bool = True
) -> Rendered:
    """The email as a preview: the HTML carries its charts inline as data: URIs."""
    from servicelevel.reports import mailer

    sources = {}
    if charts:
        for target_id, png in draw_charts(report).items():
            sources[target_id] = "data:image/png;base64," + base64.b64encode(png).decode()
    subject, text, html = mailer.render("weekly", context(report, settings, sources))
    return Rendered(subject, text, html)


def draw_charts(report: WeeklyReport) -> dict[str, bytes]:
    """PNG per target; empty when matplotlib is not installed (the email reads fine without)."""
    try:
        from servicelevel.reports.charts import chart_png
    except ImportError:  # pragma: no cover - matplotlib is a declared dependency
        log.warning("matplotlib is not installed: the weekly email goes without charts")
        return {}
    out = {}
    for row in report.rows:
        png = chart_png(row)
        if png is not None:
            out[row.target.id] = png
    return out


def weekly_message(report: WeeklyReport, settings: Settings) -> Any:
    """The MIME message: text + HTML, charts as inline images referenced by Content-ID."""
    from servicelevel.reports import mailer

    assert settings.weekly is not None and settings.smtp is not None
    images = [
        mailer.InlineImage(mailer.new_cid(f"chart-{tid}"), png, f"{tid}.png")
        for tid, png in draw_charts(report).items()
    ]
    sources = {img.filename[:-4]: f"cid:{img.cid}" for img in images}
    return mailer.make_message(
        "weekly",
        settings.weekly.to,
        context(report, settings, sources),
        sender=settings.smtp.sender,
        images=images,
    )


@dataclass
class SendOutcome:
    week: Week
    sent: bool
    reason: str


def send_weekly(
    engine: Engine,
    targets: Targets,
    settings: Settings,
    week: Week,
    *,
    now: datetime | None = None,
    force: bool = False,
    ssl_context: Any = None,
) -> SendOutcome:
    """Send the week's summary unless it already went out; claim first, then send."""
    from servicelevel.reports import mailer, sendlog

    if settings.weekly is None or settings.smtp is None:
        return SendOutcome(week, False, "no [report.weekly] and [report.smtp] in the targets")
    now = now or datetime.now(UTC)
    recipients = ", ".join(settings.weekly.to)
    claim = sendlog.claim_send(
        engine, KIND, week.label, now=now, recipients=recipients, force=force
    )
    if claim is None:
        row = sendlog.send_status(engine, KIND, week.label)
        when = row.sent_at.astimezone(targets.operation.tz) if row and row.sent_at else None
        why = f"already sent {when:%a %-d %b %H:%M}" if when else "being sent by another worker"
        return SendOutcome(week, False, why)
    try:
        message = weekly_message(build_weekly(engine, targets, week, now=now), settings)
        mailer.send(message, settings.smtp, ssl_context=ssl_context)
    except Exception as exc:
        sendlog.finish_send(engine, claim, now=now, error=f"{type(exc).__name__}: {exc}")
        log.error("weekly summary %s not sent: %s", week.label, exc)
        raise
    sendlog.finish_send(engine, claim, now=datetime.now(UTC))
    log.info("weekly summary %s sent to %s", week.label, recipients)
    return SendOutcome(week, True, f"sent to {recipients}")


def due_week(now: datetime, targets: Targets, settings: Settings) -> Week:
    """The latest week whose summary is due at ``now`` (by ``[report.weekly]`` day and time)."""
    assert settings.weekly is not None
    week = Week.last_complete(now, targets)
    hour, minute = settings.weekly.hour_minute
    if now < week.due(targets, settings.weekly.weekday, hour, minute):
        week = week.previous()  # e.g. a Friday report on Tuesday: the week before is the last
    return week


def run_weekly_job(
    engine: Engine, targets: Targets, settings: Settings, *, now: datetime | None = None
) -> SendOutcome | None:
    """Send the summary that is due, once: before the configured day and time this is the
    previous week's (already sent: nothing happens), afterwards the last week's."""
    if settings.weekly is None:
        return None
    now = now or datetime.now(UTC)
    return send_weekly(engine, targets, settings, due_week(now, targets, settings), now=now)
