"""Targets x windows -> statuses: the one place that decides ideal / met / breach / no_data / stale.

Why one module: the wallboard, ``status --json`` and the weekly email all call :func:`evaluate_at`
or :func:`evaluate_range`, so a supervisor and a manager never see two different numbers for the
same target and window. Call KPIs are sums of rollups: day, week and month windows read the day
level (``rollups_day``, one row per queue, local day and open-or-closed), 15-minute and hour
windows the 15-minute level; calls outside business hours are left out (and counted as
``out_of_hours``). Values and statuses of many figures are computed as arrays, with the same
exact arithmetic as :mod:`servicelevel.kpi.maths`.
"""

from __future__ import annotations

import gc
import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from servicelevel.config import CALL_KPIS, Target, Targets
from servicelevel.config.history import History, editable_values, load_history, version_on
from servicelevel.context import rollup_spec
from servicelevel.kpi import maths as kpis
from servicelevel.kpi.maths import CallCounts, KpiValue, StatusName
from servicelevel.store import queries
from servicelevel.store.rollups import ensure_rollups, stored_spec
from servicelevel.timeutil import (
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

    def counts(self, target: Target, windows: Sequence[Window]) -> _Sums:
        """Sums per (window, scope) with any row; shared by targets alike in windows and queues."""
        key = (target.window, target.per_queue, tuple(sorted(target.queues)),
               tuple(w.start for w in windows))  # fmt: skip
        if key not in self._counts:
            self._counts[key] = self._compute(target, windows)
        return self._counts[key]

    def _compute(self, target: Target, windows: Sequence[Window]) -> _Sums:
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
            # One slot more than the groups: the all-zero counts of a scope without rows.
            return np.bincount(where, weights=self.columns[column][rows], minlength=size + 1)

        def int_total(column: str) -> np.ndarray:
            return np.rint(total(column, opened, g_open)).astype(np.int64)

        waits = self.columns["max_wait"][opened].astype(float)
        max_wait = np.full(size + 1, -np.inf)
        has_wait = ~np.isnan(waits)
        np.maximum.at(max_wait, g_open[has_wait], waits[has_wait])
        present = np.zeros(size + 1, dtype=bool)
        present[g_open] = True
        present[g_closed] = True
        out_of_hours = np.rint(
            total("offered", closed, g_closed) + total("short_abandoned", closed, g_closed)
        ).astype(np.int64)
        return _Sums(
            windows=windows,
            scope_index={name: i for i, name in enumerate(scope_names)},
            scopes=scopes,
            ints={c: int_total(c) for c in _INT_SUMS} | {"out_of_hours": out_of_hours},
            wait_sum=total("wait_sum_answered", opened, g_open),
            max_wait=max_wait,
            within={
                (c[:2], float(c[3:])): int_total(c)
                for c in self.columns
                if c.startswith(("aw:", "bw:"))
            },
            present=present,
        )


class _Sums:
    """Call counts of every (window, scope) of one target shape, as arrays.

    Why arrays: a year of per-queue day windows is tens of thousands of figures, and computing
    each value and status one figure at a time (Fractions, dict look-ups) cost several times the
    database read. Group ``g = window * scopes + scope``; the extra last slot holds zeros, for a
    scope with no row. :class:`CallCounts` objects are made once per group and shared by every
    target of this shape.
    """

    def __init__(
        self,
        *,
        windows: Sequence[Window],
        scope_index: dict[str, int],
        scopes: int,
        ints: dict[str, np.ndarray],
        wait_sum: np.ndarray,
        max_wait: np.ndarray,
        within: dict[tuple[str, float], np.ndarray],
        present: np.ndarray,
    ) -> None:
        self.windows = windows
        self.scope_index = scope_index
        self.scopes = scopes
        self.ints = ints
        self.wait_sum = wait_sum
        self.max_wait = max_wait
        self.within = within
        self.present = present
        self.empty_slot = len(present) - 1
        self._call_counts: list[CallCounts] | None = None

    def groups(self, scopes: Sequence[str]) -> np.ndarray:
        """Group of each (window, scope) figure, windows outer; the empty slot when no row."""
        local = np.asarray([self.scope_index.get(s, -1) for s in scopes], dtype=np.int64)
        windows = np.arange(len(self.windows), dtype=np.int64)[:, None]
        groups = (windows * self.scopes + local[None, :]).ravel()
        groups[np.repeat(local[None, :] < 0, len(self.windows), axis=0).ravel()] = self.empty_slot
        groups[~self.present[groups]] = self.empty_slot
        return groups

    def within_of(self, kind: str, threshold: float) -> np.ndarray:
        found = self.within.get((kind, float(threshold)))
        return found if found is not None else np.zeros(len(self.present), dtype=np.int64)

    def call_counts(self) -> list[CallCounts]:
        """One CallCounts per group (the empty slot: ``CallCounts()``), built on first use."""
        if self._call_counts is None:
            ints = {c: a.tolist() for c, a in self.ints.items()}
            wait_sum = self.wait_sum.tolist()
            max_wait = self.max_wait.tolist()
            answered = [(t, a.tolist()) for (k, t), a in sorted(self.within.items()) if k == "aw"]
            abandoned = [(t, a.tolist()) for (k, t), a in sorted(self.within.items()) if k == "bw"]
            empty = CallCounts()
            out = [empty] * len(self.present)
            offered, answered_n, abandoned_n = ints["offered"], ints["answered"], ints["abandoned"]
            short, other, closed = (
                ints["short_abandoned"], ints["unanswered_other"], ints["out_of_hours"]
            )  # fmt: skip
            for g in np.flatnonzero(self.present[:-1]).tolist():
                top = max_wait[g]
                out[g] = CallCounts(
                    offered[g], answered_n[g], abandoned_n[g], short[g], other[g], wait_sum[g],
                    None if top == -np.inf else top,
                    {t: a[g] for t, a in answered}, {t: a[g] for t, a in abandoned}, closed[g],
                )  # fmt: skip
            self._call_counts = out
        return self._call_counts


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
    """The stored day rows of [start, end) (local midnights): for day, week and month windows.

    Why the day level: it holds each day's sums already, kept exact by every import (a late
    call updates its day) and regrouped when the calendar changes, so a year is queues x 366 x 2
    rows instead of a million quarter hours. Today's row is as current as the 15-minute rows.
    """
    tz = targets.operation.tz
    first = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    if last <= first:
        return None
    spec = stored_spec(session) or rollup_spec(targets)
    frame = queries.call_day_rows(session, first, last, spec.thresholds)
    if frame.empty:
        return None
    days = [first + timedelta(days=n) for n in range((last - first).days)]
    day_starts = [local_day_bounds(d, d, tz)[0] for d in days]
    origin = first.toordinal()
    frame["day"] = np.asarray([d.toordinal() - origin for d in frame["day"].to_numpy()])
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
    """Statuses of a call target, windows outer and scopes inner (``*`` or sorted queues)."""
    scopes = _scopes(target, queues)
    if frame is None or not windows or not scopes:
        empty = CallCounts()
        value = call_kpi(target, empty)
        status = _status(target, value)
        return [
            Status(target, scope, window, value, status, empty)
            for window in windows
            for scope in scopes
        ]
    sums = frame.counts(target, windows)
    groups = sums.groups(scopes)
    kpi_values, statuses = _call_kpis(target, sums, groups)
    all_counts = sums.call_counts()
    group_list = groups.tolist()
    out: list[Status] = []
    i = 0
    for window in windows:
        for scope in scopes:
            out.append(
                Status(target, scope, window, kpi_values[i], statuses[i], all_counts[group_list[i]])
            )
            i += 1
    return out


_STATUS_NAMES: tuple[StatusName, ...] = ("no_data", "breach", "met", "ideal")
_SAFE = 2**62  # products below this fit int64


def _call_kpis(
    target: Target, sums: _Sums, groups: np.ndarray
) -> tuple[list[KpiValue], list[StatusName]]:
    """KPI values and statuses of many figures at once, equal to ``call_kpi`` + ``_status``.

    Values are the same correctly rounded divisions as :mod:`servicelevel.kpi.maths` (integers below
    2**53 convert exactly, so ``100 * n / d`` in float64 is Python's ``100 * n / d``). Statuses
    are exact too: ``N / D >= p / q`` is tested as ``N * q >= p * D`` in int64 when every product
    fits, and figure by figure with :func:`kpis.status_of` otherwise (a non-integral wait, a
    minimum with many decimals).
    """
    ints = {c: a[groups] for c, a in sums.ints.items()}
    offered = ints["offered"]
    kind = target.kpi
    if kind in ("service_level", "abandon_rate"):
        if kind == "abandon_rate":
            num, den = ints["abandoned"], offered
        else:
            t = target.threshold_seconds
            assert t is not None
            num = sums.within_of("aw", t)[groups]
            den = offered
            if target.abandons == "ignore":
                den = offered - ints["abandoned"]
            elif target.abandons == "success_within_t":
                num = num + sums.within_of("bw", t)[groups]
            elif target.abandons != "miss":
                raise ValueError(f"unknown abandons mode {target.abandons!r}")
        return _percent_kpis(target, num, den)
    if kind == "asa":
        return _ratio_kpis(target, sums.wait_sum[groups], ints["answered"])
    if kind == "longest_wait":
        return _longest_kpis(target, sums.max_wait[groups], offered)
    raise ValueError(f"{kind} is not a call KPI")


def _classify(
    target: Target, top: np.ndarray, bottom: np.ndarray, exact_ok: np.ndarray
) -> np.ndarray:
    """Status codes (index into ``_STATUS_NAMES``) of values ``top / bottom`` (bottom > 0);
    -1 where ``exact_ok`` is False or the products could overflow (decided by the caller)."""
    low = kpis._to_fraction(target.minimum)
    high = kpis._to_fraction(target.ideal)
    codes = np.full(len(top), -1, dtype=np.int64)
    if not exact_ok.any():
        return codes
    biggest_top = int(np.abs(top[exact_ok]).max(initial=0))
    biggest_bottom = int(np.abs(bottom[exact_ok]).max(initial=0))
    for bound in (low, high):
        if (
            bound.denominator >= _SAFE
            or abs(bound.numerator) >= _SAFE
            or biggest_top * bound.denominator >= _SAFE
            or abs(bound.numerator) * biggest_bottom >= _SAFE
        ):
            return codes
    t, b = top[exact_ok], bottom[exact_ok]

    def at_least(bound: Any) -> np.ndarray:  # value >= bound
        return t * bound.denominator >= bound.numerator * b

    def at_most(bound: Any) -> np.ndarray:  # value <= bound
        return t * bound.denominator <= bound.numerator * b

    better = at_least if target.higher_is_better else at_most
    codes[exact_ok] = np.where(better(high), 3, np.where(better(low), 2, 1))
    return codes


def _statuses(
    target: Target, values: list[KpiValue], codes: np.ndarray, no_data: np.ndarray
) -> list[StatusName]:
    codes = np.where(no_data, 0, codes)
    names = _STATUS_NAMES
    return [
        names[c] if c >= 0 else _status(target, value)
        for c, value in zip(codes.tolist(), values, strict=True)
    ]


def _percent_kpis(
    target: Target, num: np.ndarray, den: np.ndarray
) -> tuple[list[KpiValue], list[StatusName]]:
    """As :func:`kpis.percent` for each (num, den)."""
    filled = den > 0
    safe_den = np.where(filled, den, 1)
    value = (100 * num).astype(np.float64) / safe_den.astype(np.float64)
    exact_floats = bool(
        (np.abs(num).max(initial=0) * 100 < 2**53) and (np.abs(den).max(initial=0) < 2**53)
    )
    values: list[KpiValue] = []
    # Equal counts give equal (immutable) values: one object each, fewer for the GC to walk.
    made: dict[tuple[int, int], KpiValue] = {}
    nums, dens, floats = num.tolist(), den.tolist(), value.tolist()
    for n, d, f in zip(nums, dens, floats, strict=True):
        found = made.get((n, d))
        if found is None:
            if d <= 0:
                found = KpiValue(None, None, n, d, max(d, 0))
            else:
                exact = Fraction(100 * n, d)
                found = KpiValue(f if exact_floats else 100 * n / d, exact, n, d, d)
            made[(n, d)] = found
        values.append(found)
    codes = _classify(target, 100 * num, safe_den, filled)
    return values, _statuses(target, values, codes, ~filled | (den < target.min_volume))


def _ratio_kpis(
    target: Target, wait_sum: np.ndarray, answered: np.ndarray
) -> tuple[list[KpiValue], list[StatusName]]:
    """As :func:`kpis.average_speed_of_answer` for each (wait sum, answered)."""
    filled = answered > 0
    safe = np.where(filled, answered, 1)
    value = wait_sum / safe
    integral = filled & (wait_sum == np.floor(wait_sum)) & (np.abs(wait_sum) < 2**53)
    values: list[KpiValue] = []
    made: dict[tuple[float, int], KpiValue] = {}  # as in _percent_kpis
    for w, a, f, whole in zip(
        wait_sum.tolist(), answered.tolist(), value.tolist(), integral.tolist(), strict=True
    ):
        found = made.get((w, a))
        if found is None:
            if a <= 0:
                found = KpiValue(None, None, w, 0, 0)
            else:
                # Fraction(str(w)) is w itself for an integral float: skip the string round trip.
                exact = Fraction(int(w), a) if whole else kpis._to_fraction(w) / a
                found = KpiValue(f, exact, w, a, a)
            made[(w, a)] = found
        values.append(found)
    top = np.where(integral, wait_sum, 0).astype(np.int64)
    codes = _classify(target, top, safe, integral)
    return values, _statuses(target, values, codes, ~filled | (answered < target.min_volume))


def _longest_kpis(
    target: Target, max_wait: np.ndarray, offered: np.ndarray
) -> tuple[list[KpiValue], list[StatusName]]:
    """As :func:`kpis.longest_wait` for each (max wait, offered); -inf is "no wait"."""
    filled = (offered > 0) & (max_wait != -np.inf)
    finite = np.where(filled, max_wait, 0.0)
    integral = filled & (finite == np.floor(finite)) & (np.abs(finite) < 2**53)
    values: list[KpiValue] = []
    made: dict[tuple[float, int, bool], KpiValue] = {}  # as in _percent_kpis
    for m, o, ok, whole in zip(
        finite.tolist(), offered.tolist(), filled.tolist(), integral.tolist(), strict=True
    ):
        found = made.get((m, o, ok))
        if found is None:
            if not ok:
                found = KpiValue(None, None, 0, o, max(o, 0))
            else:
                exact = Fraction(int(m)) if whole else kpis._to_fraction(m)
                found = KpiValue(m, exact, m, 1, o)
            made[(m, o, ok)] = found
        values.append(found)
    top = np.where(integral, finite, 0).astype(np.int64)
    codes = _classify(target, top, np.ones(len(top), dtype=np.int64), integral)
    return values, _statuses(target, values, codes, ~filled | (offered < target.min_volume))


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
