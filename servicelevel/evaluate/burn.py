"""Burn rates: how fast a window's error budget is being spent, and the rules that alert on it.

burn rate = miss rate over a trailing stretch / the miss rate the minimum allows. At 1 the budget
lasts exactly to the window's end; at 2 it is gone half way. A rule has a long and a short
window and a factor, and *burns* when both windows burn faster than the factor: the long window
says the burn is real (not three late calls), the short one that it is still going on (so the
alert resolves soon after the burst ends). This is the SRE workbook's multi-window,
multi-burn-rate alert, with Pyrra's four rules as the defaults, scaled to each target's window
(:func:`default_rules`; docs/budgets.md explains every choice).

Pure: counts in, verdicts out. Reading the counts and keeping the alert states is
:mod:`servicelevel.reports.burn_alerts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from servicelevel.config.burn_rate import QUARTER, BurnRule

Verdict = Literal["burning", "calm", "neutral"]

# Pyrra's rules for a 28-day objective: (name, severity, for, long, short, factor), minutes.
PYRRA_DAYS = 28
PYRRA: tuple[tuple[str, str, float, float, float, float], ...] = (
    ("fastest", "critical", 2, 60, 5, 14),
    ("fast", "critical", 15, 6 * 60, 30, 7),
    ("slow", "warning", 60, 24 * 60, 2 * 60, 2),
    ("slowest", "warning", 3 * 60, 4 * 24 * 60, 6 * 60, 1),
)
# The length each target window stands for when the rules are scaled (a month as 30 days).
WINDOW_MINUTES = {"15min": 15, "hour": 60, "day": 24 * 60, "week": 7 * 24 * 60, "month": 30 * 1440}


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule as it applies to one target: whole quarter hours, its factor capped to fire."""

    name: str
    severity: str
    long_quarters: int
    short_quarters: int
    factor: Fraction  # as written (or Pyrra's), before the cap
    for_minutes: float
    keep_firing_minutes: float

    @property
    def long_minutes(self) -> int:
        return self.long_quarters * QUARTER

    @property
    def short_minutes(self) -> int:
        return self.short_quarters * QUARTER


def _quarters(minutes: float) -> int:
    """Minutes as whole quarter hours, the nearest, at least one."""
    return max(round(minutes / QUARTER), 1)


def default_rules(window: str) -> list[Rule]:
    """Pyrra's four rules scaled from 28 days to ``window``, in whole quarter hours.

    Each window is ``minutes x window / 28 days``, rounded to the nearest quarter hour (at least
    one): the rollups count calls per 15 minutes. A rule whose long window is then no longer
    than its short one could not tell a burst from a trend and is dropped; so a day keeps
    "slow" (45 min / 15 min, 2x) and "slowest" (3 h 30 / 15 min, 1x), a week three rules, a
    month all four, and a 15-minute or hour target none (its breach alerts come as soon).
    """
    scale = Fraction(WINDOW_MINUTES[window], PYRRA_DAYS * 24 * 60)
    rules = []
    for name, severity, hold, long, short, factor in PYRRA:
        long_q, short_q = _quarters(long * scale), _quarters(short * scale)
        if long_q <= short_q:
            continue
        rules.append(
            Rule(name, severity, long_q, short_q, Fraction(factor), round(hold * scale),
                 short_q * QUARTER)
        )  # fmt: skip
    return rules


def configured_rules(rules: Sequence[BurnRule], window: str) -> list[Rule]:
    """The rules of ``[alerts.burn_rate]`` that apply to a target of ``window``."""
    return [
        Rule(
            r.name, r.severity, int(r.long_minutes // QUARTER), int(r.short_minutes // QUARTER),
            Fraction(str(r.factor)), r.for_minutes,
            r.short_minutes if r.keep_firing_minutes is None else r.keep_firing_minutes,
        )
        for r in rules
        if window in r.windows
    ]  # fmt: skip


def allowed_miss_rate(share: Fraction) -> Fraction:
    """The miss rate a bound allows: 1 - its success share (0.2 for an 80 % minimum)."""
    return 1 - share


def max_burn(share: Fraction) -> Fraction | None:
    """The fastest possible burn, every contact missed: 1 / allowed miss rate (5x at 80 %).

    None when nothing may be missed (a 100 % minimum: any miss is a breach, not a burn).
    """
    allowed = allowed_miss_rate(share)
    return None if allowed == 0 else 1 / allowed


def effective_factor(factor: Fraction, share: Fraction) -> Fraction | None:
    """``factor``, capped half way between on pace (1x) and the fastest possible burn.

    Why: an 80 % minimum can burn at most 5x (every call late), so the SRE workbook's 14.4x
    and 6x could never fire. The cap keeps a rule able to fire on a real burst (at 80 %: at
    most 3x, a miss rate of 60 %) and leaves high minimums (99 %: up to 50.5x) untouched. None:
    no burn can be measured (a 100 % minimum) or exceed 1x (a 0 % minimum never breaches).
    """
    top = max_burn(share)
    if top is None or top <= 1:
        return None
    return min(factor, (1 + top) / 2)


def burn_rate(misses: int, volume: int, share: Fraction) -> Fraction | None:
    """Miss rate over the allowed miss rate; None for an empty window or a 100 % bound."""
    allowed = allowed_miss_rate(share)
    if volume <= 0 or allowed == 0:
        return None
    return Fraction(misses, volume) / allowed


@dataclass(frozen=True, slots=True)
class Window:
    """A trailing window's counts: contacts and misses (see :mod:`.budget` for a miss)."""

    volume: int
    misses: int


@dataclass(frozen=True, slots=True)
class Reading:
    """One rule's look at one target and scope: both burns, and what they say."""

    rule: Rule
    factor: Fraction
    long: Window
    short: Window
    long_burn: Fraction | None
    short_burn: Fraction | None
    verdict: Verdict


def read(rule: Rule, share: Fraction, long: Window, short: Window, min_volume: int) -> Reading:
    """``burning`` when both windows exceed the (capped) factor; ``neutral`` when either has
    fewer than ``min_volume`` contacts (too few to say anything); else ``calm``."""
    factor = effective_factor(rule.factor, share)
    long_burn = burn_rate(long.misses, long.volume, share)
    short_burn = burn_rate(short.misses, short.volume, share)
    enough = min(long.volume, short.volume) >= max(min_volume, 1)
    if factor is None or long_burn is None or short_burn is None or not enough:
        verdict: Verdict = "neutral"
    elif long_burn > factor and short_burn > factor:
        verdict = "burning"
    else:
        verdict = "calm"
    return Reading(rule, factor or rule.factor, long, short, long_burn, short_burn, verdict)
