"""The weekly summary's problems: one per KPI and scope, all in one unit, customers affected.

Why a module of its own: "the three most significant problems" used to rank each target's
breaches by a number that meant something else per KPI (an average wait counted in seconds,
not callers), listed the same service-level trouble twice (its quarter-hour target and its
day target) and could leave out the one target below its minimum for the week. The rule now
(printed in the email's footnote, ``PROBLEMS_NOTE``, and in docs/reports.md):

* **One unit.** Every problem counts *customers affected* as the breach model defines them
  per window (:func:`servicelevel.evaluate.breaches.customers_affected`), and a complaint
  nature its complaints opened in the week. A count never exceeds the contacts it is a part of
  (:func:`count_once` is monotone, and each window's count is at most the window's contacts:
  asserted).
* **One problem per KPI and scope, whatever the window.** The targets measuring one KPI (a
  quarter-hour and a day service level, per queue or all queues together, and the KPI over the
  whole week) are one problem. Its scope is *all queues* as soon as one of them measures the
  queues together (a queue's callers are among them); otherwise each queue is a problem.
  Customers are counted once (:func:`count_once`): per local day and queue the largest of the
  targets' counts; per day the larger of the queues added up and the all-queues count; over
  the week the larger of the days added up and the whole week's count. Taking the larger never
  counts a caller twice (two targets may well name the same callers); it may count fewer than
  a union would, which the windows' sums cannot tell.
* **Below the minimum for the week is never missing.** Problems whose KPI was below its
  minimum over the week come first (largest first), however few customers they counted; the
  other problems fill the list up to three, by customers affected.
* **The headline** counts targets with breaches and customers once across KPIs: callers by
  :func:`count_once` over every call KPI (an abandoned caller is also one not answered in
  time), complainants once (complaint natures or the complaint KPIs, the larger), and so on
  per kind of contact. Hours are never added across targets: each target shows its own open
  hours below the minimum, the union of its breached windows, which cannot exceed the week's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from servicelevel.config import Targets
from servicelevel.evaluate import ALL, Breach, Status
from servicelevel.evaluate.breaches import (
    CUSTOMERS_NOTE,
    contacts_counted,
    customers_affected,
    open_time,
)
from servicelevel.kpi.registry import KPIS, KpiDefinition
from servicelevel.reports.text import format_duration, format_value, window_label

if TYPE_CHECKING:
    from servicelevel.reports.weekly.report import TargetWeek

TOP = 3
# Windows no longer than a day are counted per local day; the others per week.
_DAILY = frozenset({"15min", "hour", "day"})
# The headline's "counted once" is per kind of contact: KPIs of one kind may count the same
# people. The kind follows the sources a KPI reads (the registry's ``sources``), see _contact.
COMPLAINANTS = "complainants"

PROBLEMS_NOTE = (
    "Every problem is counted in customers affected, one problem per KPI and scope (all queues "
    "when one of its targets measures them together, else the queue), whatever its targets' "
    "windows. Each customer is counted once: per day and queue the largest of the targets' "
    "counts, per day the larger of the queues added up and all queues together, over the week "
    "the larger of the days added up and the whole week's count. Problems below the minimum "
    "over the week always come first, largest first; the others fill the list to three. The "
    "headline counts customers once across KPIs in the same way (an abandoned caller is also "
    "one not answered in time), and each target's hours are its own open hours with a window "
    f"below the minimum, never added across targets. {CUSTOMERS_NOTE} For complaints: the "
    "number opened in the week with that nature."
)

View = tuple[str, str]  # (target id, "own" windows or the whole "week")


def count_once(items: Iterable[tuple[View, Status]], value: Callable[[Status], int]) -> int:
    """``value`` of breached windows, each customer counted once across targets and windows.

    Per (local day, scope) the largest view's total; per day the larger of the queues' sum and
    all queues together; then the larger of the days' sum and the week-long windows'.
    Monotone in ``value``: a count of customers is never above the same count of contacts.
    """
    per_view: dict[tuple[str, str, View], int] = {}
    for view, status in items:
        window = status.window
        period = window.start_local.date().isoformat() if window.kind in _DAILY else "week"
        key = (period, status.scope, view)
        per_view[key] = per_view.get(key, 0) + value(status)
    best: dict[tuple[str, str], int] = {}  # (period, scope): the largest view
    for (period, scope, _view), n in per_view.items():
        best[(period, scope)] = max(best.get((period, scope), 0), n)
    queues: dict[str, int] = {}
    for (period, scope), n in best.items():
        if scope != ALL:
            queues[period] = queues.get(period, 0) + n
    by_period = {
        period: max(queues.get(period, 0), best.get((period, ALL), 0))
        for period in {period for period, _ in best}
    }
    days = sum(n for period, n in by_period.items() if period != "week")
    return max(days, by_period.get("week", 0))


@dataclass(frozen=True, slots=True)
class Involved:
    """One target's part in a problem: its breaches there, its own hours and count."""

    row: TargetWeek
    breaches: tuple[Breach, ...]
    open_time: timedelta  # its breached windows' union: never more than the week's hours
    customers_affected: int  # counted as if it were the only target of the problem
    below_for_week: bool

    @property
    def target_id(self) -> str:
        return self.row.target.id

    def line(self) -> str:
        row, unit = self.row, self.row.target.unit
        parts = []
        if self.below_for_week:
            parts.append(
                f"{format_value(row.week.value, unit)} over the week, below the minimum of "
                f"{format_value(row.week.target.minimum, unit)}"
            )
        if self.breaches:
            count = len(self.breaches)
            worst = max(self.breaches, key=lambda b: b.depth).worst
            where = window_label(worst.window) + (
                f", queue {worst.scope}" if worst.scope != ALL else ""
            )
            # Its minimum, unless just said (a breach may be judged by an edited minimum).
            against = (
                "" if self.below_for_week and worst.target.minimum == row.week.target.minimum
                else f" against {format_value(worst.target.minimum, unit)}"
            )  # fmt: skip
            parts.append(
                f"{count} breach{'es' if count > 1 else ''}, {format_duration(self.open_time)} "
                f"of open hours, worst {format_value(worst.value, unit)} ({where}){against}"
            )
        customers = self.customers_affected
        return (
            f"{row.target.name}: {'; '.join(parts)}; {customers:,} customer"
            f"{'s' if customers != 1 else ''} affected"
        )


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of the week (see the module docstring for how it is formed and ranked)."""

    title: str
    kind: str  # breach | complaints
    customers_affected: int
    contacts: int  # the contacts its count is a part of (counted once the same way)
    kpi: str | None = None
    scope: str = ALL
    below_for_week: bool = False
    involved: tuple[Involved, ...] = ()
    lines: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        assert 0 <= self.customers_affected <= self.contacts, (self.title, self.contacts)

    @property
    def detail(self) -> str:
        """Its lines as one text (each line is one target's part, or a nature's count)."""
        return "\n".join(self.lines)

    @property
    def target_ids(self) -> list[str]:
        return [i.target_id for i in self.involved]


@dataclass(frozen=True, slots=True)
class Affected:
    """The headline's numbers: targets with breaches, customers affected counted once."""

    targets_with_breaches: int
    customers_affected: int
    contacts: int
    by_contact: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        assert 0 <= self.customers_affected <= self.contacts, (self.customers_affected,)

    def sentence(self, targets: int) -> str:
        customers = self.customers_affected
        return (
            f"{self.targets_with_breaches} of {targets} targets had breaches; {customers:,} "
            f"customer{'s' if customers != 1 else ''} affected (each counted once)."
        )


