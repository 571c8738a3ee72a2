"""agents_needed (servicelevel.staffing.plan): the fewest agents for a target, the occupancy
cap, shrinkage, and the two searches (Erlang C walks up, Erlang A brackets and bisects)."""

from __future__ import annotations

import math

import pytest

from servicelevel.errors import StaffingError
from servicelevel.staffing import (
    StaffingTarget,
    agents_needed,
    erlang_a_performance,
    erlang_c_performance,
)

EIGHTY_TWENTY = StaffingTarget(service_level=0.8, answer_within_s=20)


def test_the_worked_example_needs_14_agents_and_20_scheduled():
    """Call Centre Helper's worked example, as the pyworkforce README (rodrigo-arenas/
    pyworkforce) runs it: 100 calls / 30 min, AHT 180 s, 80/20,
    occupancy at most 85 %, shrinkage 30 % -> raw 14, 20 scheduled, SL 0.8884, occupancy
    0.7143, P(wait) 0.1741."""
    plan = agents_needed(100, 1800, 180, EIGHTY_TWENTY, max_occupancy=0.85, shrinkage=0.3)
    assert plan.model == "erlang_c"
    assert plan.traffic_erlangs == 10.0
    assert (plan.agents_for_target, plan.agents, plan.scheduled) == (14, 14, 20)
    perf = plan.performance
    assert perf is not None and perf.agents == 14
    assert round(perf.service_level, 4) == 0.8884
    assert round(perf.occupancy, 4) == 0.7143
    assert round(perf.wait_probability, 4) == 0.1741
    assert round(perf.asa_s, 2) == 7.84


def test_the_occupancy_cap_adds_agents_when_it_binds():
    """50 % in 20 s needs 12 agents (SL 64 %), but 10 Erlangs on 12 agents is 83 % busy."""
    target = StaffingTarget(service_level=0.5, answer_within_s=20)
    plan = agents_needed(100, 1800, 180, target, max_occupancy=0.8)
    assert (plan.agents_for_target, plan.agents) == (12, 13)  # ceil(10 / 0.8) = 12.5 -> 13
    assert plan.performance is not None and plan.performance.agents == 13
    assert plan.performance.occupancy <= 0.8


def test_an_asa_target_can_need_more_than_the_service_level():
    target = StaffingTarget(service_level=0.8, answer_within_s=20, max_asa_s=5)
    plan = agents_needed(100, 1800, 180, target)
    assert plan.agents_for_target == 15  # 14 agents: ASA 7.84 s; 15: 3.67 s
    assert plan.performance is not None and plan.performance.asa_s <= 5


def test_5000_calls_an_hour_need_hundreds_of_agents():
    """A = 333.3 Erlangs (AHT 240 s): the first count meeting 80/20, with no overflow."""
    plan = agents_needed(5000, 3600, 240, EIGHTY_TWENTY)
    assert plan.agents_for_target == 344
    assert plan.performance is not None
    assert plan.performance.service_level >= 0.8
    assert erlang_c_performance(343, 5000 * 240 / 3600, 240, 20).service_level < 0.8
    huge = agents_needed(100_000, 3600, 300, EIGHTY_TWENTY)  # 8,333 Erlangs
    assert huge.performance is not None and 8334 <= huge.agents_for_target < 8500


def test_erlang_a_meets_the_pyworkforce_example():
    """pyworkforce README, ErlangA with patience 5 min, max abandonment 5 %: raw 13, 19
    scheduled after 30 % shrinkage."""
    target = StaffingTarget(service_level=0.8, answer_within_s=20, max_abandon_rate=0.05)
    plan = agents_needed(100, 1800, 180, target, patience_s=300, max_occupancy=0.85, shrinkage=0.3)
    assert plan.model == "erlang_a"
    assert (plan.agents_for_target, plan.agents, plan.scheduled) == (13, 13, 19)
    perf = plan.performance
    assert perf is not None and perf.abandon_rate is not None
    assert perf.service_level >= 0.8 and perf.abandon_rate <= 0.05
    assert erlang_a_performance(12, 10.0, 180, 20, 300).service_level < 0.8


