"""What the Live and Sources pages and the banner show, as plain data (no Dash here).

Why a module of its own: callbacks stay thin (read inputs, call one function here, build
components), and every figure on a page can be tested without a browser. Everything returned is
already safe to send to a browser: no caller numbers, no agent names; text from a source (errors,
reasons, raw rows) masked by :mod:`servicelevel.privacy`, raw rows for editors only.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from servicelevel.config import ConfigIssue, Targets
from servicelevel.config.history import History
from servicelevel.context import rollup_spec
from servicelevel.evaluate import Status, evaluate_at
from servicelevel.evaluate.freshness import Freshness, judge_sources, read_freshness
from servicelevel.privacy import mask_message, mask_raw, mask_text
from servicelevel.store import queries
from servicelevel.store.rollups_job import latest_runs, rollup_state
from servicelevel.store.schema import IngestRun, Quarantine, Source
from servicelevel.timeutil import Window

from . import fmt
from .data_budget import budget_line
from .data_notes import note_of, state_text

# --------------------------------------------------------------------------------------------
# Live
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tile:
    """One target in one scope, as the wallboard shows it."""

    key: str
    target_id: str
    name: str
    kpi: str
    scope: str
    scope_text: str
    window_text: str
    value: float | None
    value_text: str
    unit: str
    minimum: float
    ideal: float
    minimum_text: str
    ideal_text: str
    higher_is_better: bool
    status: str
    status_word: str
    status_icon: str
    formula: str
    calculation: str
    counts: tuple[tuple[str, str], ...]
    volume: int
    note: str = ""  # why there is no figure, or since when it is stale
    budget: tuple[str, str] = ("", "")  # the error budget: the tile's line, its detail


@dataclass(frozen=True, slots=True)
class WaitingRow:
    queue: str
    calls: int
    longest_wait_s: float | None
    longest_wait_text: str


@dataclass(frozen=True, slots=True)
class LiveSnapshot:
    now: datetime
    tz_name: str
    now_text: str
    tiles: tuple[Tile, ...]
    waiting: tuple[WaitingRow, ...]
    last_event_text: str
    last_read_text: str
    compute_ms: float
    recomputing: bool = False  # call figures are the previous definition's (rebuild running)


def window_text(window: Window, now: datetime) -> str:
    """How the wallboard names the current window: "today", "this week", "10:00-10:15"."""
    local = window.start_local
    if window.kind == "day":
        today = now.astimezone(window.tz).date()
        return "today" if local.date() == today else local.strftime("%a %d %b")
    if window.kind == "week":
        return f"this week (W{local.isocalendar()[1]:02d})"
    if window.kind == "month":
        return "this month (" + local.strftime("%B") + ")"
    return f"{local:%H:%M}–{window.end_local:%H:%M}"


def _calculation(status: Status) -> str:
    k, unit, kpi = status.kpi, status.target.unit, status.target.definition
    if status.details.get("reason") == "recomputing":
        return "being recomputed for the new definition"
    if k.value is None:
        return "no calls counted yet" if kpi.calls else "nothing counted yet"
    if kpi.shape == "max":
        return f"{kpi.numerator.label} {fmt.duration_text(k.value)}"
    if kpi.shape == "mean":
        return (
            f"{k.numerator:.0f} {kpi.numerator.label} / {k.denominator:g} "
            f"{kpi.denominator.label} = {k.value:.1f} s"
        )
    shown = fmt.value_text(k.value, unit)
    return f"{k.numerator:g} / {k.denominator:g} = {shown}"


def counts_of(status: Status, short_abandon_s: float) -> tuple[tuple[str, str], ...]:
    """The counts behind a value, labelled for a supervisor."""
    b = status.breakdown()
    rows: list[tuple[str, str]] = []
    if status.counts is not None:
        t = status.target.threshold_seconds
        rows.append(("Offered", str(b["offered"])))
        rows.append(("Answered", str(b["answered"])))
        if t is not None:
            rows.append((f"Answered within {t:g} s", str(b["answered_within_t"])))
        rows.append(("Abandoned", str(b["abandoned"])))
        if t is not None and status.target.abandons == "success_within_t":
            rows.append((f"Abandoned within {t:g} s", str(b["abandoned_within_t"])))
        rows.append(("Timed out or left the queue", str(b["unanswered_other"])))
        rows.append(
            (f"Short abandons (< {short_abandon_s:g} s, left out)", str(b["short_abandoned"]))
        )
        rows.append(("Outside business hours (left out)", str(b["out_of_hours"])))
        return tuple(rows)
    kpi = status.target.definition
    for count in (kpi.numerator, kpi.denominator):
        if count.key in b:
            rows.append((count.label, str(b[count.key])))
    if b.get("provisional"):
        rows.append(("Provisional", f"yes: final on {b.get('final_on')}; no breach before"))
    return tuple(rows)


def tile_of(
    status: Status, targets: Targets, now: datetime, freshness: Freshness | None = None
) -> Tile:
    target, unit = status.target, status.target.unit
    return Tile(
        key=f"{target.id}|{status.scope}",
        target_id=target.id,
        name=target.name,
        kpi=target.kpi,
        scope=status.scope,
        scope_text=fmt.scope_text(status.scope) if target.definition.calls else "Whole operation",
        window_text=window_text(status.window, now),
        value=status.value,
        value_text=fmt.value_text(status.value, unit),
        unit=unit,
        minimum=target.minimum,
        ideal=target.ideal,
        minimum_text=fmt.bound_text(target.minimum, unit),
        ideal_text=fmt.bound_text(target.ideal, unit),
        higher_is_better=target.higher_is_better,
        status=status.status,
        status_word=fmt.STATUS_WORD[status.status],
        status_icon=fmt.STATUS_ICON[status.status],
        formula=target.formula(targets.operation.short_abandon_seconds),
        calculation=_calculation(status),
        counts=counts_of(status, targets.operation.short_abandon_seconds),
        volume=status.kpi.volume,
        note=note_of(status, targets, freshness, now),
        budget=budget_line(status, window_text(status.window, now)),
    )


# The wallboard's order: what needs action first. A breach, then figures that cannot be trusted
# (stale source, no data), then met, then ideal. Python's sort is stable, so within a status the
# targets keep the order of targets.toml (and their scopes the evaluation's order).
WALLBOARD_ORDER = ("breach", "stale", "no_data", "met", "ideal")


def wallboard_order(tiles: Sequence[Tile]) -> tuple[Tile, ...]:
    """``tiles`` sorted for a wall screen: breaches first, stable within each status."""
    rank = {status: i for i, status in enumerate(WALLBOARD_ORDER)}
    return tuple(sorted(tiles, key=lambda t: rank.get(t.status, len(rank))))


def breach_count(tiles: Sequence[Tile]) -> int:
    return sum(1 for t in tiles if t.status == "breach")


def breach_count_text(count: int) -> str:
    """ "No breach", "1 breach", "3 breaches": the kiosk header's headline."""
    if count == 0:
        return "No breach"
    return f"{count} breach" + ("es" if count != 1 else "")


