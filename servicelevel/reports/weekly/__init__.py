"""The weekly summary: how the last site-local week (Monday to Sunday) went against the policy.

Every figure comes from :mod:`servicelevel.evaluate`, the same code behind the dashboard and
``servicelevel status --json``, so the email never disagrees with them:

* the week's value of every target, computed over the whole week (all queues together), against
  its minimum and ideal, and the change from the week before;
* the windows of the target's own kind (its days, quarter hours or week, per queue when
  ``per_queue``) that started in the week: the worst of them, and its *breaches*, as
  :mod:`servicelevel.evaluate.breaches` defines them for every reader, with their open-hours
  duration;
* the most significant problems, one per KPI and scope, counted in customers affected and
  ranked as :mod:`.problems` says (its rule is the footnote, ``IMPACT_NOTE``);
* the whole summary as JSON for automation (:mod:`.summary_json`).

Sending is claimed in ``send_log`` first (see :mod:`servicelevel.reports.sendlog`), so a week's
summary goes out once however many workers, restarts or retries there are.

The parts: :mod:`.week` (calendar weeks), :mod:`.report` (the figures and breaches),
:mod:`.problems` (the problems and the headline's counts), :mod:`.summary_json` (``report
weekly --json``) and :mod:`.mail` (the templates' context, the preview, sending once). Import
from here.
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
from servicelevel.reports.weekly.problems import (
    Affected,
    Involved,
    Problem,
    count_once,
    rank_problems,
)
from servicelevel.reports.weekly.report import (
    IMPACT_NOTE,
    TREND_WEEKS,
    Breach,
    TargetWeek,
    WeeklyReport,
    breaches_of,
    build_weekly,
    complaint_natures,
    format_duration,
    window_label,
    worst_of,
)
from servicelevel.reports.weekly.summary_json import summary_json
from servicelevel.reports.weekly.week import Week

__all__ = [
    "COLOURS",
    "IMPACT_NOTE",
    "KIND",
    "LABEL",
    "TREND_WEEKS",
    "Affected",
    "Breach",
    "Involved",
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
    "count_once",
    "draw_charts",
    "due_week",
    "format_change",
    "format_duration",
    "rank_problems",
    "render_weekly",
    "run_weekly_job",
    "send_weekly",
    "summary_json",
    "weekly_message",
    "window_label",
    "worst_of",
]
