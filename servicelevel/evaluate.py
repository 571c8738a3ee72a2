"""Targets x windows -> statuses: the one place that decides ideal / met / breach / no_data / stale.

Why one module: the wallboard, ``status --json`` and the weekly email all call :func:`evaluate_at`
or :func:`evaluate_range`, so a supervisor and a manager never see two different numbers for the
same target and window. Call KPIs are sums of 15-minute rollups; intervals outside business hours
are left out (and counted as ``out_of_hours``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from servicelevel import kpis
from servicelevel.config import CALL_KPIS, Target, Targets
from servicelevel.context import rollup_spec
from servicelevel.kpis import CallCounts, KpiValue, StatusName
from servicelevel.store import queries
from servicelevel.store.rollups import ensure_rollups, stored_spec
from servicelevel.target_history import History, editable_values, load_history, version_on
from servicelevel.timeutil import (
    INTERVAL,
    Window,
    local_day_bounds,
    window_containing,
    windows_between,
)

ALL = "*"
SOURCE_KINDS = {
    "service_level": ("calls",),
    "abandon_rate": ("calls",),
    "asa": ("calls",),
    "longest_wait": ("calls",),
    "return_rate": ("orders", "returns"),
    "complaint_satisfaction": ("surveys",),
    "complainant_repurchase": ("complaints", "orders"),
}
REPURCHASE_DAYS = 90


@dataclass(frozen=True, slots=True)
class Status:
    """The status of one target, for one scope (a queue or ``*``), in one window."""

    target: Target
    scope: str
    window: Window
    kpi: KpiValue
    status: StatusName
    counts: CallCounts | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def value(self) -> float | None:
        return self.kpi.value

    def as_json(self) -> dict[str, Any]:
        """The ``status --json`` object: exactly the documented keys, value unrounded."""
        return {
            "target": self.target.id,
            "kpi": self.target.kpi,
            "scope": self.scope,
            "window_start": self.window.start_local.isoformat(),
            "window_end": self.window.end_local.isoformat(),
            "value": self.kpi.value,
            "minimum": self.target.minimum,
            "ideal": self.target.ideal,
            "volume": self.kpi.volume,
            "status": self.status,
        }

    def breakdown(self) -> dict[str, Any]:
        """The counts behind the value (shown one click away on the dashboard)."""
        out: dict[str, Any] = {
            "numerator": self.kpi.numerator,
            "denominator": self.kpi.denominator,
        }
        if self.counts is not None:
            c = self.counts
            out.update(
                offered=c.offered,
                answered=c.answered,
                abandoned=c.abandoned,
                short_abandoned=c.short_abandoned,
                unanswered_other=c.unanswered_other,
                out_of_hours=c.out_of_hours,
            )
            if self.target.threshold_seconds is not None:
                t = float(self.target.threshold_seconds)
                out["answered_within_t"] = c.answered_within.get(t, 0)
                out["abandoned_within_t"] = c.abandoned_within.get(t, 0)
        out.update(self.details)
        return out


class _CallFrame:
    """Rollup rows of a time range, with what every target needs computed once.

    Why: a year for 50 queues is a million rows or more and many targets share their windows,
    so per-interval facts (open or closed, which window) are computed once per distinct
    interval and sums are taken column-wise (numpy), never group by group.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        tz: Any,
        codes: np.ndarray,
        starts: list[datetime],
        open_rows: np.ndarray,
        local_day_codes: np.ndarray,
    ) -> None:
        """``codes`` numbers each row's time unit (an interval or a local day), ``starts`` gives
        a UTC moment inside each unit and ``local_day_codes`` the local day of each unit."""
        self.frame = frame
        self.tz = tz
        self.codes = codes
        self.starts = starts
        self.open = open_rows
        self.local_day_codes = local_day_codes
        queue_codes, queue_names = pd.factorize(frame["queue"])
        self.queue_codes = queue_codes
        self.queue_names = list(queue_names)
        self.columns = {c: frame[c].to_numpy() for c in frame.columns if c in _NUMERIC}
        self.within = sorted(
            {float(c.split(":", 1)[1]) for c in frame.columns if c.startswith(("aw:", "bw:"))}
        )
        for c in frame.columns:
            if c.startswith(("aw:", "bw:")):
                self.columns[c] = frame[c].to_numpy()
        self._window_starts: dict[str, list[datetime]] = {}
        self._counts: dict[tuple[Any, ...], dict[tuple[datetime, str], CallCounts]] = {}

    @classmethod
    def of_intervals(cls, frame: pd.DataFrame, targets: Targets) -> _CallFrame:
        """One row per (queue, 15-minute interval), as :func:`queries.call_rollup_columns`."""
        tz = targets.operation.tz
        codes, uniques = pd.factorize(frame["interval_start"], sort=True)
        starts: list[datetime] = [t.to_pydatetime() for t in uniques]
        opened = np.asarray([targets.is_open(s.astimezone(tz)) for s in starts], dtype=bool)
        local = pd.DatetimeIndex(uniques).tz_convert(tz)
        day_codes, _ = pd.factorize(local.date)
        return cls(frame, tz, codes, starts, opened[codes], day_codes)

    @classmethod
    def of_days(
        cls, frame: pd.DataFrame, targets: Targets, day_starts: list[datetime]
    ) -> _CallFrame:
        """One row per (queue, local day, open), as :func:`queries.call_day_sums`."""
        codes = frame["day"].to_numpy(dtype=np.int64)
        opened = frame["open"].to_numpy().astype(bool)
        days = np.arange(len(day_starts))
        return cls(frame, targets.operation.tz, codes, day_starts, opened, days)

    def window_starts(self, kind: str) -> list[datetime]:
        """Start of the window of ``kind`` holding each distinct interval."""
        if kind not in self._window_starts:
            if kind in ("day", "week", "month"):
                # The window depends only on the local date: one look-up per date.
                first_of: dict[int, datetime] = {}
                for i, day_code in enumerate(self.local_day_codes):
                    first_of.setdefault(int(day_code), self.starts[i])
                per_day = {
                    code: window_containing(kind, moment, self.tz).start
                    for code, moment in first_of.items()
                }
                found = [per_day[int(c)] for c in self.local_day_codes]
            else:
                found = [window_containing(kind, s, self.tz).start for s in self.starts]
            self._window_starts[kind] = found
        return self._window_starts[kind]

    def counts(
        self, target: Target, windows: Sequence[Window]
    ) -> dict[tuple[datetime, str], CallCounts]:
        """CallCounts per (window start, scope) with any row; shared by alike targets."""
        key = (target.window, target.per_queue, tuple(sorted(target.queues)),
               tuple(w.start for w in windows))  # fmt: skip
        if key not in self._counts:
            self._counts[key] = self._compute(target, windows)
        return self._counts[key]

    def _compute(
        self, target: Target, windows: Sequence[Window]
    ) -> dict[tuple[datetime, str], CallCounts]:
        index = {w.start: i for i, w in enumerate(windows)}
        per_interval = np.asarray(
            [index.get(s, -1) for s in self.window_starts(target.window)], dtype=np.int64
        )
        window_of = per_interval[self.codes]
        keep = window_of >= 0
        if ALL not in target.queues:
            wanted = [i for i, q in enumerate(self.queue_names) if q in set(target.queues)]
            keep &= np.isin(self.queue_codes, wanted)
        if target.per_queue:
            scopes = len(self.queue_names)
            group = window_of * scopes + self.queue_codes
            scope_names = self.queue_names
        else:
            scopes = 1
            group = window_of
            scope_names = [ALL]
        size = len(windows) * scopes
        opened = keep & self.open
        closed = keep & ~self.open
        g_open, g_closed = group[opened], group[closed]

        def total(column: str, rows: np.ndarray, where: np.ndarray) -> np.ndarray:
            return np.bincount(where, weights=self.columns[column][rows], minlength=size)

        def int_total(column: str) -> list[int]:
            return [int(v) for v in np.rint(total(column, opened, g_open))]

        sums = {c: int_total(c) for c in _INT_SUMS}
        wait_sum = total("wait_sum_answered", opened, g_open).tolist()
        within = {c: int_total(c) for c in self.columns if c.startswith(("aw:", "bw:"))}
        waits = self.columns["max_wait"][opened].astype(float)
        max_wait = np.full(size, -np.inf)
        has_wait = ~np.isnan(waits)
        np.maximum.at(max_wait, g_open[has_wait], waits[has_wait])
        out_of_hours = np.rint(
            total("offered", closed, g_closed) + total("short_abandoned", closed, g_closed)
        )
        present = np.zeros(size, dtype=bool)
        present[g_open] = True
        present[g_closed] = True
        thresholds = self.within
        out: dict[tuple[datetime, str], CallCounts] = {}
        for g in np.flatnonzero(present).tolist():
            w, scope = divmod(g, scopes)
            top = max_wait[g]
            out[(windows[w].start, scope_names[scope])] = CallCounts(
                offered=sums["offered"][g],
                answered=sums["answered"][g],
                abandoned=sums["abandoned"][g],
                short_abandoned=sums["short_abandoned"][g],
                unanswered_other=sums["unanswered_other"][g],
                wait_sum_answered=float(wait_sum[g]),
                max_wait=None if top == -np.inf else float(top),
                answered_within={t: within[f"aw:{t}"][g] for t in thresholds
                                 if f"aw:{t}" in within},
                abandoned_within={t: within[f"bw:{t}"][g] for t in thresholds
                                  if f"bw:{t}" in within},
                out_of_hours=int(out_of_hours[g]),
            )  # fmt: skip
        return out