def _items(row: TargetWeek, breaches: Iterable[Breach]) -> list[tuple[View, Status]]:
    """The breached windows a target contributes: its own, and the whole week's if below."""
    out: list[tuple[View, Status]] = [
        ((row.target.id, "own"), s) for b in breaches for s in b.statuses
    ]
    if row.week.status == "breach":
        out.append(((row.target.id, "week"), row.week))
    return out


def union_open_time(
    breaches: Iterable[Breach], targets: Targets, now: datetime | None
) -> timedelta:
    """Open hours with at least one breached window (any scope): a window counts once, so a
    target below its minimum in three queues at once shows the hours, not three times them."""
    spans = {(s.window.start, s.window.end) for b in breaches for s in b.statuses}
    total = timedelta()
    for start, end in spans:
        total += open_time(start, end if now is None else min(end, now), targets)
    return total


def rank_problems(
    rows: Sequence[TargetWeek],
    natures: Sequence[tuple[str, int]],
    targets: Targets,
    now: datetime | None = None,
) -> tuple[list[Problem], Affected]:
    """The problems to show (see the module docstring) and the headline's counts."""
    candidates = [*_kpi_problems(rows, targets, now), *_complaint_problems(natures)]
    candidates = [p for p in candidates if p.customers_affected > 0]
    candidates.sort(key=lambda p: (not p.below_for_week, -p.customers_affected, p.title))
    first = [p for p in candidates if p.below_for_week]
    rest = [p for p in candidates if not p.below_for_week]
    return first + rest[: max(0, TOP - len(first))], _affected(rows, natures)