SEARCHES = [
    # calls, interval s, AHT s, patience s, target
    (100, 1800, 180, 300, EIGHTY_TWENTY),
    (900, 1800, 240, 10, EIGHTY_TWENTY),  # impatient callers: fewer agents than the traffic
    (900, 1800, 240, 10, StaffingTarget(0.8, 20, max_abandon_rate=0.02)),
    (40, 900, 420, 120, StaffingTarget(0.9, 30, max_asa_s=10)),
    (3, 1800, 300, 60, StaffingTarget(0.95, 0)),
]


@pytest.mark.parametrize(("calls", "interval", "aht", "patience", "target"), SEARCHES)
def test_the_erlang_a_search_finds_the_first_count_that_meets(
    calls, interval, aht, patience, target
):
    plan = agents_needed(calls, interval, aht, target, patience_s=patience, max_occupancy=0.9)
    traffic = calls * aht / interval
    meets = [
        target.met_by(erlang_a_performance(n, traffic, aht, target.answer_within_s, patience))
        for n in range(1, 4 * math.ceil(traffic) + 10)
    ]
    assert plan.agents_for_target == meets.index(True) + 1
    assert all(meets[plan.agents_for_target - 1 :])  # and every count above meets too
    occupancy_ok = [
        erlang_a_performance(n, traffic, aht, target.answer_within_s, patience).occupancy <= 0.9
        for n in range(plan.agents_for_target, plan.agents + 1)
    ]
    assert occupancy_ok[-1] and not any(occupancy_ok[:-1])


def test_impatient_callers_can_need_fewer_agents_than_the_traffic():
    plan = agents_needed(900, 1800, 240, EIGHTY_TWENTY, patience_s=10)
    assert plan.agents_for_target < plan.traffic_erlangs  # 120 Erlangs
    assert plan.agents_for_target < agents_needed(900, 1800, 240, EIGHTY_TWENTY).agents


def test_no_calls_need_no_agents():
    plan = agents_needed(0, 900, 300, EIGHTY_TWENTY, shrinkage=0.3)
    assert (plan.agents_for_target, plan.agents, plan.scheduled) == (0, 0, 0)
    assert plan.performance is None
    assert plan.as_json()["service_level_pct"] is None


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: StaffingTarget(1.0, 20), "below 100 %"),
        (lambda: StaffingTarget(0.0, 20), "above 0"),
        (lambda: StaffingTarget(0.8, -1), "threshold must be 0 s or more"),
        (lambda: StaffingTarget(0.8, 20, max_asa_s=0), "ASA target must be above 0 s"),
        (
            lambda: agents_needed(100, 1800, 180, StaffingTarget(0.8, 20, max_abandon_rate=0.05)),
            "needs a patience",
        ),
        (lambda: agents_needed(100, 1800, 180, EIGHTY_TWENTY, patience_s=0), "patience"),
        (lambda: agents_needed(100, 1800, 180, EIGHTY_TWENTY, shrinkage=1), "shrinkage"),
    ],
)
def test_unreachable_or_unusable_targets_are_refused(make, message):
    with pytest.raises(StaffingError) as caught:
        make()
    assert message in str(caught.value)


def test_as_json_has_every_figure_in_percent():
    plan = agents_needed(100, 1800, 180, EIGHTY_TWENTY, max_occupancy=0.85, shrinkage=0.3)
    out = plan.as_json()
    assert out["traffic_erlangs"] == 10.0
    assert (out["agents_for_target"], out["agents"], out["scheduled"]) == (14, 14, 20)
    assert round(out["service_level_pct"], 2) == 88.84
    assert round(out["occupancy_pct"], 2) == 71.43
    assert out["abandon_rate_pct"] is None and out["patience_s"] is None
    assert out["max_occupancy_pct"] == 85.0 and out["shrinkage_pct"] == 30.0
