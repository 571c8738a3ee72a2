"""From a forecast to work and people: traffic intensity, the occupancy floor, shrinkage.

Why exact arithmetic: these three turn real numbers into whole people with a ceiling, and a
ceiling is where binary floating point bites. ``2 / (1 - 0.8)`` is ``10.000000000000002`` in
floats, so a plain ``ceil`` would schedule 11 people where 10 cover 20 % shrinkage exactly;
``4.2 / 0.7`` (occupancy 70 %) is ``6.000000000000001``. Every input is read as the decimal it
was written as (``Fraction(repr(x))``), so the ceilings are those of the numbers a planner
typed.
"""

from __future__ import annotations

import math
from fractions import Fraction

from servicelevel.errors import StaffingError


def decimal(x: float) -> Fraction:
    """``x`` as the decimal it was written as: 0.3 is 3/10, not 0.29999999999999998889...

    ``repr`` of a float is the shortest decimal that reads back as the same float, which is
    what a person typed (or what a config file held).
    """
    if isinstance(x, int):
        return Fraction(x)
    if not math.isfinite(x):
        raise StaffingError(f"{x!r} is not a finite number")
    return Fraction(repr(float(x)))


def exact_traffic(calls: float, interval_s: float, aht_s: float) -> Fraction:
    """Offered traffic in Erlangs, exactly: calls x AHT / interval length."""
    if calls < 0:
        raise StaffingError(f"calls must be 0 or more, not {calls!r}")
    if interval_s <= 0:
        raise StaffingError(f"the interval must be longer than 0 s, not {interval_s!r}")
    if aht_s <= 0:
        raise StaffingError(f"the average handling time must be more than 0 s, not {aht_s!r}")
    return decimal(calls) * decimal(aht_s) / decimal(interval_s)


def traffic_intensity(calls: float, interval_s: float, aht_s: float) -> float:
    """Offered traffic A in Erlangs = calls x AHT / interval: the average number of agents
    busy if every call were answered at once (100 calls of 180 s in 30 min -> 10 Erlangs)."""
    return float(exact_traffic(calls, interval_s, aht_s))


def agents_for_occupancy(traffic: Fraction, max_occupancy: float) -> int:
    """The fewest agents whose occupancy A / N stays at or under ``max_occupancy`` (a fraction
    in (0, 1]): ceil(A / max_occupancy). Erlang C's occupancy; Erlang A's is lower (abandoned
    calls are never handled), so :mod:`.plan` checks that one against the model instead."""
    if not 0 < max_occupancy <= 1:
        raise StaffingError(f"max occupancy must be in (0, 1], not {max_occupancy!r}")
    return math.ceil(traffic / decimal(max_occupancy))


def scheduled_staff(agents: int, shrinkage: float) -> int:
    """People to schedule so that ``agents`` are on the phones: ceil(agents / (1 - shrinkage)).

    Shrinkage is the fraction of paid time not spent available for calls (breaks, training,
    absence), in [0, 1).
    """
    if not 0 <= shrinkage < 1:
        raise StaffingError(f"shrinkage must be in [0, 1), not {shrinkage!r}")
    return math.ceil(Fraction(agents) / (1 - decimal(shrinkage)))
