"""Erlang C (M/M/N): callers wait as long as it takes, agents answer in arrival order.

Traffic ``A`` Erlangs is offered to ``N`` agents with exponential handling times of mean AHT.

* Erlang B, the blocking probability of N lines, by the recurrence
  ``B(0) = 1``, ``B(n) = A B(n-1) / (n + A B(n-1))``;
* Erlang C, the probability that a caller waits, from B:
  ``C = N B / (N - A (1 - B))`` for ``N > A`` (1 otherwise: the queue grows without end);
* service level within T: ``SL = 1 - C exp(-(N - A) T / AHT)``;
* ASA (mean wait; every caller is answered): ``C AHT / (N - A)``;
* occupancy: ``A / N``.

Why the recurrence: the textbook form ``A^N / N!`` overflows a float from about N = 170, and
contact centres staff hundreds or thousands of agents per queue. Every step of the recurrence
is a probability in [0, 1], so it neither overflows nor loses precision at any size, and
walking N upwards costs one step per agent (:func:`erlang_c_sweep`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from servicelevel.errors import StaffingError
from servicelevel.staffing.performance import Performance


def erlang_b(agents: int, traffic: float) -> float:
    """Erlang B: the probability that all ``agents`` lines are busy (blocked calls lost)."""
    if agents < 0:
        raise StaffingError(f"agents must be 0 or more, not {agents!r}")
    if traffic < 0:
        raise StaffingError(f"traffic must be 0 or more, not {traffic!r}")
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    return b


def _c_from_b(agents: int, traffic: float, b: float) -> float:
    if agents <= traffic:
        return 1.0
    return agents * b / (agents - traffic * (1.0 - b))


def erlang_c(agents: int, traffic: float) -> float:
    """Erlang C: the probability that a caller has to wait (1 when ``agents <= traffic``)."""
    return _c_from_b(agents, traffic, erlang_b(agents, traffic))


def _performance(
    agents: int, traffic: float, b: float, aht_s: float, answer_within_s: float
) -> Performance:
    if traffic == 0:
        return Performance(agents, 0.0, 1.0, 0.0, 0.0)
    if agents <= traffic:
        return Performance(agents, 1.0, 0.0, math.inf, 1.0)
    c = _c_from_b(agents, traffic, b)
    spare = agents - traffic
    return Performance(
        agents=agents,
        wait_probability=c,
        service_level=1.0 - c * math.exp(-spare * answer_within_s / aht_s),
        asa_s=c * aht_s / spare,
        occupancy=traffic / agents,
    )


def erlang_c_performance(
    agents: int, traffic: float, aht_s: float, answer_within_s: float
) -> Performance:
    """Erlang C's figures for ``agents`` agents: wait probability, SL within
    ``answer_within_s``, ASA and occupancy."""
    return _performance(agents, traffic, erlang_b(agents, traffic), aht_s, answer_within_s)


def erlang_c_sweep(
    traffic: float, aht_s: float, answer_within_s: float, start: int = 1
) -> Iterator[Performance]:
    """Erlang C's figures for ``start``, ``start + 1``, ... agents, without end.

    One recurrence step per agent: the search for the fewest agents meeting a target walks
    this and stops at the first that does, in time linear in the answer.
    """
    b = erlang_b(start, traffic)
    n = start
    while True:
        yield _performance(n, traffic, b, aht_s, answer_within_s)
        n += 1
        b = traffic * b / (n + traffic * b)
