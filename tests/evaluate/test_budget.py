"""Error budgets against figures worked out by hand (docs/budgets.md), exact at the boundary.

Hand-worked: 200 offered, minimum 80 %, 150 answered in time: allowed (1 - 0.8) x 200 = 40,
spent 50, remaining -10. With 170 in time: remaining 10, and 12 more late answers keep the
minimum (170 / 212 = 80.19 %; a 13th gives 170 / 213 = 79.8 %).
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from servicelevel.config import Target
from servicelevel.evaluate.budget import (
    budget,
    budget_json,
    budget_of,
    budget_text,
    headroom,
    headroom_text,
    success_share,
)
from servicelevel.kpi import maths
from servicelevel.kpi.maths import CallCounts
from servicelevel.kpi.registry import KPIS


def _target(kpi: str = "service_level", minimum: float = 80, ideal: float = 90, **more) -> Target:
    extra = {"threshold_seconds": 20} if "threshold_seconds" in KPIS[kpi].options else {}
    return Target(id="t", name="T", kpi=kpi, minimum=minimum, ideal=ideal, **extra, **more)


def _sl(in_time: int, offered: int) -> maths.KpiValue:
    return maths.service_level(
        CallCounts(offered=offered, answered=offered, answered_within={20.0: in_time}), 20
    )


def test_150_of_200_against_80_percent_overspends_by_10():
    found = budget_of(_target(), _sl(150, 200))
    assert found is not None
    assert (found.allowed, found.spent, found.remaining) == (40, 50, -10)
    assert found.remaining_share == Fraction(-1, 4)
    # (160 - 150) / 0.2 = 50 answers in time in a row: 200 / 250 = 80 %
    assert found.headroom == -50
    assert not found.kept


def test_170_of_200_leaves_10_and_12_more_late_answers_keep_the_minimum():
    found = budget_of(_target(), _sl(170, 200))
    assert found is not None
    assert (found.allowed, found.spent, found.remaining, found.headroom) == (40, 30, 10, 12)
    assert Fraction(170, 212) >= Fraction(80, 100) > Fraction(170, 213)
    assert headroom_text(_target(), found, "today") == "12 more late answers today keep the minimum"
    assert budget_text(_target(), found) == "10 of 40 late answers allowed left (25 %)"


@pytest.mark.parametrize("successes", range(0, 201))
def test_headroom_is_the_exact_boundary_of_the_minimum(successes):
    """Brute force: the headroom is the last count that keeps 80 %, never one too many."""
    m, n = Fraction(4, 5), 200
    h = headroom(m, successes, n)
    assert h is not None
    if h >= 0:
        assert Fraction(successes, n + h) >= m > Fraction(successes, n + h + 1)
    else:
        k = -h
        assert Fraction(successes + k, n + k) >= m > Fraction(successes + k - 1, n + k - 1)
    found = budget(m, successes, n)
    assert found.kept == (Fraction(successes, n) >= m) == (found.remaining >= 0)


def test_an_allowance_that_is_not_whole_rounds_down_and_still_agrees_with_the_status():
    # 201 offered at 80 %: 40.2 misses allowed, so 40 whole ones; 161 in time is 80.1 % (met).
    target = _target()
    found = budget_of(target, _sl(161, 201))
    assert found is not None and (found.allowed, found.spent, found.remaining) == (40, 40, 0)
    assert maths.status_of(_sl(161, 201), minimum=80, ideal=90, higher_is_better=True) == "met"
    assert headroom_text(target, found) == "no more late answers: the next one breaks the minimum"


def test_a_lower_is_better_rate_allows_maximum_percent_of_the_volume():
    # abandon rate, maximum 5 %, 200 offered, 6 abandoned: allowed 10, spent 6, left 4;
    # headroom (0.05 x 200 - 6) / 0.95 = 4.2 -> 4 (10 / 204 = 4.90 %; 11 / 205 = 5.37 %)
    target = _target("abandon_rate", minimum=5, ideal=3)
    value = maths.abandon_rate(CallCounts(offered=200, answered=194, abandoned=6))
    found = budget_of(target, value)
    assert found is not None
    assert (found.allowed, found.spent, found.remaining, found.headroom) == (10, 6, 4, 4)
    assert success_share(5, higher_is_better=False) == Fraction(19, 20)
    ideal = budget_of(target, value, ideal=True)
    assert ideal is not None and (ideal.allowed, ideal.remaining) == (6, 0)
    assert headroom_text(target, found) == "4 more abandons keep the minimum"


def test_over_the_maximum_it_says_how_many_calls_not_abandoned_are_needed():
    # 12 of 200 abandoned against 5 %: 12 / 0.05 - 200 = 40 more calls not abandoned
    target = _target("abandon_rate", minimum=5, ideal=3)
    found = budget_of(target, maths.abandon_rate(CallCounts(offered=200, abandoned=12)))
    assert found is not None and found.headroom == -40
    assert headroom_text(target, found) == (
        "40 calls not abandoned in a row needed to reach the minimum"
    )


def test_below_min_volume_and_for_a_mean_there_is_no_budget():
    assert budget_of(_target(min_volume=201), _sl(170, 200)) is None
    assert budget_of(_target(), _sl(0, 0)) is None
    asa = _target("asa", minimum=30, ideal=20)
    value = maths.average_speed_of_answer(CallCounts(offered=2, answered=2, wait_sum_answered=8))
    assert budget_of(asa, value) is None
    assert set(budget_json(asa, value).values()) == {None}


def test_which_kpis_have_a_budget_comes_from_the_registry():
    assert {k.name for k in KPIS.values() if k.has_budget} == {
        k.name for k in KPIS.values() if k.shape == "percent"
    }
    for kpi in KPIS.values():
        assert kpi.miss[0] and kpi.miss[1] and kpi.success[0] and kpi.success[1]


def test_a_100_percent_minimum_has_no_way_back_after_one_miss():
    target = _target(minimum=100, ideal=100)
    found = budget_of(target, _sl(9, 10))
    assert found is not None and (found.allowed, found.remaining, found.headroom) == (0, -1, None)
    assert found.remaining_share is None
    assert "cannot be reached again" in headroom_text(target, found)


def test_the_json_keys_of_a_budget():
    assert budget_json(_target(), _sl(170, 200)) == {
        "budget_allowed": 40,
        "budget_spent": 30,
        "budget_remaining": 10,
        "budget_remaining_share": 0.25,
        "budget_headroom": 12,
        # ideal 90 %: 20 allowed, 30 spent
        "ideal_budget_allowed": 20,
        "ideal_budget_spent": 30,
        "ideal_budget_remaining": -10,
        "ideal_budget_remaining_share": -0.5,
    }


def test_the_ignore_mode_budgets_over_the_calls_it_counts():
    # abandons = "ignore": 170 in time of 200 offered - 10 abandoned = 190 counted
    target = _target(abandons="ignore")
    value = maths.service_level(
        CallCounts(offered=200, answered=190, abandoned=10, answered_within={20.0: 170}),
        20,
        "ignore",
    )
    found = budget_of(target, value)
    assert found is not None and (found.volume, found.allowed, found.spent) == (190, 38, 20)