def waiting_rows(session: Session, now: datetime) -> tuple[WaitingRow, ...]:
    """Calls waiting now and the longest current wait, for every known queue."""
    waiting = {w.queue: w for w in queries.waiting_now(session)}
    rows = []
    for queue in sorted(set(queries.known_queues(session)) | set(waiting)):
        w = waiting.get(queue)
        wait = None
        if w is not None and w.oldest_entered_at is not None:
            wait = max((now - w.oldest_entered_at).total_seconds(), 0.0)
        calls = w.calls if w is not None else 0
        rows.append(WaitingRow(queue, calls, wait, fmt.duration_text(wait) if calls else "–"))
    return tuple(rows)


def _call_sources(session: Session) -> list[Source]:
    return [s for s in queries.source_health(session) if s.kind == "calls"]


def live_snapshot(
    engine: Engine, targets: Targets, history: History, now: datetime
) -> LiveSnapshot:
    """Everything the Live page shows, evaluated once (callers cache it per refresh tick)."""
    started = time.perf_counter()
    tz = targets.operation.tz
    statuses = evaluate_at(engine, targets, now, now=now, history=history)
    with Session(engine) as session:
        waiting = waiting_rows(session, now)
        sources = _call_sources(session)
        freshness = read_freshness(session, targets, now)
    tiles = tuple(tile_of(s, targets, now, freshness) for s in statuses)
    events = [s.last_event_at for s in sources if s.last_event_at is not None]
    reads = [s.last_ok_at for s in sources if s.last_ok_at is not None]
    return LiveSnapshot(
        now=now,
        tz_name=targets.operation.timezone,
        now_text=fmt.local_time(now, tz),
        tiles=tiles,
        waiting=waiting,
        # With the date unless today: "23:58:24" of 2010 must not pass for a minute ago.
        last_event_text=fmt.moment_text(max(events), now, tz) if events else "no call data yet",
        last_read_text=fmt.moment_text(max(reads), now, tz) if reads else "never",
        compute_ms=(time.perf_counter() - started) * 1000,
        recomputing=any(s.recomputing for s in statuses),
    )


