"""The weekly summary: how the last site-local week (Monday to Sunday) went against the policy.

Every figure comes from :mod:`servicelevel.evaluate`, the same code behind the dashboard and
``servicelevel status --json``, so the email never disagrees with them:

* the week's value of every target, computed over the whole week (all queues together), against
  its minimum and ideal, and the change from the week before;
* the windows of the target's own kind (its days, quarter hours or week, per queue when
  ``per_queue``) that started in the week: the worst of them, and its *breaches*: runs of
  consecutive windows of one queue below the minimum, with their open-hours duration;
* the three most significant problems, ranked by :func:`impact` (see ``IMPACT_NOTE``).

Sending is claimed in ``send_log`` first (see :mod:`servicelevel.reports.sendlog`), so a week's
summary goes out once however many workers, restarts or retries there are.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from servicelevel.config import Target, Targets
from servicelevel.config.delivery import Settings
from servicelevel.evaluate import ALL, Status, evaluate_range, evaluate_windows
from servicelevel.kpi.maths import distance_to_minimum
from servicelevel.reports.text import format_value
from servicelevel.store.schema import Complaint
from servicelevel.timeutil import INTERVAL, Window, local_day_bounds

log = logging.getLogger(__name__)

KIND = "weekly"
TREND_WEEKS = 8
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)

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
IMPACT_NOTE = (
    "Impact = estimated contacts affected. For a breach: in each window below the minimum, the "
    "shortfall times the contacts in that window (percentage KPIs: points short / 100 x "
    "contacts; average speed of answer: seconds over the minimum / the minimum x answered "
    "calls; longest wait: the same for the one caller who waited longest), added up over the "
    "breach's windows, so depth, duration and volume all count. For complaints: the number "
    "opened in the week with that nature."
)


# --- weeks ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Week:
    """An ISO week of the operation: local Monday 00:00 to the next Monday 00:00."""

    monday: date

    @classmethod
    def parse(cls, text: str) -> Week:
        m = _WEEK.match(text.strip())
        if m is None:
            raise ValueError(f'"{text}" is not a week; expected e.g. 2026-W47')
        try:
            return cls(date.fromisocalendar(int(m[1]), int(m[2]), 1))
        except ValueError:
            raise ValueError(f'"{text}": {m[1]} has no week {int(m[2])}') from None

    @classmethod
    def containing(cls, day: date) -> Week:
        return cls(day - timedelta(days=day.weekday()))

    @classmethod
    def last_complete(cls, now: datetime, targets: Targets) -> Week:
        """The latest week that has ended in the operation's local time."""
        today = now.astimezone(targets.operation.tz).date()
        return cls.containing(today).previous()

    @property
    def label(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def end(self) -> date:
        """The Monday after (exclusive)."""
        return self.monday + timedelta(days=7)

    def previous(self, weeks: int = 1) -> Week:
        return Week(self.monday - timedelta(days=7 * weeks))

    def window(self, targets: Targets) -> Window:
        tz = targets.operation.tz
        start, end = local_day_bounds(self.monday, self.end, tz)
        return Window("week", start, end, tz)

    def due(self, targets: Targets, weekday: int, hour: int, minute: int) -> datetime:
        """When the summary of this week is due: that weekday and time of the next week."""
        day = self.end + timedelta(days=weekday)
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=targets.operation.tz)
        return local.astimezone(UTC)

    def describe(self) -> str:
        last = self.end - timedelta(days=1)
        if self.monday.month == last.month:
            span = f"{self.monday:%a %-d} – {last:%a %-d %b %Y}"
        elif self.monday.year != last.year:
            span = f"{self.monday:%a %-d %b %Y} – {last:%a %-d %b %Y}"
        else:
            span = f"{self.monday:%a %-d %b} – {last:%a %-d %b %Y}"
        return f"week {self.monday.isocalendar()[1]} ({span})"


# --- the report's data ---------------------------------------------------------------------


@dataclass
class Breach:
    """A run of consecutive windows of one scope below the minimum."""

    target: Target
    scope: str
    windows: list[Status]
    duration: timedelta
    impact: float

    @property
    def worst(self) -> Status:
        return worst_of(self.windows) or self.windows[0]


@dataclass
class Problem:
    title: str
    detail: str
    impact: float
    kind: str  # breach | complaints


@dataclass
class TargetWeek:
    target: Target
    week: Status
    previous: Status | None
    own: list[Status]  # the target's own windows that started in the week
    breaches: list[Breach]
    trend: dict[str, list[Status]] = field(default_factory=dict)  # series name -> points

    @property
    def change(self) -> float | None:
        if self.previous is None or self.previous.value is None or self.week.value is None:
            return None
        return self.week.value - self.previous.value

    @property
    def worst(self) -> Status | None:
        return worst_of(self.own) if len(self.own) > 1 else None

    @property
    def breach_time(self) -> timedelta:
        return sum((b.duration for b in self.breaches), timedelta())


