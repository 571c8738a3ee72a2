"""Error budgets: how many misses a target's window may still take and keep its minimum.

Why a budget beside the value: "78.5 %" says a target is breached, not how far it is from
being kept, nor how much room a target that is met still has. A rate's budget says both in
contacts, the unit a supervisor acts on ("12 more late answers today keep the minimum").

Pure maths on the counts of a :class:`~servicelevel.kpi.maths.KpiValue`, exact (Fractions, as
the KPI core), for every KPI the registry marks as a rate (``KpiDefinition.has_budget``); a
mean or a maximum (ASA, longest wait) has no budget. Formulas (docs/budgets.md):

* a *success* is what the rate counts as good: for a higher-is-better rate the numerator (an
  answer within T), for a lower-is-better one the denominator minus the numerator (a call not
  abandoned); a *miss* is every other contact of the volume;
* the bound as a success share: ``m = minimum / 100`` when higher is better, ``1 - maximum /
  100`` when lower is better (the ideal gives the second budget the same way);
* allowed misses = ``floor((1 - m) x volume)`` (a whole contact: ``misses <= (1 - m) x volume``
  holds exactly when ``misses <= floor(...)``), spent = misses, remaining = allowed - spent,
  which is >= 0 exactly when the bound is kept;
* headroom: when kept, the largest ``h`` with ``s / (n + h) >= m`` (more misses that still
  keep it: ``floor(s / m - n)``); when not, minus the fewest ``k`` with ``(s + k) / (n + k) >= m``
  (successes in a row needed: ``ceil((m n - s) / (1 - m))``). None when there is no limit
  (``m = 0``) or no way back (``m = 1`` with a miss).

Below ``min_volume`` (or with nothing counted) there is no budget: "n/a", as the value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from servicelevel.kpi.maths import KpiValue, _to_fraction

if TYPE_CHECKING:
    from servicelevel.config import Target
    from servicelevel.kpi.registry import KpiDefinition


@dataclass(frozen=True, slots=True)
class Budget:
    """One bound's error budget over one window's counts (see the module docstring)."""

    share: Fraction  # m: the bound as a share of successes, 0..1
    volume: int  # n
    successes: int  # s
    allowed: int  # whole misses the bound allows
    headroom: int | None  # > 0 more misses keep it; < 0 that many successes needed

    @property
    def spent(self) -> int:
        return self.volume - self.successes

    @property
    def remaining(self) -> int:
        return self.allowed - self.spent

    @property
    def remaining_share(self) -> Fraction | None:
        """Remaining as a share of allowed (negative when overspent); None when none allowed."""
        return Fraction(self.remaining, self.allowed) if self.allowed else None

    @property
    def kept(self) -> bool:
        return self.remaining >= 0


def success_share(bound: float, higher_is_better: bool) -> Fraction:
    """A minimum or ideal (in %) as the share of contacts that must be successes."""
    share = _to_fraction(bound) / 100
    return share if higher_is_better else 1 - share


def successes_of(definition: KpiDefinition, numerator: int, denominator: int) -> int:
    """The successes among a rate's counts (see the module docstring)."""
    return numerator if definition.higher_is_better else denominator - numerator


def headroom(share: Fraction, successes: int, volume: int) -> int | None:
    """More misses that keep ``share`` (>= 0), or minus the successes needed to reach it."""
    s, n, m = successes, volume, share
    if s >= m * n:
        return None if m == 0 else math.floor(s / m - n)
    if m == 1:
        return None  # one miss and a 100 % bound can never be reached again
    return -math.ceil((m * n - s) / (1 - m))


def budget(share: Fraction, successes: int, volume: int) -> Budget:
    """The budget of ``volume`` contacts of which ``successes`` are good, against ``share``."""
    allowed = math.floor((1 - share) * volume)
    return Budget(share, volume, successes, allowed, headroom(share, successes, volume))


def _counts(target: Target, kpi: KpiValue) -> tuple[int, int] | None:
    """(successes, volume) of a rate with enough volume to be judged, else None."""
    if not target.definition.has_budget or kpi.exact is None:
        return None
    if kpi.volume < max(target.min_volume, 1):
        return None
    numerator, denominator = int(kpi.numerator), int(kpi.denominator)
    return successes_of(target.definition, numerator, denominator), denominator


def budget_of(target: Target, kpi: KpiValue, *, ideal: bool = False) -> Budget | None:
    """The target's budget for the minimum (or the ideal) over ``kpi``'s counts; None: n/a."""
    counts = _counts(target, kpi)
    if counts is None:
        return None
    bound = target.ideal if ideal else target.minimum
    return budget(success_share(bound, target.higher_is_better), *counts)


def _keys(found: Budget | None, prefix: str) -> dict[str, Any]:
    share = found.remaining_share if found else None
    return {
        f"{prefix}allowed": found.allowed if found else None,
        f"{prefix}spent": found.spent if found else None,
        f"{prefix}remaining": found.remaining if found else None,
        f"{prefix}remaining_share": float(share) if share is not None else None,
    }


def budget_json(target: Target, kpi: KpiValue) -> dict[str, Any]:
    """The ``status --json`` budget keys: null for a KPI without budget or below min_volume."""
    minimum = budget_of(target, kpi)
    return {
        **_keys(minimum, "budget_"),
        "budget_headroom": minimum.headroom if minimum else None,
        **_keys(budget_of(target, kpi, ideal=True), "ideal_budget_"),
    }


def _plural(words: tuple[str, str], count: int) -> str:
    return words[0] if count == 1 else words[1]


def headroom_text(target: Target, found: Budget | None, when: str = "") -> str:
    """The budget in a sentence: "12 more late answers today keep the minimum"."""
    if found is None:
        return ""
    kpi, h = target.definition, found.headroom
    when = f" {when}" if when else ""
    if h is None:
        if found.share == 0:
            return "the minimum of 0 % is always kept"
        return f"no {kpi.miss[1]} allowed: the minimum cannot be reached again{when}"
    if h == 0:
        return f"no more {kpi.miss[1]}{when}: the next one breaks the minimum"
    if h > 0:
        keep = "keeps" if h == 1 else "keep"
        return f"{h} more {_plural(kpi.miss, h)}{when} {keep} the minimum"
    return f"{-h} {_plural(kpi.success, -h)} in a row needed{when} to reach the minimum"


def budget_text(target: Target, found: Budget | None) -> str:
    """ "10 of 40 late answers allowed left (25 %)", or overspent; "" when there is none."""
    if found is None:
        return ""
    kpi = target.definition
    share = found.remaining_share
    pct = f" ({float(share) * 100:.0f} %)" if share is not None else ""
    if found.remaining >= 0:
        return (
            f"{found.remaining} of {found.allowed} {_plural(kpi.miss, found.allowed)} allowed "
            f"left{pct}"
        )
    return (
        f"overspent by {-found.remaining}: {found.spent} {_plural(kpi.miss, found.spent)}, "
        f"{found.allowed} allowed"
    )
