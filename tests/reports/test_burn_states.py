"""One burn-rate rule's state through a wobbling burn: it fires once and resolves once.

The readings are made up (the maths of each is tests/evaluate/test_burn.py); what is checked is
the state machine of ``burn_alerts._advance``: a hold before firing, a keep-firing time before
resolving, neutral readings (too few contacts) that neither confirm nor reset, and the end of
the target window closing a burn at once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

from servicelevel.config import Target
from servicelevel.evaluate.burn import Reading, Rule, Window
from servicelevel.reports.burn_alerts import Observation, _advance
from servicelevel.store.schema import BurnState

START = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
DAY = START.replace(hour=0)
RULE = Rule("slow", "warning", 3, 1, Fraction(2), for_minutes=2, keep_firing_minutes=15)
TARGET = Target(id="t", name="T", kpi="service_level", threshold_seconds=20, minimum=80,
                ideal=90)  # fmt: skip


def _reading(verdict: str) -> Reading:
    burns = (None, None)
    return Reading(RULE, Fraction(2), Window(50, 25), Window(20, 20), *burns, verdict)  # type: ignore[arg-type]


def _run(verdicts: str, window_start: datetime = DAY) -> list[tuple[int, str]]:
    """Checks every 5 minutes: B burning, C calm, N neutral; (minute, new state) changes."""
    state = BurnState(target_id="t", scope="*", rule="slow", state="ok", since=START,
                      checked_at=START)  # fmt: skip
    seen = Observation(TARGET, "*", window_start, window_start + timedelta(days=1), [])
    changes = []
    words = {"B": "burning", "C": "calm", "N": "neutral"}
    for i, letter in enumerate(verdicts):
        now = START + timedelta(minutes=5 * i)
        new = _advance(state, seen, _reading(words[letter]), now)
        if new is not None:
            changes.append((5 * i, new))
    return changes


def test_a_wobbling_burn_fires_once_and_resolves_once():
    # Fires at 5 (held 5 >= 2 min). Calm at 10, burning at 15: reset; calm at 25 and 30
    # (5 min < 15), burning at 35: reset; calm from 45: resolved at 60, 15 minutes later.
    assert _run("BBCBBCCBBCCCCC") == [(5, "burning"), (60, "ok")]


def test_a_single_burning_check_does_not_fire_with_a_hold():
    assert _run("BCBCBC") == []


def test_neutral_checks_neither_confirm_nor_reset():
    # B at 0, N at 5 (too few calls), B at 10: held 10 min >= 2: fires at 10
    assert _run("BNB") == [(10, "burning")]
    # firing; calm at 15, neutral, neutral, calm at 30 = 15 min after the first calm
    assert _run("BBNCNNC") == [(5, "burning"), (30, "ok")]


def test_a_burn_ends_with_its_window():
    state = BurnState(target_id="t", scope="*", rule="slow", state="burning", since=START,
                      checked_at=START, window_start=DAY)  # fmt: skip
    tomorrow = DAY + timedelta(days=1)
    seen = Observation(TARGET, "*", tomorrow, tomorrow + timedelta(days=1), [])
    # too few calls to say anything, but the day it burned in is over
    assert _advance(state, seen, _reading("neutral"), tomorrow + timedelta(minutes=5)) == "ok"
    assert state.state == "ok" and state.streak_since is None