DAY_WINDOWS = ("day", "week", "month")  # unions of whole local days
_INT_SUMS = ("offered", "answered", "abandoned", "short_abandoned", "unanswered_other")
_NUMERIC = (*_INT_SUMS, "wait_sum_answered", "max_wait")


def _call_frame(
    session: Session, targets: Targets, start: datetime, end: datetime
) -> _CallFrame | None:
    spec = stored_spec(session) or rollup_spec(targets)
    frame = queries.call_rollup_columns(session, start, end, spec.thresholds)
    return None if frame.empty else _CallFrame.of_intervals(frame, targets)


def _day_frame(
    session: Session, targets: Targets, start: datetime, end: datetime
) -> _CallFrame | None:
    """Rollups summed per local day in the database: for day, week and month windows."""
    tz = targets.operation.tz
    intervals: list[tuple[datetime, int, bool]] = []
    day_codes: dict[date, int] = {}
    day_starts: list[datetime] = []
    moment = start
    while moment < end:
        local = moment.astimezone(tz)
        day = local.date()
        code = day_codes.get(day)
        if code is None:
            code = day_codes[day] = len(day_starts)
            day_starts.append(moment)
        intervals.append((moment, code, targets.is_open(local)))
        moment += INTERVAL
    if not intervals:
        return None
    spec = stored_spec(session) or rollup_spec(targets)
    frame = queries.call_day_sums(session, start, end, intervals, spec.thresholds)
    if frame.empty:
        return None
    for threshold in spec.thresholds:
        names = (f"aw:{float(threshold)}", f"bw:{float(threshold)}")
        found = frame.pop(f"rows:{float(threshold)}")
        if int(found.sum()) == 0:  # as with the interval rows: no column without a row
            frame = frame.drop(columns=list(names))
        else:
            for name in names:
                frame[name] = frame[name].fillna(0).astype("int64")
    return _CallFrame.of_days(frame, targets, day_starts)


