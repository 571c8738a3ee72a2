"""How many agents an interval needs: the fewest meeting a target, capped for occupancy,
grossed up for shrinkage.

:func:`agents_needed` is the one entry point, per interval and queue, so the ``staffing``
command and a dashboard view (one call per interval of a forecast) cannot disagree. It
returns a :class:`Staffing`, which keeps its inputs next to its answers.

Why each search is what it is: every figure improves with every agent added (service level
up; wait, ASA, abandons and occupancy down), so "meets the target" is false up to some N and
true from there on. Erlang C walks N upwards from the first stable count, one Erlang B
recurrence step per agent. Erlang A costs a pass over the queue per N, and the answer may lie
below the traffic (abandons relieve the queue), so it tries the first count above the traffic,
then bisects down towards a bound no smaller count can meet (answered calls cannot outnumber
what N agents handle, so SL <= N / A and P(abandon) >= 1 - N / A), or steps up by 1, 2, 4, ...
and bisects.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from servicelevel.errors import StaffingError
from servicelevel.staffing.erlang_a import erlang_a_performance
from servicelevel.staffing.erlang_c import erlang_c_sweep
from servicelevel.staffing.performance import Performance
from servicelevel.staffing.workload import agents_for_occupancy, exact_traffic, scheduled_staff

Model = Literal["erlang_c", "erlang_a"]


@dataclass(frozen=True, slots=True)
class StaffingTarget:
    """What an interval must achieve: ``service_level`` (a fraction, 0.8) of calls answered
    within ``answer_within_s``; optionally an ASA of at most ``max_asa_s`` and (Erlang A only)
    an abandon rate of at most ``max_abandon_rate`` (a fraction). All must hold."""

    service_level: float
    answer_within_s: float
    max_asa_s: float | None = None
    max_abandon_rate: float | None = None

    def __post_init__(self) -> None:
        if not 0 < self.service_level < 1:
            raise StaffingError(
                f"the service-level target must be above 0 and below 100 %, not "
                f"{self.service_level!r} (no finite number of agents answers every call in time)"
            )
        if not 0 <= self.answer_within_s < math.inf:
            raise StaffingError(f"the threshold must be 0 s or more, not {self.answer_within_s!r}")
        if self.max_asa_s is not None and not 0 < self.max_asa_s < math.inf:
            raise StaffingError(f"the ASA target must be above 0 s, not {self.max_asa_s!r}")
        if self.max_abandon_rate is not None and not 0 < self.max_abandon_rate <= 1:
            raise StaffingError(
                f"the abandon-rate target must be in (0, 100 %], not {self.max_abandon_rate!r}"
            )

    def met_by(self, performance: Performance) -> bool:
        """Whether ``performance`` meets every part of the target."""
        if performance.service_level < self.service_level:
            return False
        if self.max_asa_s is not None and performance.asa_s > self.max_asa_s:
            return False
        return self.max_abandon_rate is None or (performance.abandon_rate or 0.0) <= (
            self.max_abandon_rate
        )


@dataclass(frozen=True, slots=True)
class Staffing:
    """The answer for one interval.

    ``agents_for_target``: the fewest agents meeting the target. ``agents``: at least that
    many and enough to keep occupancy at or under ``max_occupancy``. ``scheduled``: people to
    schedule so that ``agents`` are available after ``shrinkage``. ``performance``: what the
    model predicts with ``agents`` agents (``None`` when no calls are forecast: nothing to
    answer, no agent needed).
    """

    model: Model
    calls: float
    interval_s: float
    aht_s: float
    target: StaffingTarget
    patience_s: float | None
    max_occupancy: float
    shrinkage: float
    traffic_erlangs: float
    agents_for_target: int
    agents: int
    scheduled: int
    performance: Performance | None = field(default=None)

    def as_json(self) -> dict[str, Any]:
        """The ``staffing --json`` object: unrounded, rates in percent as in ``status --json``
        (an infinite figure, which only an overloaded Erlang C queue has, is ``null``)."""

        def pct(x: float | None) -> float | None:
            return None if x is None else 100.0 * x

        perf = self.performance
        return {
            "model": self.model,
            "calls": self.calls,
            "interval_s": self.interval_s,
            "aht_s": self.aht_s,
            "patience_s": self.patience_s,
            "target_service_level_pct": pct(self.target.service_level),
            "target_answer_within_s": self.target.answer_within_s,
            "target_max_asa_s": self.target.max_asa_s,
            "target_max_abandon_pct": pct(self.target.max_abandon_rate),
            "max_occupancy_pct": pct(self.max_occupancy),
            "shrinkage_pct": pct(self.shrinkage),
            "traffic_erlangs": self.traffic_erlangs,
            "agents_for_target": self.agents_for_target,
            "agents": self.agents,
            "scheduled": self.scheduled,
            "service_level_pct": pct(perf.service_level) if perf else None,
            "asa_s": perf.asa_s if perf and math.isfinite(perf.asa_s) else None,
            "occupancy_pct": pct(perf.occupancy) if perf else None,
            "wait_probability_pct": pct(perf.wait_probability) if perf else None,
            "abandon_rate_pct": pct(perf.abandon_rate) if perf else None,
        }


def _first_meeting(meets: Callable[[int], bool], below: int, guess: int) -> int:
    """The smallest n > ``below`` with ``meets(n)``, for a ``meets`` false up to some n and
    true from there on, and known false at ``below``; ``guess`` (> below) is tried first.

    From a guess that meets, bisect down to ``below``; from one that does not, step up by
    1, 2, 4, ... until one meets, then bisect. Either way about 2 log2(distance) calls.
    """
    if meets(guess):
        hi = guess
    else:
        below, step = guess, 1
        while not meets(guess + step):
            below, step = guess + step, 2 * step
        hi = guess + step
    while hi - below > 1:  # meets(below) is false, meets(hi) true
        mid = (below + hi) // 2
        if meets(mid):
            hi = mid
        else:
            below = mid
    return hi


def _erlang_c_agents(
    traffic: float, aht_s: float, target: StaffingTarget, occupancy_floor: int
) -> tuple[int, int, Performance]:
    raw: int | None = None
    for perf in erlang_c_sweep(traffic, aht_s, target.answer_within_s, math.floor(traffic) + 1):
        if raw is None and target.met_by(perf):
            raw = perf.agents
        if raw is not None and perf.agents >= occupancy_floor:
            return raw, perf.agents, perf
    raise AssertionError("unreachable: the sweep has no end")  # pragma: no cover


def _erlang_a_agents(
    traffic: float, aht_s: float, target: StaffingTarget, patience_s: float, max_occupancy: float
) -> tuple[int, int, Performance]:
    cache: dict[int, Performance] = {}

    def perf(n: int) -> Performance:
        if n not in cache:
            cache[n] = erlang_a_performance(n, traffic, aht_s, target.answer_within_s, patience_s)
        return cache[n]

    # Up to this count N / A is under the SL target or 1 - N / A over the abandon target
    # (0 agents answer nobody). One less, for the float product.
    below = math.ceil(target.service_level * traffic) - 1
    if target.max_abandon_rate is not None:
        below = max(below, math.ceil((1 - target.max_abandon_rate) * traffic) - 1)
    below = max(0, below - 1)
    # First guess: the first count above the traffic. Below it the queue holds about
    # (A - N) x patience / AHT callers, so a patient caller base in an overloaded interval
    # makes every count there costly; above it the queue is short whatever the patience. An
    # answer below the traffic needs short patience, and then those counts are cheap.
    guess = max(below + 1, math.floor(traffic) + 1)
    raw = _first_meeting(lambda n: target.met_by(perf(n)), below, guess)
    # A tolerance for the float occupancy: 85 % must not fail as 0.8500000000000001.
    agents = _first_meeting(lambda n: perf(n).occupancy <= max_occupancy + 1e-12, raw - 1, raw)
    return raw, agents, perf(agents)


def agents_needed(
    calls: float,
    interval_s: float,
    aht_s: float,
    target: StaffingTarget,
    *,
    patience_s: float | None = None,
    max_occupancy: float = 1.0,
    shrinkage: float = 0.0,
) -> Staffing:
    """The agents one interval needs: ``calls`` forecast in ``interval_s`` seconds, each
    handled in ``aht_s`` seconds on average, to meet ``target``.

    Without ``patience_s`` the model is Erlang C (nobody hangs up); with it, Erlang A with
    that mean patience in seconds. ``max_occupancy`` (a fraction in (0, 1]) caps the share of
    time agents spend on calls; ``shrinkage`` (in [0, 1)) is the share of scheduled time they
    are unavailable. Raises :class:`~servicelevel.errors.StaffingError` for inputs the models
    cannot use.
    """
    exact = exact_traffic(calls, interval_s, aht_s)
    traffic = float(exact)
    occupancy_floor = agents_for_occupancy(exact, max_occupancy)
    scheduled_staff(0, shrinkage)  # checks the shrinkage before any work
    if patience_s is None and target.max_abandon_rate is not None:
        raise StaffingError(
            "an abandon-rate target needs a patience: abandons are modelled by Erlang A only"
        )
    if patience_s is not None and not 0 < patience_s < math.inf:
        raise StaffingError(f"patience must be a finite number of seconds > 0, not {patience_s!r}")
    model: Model = "erlang_c" if patience_s is None else "erlang_a"
    if exact == 0:
        raw, agents, perf = 0, 0, None
    elif patience_s is None:
        raw, agents, perf = _erlang_c_agents(traffic, aht_s, target, occupancy_floor)
    else:
        raw, agents, perf = _erlang_a_agents(traffic, aht_s, target, patience_s, max_occupancy)
    return Staffing(
        model=model,
        calls=calls,
        interval_s=interval_s,
        aht_s=aht_s,
        target=target,
        patience_s=patience_s,
        max_occupancy=max_occupancy,
        shrinkage=shrinkage,
        traffic_erlangs=traffic,
        agents_for_target=raw,
        agents=agents,
        scheduled=scheduled_staff(agents, shrinkage),
        performance=perf,
    )
