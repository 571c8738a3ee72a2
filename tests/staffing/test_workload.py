"""Traffic, the occupancy floor and shrinkage (servicelevel.staffing.workload): whole people
from the decimals a planner typed, never from their binary float neighbours."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from servicelevel.errors import ServicelevelError, StaffingError
from servicelevel.staffing import agents_for_occupancy, scheduled_staff, traffic_intensity
from servicelevel.staffing.workload import exact_traffic


def test_traffic_is_calls_times_handling_time_over_the_interval():
    assert traffic_intensity(100, 1800, 180) == 10.0  # Call Centre Helper's worked example
    assert traffic_intensity(5000, 3600, 240) == pytest.approx(1000 / 3)
    assert exact_traffic(5000, 3600, 240) == Fraction(1000, 3)
    assert traffic_intensity(0, 900, 300) == 0.0


def test_shrinkage_grosses_up_to_whole_people():
    assert scheduled_staff(14, 0.3) == 20  # the worked example: ceil(14 / 0.7)
    assert scheduled_staff(13, 0.3) == 19  # 18.57...
    assert scheduled_staff(14, 0.0) == 14
    assert scheduled_staff(0, 0.5) == 0


def test_shrinkage_ceilings_are_those_of_the_typed_decimals():
    """21 agents at 30 % shrinkage are exactly 30 people; in floats 21 / (1 - 0.3) is
    30.000000000000004, and a plain ceil would schedule a 31st."""
    assert math.ceil(21 / (1 - 0.3)) == 31  # the trap this guards against
    assert scheduled_staff(21, 0.3) == 30
    assert math.ceil(2 / (1 - 0.8)) == 11
    assert scheduled_staff(2, 0.8) == 10


def test_the_occupancy_floor_is_an_exact_ceiling():
    assert agents_for_occupancy(Fraction(10), 0.85) == 12  # 11.76...
    assert math.ceil(4.2 / 0.7) == 7  # floats: 6.000000000000001
    assert agents_for_occupancy(Fraction(42, 10), 0.7) == 6
    assert agents_for_occupancy(Fraction(10), 1.0) == 10


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: traffic_intensity(-1, 1800, 180), "calls must be 0 or more"),
        (lambda: traffic_intensity(10, 0, 180), "interval must be longer than 0"),
        (lambda: traffic_intensity(10, 1800, 0), "handling time must be more than 0"),
        (lambda: traffic_intensity(math.nan, 1800, 180), "not a finite number"),
        (lambda: scheduled_staff(10, 1.0), "shrinkage must be in [0, 1)"),
        (lambda: agents_for_occupancy(Fraction(10), 0), "max occupancy must be in (0, 1]"),
    ],
)
def test_unusable_inputs_are_refused_by_name(call, message):
    with pytest.raises(StaffingError) as caught:
        call()
    assert message in str(caught.value)
    assert isinstance(caught.value, ServicelevelError | ValueError)
