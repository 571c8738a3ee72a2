"""Targets x windows -> statuses: the one place that decides ideal / met / breach / no_data / stale.

Why one entry point: the wallboard, ``status --json`` and the weekly email all call
:func:`evaluate_at` or :func:`evaluate_range`, so a supervisor and a manager never see two
different numbers for the same target and window. Call KPIs are sums of rollups
(:mod:`.frames`, :mod:`.calls`); fact KPIs read their own tables (:mod:`.facts`).
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from servicelevel.config import Target, Targets
from servicelevel.config.history import History, editable_values, load_history, version_on
from servicelevel.context import rollup_spec
from servicelevel.evaluate.calls import call_kpi, call_statuses
from servicelevel.evaluate.facts import fact_status
from servicelevel.evaluate.frames import DAY_WINDOWS, CallFrame, day_frame, interval_frame
from servicelevel.evaluate.status import ALL, Status, mark_stale
from servicelevel.kpi.maths import CallCounts
from servicelevel.store import queries
from servicelevel.store.rollups_rebuild import rollup_state
from servicelevel.timeutil import Window, local_day_bounds, window_containing, windows_between


def _mark_recomputing(session: Session, targets: Targets, statuses: list[Status]) -> list[Status]:
    """While a job rebuilds the rollups for a changed definition, readers do not wait for it.

    Call figures are then those of the stored definition (the previous short-abandon limit,
    day rows grouped by the previous calendar), marked ``recomputing``; a service level whose
    threshold the stored rollups do not count at all is ``no_data`` with reason "recomputing"
    rather than 0 %. Two metadata reads when nothing changed; readers never write.
    """
    state = rollup_state(session, rollup_spec(targets))
    if not state.recomputing:
        return statuses
    out = []
    for s in statuses:
        if s.target.definition.calls:
            t = s.target.threshold_seconds
            if t is not None and not state.has_threshold(t):
                empty = CallCounts()
                details = {**s.details, "reason": "recomputing"}
                value = call_kpi(s.target, empty)
                s = Status(s.target, s.scope, s.window, value, "no_data", empty, details, True)
            else:
                s = dataclasses.replace(s, recomputing=True)
        out.append(s)
    return out


def _evaluate_plain(
    engine: Engine,
    targets: Targets,
    windows_for: dict[str, list[Window]],
    *,
    now: datetime,
) -> list[Status]:
    """Statuses of every target for the windows listed under its id, as the targets are now."""
    chosen = [t for t in targets.targets if windows_for.get(t.id)]
    all_windows = [w for t in chosen for w in windows_for[t.id]]
    if not all_windows:
        return []
    statuses: list[Status] = []
    call_targets = [t for t in chosen if t.definition.calls]
    with Session(engine) as session:
        if call_targets:
            queues = queries.known_queues(session)
            frames: dict[bool, CallFrame | None] = {}
            for by_day in (True, False):
                chosen_here = [t for t in call_targets if (t.window in DAY_WINDOWS) == by_day]
                windows = [w for t in chosen_here for w in windows_for[t.id]]
                if windows:
                    start = min(w.start for w in windows)
                    end = max(w.end for w in windows)
                    read = day_frame if by_day else interval_frame
                    frames[by_day] = read(session, targets, start, end)
            for target in call_targets:
                frame = frames[target.window in DAY_WINDOWS]
                statuses.extend(
                    call_statuses(targets, target, frame, windows_for[target.id], queues)
                )
        for target in chosen:
            if not target.definition.calls:
                statuses.extend(
                    fact_status(session, target, w, now) for w in windows_for[target.id]
                )
        statuses = mark_stale(session, targets, statuses, now)
        if call_targets:
            statuses = _mark_recomputing(session, targets, statuses)
    return _in_order(targets, statuses, windows_for)


def _in_order(
    targets: Targets, statuses: list[Status], windows_for: dict[str, list[Window]]
) -> list[Status]:
    """Statuses by target (file order), window start, then ``*`` before queues, queue name.

    Each target's statuses come out of the evaluation window by window, scopes sorted, for the
    windows as listed: only a target whose windows were not listed strictly in order needs a
    sort (a sort key per status cost more than the rest of a year's bookkeeping).
    """
    by_target: dict[str, list[Status]] = {}
    for status in statuses:
        by_target.setdefault(status.target.id, []).append(status)
    out: list[Status] = []
    for target in targets.targets:
        found = by_target.get(target.id, [])
        windows = windows_for.get(target.id, [])
        if any(a.start >= b.start for a, b in itertools.pairwise(windows)):
            found.sort(key=lambda s: (s.window.start, s.scope != ALL, s.scope))
        out += found
    return out


def evaluate_windows(
    engine: Engine,
    targets: Targets,
    windows_for: dict[str, list[Window]],
    *,
    now: datetime | None = None,
    history: History | None = None,
) -> list[Status]:
    """Statuses of every target for the windows listed under its id.

    Each window is judged by the target version in force on its first local day (edits made on
    the dashboard take effect from a date; see :mod:`servicelevel.config.history`), so the
    wallboard, ``status`` and the email agree about the past too. ``history`` may be passed by a
    caller that caches it; otherwise it is read from the audit table.
    """
    now = now or datetime.now(UTC)
    if history is None:
        history = load_history(engine)
    current: dict[str, list[Window]] = {}
    older: dict[tuple[str, str], tuple[Target, list[Window]]] = {}
    for target in targets.targets:
        for window in windows_for.get(target.id, ()):
            version = version_on(target, history, window.start_local.date())
            if version is target:
                current.setdefault(target.id, []).append(window)
            else:  # windows judged by the same older version share one evaluation
                key = (target.id, json.dumps(editable_values(version), sort_keys=True))
                older.setdefault(key, (version, []))[1].append(window)
    with _no_gc_pauses():
        statuses = _evaluate_plain(engine, targets, current, now=now) if current else []
        if not older:
            return statuses  # already in order
        for (target_id, _values), (version, windows) in older.items():
            variant = targets.model_copy(
                update={"targets": [version if t.id == target_id else t for t in targets.targets]}
            )
            statuses += _evaluate_plain(engine, variant, {target_id: windows}, now=now)
        order = {t.id: i for i, t in enumerate(targets.targets)}
        statuses.sort(key=lambda s: (order[s.target.id], s.window.start, s.scope != ALL, s.scope))
        return statuses


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """Hold the cyclic garbage collector while statuses are built.

    Why: a year of figures is a few hundred thousand small objects (statuses, values, counts,
    fractions), none of them in a reference cycle, and each allocation burst made the collector
    walk the whole heap again: it took more time than the evaluation. Re-enabled only by the
    caller that disabled it, so nested or concurrent evaluations leave it as they found it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def evaluate_at(
    engine: Engine,
    targets: Targets,
    at: datetime | None = None,
    *,
    now: datetime | None = None,
    history: History | None = None,
) -> list[Status]:
    """Every target in the window (of its own kind) that contains ``at`` (default: now)."""
    now = now or datetime.now(UTC)
    at = at or now
    tz = targets.operation.tz
    windows = {t.id: [window_containing(t.window, at, tz)] for t in targets.targets}
    return evaluate_windows(engine, targets, windows, now=now, history=history)


def evaluate_range(
    engine: Engine,
    targets: Targets,
    first: date,
    last_exclusive: date,
    *,
    now: datetime | None = None,
    target_ids: Iterable[str] | None = None,
    history: History | None = None,
) -> list[Status]:
    """Every window starting in the local days [first, last_exclusive), for each target."""
    tz = targets.operation.tz
    start, end = local_day_bounds(first, last_exclusive, tz)
    wanted = set(target_ids) if target_ids is not None else None
    windows = {
        t.id: windows_between(t.window, start, end, tz)
        for t in targets.targets
        if wanted is None or t.id in wanted
    }
    return evaluate_windows(engine, targets, windows, now=now, history=history)
