"""Words, numbers and times as the dashboard shows them.

Why one module: every page shows times in the operation's zone (never the browser's) with the zone
named, and a status as a word and an icon as well as a colour. Keeping those rules here means a
new page cannot forget one. What text from a source may show (masked) is
:mod:`servicelevel.privacy`, shared with the email and the alerts.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from servicelevel.reports.text import format_value

STATUS_WORD = {
    "ideal": "Ideal",
    "met": "Met",
    "breach": "Breach",
    "no_data": "No data",
    "stale": "Stale",
}
# Shapes differ as well as colours, so a colour-blind supervisor reads the status too.
STATUS_ICON = {"ideal": "★", "met": "✓", "breach": "✕", "no_data": "–", "stale": "⏸"}


def value_text(value: float | None, unit: str) -> str:
    """``85.0 %``, ``42 s``; ``n/a`` for an empty window, also when pandas made it a NaN."""
    if value is None or math.isnan(value):
        return "n/a"
    return format_value(value, unit)


def bound_text(value: float, unit: str) -> str:
    """A minimum or ideal as written in targets.toml: 80 %, 92.5 %, 60 s."""
    number = f"{value:g}"
    return f"{number} %" if unit == "%" else f"{number} s"


def tz_abbrev(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Z")


def local_time(moment: datetime | None, tz: ZoneInfo, *, seconds: bool = True) -> str:
    """``14:32:05 CET``: a time of day in the operation's zone, with the zone."""
    if moment is None:
        return "never"
    local = moment.astimezone(tz)
    return local.strftime("%H:%M:%S %Z" if seconds else "%H:%M %Z")


def moment_text(moment: datetime, now: datetime, tz: ZoneInfo, *, seconds: bool = True) -> str:
    """``14:32:05 CET`` if ``moment`` is today (in the operation's zone), else with its date:
    ``2010-08-01 23:58:24 CEST``. A time alone said that 2010's last call was a minute ago."""
    local = moment.astimezone(tz)
    clock = local_time(moment, tz, seconds=seconds)
    return clock if local.date() == now.astimezone(tz).date() else f"{local:%Y-%m-%d} {clock}"


def local_datetime(moment: datetime | None, tz: ZoneInfo) -> str:
    """``2026-03-10 14:32 CET``."""
    if moment is None:
        return ""
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def duration_text(seconds: float | None) -> str:
    """``45 s``, ``3 min 05 s``, ``2 h 10 min``, ``3 d 4 h``."""
    if seconds is None:
        return "n/a"
    seconds = max(float(seconds), 0.0)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes} min {rest:02d} s"
    if seconds < 86400:
        hours, rest = divmod(round(seconds) // 60, 60)
        return f"{hours} h {rest:02d} min"
    days, rest = divmod(round(seconds) // 3600, 24)
    return f"{days} d {rest} h"


def age_text(since: datetime | None, now: datetime) -> str:
    if since is None:
        return "never"
    return duration_text((now - since) / timedelta(seconds=1)) + " ago"


def scope_text(scope: str) -> str:
    return "All queues" if scope == "*" else scope