def _kpi_problems(
    rows: Sequence[TargetWeek], targets: Targets, now: datetime | None
) -> list[Problem]:
    by_kpi: dict[str, list[TargetWeek]] = {}
    for row in rows:
        by_kpi.setdefault(row.target.kpi, []).append(row)
    problems = []
    for kpi, kpi_rows in by_kpi.items():
        items = [item for row in kpi_rows for item in _items(row, row.breaches)]
        together = any(s.scope == ALL for _, s in items)
        scopes = [ALL] if together else sorted({s.scope for _, s in items})
        for scope in scopes:
            involved = []
            for row in kpi_rows:
                mine = tuple(b for b in row.breaches if together or b.scope == scope)
                below = row.week.status == "breach"
                if not mine and not below:
                    continue
                own = _items(row, mine)
                involved.append(
                    Involved(row, mine, union_open_time(mine, targets, now),
                             count_once(own, customers_affected), below)
                )  # fmt: skip
            if not involved:
                continue
            chosen = [item for i in involved for item in _items(i.row, i.breaches)]
            definition = KPIS[kpi]
            where = "" if not definition.calls else (
                ", all queues" if scope == ALL else f", queue {scope}"
            )  # fmt: skip
            problems.append(
                Problem(
                    title=f"{definition.title}{where}",
                    kind="breach",
                    customers_affected=count_once(chosen, customers_affected),
                    contacts=count_once(chosen, contacts_counted),
                    kpi=kpi,
                    scope=scope,
                    below_for_week=any(i.below_for_week for i in involved),
                    involved=tuple(involved),
                    lines=tuple(i.line() for i in involved),
                )
            )
    return problems


def _complaint_problems(natures: Sequence[tuple[str, int]]) -> list[Problem]:
    total = sum(c for _, c in natures)
    out = []
    for nature, count in natures:
        share = f" ({100 * count / total:.0f} % of the week's complaints)" if total else ""
        out.append(
            Problem(
                title=f"Complaints: {nature[:80]}",
                kind="complaints",
                customers_affected=count,
                contacts=count,
                lines=(f"{count} complaint{'s' if count != 1 else ''} opened{share}",),
            )
        )
    return out


def _contact(definition: KpiDefinition) -> str:
    """Who a KPI's customers are: callers for a call KPI; complainants for one read from
    complaints or their surveys; otherwise the first source it reads (orders for returns)."""
    if definition.calls:
        return "calls"
    if {"complaints", "surveys"} & set(definition.sources):
        return COMPLAINANTS
    return definition.sources[0]


def _affected(rows: Sequence[TargetWeek], natures: Sequence[tuple[str, int]]) -> Affected:
    """Customers counted once across KPIs, per kind of contact (see the module docstring)."""
    by_kind: dict[str, list[tuple[View, Status]]] = {}
    for row in rows:
        by_kind.setdefault(_contact(row.target.definition), []).extend(_items(row, row.breaches))
    customers: dict[str, int] = {}
    contacts: dict[str, int] = {}
    for kind, items in by_kind.items():
        customers[kind] = count_once(items, customers_affected)
        contacts[kind] = count_once(items, contacts_counted)
    complaints = sum(c for _, c in natures)
    customers[COMPLAINANTS] = max(customers.get(COMPLAINANTS, 0), complaints)
    contacts[COMPLAINANTS] = max(contacts.get(COMPLAINANTS, 0), complaints)
    return Affected(
        targets_with_breaches=sum(1 for r in rows if r.breaches),
        customers_affected=sum(customers.values()),
        contacts=sum(contacts.values()),
        by_contact={k: n for k, n in customers.items() if n},
    )


def problems_title(count: int) -> str:
    """The section's heading: three, or every problem below the minimum for the week."""
    if count <= TOP:
        return "The three most significant problems"
    return f"The {count} most significant problems (each below its minimum over the week)"
