"""The words for a figure that is missing or out of date: a tile's note, a source's state.

Why apart from :mod:`.data`: the Live tiles and the Sources page say the same things about
staleness (by data time, see :mod:`servicelevel.evaluate.freshness`), and "no data" is
explained by the one function ``status`` uses too (:mod:`servicelevel.evaluate.reasons`).
Dates are written unless they are today, in the operation's zone.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from servicelevel.config import Targets
from servicelevel.evaluate import Status
from servicelevel.evaluate.freshness import Freshness, SourceFreshness
from servicelevel.evaluate.reasons import no_data_reason

from . import fmt


def note_of(status: Status, targets: Targets, freshness: Freshness | None, now: datetime) -> str:
    """A tile's line under its bounds: "Stale since ...", or why there is no figure (the same
    reason as ``status`` gives, from :func:`no_data_reason`)."""
    if status.status == "stale":
        since = status.stale_since
        if since is None:
            return "Stale: its source has never been read"
        return "Stale since " + fmt.moment_text(since, now, targets.operation.tz, seconds=False)
    reason = no_data_reason(status, targets, freshness) if freshness is not None else None
    return reason.text[:1].upper() + reason.text[1:] if reason is not None else ""


def state_text(source: SourceFreshness, now: datetime, tz: ZoneInfo) -> str:
    """The Sources page's State: "ok", "failing", "stale since <newest fact>" (by data time),
    "not read since <last read>"; the date is shown unless it is today."""
    if source.state == "stale" and source.newest_fact is not None:
        return "stale since " + fmt.moment_text(source.newest_fact, now, tz, seconds=False)
    if source.state == "silent":
        if source.last_read is None:
            return "never read"
        return "not read since " + fmt.moment_text(source.last_read, now, tz, seconds=False)
    return source.state
