"""Burn rates and rules against hand-worked figures (docs/budgets.md)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from servicelevel.evaluate.budget import success_share
from servicelevel.evaluate.burn import (
    Rule,
    Window,
    burn_rate,
    default_rules,
    effective_factor,
    max_burn,
    read,
)

EIGHTY = success_share(80, higher_is_better=True)  # 4/5: 20 % of calls may miss


def _shape(window: str) -> list[tuple[str, str, int, int, Fraction, float, float]]:
    return [
        (r.name, r.severity, r.long_minutes, r.short_minutes, r.factor, r.for_minutes,
         r.keep_firing_minutes)
        for r in default_rules(window)
    ]  # fmt: skip


def test_pyrra_rules_scaled_to_a_day_keep_the_two_that_fit_quarter_hours():
    # x 1 day / 28 days: 1 h -> 2.1 min and 6 h -> 12.9 min both round to one quarter hour,
    # like their short windows, so they are dropped; 1 d -> 51.4 min -> 45 min over
    # 2 h -> 4.3 min -> 15 min; 4 d -> 205.7 min -> 3 h 30 over 6 h -> 12.9 min -> 15 min.
    # The hold ("for") is Pyrra's 1 h and 3 h scaled the same way, to the minute.
    assert _shape("day") == [
        ("slow", "warning", 45, 15, 2, 2, 15),
        ("slowest", "warning", 210, 15, 1, 6, 15),
    ]


def test_pyrra_rules_scaled_to_a_week_and_a_month():
    # x 7 / 28: 1 h -> 15 min over 1.25 min -> 15 min (dropped); 6 h -> 1 h 30 over 7.5 min,
    # at least one quarter hour; 1 d -> 6 h over 30 min; 4 d -> 24 h over 1 h 30.
    assert [(n, lo, sh, f) for n, _s, lo, sh, f, _h, _k in _shape("week")] == [
        ("fast", 90, 15, 7),
        ("slow", 360, 30, 2),
        ("slowest", 1440, 90, 1),
    ]
    # x 30 / 28: 1 h -> 64.3 min -> 1 h over 5.4 min -> 15 min, and so on: all four
    assert [(n, lo, sh) for n, _s, lo, sh, _f, _h, _k in _shape("month")] == [
        ("fastest", 60, 15),
        ("fast", 390, 30),
        ("slow", 1545, 135),
        ("slowest", 6165, 390),
    ]


@pytest.mark.parametrize("window", ["15min", "hour"])
def test_a_quarter_hour_or_hour_target_has_no_default_rule(window):
    assert default_rules(window) == []


def test_at_80_percent_the_fastest_burn_is_5x_and_factors_are_capped_at_3x():
    assert max_burn(EIGHTY) == 5  # every call late: 100 % / 20 %
    # half way between 1x and 5x: 14x and 7x could never fire, 2x and 1x are left alone
    assert effective_factor(Fraction(14), EIGHTY) == 3
    assert effective_factor(Fraction(7), EIGHTY) == 3
    assert effective_factor(Fraction(2), EIGHTY) == 2
    # 99 %: at most 100x, cap 50.5x: Pyrra's 14x unchanged
    assert effective_factor(Fraction(14), success_share(99, True)) == 14
    # an abandon rate with a 5 % maximum: at most 20x, cap 10.5x
    assert effective_factor(Fraction(14), success_share(5, False)) == Fraction(21, 2)
    # nothing may be missed (100 %), or everything may (0 %): no burn to alert on
    assert effective_factor(Fraction(2), Fraction(1)) is None
    assert effective_factor(Fraction(2), Fraction(0)) is None


def test_burn_rate_is_the_miss_rate_over_the_allowed_one():
    # 28 late of 55 against 20 % allowed: 28 / 55 / 0.2 = 2.545...
    assert burn_rate(28, 55, EIGHTY) == Fraction(28, 11)
    assert burn_rate(0, 0, EIGHTY) is None
    assert burn_rate(1, 10, Fraction(1)) is None


SLOW = Rule("slow", "warning", 3, 1, Fraction(2), 2, 15)


def test_a_rule_burns_only_when_both_windows_exceed_the_factor():
    # long 46 % late (2.3x), short 100 % (5x): burning
    assert read(SLOW, EIGHTY, Window(50, 23), Window(20, 20), 5).verdict == "burning"
    # long exactly 2x (40 %) is not above it
    assert read(SLOW, EIGHTY, Window(45, 18), Window(15, 15), 5).verdict == "calm"
    # the burst is over: the short window is calm although the long one still burns
    assert read(SLOW, EIGHTY, Window(45, 31), Window(15, 1), 5).verdict == "calm"


def test_a_window_under_min_volume_says_nothing():
    reading = read(SLOW, EIGHTY, Window(50, 40), Window(4, 4), 5)
    assert reading.verdict == "neutral"
    assert reading.short_burn == 5  # still measured, for the state's last readings
    assert read(SLOW, EIGHTY, Window(0, 0), Window(0, 0), 0).verdict == "neutral"


def test_a_capped_rule_can_fire_on_a_real_burst():
    fastest = Rule("fastest", "critical", 4, 1, Fraction(14), 0, 15)
    # 70 % late in both windows is 3.5x: above the 3x cap, far below the 14x as written
    reading = read(fastest, EIGHTY, Window(100, 70), Window(20, 14), 5)
    assert (reading.factor, reading.verdict) == (3, "burning")
