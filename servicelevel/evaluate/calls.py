"""Call KPIs of many (window, scope) figures at once, from the summed rollups.

Values and statuses are computed as arrays, with the same exact arithmetic as
:mod:`servicelevel.kpi.maths`; :func:`call_kpi` is the one-figure form of the same maths.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from servicelevel.config import Target, Targets
from servicelevel.evaluate.frames import CallFrame, Sums
from servicelevel.evaluate.status import ALL, Status, judge
from servicelevel.kpi import maths as kpis
from servicelevel.kpi.maths import CallCounts, KpiValue, StatusName
from servicelevel.timeutil import Window


def call_kpi(target: Target, counts: CallCounts) -> KpiValue:
    """The target's KPI of one set of counts, by the registry's compute function."""
    return target.definition.of_calls(counts, target)


def _scopes(target: Target, queues: Sequence[str]) -> list[str]:
    wanted = list(queues) if ALL in target.queues else [q for q in target.queues]
    return sorted(set(wanted)) if target.per_queue else [ALL]


def call_statuses(
    targets: Targets,
    target: Target,
    frame: CallFrame | None,
    windows: Sequence[Window],
    queues: Sequence[str],
) -> list[Status]:
    """Statuses of a call target, windows outer and scopes inner (``*`` or sorted queues)."""
    scopes = _scopes(target, queues)
    if frame is None or not windows or not scopes:
        empty = CallCounts()
        value = call_kpi(target, empty)
        status = judge(target, value)
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


ArrayForm = Callable[[Target, Sums, np.ndarray], tuple[list[KpiValue], list[StatusName]]]
_ARRAY_FORMS: dict[str, ArrayForm] = {}


def _array_form(name: str) -> Callable[[ArrayForm], ArrayForm]:
    """Register the array form of a call KPI: optional, for speed; the registry's compute
    function (figure by figure) is used for a KPI without one."""

    def register(form: ArrayForm) -> ArrayForm:
        _ARRAY_FORMS[name] = form
        return form

    return register


def _call_kpis(
    target: Target, sums: Sums, groups: np.ndarray
) -> tuple[list[KpiValue], list[StatusName]]:
    """KPI values and statuses of many figures at once, equal to ``call_kpi`` + ``judge``.

    Values are the same correctly rounded divisions as :mod:`servicelevel.kpi.maths` (integers below
    2**53 convert exactly, so ``100 * n / d`` in float64 is Python's ``100 * n / d``). Statuses
    are exact too: ``N / D >= p / q`` is tested as ``N * q >= p * D`` in int64 when every product
    fits, and figure by figure with :func:`kpis.status_of` otherwise (a non-integral wait, a
    minimum with many decimals).
    """
    form = _ARRAY_FORMS.get(target.kpi)
    if form is not None:
        return form(target, sums, groups)
    counts = sums.call_counts()
    values = [call_kpi(target, counts[g]) for g in groups.tolist()]
    return values, [judge(target, v) for v in values]


@_array_form("service_level")
def _service_level_array(
    target: Target, sums: Sums, groups: np.ndarray
) -> tuple[list[KpiValue], list[StatusName]]:
    offered = sums.ints["offered"][groups]
    t = target.threshold_seconds
    assert t is not None
    num = sums.within_of("aw", t)[groups]
    den = offered
    if target.abandons == "ignore":
        den = offered - sums.ints["abandoned"][groups]
    elif target.abandons == "success_within_t":
        num = num + sums.within_of("bw", t)[groups]
    elif target.abandons != "miss":
        raise ValueError(f"unknown abandons mode {target.abandons!r}")
    return _percent_kpis(target, num, den)


@_array_form("abandon_rate")
def _abandon_rate_array(
    target: Target, sums: Sums, groups: np.ndarray
) -> tuple[list[KpiValue], list[StatusName]]:
    return _percent_kpis(target, sums.ints["abandoned"][groups], sums.ints["offered"][groups])


@_array_form("asa")
def _asa_array(
    target: Target, sums: Sums, groups: np.ndarray
) -> tuple[list[KpiValue], list[StatusName]]:
    return _ratio_kpis(target, sums.wait_sum[groups], sums.ints["answered"][groups])


@_array_form("longest_wait")
def _longest_wait_array(
    target: Target, sums: Sums, groups: np.ndarray
) -> tuple[list[KpiValue], list[StatusName]]:
    return _longest_kpis(target, sums.max_wait[groups], sums.ints["offered"][groups])


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
        met: np.ndarray = t * bound.denominator >= bound.numerator * b
        return met

    def at_most(bound: Any) -> np.ndarray:  # value <= bound
        met: np.ndarray = t * bound.denominator <= bound.numerator * b
        return met

    better = at_least if target.higher_is_better else at_most
    codes[exact_ok] = np.where(better(high), 3, np.where(better(low), 2, 1))
    return codes


def _statuses(
    target: Target, values: list[KpiValue], codes: np.ndarray, no_data: np.ndarray
) -> list[StatusName]:
    codes = np.where(no_data, 0, codes)
    names = _STATUS_NAMES
    return [
        names[c] if c >= 0 else judge(target, value)
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