# --------------------------------------------------------------------------------------------
# Banner
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Notice:
    level: str  # danger | warning | info (Bootstrap alert colours)
    title: str
    lines: tuple[str, ...] = ()
    kind: str = ""  # "demo" for the demo's note, which a kiosk does not show


def notices(
    engine: Engine,
    targets: Targets | None,
    errors: Sequence[ConfigIssue],
    now: datetime,
    *,
    demo: bool = False,
) -> list[Notice]:
    """What must not go unnoticed: a broken targets file, a silent or failing source."""
    out: list[Notice] = []
    if demo:
        out.append(
            Notice(
                "info",
                "Demo: simulated calls, no login. This dashboard only answers on this computer "
                "(127.0.0.1).",
                kind="demo",
            )
        )
    if errors:
        title = (
            "The targets file has errors: the dashboard keeps the last good targets."
            if targets is not None
            else "The targets file has errors and no good version was loaded yet."
        )
        out.append(Notice("danger", title, tuple(str(e) for e in errors)))
    if targets is None:
        return out
    tz = targets.operation.tz
    with Session(engine) as session:
        sources = queries.source_health(session)
        recomputing = rollup_state(session, rollup_spec(targets)).recomputing
    if recomputing:
        out.append(Notice("info", RECOMPUTING_TITLE, (RECOMPUTING_LINE,)))
    if not sources:
        out.append(Notice("info", "No data source has been read yet."))
    silent, old, failing = [], [], []
    limits = set()
    for s, judged in zip(sources, judge_sources(targets, sources, now), strict=True):
        if s.last_error:
            failing.append(
                f"{s.name} ({s.kind}): failed at {fmt.local_datetime(s.last_error_at, tz)}: "
                f"{mask_message(s.last_error)[:300]}"
            )
        if judged.silent:
            limits.add(judged.stale_after.total_seconds() / 60)
            silent.append(
                f"{s.name} ({s.kind}): last read {fmt.age_text(s.last_ok_at, now)}"
                + (f" ({fmt.local_datetime(s.last_ok_at, tz)})" if s.last_ok_at else "")
            )
        if judged.data_stale:
            old.append(
                f"{s.name} ({s.kind}): newest data {fmt.local_datetime(s.last_event_at, tz)}, "
                f"{fmt.age_text(s.last_event_at, now)} (more than "
                f"{judged.stale_after.total_seconds() / 60:g} min of open hours)"
            )
    if failing:
        out.append(Notice("danger", "A data source is failing.", tuple(failing)))
    if silent:
        out.append(
            Notice(
                "warning",
                "A data source has been silent for more than "
                + (f"{limits.pop():g} min" if len(limits) == 1 else "its stale_after_minutes")
                + ": its figures are stale.",
                tuple(silent),
            )
        )
    if old:
        out.append(
            Notice("warning", "A data source has no new data: its figures are stale.", tuple(old))
        )
    return out


# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------

RECOMPUTING_TITLE = "Recomputing: the targets changed what the call figures count."
RECOMPUTING_LINE = (
    "Until the rebuild finishes (progress on the Sources page), call figures are those of the "
    "previous definition, and a service level with a new threshold shows no data."
)


@dataclass(frozen=True, slots=True)
class RollupView:
    """The rollups on the Sources page: up to date or recomputing, and the last rebuilds."""

    recomputing: bool
    state_text: str
    runs: list[dict[str, Any]]


def rollup_view(engine: Engine, targets: Targets, now: datetime, limit: int = 5) -> RollupView:
    """Whether the rollups match the targets, and the newest rebuild runs with progress."""
    tz = targets.operation.tz
    with Session(engine) as session:
        state = rollup_state(session, rollup_spec(targets))
    runs = latest_runs(engine, limit)
    rows = []
    for r in runs:
        end = r.finished_at or now
        share = f"{100 * r.rows_done / r.rows_total:.0f} %" if r.rows_total else "–"
        rows.append(
            {
                "kind": "recount from calls" if r.kind == "calls" else "regroup days",
                "status": r.status,
                "started": fmt.local_datetime(r.started_at, tz),
                "finished": fmt.local_datetime(r.finished_at, tz) if r.finished_at else "–",
                "took": fmt.duration_text((end - r.started_at).total_seconds()),
                "done": r.rows_done,
                "total": r.rows_total,
                "progress": share,
                "error": mask_message(r.error),
            }
        )
    if not state.recomputing:
        text = "Up to date with the targets."
    elif runs and runs[0].status == "running":
        text = f"Recomputing: {rows[0]['done']} of {rows[0]['total']} ({rows[0]['progress']})."
    else:
        text = "Recomputing: waiting for the worker (or run `servicelevel db rebuild`)."
    return RollupView(state.recomputing, text, rows)