def counts_from_rollups(group: pd.DataFrame, closed: pd.DataFrame | None = None) -> CallCounts:
    """Add up rollup rows (as from ``queries.call_rollups``); ``closed`` rows are out of hours."""
    answered_within = {
        float(c.split(":", 1)[1]): int(group[c].sum()) for c in group.columns if c.startswith("aw:")
    }
    abandoned_within = {
        float(c.split(":", 1)[1]): int(group[c].sum()) for c in group.columns if c.startswith("bw:")
    }
    max_wait = group["max_wait"].max() if len(group) else None
    out_of_hours = 0
    if closed is not None and len(closed):
        out_of_hours = int(closed["offered"].sum() + closed["short_abandoned"].sum())
    return CallCounts(
        offered=int(group["offered"].sum()),
        answered=int(group["answered"].sum()),
        abandoned=int(group["abandoned"].sum()),
        short_abandoned=int(group["short_abandoned"].sum()),
        unanswered_other=int(group["unanswered_other"].sum()),
        wait_sum_answered=float(group["wait_sum_answered"].sum()),
        max_wait=None if max_wait is None or pd.isna(max_wait) else float(max_wait),
        answered_within=answered_within,
        abandoned_within=abandoned_within,
        out_of_hours=out_of_hours,
    )


def call_kpi(target: Target, counts: CallCounts) -> KpiValue:
    if target.kpi == "service_level":
        assert target.threshold_seconds is not None
        return kpis.service_level(counts, target.threshold_seconds, target.abandons)
    if target.kpi == "abandon_rate":
        return kpis.abandon_rate(counts)
    if target.kpi == "asa":
        return kpis.average_speed_of_answer(counts)
    if target.kpi == "longest_wait":
        return kpis.longest_wait(counts)
    raise ValueError(f"{target.kpi} is not a call KPI")


def _scopes(target: Target, queues: Sequence[str]) -> list[str]:
    wanted = list(queues) if ALL in target.queues else [q for q in target.queues]
    return sorted(set(wanted)) if target.per_queue else [ALL]


def _status(target: Target, value: KpiValue) -> StatusName:
    return kpis.status_of(
        value,
        minimum=target.minimum,
        ideal=target.ideal,
        higher_is_better=target.higher_is_better,
        min_volume=target.min_volume,
    )


def _call_statuses(
    targets: Targets,
    target: Target,
    frame: _CallFrame | None,
    windows: Sequence[Window],
    queues: Sequence[str],
) -> list[Status]:
    counts = frame.counts(target, windows) if frame is not None else {}
    scopes = _scopes(target, queues)
    empty = CallCounts()
    out: list[Status] = []
    for window in windows:
        for scope in scopes:
            found = counts.get((window.start, scope), empty)
            value = call_kpi(target, found)
            out.append(Status(target, scope, window, value, _status(target, value), found))
    return out


