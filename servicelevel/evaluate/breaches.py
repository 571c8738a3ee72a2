"""Breaches: the one model of "how long, how deep and for how many customers" a target failed.

Why one model: the weekly email, the Breaches page, the alerts and ``servicelevel status
--breaches`` used to merge breached windows each in their own way (one counted open hours, one
wall-clock time), so a manager and a supervisor read two durations for the same afternoon. They
all call :func:`breaches_of` (or :func:`find_breaches`, which evaluates first) now.

The definition:

* A **breach** is a run of breached windows (status ``breach``: worse than the minimum) of one
  target and one scope (a queue, or ``*`` for all queues together), each window judged by the
  target version in force for it (see :mod:`servicelevel.config.history`).
* Runs are made over the target's *evaluated windows* in time order. A window that meets the
  minimum (``met`` or ``ideal``) ends the run. A window that is not judged (``no_data``: no
  contacts, fewer than ``min_volume``, closed hours; ``stale``) neither ends nor extends it:
  a quarter hour below the minimum at 17:45 and the next judged one, below too, at 08:00 the
  next morning are one breach, and the closed night between is not part of its durations.
* ``start`` is the start of its first breached window and ``end`` the end of its last (UTC;
  readers show them in the operation's zone). It is ``ongoing`` while that last window has not
  ended.
* ``wall_time`` is the clock time of its breached windows, and ``open_time`` the part of it
  inside business hours (all of it without ``[business_hours]``); both stop at ``now``. A gap
  of unjudged windows counts in neither, so ``end - start`` can be longer than ``wall_time``.
* ``depth`` is the worst window's distance to *its* minimum (points or seconds on the bad
  side); ``minimum`` is that window's minimum.
* ``customers_affected`` adds up :func:`customers_affected` over the breached windows.

Every count is computed with exact fractions, so 29 of 100 calls against a 29 % minimum is no
breach and needs no customer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import Engine

from servicelevel.config import Targets
from servicelevel.config.history import History
from servicelevel.evaluate.status import ALL, Status
from servicelevel.evaluate.windows import evaluate_windows
from servicelevel.kpi.maths import distance_to_minimum
from servicelevel.timeutil import INTERVAL, local_day_bounds, windows_between

# Statuses that say nothing about the minimum: they neither end a run nor belong to it.
UNJUDGED = frozenset({"no_data", "stale"})

CUSTOMERS_NOTE = (
    "Customers affected, per window below the minimum: for a percentage, the extra contacts "
    "that would have needed to succeed for the window to meet its minimum (when lower is "
    "better, the contacts beyond what the minimum allows); for an average speed of answer, "
    "at least how many answered callers would have needed to wait no longer than the minimum "
    "for the average to meet it (none waited longer than the window's longest wait); for a "
    "longest wait, the one caller who waited longest. Never more than the contacts counted, "
    "added up over the breach's windows."
)


def _exact(number: float | int) -> Fraction:
    """A count or bound as an exact fraction; a float as written (80.1 is 801/10)."""
    if isinstance(number, int):
        return Fraction(number)
    as_float = float(number)
    return Fraction(int(as_float)) if as_float.is_integer() else Fraction(repr(as_float))


def contacts_counted(status: Status) -> int:
    """The contacts a window's figure counts (offered calls, answered calls, respondents...):
    what its customers affected can never exceed."""
    return max(0, int(status.kpi.volume))


def customers_affected(status: Status) -> int:
    """Contacts of one window that the minimum was not kept for (0 when it was kept).

    Percentages (``numerator / denominator x 100``, higher is better): the successes missing,
    ``ceil(minimum / 100 x denominator - numerator)``; lower is better: the contacts beyond the
    allowance, ``numerator - floor(minimum / 100 x denominator)``. A longest wait: one caller.

    An average wait: the fewest answered callers who, had each waited no longer than the
    minimum, would have brought the average to it. The window's sums do not say who waited
    how long, but no one waited longer than its longest wait, so each such caller took off at
    most ``longest - minimum`` of the waiting beyond ``minimum x answered``: at least
    ``ceil(beyond / (longest - minimum))`` of them. That is a count of callers, never more than
    the answered (each answered wait is at most the longest, so ``beyond`` is at most
    ``answered x (longest - minimum)``); the earlier "waiting beyond, in units of the minimum"
    was seconds, not callers, and exceeded the calls whenever the average was twice the minimum.
    """
    if status.status != "breach" or status.kpi.exact is None:
        return 0
    target, kpi = status.target, status.kpi
    minimum = _exact(target.minimum)
    shape = target.definition.shape
    if shape == "max":
        found = min(1, kpi.volume)
    elif shape == "mean":
        found = _callers_over_the_average(status, minimum)
    else:
        contacts = int(kpi.denominator)
        successes_or_failures = int(kpi.numerator)
        allowed = minimum / 100 * contacts
        if target.higher_is_better:
            needed = math.ceil(allowed - successes_or_failures)
            found = max(0, min(needed, contacts - successes_or_failures))
        else:
            beyond = successes_or_failures - math.floor(allowed)
            found = max(0, min(beyond, successes_or_failures))
    assert 0 <= found <= contacts_counted(status), (target.id, found, kpi)
    return found


def _callers_over_the_average(status: Status, minimum: Fraction) -> int:
    """See :func:`customers_affected`: an average above its minimum, in callers."""
    answered = int(status.kpi.denominator)
    beyond = _exact(status.kpi.numerator) - minimum * answered
    if beyond <= 0 or answered <= 0:
        return 0
    longest = status.counts.max_wait if status.counts is not None else None
    if longest is None or _exact(longest) <= minimum:
        return 1  # no longest wait known (or inconsistent sums): one caller, at least
    return min(answered, math.ceil(beyond / (_exact(longest) - minimum)))


def open_time(start: datetime, end: datetime, targets: Targets) -> timedelta:
    """How much of [start, end) the operation was open (all of it without business hours).

    Business hours are decided per 15-minute interval (as the rollups count calls); a span
    that ends inside an interval (``now``) counts that interval's part.
    """
    if end <= start:
        return timedelta()
    if targets.business_hours is None:
        return end - start
    tz = targets.operation.tz
    total = timedelta()
    moment = start
    while moment < end:
        step = min(moment + INTERVAL, end)
        if targets.is_open(moment.astimezone(tz)):
            total += step - moment
        moment = step
    return total


@dataclass(frozen=True, slots=True)
class Breach:
    """One breach (see the module docstring for what each field means)."""

    target_id: str
    scope: str
    statuses: tuple[Status, ...]  # the breached windows, oldest first
    start: datetime  # UTC
    end: datetime  # UTC: the end of the last breached window (later than now while ongoing)
    ongoing: bool
    wall_time: timedelta
    open_time: timedelta
    customers_affected: int
    worst: Status
    depth: float

    @property
    def windows(self) -> int:
        return len(self.statuses)

    @property
    def worst_value(self) -> float | None:
        return self.worst.value

    @property
    def minimum(self) -> float:
        """The minimum of the worst window (a breach may span an edit of the minimum)."""
        return self.worst.target.minimum

    @property
    def unit(self) -> str:
        return self.worst.target.unit

    @property
    def kpi(self) -> str:
        return self.worst.target.kpi

    def as_json(self) -> dict[str, Any]:
        """The ``status --breaches --json`` object: times in the operation's zone (with their
        offset, so the UTC instant is exact), durations in seconds, values unrounded."""
        tz = self.worst.window.tz
        return {
            "target": self.target_id,
            "kpi": self.kpi,
            "scope": self.scope,
            "start": self.start.astimezone(tz).isoformat(),
            "end": self.end.astimezone(tz).isoformat(),
            "ongoing": self.ongoing,
            "windows": self.windows,
            "worst_value": self.worst_value,
            "minimum": self.minimum,
            "depth": self.depth,
            "wall_seconds": self.wall_time.total_seconds(),
            "open_seconds": self.open_time.total_seconds(),
            "customers_affected": self.customers_affected,
        }


def _depth(status: Status) -> float:
    target = status.target
    return distance_to_minimum(status.kpi, target.minimum, target.higher_is_better) or 0.0


def _breach(run: list[Status], targets: Targets, now: datetime | None) -> Breach:
    start, end = run[0].window.start, run[-1].window.end

    def until(window_end: datetime) -> datetime:
        return window_end if now is None else min(window_end, now)

    spans = [(s.window.start, until(s.window.end)) for s in run]
    worst = max(run, key=_depth)  # the first of equally deep windows
    return Breach(
        target_id=run[0].target.id,
        scope=run[0].scope,
        statuses=tuple(run),
        start=start,
        end=end,
        ongoing=now is not None and end > now,
        wall_time=sum((max(b - a, timedelta()) for a, b in spans), timedelta()),
        open_time=sum((open_time(a, b, targets) for a, b in spans), timedelta()),
        customers_affected=sum(customers_affected(s) for s in run),
        worst=worst,
        depth=_depth(worst),
    )


def breaches_of(
    statuses: Iterable[Status], targets: Targets, *, now: datetime | None = None
) -> list[Breach]:
    """The breaches among evaluated windows, by start, then target (file order), then scope.

    ``statuses`` are the windows a reader evaluated (any order, several targets and scopes);
    ``now`` stops the durations of an ongoing breach (None: windows count whole).
    """
    by_key: dict[tuple[str, str], list[Status]] = {}
    for status in statuses:
        by_key.setdefault((status.target.id, status.scope), []).append(status)
    found: list[Breach] = []
    for items in by_key.values():
        run: list[Status] = []
        for status in sorted(items, key=lambda s: s.window.start):
            if status.status == "breach":
                run.append(status)
            elif status.status not in UNJUDGED and run:
                found.append(_breach(run, targets, now))
                run = []
        if run:
            found.append(_breach(run, targets, now))
    order = {t.id: i for i, t in enumerate(targets.targets)}
    found.sort(key=lambda b: (b.start, order.get(b.target_id, len(order)), b.scope != ALL, b.scope))
    return found


def find_breaches_between(
    engine: Engine,
    targets: Targets,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    target_ids: Sequence[str] | None = None,
    scopes: Sequence[str] | None = None,
    history: History | None = None,
) -> list[Breach]:
    """Evaluate each target's windows that start in [start, end) and return their breaches."""
    tz = targets.operation.tz
    wanted = set(target_ids) if target_ids else None
    windows = {
        t.id: windows_between(t.window, start, end, tz)
        for t in targets.targets
        if wanted is None or t.id in wanted
    }
    statuses = evaluate_windows(engine, targets, windows, now=now, history=history)
    if scopes:
        keep = set(scopes)
        statuses = [s for s in statuses if s.scope in keep]
    return breaches_of(statuses, targets, now=now)


def find_breaches(
    engine: Engine,
    targets: Targets,
    first: date,
    last_exclusive: date,
    *,
    now: datetime,
    target_ids: Sequence[str] | None = None,
    scopes: Sequence[str] | None = None,
    history: History | None = None,
) -> list[Breach]:
    """The breaches among the windows that start in the local days [first, last_exclusive)."""
    start, end = local_day_bounds(first, last_exclusive, targets.operation.tz)
    return find_breaches_between(
        engine, targets, start, end, now=now, target_ids=target_ids, scopes=scopes,
        history=history,
    )  # fmt: skip