@dataclass
class WeeklyReport:
    targets: Targets
    week: Week
    rows: list[TargetWeek]
    problems: list[Problem]
    complaints: int
    generated_at: datetime


def worst_of(statuses: Sequence[Status]) -> Status | None:
    """The worst value among windows with enough volume to be judged."""
    with_value = [s for s in statuses if s.value is not None and s.status != "no_data"]
    if not with_value:
        return None
    higher = with_value[0].target.higher_is_better
    return (min if higher else max)(with_value, key=lambda s: s.value)  # type: ignore[arg-type,return-value]


def open_time(window: Window, targets: Targets) -> timedelta:
    """How much of the window the operation was open (all of it without business hours)."""
    if targets.business_hours is None:
        return window.end - window.start
    tz = targets.operation.tz
    return INTERVAL * sum(1 for s in window.intervals() if targets.is_open(s.astimezone(tz)))


def impact(status: Status) -> float:
    """Contacts affected by one window below the minimum (see ``IMPACT_NOTE``)."""
    target = status.target
    depth = distance_to_minimum(status.kpi, target.minimum, target.higher_is_better)
    if not depth:
        return 0.0
    if target.unit == "%":
        return depth / 100.0 * status.kpi.volume
    # Seconds: relative to the minimum. A longest wait is one caller's; a mean wait, everyone's.
    callers = 1 if target.definition.shape == "max" else status.kpi.volume
    return depth / max(target.minimum, 1.0) * callers


def breaches_of(statuses: Sequence[Status], targets: Targets) -> list[Breach]:
    """Runs of consecutive breached windows per scope; any other status ends a run."""
    by_scope: dict[str, list[Status]] = {}
    for status in statuses:
        by_scope.setdefault(status.scope, []).append(status)
    out: list[Breach] = []
    for scope, items in by_scope.items():
        run: list[Status] = []
        for status in [*sorted(items, key=lambda s: s.window.start), None]:
            if status is not None and status.status == "breach":
                run.append(status)
                continue
            if run:
                out.append(
                    Breach(
                        run[0].target,
                        scope,
                        run,
                        sum((open_time(s.window, targets) for s in run), timedelta()),
                        sum(impact(s) for s in run),
                    )
                )
                run = []
    return sorted(out, key=lambda b: (b.windows[0].window.start, b.scope))


def _variant(targets: Targets, **changes: Any) -> Targets:
    """The same targets measured another way (e.g. over whole weeks, all queues together)."""
    return targets.model_copy(
        update={"targets": [t.model_copy(update=changes) for t in targets.targets]}
    )


def complaint_natures(engine: Engine, window: Window) -> list[tuple[str, int]]:
    """(nature, complaints opened in the window), most first; categories only, no one's data."""
    nature = func.coalesce(Complaint.nature, "unspecified")
    with Session(engine) as session:
        rows = session.execute(
            select(nature, func.count())
            .where(Complaint.opened_at >= window.start, Complaint.opened_at < window.end)
            .group_by(nature)
        ).all()
    return sorted(((str(n), int(c)) for n, c in rows), key=lambda r: (-r[1], r[0]))


def build_weekly(
    engine: Engine, targets: Targets, week: Week, *, now: datetime | None = None
) -> WeeklyReport:
    """Everything the weekly email shows, computed from the store."""
    now = now or datetime.now(UTC)
    this = week.window(targets)
    trend_weeks = [week.previous(n).window(targets) for n in range(TREND_WEEKS - 1, -1, -1)]
    whole = _variant(targets, window="week", per_queue=False)
    weekly = evaluate_windows(engine, whole, {t.id: trend_weeks for t in targets.targets}, now=now)
    own = [s for s in evaluate_range(engine, targets, week.monday, week.end, now=now)
           if s.window.end <= this.end]  # fmt: skip
    daily_ids = [t.id for t in targets.targets if t.window in ("15min", "hour", "day")]
    days = [
        Window("day", *local_day_bounds(week.monday + timedelta(days=i),
                                        week.monday + timedelta(days=i + 1), this.tz), this.tz)
        for i in range(7)
    ]  # fmt: skip
    daily = evaluate_windows(
        engine, _variant(targets, window="day"), {tid: days for tid in daily_ids}, now=now
    )
    rows = []
    for target in targets.targets:
        mine = [s for s in weekly if s.target.id == target.id]
        current = next(s for s in mine if s.window.start == this.start)
        previous = next((s for s in mine if s.window.start == trend_weeks[-2].start), None)
        own_statuses = [s for s in own if s.target.id == target.id]
        row = TargetWeek(
            target, current, previous, own_statuses, breaches_of(own_statuses, targets)
        )
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
    return WeeklyReport(
        targets, week, rows, rank_problems(rows, natures), sum(c for _, c in natures), now
    )


