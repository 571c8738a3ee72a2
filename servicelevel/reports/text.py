"""Plain-text rendering of values, durations, windows, statuses and breaches: for the terminal
(``servicelevel status``) and the weekly email alike."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from servicelevel.evaluate import Breach, Status
from servicelevel.timeutil import Window

MARK = {"ideal": "IDEAL", "met": "met", "breach": "BREACH", "no_data": "no data", "stale": "STALE"}


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1f} %" if unit == "%" else f"{value:.0f} s"


def format_duration(delta: timedelta) -> str:
    """``45 min``, ``3 h``, ``30 h 15 min``: a breach's duration, to the minute."""
    minutes = round(delta.total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h" if not minutes else f"{hours} h {minutes:02d} min"


def window_label(window: Window) -> str:
    """A window as a reader names it: ``Tue 17 Nov``, ``Tue 17 Nov 08:00``, ``week 47``."""
    local = window.start_local
    if window.kind == "day":
        return f"{local:%a %-d %b}"
    if window.kind in ("15min", "hour"):
        return f"{local:%a %-d %b %H:%M}"
    if window.kind == "week":
        return f"week {local.isocalendar()[1]}"
    return f"{local:%B %Y}"


def status_table(statuses: Sequence[Status], reasons: Sequence[str] = ()) -> str:
    """One row per status; the last column says why there is no figure (``reasons``, one per
    status, from :func:`servicelevel.evaluate.reasons.no_data_reason`) or since when it is
    stale."""
    rows = [("target", "scope", "window", "value", "min", "ideal", "volume", "status", "note")]
    for i, s in enumerate(statuses):
        unit = s.target.unit
        note = reasons[i] if i < len(reasons) else ""
        if s.status == "stale":
            note = stale_text(s)
        rows.append(
            (
                s.target.id,
                s.scope,
                s.window.label(),
                format_value(s.value, unit),
                format_value(s.target.minimum, unit),
                format_value(s.target.ideal, unit),
                str(s.kpi.volume),
                MARK[s.status],
                note,
            )
        )
    return _table(rows)


def breach_table(breaches: Sequence[Breach]) -> str:
    """``status --breaches``: one line per breach, times in the operation's zone."""
    rows = [("target", "scope", "start", "end", "windows", "worst", "min", "depth",
             "open hours", "clock time", "customers")]  # fmt: skip
    for b in breaches:
        tz = b.worst.window.tz
        rows.append(
            (
                b.target_id,
                b.scope,
                f"{b.start.astimezone(tz):%Y-%m-%d %H:%M %Z}",
                "ongoing" if b.ongoing else f"{b.end.astimezone(tz):%Y-%m-%d %H:%M %Z}",
                str(b.windows),
                format_value(b.worst_value, b.unit),
                format_value(b.minimum, b.unit),
                format_value(b.depth, b.unit),
                format_duration(b.open_time),
                format_duration(b.wall_time),
                str(b.customers_affected),
            )
        )
    return _table(rows)


def _table(rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)
    return "\n".join(line.rstrip() for line in lines)


def stale_text(status: Status) -> str:
    """``stale since 2010-08-01 21:59 CEST`` in the operation's zone, or ``never read``."""
    since = status.stale_since
    if since is None:
        return "stale: never read"
    return "stale since " + since.astimezone(status.window.tz).strftime("%Y-%m-%d %H:%M %Z")
