"""KPI definitions: pure functions of counts, no database and no I/O.

Why one module: the wallboard, the weekly email and ``status --json`` all call these functions,
so they cannot disagree. Values are computed as ``100 * numerator / denominator`` (one correctly
rounded division) and every comparison with a minimum or an ideal is made on exact fractions, so
29 of 100 calls is exactly 29 % and meets a 29 % minimum (``29 / 100 * 100`` is 28.999999999999996).

Definitions (see docs/targets.md):

* offered = calls counted for KPIs (short abandons and out-of-hours calls left out)
* service level = answered within T / offered x 100; the ``abandons`` switch changes what an
  abandon counts as (``miss``, ``ignore``, ``success_within_t``)
* abandon rate = abandoned / offered x 100
* ASA = mean wait of answered calls; longest wait = max wait of any offered call
* return rate, complaint satisfaction and complainant repurchase are ratios x 100
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Literal

StatusName = Literal["ideal", "met", "breach", "no_data", "stale"]
AbandonMode = Literal["miss", "ignore", "success_within_t"]
STATUS_ORDER: tuple[StatusName, ...] = ("breach", "stale", "no_data", "met", "ideal")


@dataclass(frozen=True, slots=True)
class CallCounts:
    """Sums over a set of 15-minute queue intervals (one rollup row or many added up)."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    unanswered_other: int = 0  # timeouts, exit with key, exit empty: offered, not answered
    wait_sum_answered: float = 0.0
    max_wait: float | None = None
    answered_within: Mapping[float, int] = field(default_factory=dict)
    abandoned_within: Mapping[float, int] = field(default_factory=dict)
    out_of_hours: int = 0  # calls left out because they entered outside business hours

    def __add__(self, other: CallCounts) -> CallCounts:
        def merged(a: Mapping[float, int], b: Mapping[float, int]) -> dict[float, int]:
            out = dict(a)
            for key, value in b.items():
                out[key] = out.get(key, 0) + value
            return out

        waits = [w for w in (self.max_wait, other.max_wait) if w is not None]
        return CallCounts(
            offered=self.offered + other.offered,
            answered=self.answered + other.answered,
            abandoned=self.abandoned + other.abandoned,
            short_abandoned=self.short_abandoned + other.short_abandoned,
            unanswered_other=self.unanswered_other + other.unanswered_other,
            wait_sum_answered=self.wait_sum_answered + other.wait_sum_answered,
            max_wait=max(waits) if waits else None,
            answered_within=merged(self.answered_within, other.answered_within),
            abandoned_within=merged(self.abandoned_within, other.abandoned_within),
            out_of_hours=self.out_of_hours + other.out_of_hours,
        )


@dataclass(frozen=True, slots=True)
class KpiValue:
    """A KPI value with what it was computed from.

    ``exact`` is the same value as a Fraction (None for an empty window); ``volume`` is the
    denominator that ``min_volume`` is compared with.
    """

    value: float | None
    exact: Fraction | None
    numerator: float
    denominator: float
    volume: int

    @property
    def empty(self) -> bool:
        return self.exact is None


@lru_cache(maxsize=4096)  # minimum and ideal are converted for every status: keep them
def _to_fraction(number: float | int) -> Fraction:
    # Fraction(float) is exact for the float; Fraction(str) keeps "80.1" as 801/10.
    return Fraction(str(number)) if isinstance(number, float) else Fraction(number)


def percent(numerator: int, denominator: int) -> KpiValue:
    """``numerator / denominator x 100``; an empty denominator is "n/a", never 100 %."""
    if denominator <= 0:
        return KpiValue(None, None, numerator, denominator, max(denominator, 0))
    return KpiValue(
        100 * numerator / denominator,
        Fraction(100 * numerator, denominator),
        numerator,
        denominator,
        denominator,
    )


def service_level(
    counts: CallCounts, threshold_seconds: float, abandons: AbandonMode = "miss"
) -> KpiValue:
    """Share of calls answered within ``threshold_seconds`` (wait <= T), in percent."""
    answered_in = counts.answered_within.get(float(threshold_seconds), 0)
    if abandons == "miss":
        return percent(answered_in, counts.offered)
    if abandons == "ignore":
        return percent(answered_in, counts.offered - counts.abandoned)
    if abandons == "success_within_t":
        abandoned_in = counts.abandoned_within.get(float(threshold_seconds), 0)
        return percent(answered_in + abandoned_in, counts.offered)
    raise ValueError(f"unknown abandons mode {abandons!r}")


def abandon_rate(counts: CallCounts) -> KpiValue:
    return percent(counts.abandoned, counts.offered)


def average_speed_of_answer(counts: CallCounts) -> KpiValue:
    """Mean wait of answered calls, in seconds."""
    if counts.answered <= 0:
        return KpiValue(None, None, counts.wait_sum_answered, 0, 0)
    exact = _to_fraction(counts.wait_sum_answered) / counts.answered
    return KpiValue(
        counts.wait_sum_answered / counts.answered,
        exact,
        counts.wait_sum_answered,
        counts.answered,
        counts.answered,
    )


def longest_wait(counts: CallCounts) -> KpiValue:
    """Longest wait of any offered call (answered or not), in seconds."""
    if counts.offered <= 0 or counts.max_wait is None:
        return KpiValue(None, None, 0, counts.offered, max(counts.offered, 0))
    return KpiValue(
        float(counts.max_wait), _to_fraction(counts.max_wait), counts.max_wait, 1, counts.offered
    )


def return_rate(units_returned: int, units_sold: int) -> KpiValue:
    return percent(units_returned, units_sold)


def complaint_satisfaction(satisfied: int, respondents: int) -> KpiValue:
    """Complainants answering 4 or 5 on a 1-5 scale, over respondents."""
    return percent(satisfied, respondents)


def complainant_repurchase(repurchasers: int, resolved: int) -> KpiValue:
    """Complainants ordering within 90 days after resolution, over complainants resolved."""
    return percent(repurchasers, resolved)


def status_of(
    kpi: KpiValue,
    *,
    minimum: float,
    ideal: float,
    higher_is_better: bool,
    min_volume: int = 1,
) -> StatusName:
    """Status of one value against its target; ties go to the better status."""
    if kpi.exact is None or kpi.volume < min_volume:
        return "no_data"
    value, low, high = kpi.exact, _to_fraction(minimum), _to_fraction(ideal)
    if higher_is_better:
        if value >= high:
            return "ideal"
        return "met" if value >= low else "breach"
    if value <= high:
        return "ideal"
    return "met" if value <= low else "breach"


def distance_to_minimum(kpi: KpiValue, minimum: float, higher_is_better: bool) -> float | None:
    """How far the value is on the bad side of the minimum (0 when met); the breach depth."""
    if kpi.value is None:
        return None
    gap = (minimum - kpi.value) if higher_is_better else (kpi.value - minimum)
    return max(gap, 0.0)