def source_rows(engine: Engine, targets: Targets, now: datetime) -> list[dict[str, Any]]:
    """One row per source: its last run's accounting, freshness and lag."""
    tz = targets.operation.tz
    with Session(engine) as session:
        sources = queries.source_health(session)
        latest = (
            select(IngestRun.source, func.max(IngestRun.id).label("id"))
            .group_by(IngestRun.source)
            .subquery()
        )
        runs = {
            r.source: r
            for r in session.execute(
                select(IngestRun).join(latest, IngestRun.id == latest.c.id)
            ).scalars()
        }
        waiting_quarantine = dict(
            session.execute(
                select(Quarantine.source, func.count())
                .where(Quarantine.replayed_at.is_(None))
                .group_by(Quarantine.source)
            ).all()
        )
    rows = []
    for s, judged in zip(sources, judge_sources(targets, sources, now), strict=True):
        run = runs.get(s.name)
        lag = (now - s.last_event_at).total_seconds() if s.last_event_at else None
        rows.append(
            {
                "source": s.name,
                "collector": s.collector,
                "kind": s.kind,
                # "stale since <date time>" (by data time), "not read since ...", "ok"...
                "state": state_text(judged, now, tz),
                "freshness": judged.state,  # the word alone: ok, stale, silent, failing
                "last_read": fmt.local_datetime(s.last_ok_at, tz) or "never",
                "last_data": fmt.local_datetime(s.last_event_at, tz) or "–",
                "lag": fmt.duration_text(lag) if lag is not None else "–",
                "last_run": fmt.local_datetime(run.started_at, tz) if run else "–",
                "run_status": run.status if run else "–",
                "read": run.read if run else None,
                "stored": run.stored if run else None,
                "duplicates": run.duplicates if run else None,
                "quarantined": run.quarantined if run else None,
                "quarantine_waiting": int(waiting_quarantine.get(s.name, 0)),
                "error": mask_message(s.last_error or (run.error if run else None)),
            }
        )
    return rows


def quarantine_rows(
    engine: Engine, targets: Targets, *, source: str | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """The newest quarantined input rows with their reasons, masked (:mod:`servicelevel.privacy`).

    For editors only: a raw row is someone's call or complaint, and the masks are a safety net
    (a name in lower case in free text gets through), not a licence to show it to everyone.
    """
    tz = targets.operation.tz
    query = select(Quarantine).order_by(Quarantine.id.desc()).limit(limit)
    if source:
        query = query.where(Quarantine.source == source)
    with Session(engine) as session:
        rows = session.execute(query).scalars().all()
    return [
        {
            "when": fmt.local_datetime(r.quarantined_at, tz),
            "source": r.source,
            "location": mask_text(r.location),
            "reason": mask_message(r.reason),
            "raw": mask_raw(r.raw),
            "replayed": fmt.local_datetime(r.replayed_at, tz) if r.replayed_at else "",
        }
        for r in rows
    ]


def quarantine_summary(engine: Engine, targets: Targets) -> list[dict[str, Any]]:
    """What everyone may see of the quarantine: rows waiting per source and (masked) reason.

    Masked reasons are grouped again: ``bad timestamp: '…' is not a Unix time`` is one reason,
    whatever each line held.
    """
    tz = targets.operation.tz
    with Session(engine) as session:
        found = session.execute(
            select(
                Quarantine.source,
                Quarantine.reason,
                func.count(),
                func.max(Quarantine.quarantined_at),
            )
            .where(Quarantine.replayed_at.is_(None))
            .group_by(Quarantine.source, Quarantine.reason)
        ).all()
    grouped: dict[tuple[str, str], list[Any]] = {}
    for name, reason, count, newest in found:
        slot = grouped.setdefault((name, mask_message(reason)), [0, newest])
        slot[0] += int(count)
        slot[1] = max(slot[1], newest)
    return [
        {"source": name, "reason": reason, "rows": n, "newest": fmt.local_datetime(newest, tz)}
        for (name, reason), (n, newest) in sorted(
            grouped.items(), key=lambda item: (item[0][0], -item[1][0], item[0][1])
        )
    ]


def utc_now() -> datetime:
    return datetime.now(UTC)
