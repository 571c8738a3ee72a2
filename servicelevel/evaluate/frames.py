"""Rollup rows of a time range as arrays, summed per (window, scope) for the call KPIs.

Day, week and month windows read the day level (``rollups_day``, one row per queue, local day
and open-or-closed), 15-minute and hour windows the 15-minute level; calls outside business
hours are left out (and counted as ``out_of_hours``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from servicelevel.config import Target, Targets
from servicelevel.context import rollup_spec
from servicelevel.evaluate.status import ALL
from servicelevel.kpi.maths import CallCounts
from servicelevel.store import queries
from servicelevel.store.rollups import stored_spec
from servicelevel.timeutil import Window, local_day_bounds, window_containing


class CallFrame:
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
        self._counts: dict[tuple[Any, ...], Sums] = {}

    @classmethod
    def of_intervals(cls, frame: pd.DataFrame, targets: Targets) -> CallFrame:
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
    ) -> CallFrame:
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

    def counts(self, target: Target, windows: Sequence[Window]) -> Sums:
        """Sums per (window, scope) with any row; shared by targets alike in windows and queues."""
        key = (target.window, target.per_queue, tuple(sorted(target.queues)),
               tuple(w.start for w in windows))  # fmt: skip
        if key not in self._counts:
            self._counts[key] = self._compute(target, windows)
        return self._counts[key]

    def _compute(self, target: Target, windows: Sequence[Window]) -> Sums:
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
            sums: np.ndarray = np.bincount(
                where, weights=self.columns[column][rows], minlength=size + 1
            )
            return sums

        def int_total(column: str) -> np.ndarray:
            counts: np.ndarray = np.rint(total(column, opened, g_open)).astype(np.int64)
            return counts

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
        return Sums(
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


class Sums:
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


def interval_frame(
    session: Session, targets: Targets, start: datetime, end: datetime
) -> CallFrame | None:
    spec = stored_spec(session) or rollup_spec(targets)
    frame = queries.call_rollup_columns(session, start, end, spec.thresholds)
    return None if frame.empty else CallFrame.of_intervals(frame, targets)


def day_frame(
    session: Session, targets: Targets, start: datetime, end: datetime
) -> CallFrame | None:
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
    return CallFrame.of_days(frame, targets, day_starts)


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