def rank_problems(rows: Sequence[TargetWeek], natures: Sequence[tuple[str, int]]) -> list[Problem]:
    """The three problems with the highest impact: breaches per (target, queue), complaints."""
    problems: list[Problem] = []
    for row in rows:
        by_scope: dict[str, list[Breach]] = {}
        for breach in row.breaches:
            by_scope.setdefault(breach.scope, []).append(breach)
        for scope, breaches in by_scope.items():
            windows = [s for b in breaches for s in b.windows]
            worst = worst_of(windows) or windows[0]
            unit = row.target.unit
            where = "" if scope == ALL else f", queue {scope}"
            count = len(breaches)
            spans = f"{len(windows)} {_KIND_WORDS[row.target.window]}{'s' * (len(windows) > 1)}"
            problems.append(
                Problem(
                    title=f"{row.target.name}{where}",
                    detail=(
                        f"{count} breach{'es' if count > 1 else ''} ({spans}) below the minimum of "
                        f"{format_value(row.target.minimum, unit)}, "
                        f"{format_duration(sum((b.duration for b in breaches), timedelta()))} "
                        f"in total; worst {format_value(worst.value, unit)} "
                        f"({window_label(worst.window)})"
                    ),
                    impact=sum(b.impact for b in breaches),
                    kind="breach",
                )
            )
        if not row.breaches and row.week.status == "breach":
            # No own window in the week (a monthly target) or none below: the week itself is.
            unit = row.target.unit
            problems.append(
                Problem(
                    title=row.target.name,
                    detail=(
                        f"{format_value(row.week.value, unit)} over the week, below the minimum "
                        f"of {format_value(row.target.minimum, unit)}"
                    ),
                    impact=impact(row.week),
                    kind="breach",
                )
            )
    total = sum(c for _, c in natures)
    for nature, count in natures:
        share = f"{100 * count / total:.0f} % of the week's complaints" if total else ""
        problems.append(
            Problem(
                title=f"Complaints: {nature[:80]}",
                detail=f"{count} complaint{'s' if count > 1 else ''} opened ({share})",
                impact=float(count),
                kind="complaints",
            )
        )
    problems.sort(key=lambda p: (-p.impact, p.title))
    return [p for p in problems if p.impact > 0][:3]


# --- formatting ----------------------------------------------------------------------------


_KIND_WORDS = {
    "15min": "quarter hour", "hour": "hour", "day": "day", "week": "week", "month": "month",
}  # fmt: skip


def format_duration(delta: timedelta) -> str:
    minutes = round(delta.total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h" if not minutes else f"{hours} h {minutes:02d} min"


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


def window_label(window: Window) -> str:
    local = window.start_local
    if window.kind == "day":
        return f"{local:%a %-d %b}"
    if window.kind in ("15min", "hour"):
        return f"{local:%a %-d %b %H:%M}"
    if window.kind == "week":
        return f"week {local.isocalendar()[1]}"
    return f"{local:%B %Y}"


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
                "minimum": format_value(target.minimum, unit),
                "ideal": format_value(target.ideal, unit),
                "direction": "higher is better" if target.higher_is_better else "lower is better",
                "change": format_change(row),
                "previous": format_value(row.previous.value if row.previous else None, unit),
                "worst": _worst_text(row),
                "breaches": len(row.breaches),
                "breach_note": "" if row.own else f"judged per {target.window}",
                "breach_time": format_duration(row.breach_time) if row.breaches else "—",
                "formula": target.formula(targets.operation.short_abandon_seconds),
                "chart": chart_src.get(target.id),
                "chart_caption": _caption(row),
            }
        )
    below = sum(1 for r in report.rows if r.week.status == "breach")
    breaches = sum(len(r.breaches) for r in report.rows)
    breach_time = sum((r.breach_time for r in report.rows), timedelta())
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
        "targets_count": len(rows),
        "below_count": below,
        "breach_count": breaches,
        "breach_time": format_duration(breach_time),
        "problems": [
            {"title": p.title, "detail": p.detail, "impact": f"{p.impact:,.0f}", "kind": p.kind}
            for p in report.problems
        ],
        "complaints": report.complaints,
        "impact_note": IMPACT_NOTE,
        "generated": report.generated_at.astimezone(targets.operation.tz).strftime(
            "%a %-d %b %Y %H:%M %Z"
        ),
        "has_call_targets": any(r.target.definition.calls for r in report.rows),
    }


def _caption(row: TargetWeek) -> str:
    if row.target.window in ("15min", "hour", "day"):
        split = " per queue" if len(row.trend) > 1 else ""
        return f"{row.target.name}: each day of the week{split}"
    return f"{row.target.name}: the last {TREND_WEEKS} weeks"


# --- rendering and sending -----------------------------------------------------------------


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