def _fact_status(session: Session, target: Target, window: Window, now: datetime) -> Status:
    details: dict[str, Any] = {}
    if target.kpi == "return_rate":
        returned = queries.units_returned(session, window.start, window.end)
        sold = queries.units_sold(session, window.start, window.end)
        value = kpis.return_rate(returned, sold)
        details = {"units_returned": returned, "units_sold": sold}
    elif target.kpi == "complaint_satisfaction":
        satisfied, respondents = queries.survey_counts(session, window.start, window.end)
        value = kpis.complaint_satisfaction(satisfied, respondents)
        details = {"satisfied": satisfied, "respondents": respondents}
    elif target.kpi == "complainant_repurchase":
        buyers, resolved = queries.repurchase_counts(
            session, window.start, window.end, days=REPURCHASE_DAYS
        )
        value = kpis.complainant_repurchase(buyers, resolved)
        # Customers resolved late in the window have not had their 90 days yet, so the value
        # can still rise: a shortfall is not a breach until the follow-up period is over
        # (while "met" or "ideal" can only stay true).
        final_on = window.end + timedelta(days=REPURCHASE_DAYS)
        details = {
            "repurchasers": buyers,
            "resolved": resolved,
            "provisional": final_on > now,
            "final_on": final_on.astimezone(window.tz).date().isoformat(),
        }
        status = _status(target, value)
        if status == "breach" and final_on > now:
            status = "no_data"
        return Status(target, ALL, window, value, status, None, details)
    else:
        raise ValueError(f"{target.kpi} is not a fact KPI")
    return Status(target, ALL, window, value, _status(target, value), None, details)


def _mark_stale(
    session: Session, targets: Targets, statuses: list[Status], now: datetime
) -> list[Status]:
    """A target whose source went silent is "stale" in the window that holds ``now``."""
    limit = now - timedelta(minutes=targets.operation.stale_after_minutes)
    freshness: dict[tuple[str, ...], datetime | bool | None] = {}
    out = []
    for status in statuses:
        kinds = SOURCE_KINDS[status.target.kpi]
        if kinds not in freshness:
            freshness[kinds] = queries.last_ok(session, kinds)
        seen = freshness[kinds]
        current = status.window.start <= now < status.window.end
        silent = seen is not False and (seen is None or seen < limit)  # type: ignore[operator]
        if current and silent:
            details = {**status.details, "last_data_at": seen or None}
            status = Status(status.target, status.scope, status.window, status.kpi, "stale",
                            status.counts, details)  # fmt: skip
        out.append(status)
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
    call_targets = [t for t in chosen if t.kpi in CALL_KPIS]
    if call_targets:
        # Rollups built for another definition (a new threshold, another short-abandon limit)
        # would give wrong numbers: rebuild first. A cheap metadata read when nothing changed.
        ensure_rollups(engine, rollup_spec(targets))
    with Session(engine) as session:
        if call_targets:
            queues = queries.known_queues(session)
            frames: dict[bool, _CallFrame | None] = {}
            for by_day in (True, False):
                chosen_here = [t for t in call_targets if (t.window in DAY_WINDOWS) == by_day]
                windows = [w for t in chosen_here for w in windows_for[t.id]]
                if windows:
                    start = min(w.start for w in windows)
                    end = max(w.end for w in windows)
                    read = _day_frame if by_day else _call_frame
                    frames[by_day] = read(session, targets, start, end)
            for target in call_targets:
                frame = frames[target.window in DAY_WINDOWS]
                statuses.extend(
                    _call_statuses(targets, target, frame, windows_for[target.id], queues)
                )
        for target in chosen:
            if target.kpi not in CALL_KPIS:
                statuses.extend(
                    _fact_status(session, target, w, now) for w in windows_for[target.id]
                )
        statuses = _mark_stale(session, targets, statuses, now)
    order = {t.id: i for i, t in enumerate(targets.targets)}
    statuses.sort(key=lambda s: (order[s.target.id], s.window.start, s.scope != ALL, s.scope))
    return statuses


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
    the dashboard take effect from a date; see :mod:`servicelevel.target_history`), so the
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
    statuses = _evaluate_plain(engine, targets, current, now=now) if current else []
    for (target_id, _values), (version, windows) in older.items():
        variant = targets.model_copy(
            update={"targets": [version if t.id == target_id else t for t in targets.targets]}
        )
        statuses += _evaluate_plain(engine, variant, {target_id: windows}, now=now)
    order = {t.id: i for i, t in enumerate(targets.targets)}
    statuses.sort(key=lambda s: (order[s.target.id], s.window.start, s.scope != ALL, s.scope))
    return statuses


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
