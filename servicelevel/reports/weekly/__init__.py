"""The weekly summary: how the last site-local week (Monday to Sunday) went against the policy.

Every figure comes from :mod:`servicelevel.evaluate`, the same code behind the dashboard and
``servicelevel status --json``, so the email never disagrees with them:

* the week's value of every target, computed over the whole week (all queues together), against
  its minimum and ideal, and the change from the week before;
* the windows of the target's own kind (its days, quarter hours or week, per queue when
  ``per_queue``) that started in the week: the worst of them, and its *breaches*, as
  :mod:`servicelevel.evaluate.breaches` defines them for every reader, with their open-hours
  duration;
* the three most significant problems, ranked by customers affected (see ``IMPACT_NOTE``).

Sending is claimed in ``send_log`` first (see :mod:`servicelevel.reports.sendlog`), so a week's
summary goes out once however many workers, restarts or retries there are.

The parts: :mod:`.week` (calendar weeks), :mod:`.report` (the figures, breaches and problems)
and :mod:`.mail` (the templates' context, the preview, sending once). Import from here.
"""

from servicelevel.reports.weekly.mail import (
    COLOURS,
    KIND,
    LABEL,
    Rendered,
    SendOutcome,
    context,
    draw_charts,
    due_week,
    format_change,
    render_weekly,
    run_weekly_job,
    send_weekly,
    weekly_message,
)
from servicelevel.reports.weekly.report import (
    IMPACT_NOTE,
    TREND_WEEKS,
    Breach,
    Problem,
    TargetWeek,
    WeeklyReport,
    breaches_of,
    build_weekly,
    complaint_natures,
    format_duration,
    rank_problems,
    window_label,
    worst_of,
)
from servicelevel.reports.weekly.week import Week

__all__ = [
    "COLOURS",
    "IMPACT_NOTE",
    "KIND",
    "LABEL",
    "TREND_WEEKS",
    "Breach",
    "Problem",
    "Rendered",
    "SendOutcome",
    "TargetWeek",
    "Week",
    "WeeklyReport",
    "breaches_of",
    "build_weekly",
    "complaint_natures",
    "context",
    "draw_charts",
    "due_week",
    "format_change",
    "format_duration",
    "rank_problems",
    "render_weekly",
    "run_weekly_job",
    "send_weekly",
    "weekly_message",
    "window_label",
    "worst_of",
]
