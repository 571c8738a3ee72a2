"""One queue (or all) for one local day, by 15-minute interval, as plain data.

The figures come from the same rollups as the tiles; the abandoned calls behind a percentage come
from the raw calls (time, wait and queue only: never a caller number or an agent name). Agents'
logged-in and paused time is rebuilt from the queue_log's member events (ADDMEMBER/REMOVEMEMBER,
AGENTLOGIN/AGENTLOGOFF, PAUSE/UNPAUSE) where the source writes them, and shown as totals.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from servicelevel.config import Target, Targets
from servicelevel.config.history import History, version_on
from servicelevel.evaluate import ALL, counts_from_rollups
from servicelevel.kpi import maths as kpis
from servicelevel.store import queries
from servicelevel.store.schema import Call, QueueEvent
from servicelevel.timeutil import INTERVAL, local_day_bounds

from . import fmt

LOGIN = frozenset({"ADDMEMBER", "AGENTLOGIN", "AGENTCALLBACKLOGIN"})
LOGOFF = frozenset({"REMOVEMEMBER", "AGENTLOGOFF", "AGENTCALLBACKLOGOFF"})
PAUSE = frozenset({"PAUSE", "PAUSEALL"})
UNPAUSE = frozenset({"UNPAUSE", "UNPAUSEALL"})
AGENT_EVENTS = LOGIN | LOGOFF | PAUSE | UNPAUSE
LOOKBACK = timedelta(days=7)  # how far back to look for who was logged in at midnight


def sl_targets(targets: Targets) -> list[Target]:
    return [t for t in targets.targets if t.kpi == "service_level"]


def sl_target_on(
    targets: Targets, history: History, target_id: str | None, day: date
) -> Target | None:
    """The service-level target ``target_id`` as it applied on the local ``day``.

    Why: the file holds the newest minimum; a day before an edit took effect was judged by the
    old one (as ``evaluate`` does, through the same :func:`version_on`), and its chart must
    draw that one, not a minimum raised since.
    """
    target = next((t for t in sl_targets(targets) if t.id == target_id), None)
    return None if target is None else version_on(target, history, day)


def queue_names(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return queries.known_queues(session)


def _sl(target: Target | None, counts: kpis.CallCounts) -> float | None:
    if target is None or target.threshold_seconds is None:
        return None
    return kpis.service_level(counts, target.threshold_seconds, target.abandons).value


def intervals(
    engine: Engine,
    targets: Targets,
    queue: str,
    day: date,
    sl_target: Target | None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """One row per 15-minute interval of the local ``day`` (23, 24 or 25 hours of them)."""
    tz = targets.operation.tz
    start, end = local_day_bounds(day, day + timedelta(days=1), tz)
    with Session(engine) as session:
        frame = queries.call_rollups(session, start, end, None if queue == ALL else [queue])
    staffing = agent_time(engine, queue, start, min(end, now) if now else end)
    rows = []
    moment = start
    by_start = {k: g for k, g in frame.groupby("interval_start")} if not frame.empty else {}
    while moment < end:
        group = by_start.get(moment)
        counts = counts_from_rollups(group) if group is not None else kpis.CallCounts()
        local = moment.astimezone(tz)
        asa = kpis.average_speed_of_answer(counts).value
        row: dict[str, Any] = {
            "interval": local.strftime("%H:%M %Z"),
            "start": local.replace(tzinfo=None),
            "open": "yes" if targets.is_open(local) else "closed",
            "offered": counts.offered,
            "answered": counts.answered,
            "abandoned": counts.abandoned,
            "short_abandoned": counts.short_abandoned,
            "sl": None if (v := _sl(sl_target, counts)) is None else round(v, 1),
            "asa": None if asa is None else round(asa, 1),
            "longest_wait": counts.max_wait if counts.offered else None,
        }
        if staffing is not None:
            logged, paused = staffing.get(moment, (0.0, 0.0))
            row["agents_logged_in_min"] = round(logged / 60, 1)
            row["agents_paused_min"] = round(paused / 60, 1)
        rows.append(row)
        moment += INTERVAL
    return rows


def _spans(
    events: Iterable[tuple[datetime, str, str]], end: datetime
) -> list[tuple[str, datetime, datetime]]:
    """(kind, from, to) spans of "logged" and "paused" time, from ordered member events."""
    logged: dict[str, datetime] = {}
    paused: dict[str, datetime] = {}
    spans: list[tuple[str, datetime, datetime]] = []
    for at, agent, event in events:
        if event in LOGIN and agent not in logged:
            logged[agent] = at
        elif event in LOGOFF:
            if agent in logged:
                spans.append(("logged", logged.pop(agent), at))
            if agent in paused:
                spans.append(("paused", paused.pop(agent), at))
        elif event in PAUSE and agent not in paused:
            paused[agent] = at
        elif event in UNPAUSE and agent in paused:
            spans.append(("paused", paused.pop(agent), at))
    spans += [("logged", since, end) for since in logged.values()]
    spans += [("paused", since, end) for since in paused.values()]
    return spans


def agent_time(
    engine: Engine, queue: str, start: datetime, end: datetime
) -> dict[datetime, tuple[float, float]] | None:
    """Seconds of agents logged in and paused per 15-minute interval (summed over agents);
    None when the source logs no member events for this queue."""
    with Session(engine) as session:
        query = (
            select(QueueEvent.at, QueueEvent.agent, QueueEvent.event, QueueEvent.queue)
            .where(QueueEvent.at >= start - LOOKBACK, QueueEvent.at < end)
            .where(QueueEvent.event.in_(sorted(AGENT_EVENTS)))
            .order_by(QueueEvent.at, QueueEvent.id)
        )
        if queue != ALL:
            query = query.where(QueueEvent.queue.in_([queue, "NONE"]))
        rows = session.execute(query).all()
    if not any(r.queue != "NONE" for r in rows):
        return None
    # One agent in two queues counts once per queue; "all queues" keys agents by queue too.
    events = [(at, f"{q}\x00{agent}", event) for at, agent, event, q in rows]
    totals: dict[datetime, list[float]] = {}
    for kind, since, until in _spans(events, end):
        moment = max(since, start)
        moment = moment - timedelta(seconds=moment.timestamp() % INTERVAL.total_seconds())
        while moment < min(until, end):
            overlap = (min(until, moment + INTERVAL) - max(since, moment)).total_seconds()
            if overlap > 0 and moment >= start:
                slot = totals.setdefault(moment, [0.0, 0.0])
                slot[0 if kind == "logged" else 1] += overlap
            moment += INTERVAL
    return {k: (v[0], v[1]) for k, v in totals.items()}


def abandoned_calls(
    engine: Engine, targets: Targets, queue: str, day: date, limit: int = 2000
) -> list[dict[str, Any]]:
    """The abandoned calls of the day: entry time, wait, queue, and whether short."""
    tz = targets.operation.tz
    start, end = local_day_bounds(day, day + timedelta(days=1), tz)
    short_s = targets.operation.short_abandon_seconds
    query = (
        select(Call.entered_at, Call.wait_s, Call.queue)
        .where(Call.outcome == "abandoned", Call.entered_at >= start, Call.entered_at < end)
        .order_by(Call.entered_at)
        .limit(limit)
    )
    if queue != ALL:
        query = query.where(Call.queue == queue)
    with Session(engine) as session:
        rows = session.execute(query).all()
    return [
        {
            "entered": fmt.local_time(entered, tz),
            "wait": fmt.duration_text(wait),
            "wait_s": round(wait, 1),
            "queue": q,
            "short": "yes (left out)" if wait < short_s else "",
            "counted": "no: outside business hours"
            if not targets.is_open(entered.astimezone(tz))
            else ("no: short abandon" if wait < short_s else "yes"),
        }
        for entered, wait, q in rows
    ]
