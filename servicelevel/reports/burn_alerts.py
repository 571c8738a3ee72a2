"""Burn-rate alerts: a message when a target's error budget is being spent too fast, and one
when that is over, through the breach alerts' own channels.

Each check (the alerts job, every ``check_every_minutes``) reads, for each watched call rate,
its quarter hours since the longest rule's long window began (never before the target's own
window: a day's budget starts at midnight), sums them per rule into a long and a short window
and lets :func:`servicelevel.evaluate.burn.read` say ``burning``, ``calm`` or ``neutral`` (too
few contacts: no verdict either way). One :class:`~servicelevel.store.schema.BurnState` per
(target, scope, rule) turns verdicts into changes:

* ``ok`` -> ``firing`` once ``burning`` has held for the rule's ``for_minutes`` (neutral checks
  neither confirm nor reset it);
* ``firing`` -> ``ok`` once ``calm`` has held for ``keep_firing_minutes`` (default the short
  window), or at once when the target window it fired in is over (its budget is closed).

A window of L minutes is the L minutes of whole quarter hours before the current one, plus the
current quarter hour so far: the rollups count calls per 15 minutes, and a window that started
afresh every quarter hour would judge a burst by its first two calls.

Each change is an :class:`~servicelevel.store.schema.AlertFlip` (``burning`` / ``ok``) whose
``details`` hold the rule, windows and burns as JSON; :func:`servicelevel.reports.alerts.
send_pending` claims and delivers it by email and webhook with the breach flips (a digest when
many come at once), so a burn alert is sent once however many workers run.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from servicelevel.config import ConfigIssue, Target, Targets
from servicelevel.config.delivery import AlertSettings
from servicelevel.config.history import History, load_history
from servicelevel.config.translate import located_issue
from servicelevel.evaluate import Status, evaluate_windows
from servicelevel.evaluate.budget import budget_of, budget_text, success_share, successes_of
from servicelevel.evaluate.burn import (
    Reading,
    Rule,
    Window,
    configured_rules,
    default_rules,
    effective_factor,
    max_burn,
    read,
)
from servicelevel.reports.text import format_duration, format_value
from servicelevel.store.schema import AlertFlip, BurnState
from servicelevel.timeutil import INTERVAL, interval_start, window_containing, windows_between

log = logging.getLogger(__name__)

BURNING, OK = "burning", "ok"


def rules_for(target: Target, settings: AlertSettings) -> list[Rule]:
    """The burn rules that apply to ``target`` (none for a KPI without a budget)."""
    burn = settings.burn_rate
    definition = target.definition
    if burn is None or not (definition.calls and definition.has_budget):
        return []
    if not burn.watches(target.id, settings.watches(target.id)):
        return []
    if burn.rules is not None:
        return configured_rules(burn.rules, target.window)
    return default_rules(target.window)


@dataclass(frozen=True, slots=True)
class Observation:
    """What one check saw of one (target, scope): each rule's reading, and the window."""

    target: Target  # the version in force now
    scope: str
    window_start: datetime  # the target window holding now
    window_end: datetime
    readings: list[Reading]


def _sum(statuses: Sequence[Status], since: datetime) -> Window:
    volume = misses = 0
    for s in statuses:
        if s.window.start >= since and s.kpi.exact is not None:
            den = int(s.kpi.denominator)
            volume += den
            misses += den - successes_of(s.target.definition, int(s.kpi.numerator), den)
    return Window(volume, misses)


def observe(
    engine: Engine,
    targets: Targets,
    settings: AlertSettings,
    now: datetime,
    history: History | None = None,
) -> list[Observation]:
    """Every watched (target, scope)'s readings at ``now``, from its quarter hours."""
    tz = targets.operation.tz
    current = interval_start(now)
    plans: dict[str, tuple[list[Rule], datetime, datetime]] = {}
    for target in targets.targets:
        rules = rules_for(target, settings)
        if rules:
            own = window_containing(target.window, now, tz)
            plans[target.id] = (rules, own.start, own.end)
    if not plans:
        return []
    # Each target measured per quarter hour: the other targets stay, so the rollup spec (the
    # thresholds counted) is the store's own.
    quarterly = targets.model_copy(
        update={
            "targets": [
                t.model_copy(update={"window": "15min"}) if t.id in plans else t
                for t in targets.targets
            ]
        }
    )
    windows = {}
    for target_id, (rules, start, _end) in plans.items():
        longest = max(r.long_quarters for r in rules) * INTERVAL
        windows[target_id] = windows_between(
            "15min", max(start, current - longest), current + INTERVAL, tz
        )
    statuses = evaluate_windows(engine, quarterly, windows, now=now, history=history)
    by_scope: dict[tuple[str, str], list[Status]] = {}
    for s in statuses:
        by_scope.setdefault((s.target.id, s.scope), []).append(s)
    minimum_volume = settings.burn_rate.min_volume if settings.burn_rate else None
    out = []
    for (target_id, scope), found in by_scope.items():
        rules, start, end = plans[target_id]
        latest = found[-1]  # the current quarter hour: its version and staleness
        window = targets.target(target_id).window
        target = latest.target.model_copy(update={"window": window})  # as written, in force
        share = success_share(target.minimum, target.higher_is_better)
        volume = target.min_volume if minimum_volume is None else minimum_volume
        readings = []
        for rule in rules:
            long = _sum(found, current - rule.long_quarters * INTERVAL)
            short = _sum(found, current - rule.short_quarters * INTERVAL)
            reading = read(rule, share, long, short, volume)
            if latest.status == "stale":  # no current data: no verdict either way
                reading = Reading(rule, reading.factor, long, short, reading.long_burn,
                                  reading.short_burn, "neutral")  # fmt: skip
            readings.append(reading)
        out.append(Observation(target, scope, start, end, readings))
    return out


def _advance(state: BurnState, seen: Observation, reading: Reading, now: datetime) -> str | None:
    """Move one rule's state on by one reading; returns the new state when it changes."""
    state.checked_at = now
    state.last_long_burn = float(reading.long_burn) if reading.long_burn is not None else None
    state.last_short_burn = float(reading.short_burn) if reading.short_burn is not None else None
    if state.state == BURNING and state.window_start != seen.window_start:
        state.state, state.since, state.streak_since = OK, now, None  # its window is over
        return OK
    if reading.verdict == "neutral":
        return None
    wanted = "burning" if state.state == OK else "calm"
    if reading.verdict != wanted:
        state.streak_since = None
        return None
    if state.streak_since is None:
        state.streak_since = now
    rule = reading.rule
    hold = rule.for_minutes if state.state == OK else rule.keep_firing_minutes
    if now - state.streak_since < timedelta(minutes=hold):
        return None
    state.state = BURNING if state.state == OK else OK
    state.since, state.streak_since = now, None
    state.window_start = seen.window_start if state.state == BURNING else None
    return state.state


def _minutes(minutes: int) -> str:
    return format_duration(timedelta(minutes=minutes))


def _times(burn: Any) -> str:
    return "n/a" if burn is None else f"{float(burn):.1f}x"


def _reason(seen: Observation, reading: Reading, new: str, window_over: bool) -> str:
    rule = reading.rule
    windows = f"last {_minutes(rule.long_minutes)} and last {_minutes(rule.short_minutes)}"
    pace = f"alert above {float(reading.factor):g}x the pace the minimum allows"
    if new == BURNING:
        return (
            f"{rule.name} burn ({rule.severity}): the {windows} spent the error budget "
            f"{_times(reading.long_burn)} and {_times(reading.short_burn)} as fast as the minimum "
            f"allows ({pace})"
        )
    if window_over:
        return f"{rule.name} burn over: the window it burned in has ended"
    return (
        f"{rule.name} burn over: the last {_minutes(rule.short_minutes)} burned "
        f"{_times(reading.short_burn)} ({pace})"
    )


def _details(reading: Reading, budget: dict[str, Any]) -> str:
    rule = reading.rule
    return json.dumps(
        {
            "kind": "burn_rate",
            "rule": rule.name,
            "severity": rule.severity,
            "long_minutes": rule.long_minutes,
            "short_minutes": rule.short_minutes,
            "factor": float(reading.factor),
            "long_burn": float(reading.long_burn) if reading.long_burn is not None else None,
            "short_burn": float(reading.short_burn) if reading.short_burn is not None else None,
            "long_volume": reading.long.volume,
            "short_volume": reading.short.volume,
            **budget,
        }
    )


def _window_status(
    engine: Engine, targets: Targets, seen: Observation, now: datetime, history: History
) -> Status | None:
    """The target's own window so far (its value and budget go in the message)."""
    tz = targets.operation.tz
    own = window_containing(seen.target.window, seen.window_start, tz)
    found = evaluate_windows(engine, targets, {seen.target.id: [own]}, now=now, history=history)
    return next((s for s in found if s.scope == seen.scope), None)


def check(
    engine: Engine, targets: Targets, settings: AlertSettings, *, now: datetime | None = None
) -> list[int]:
    """Read every watched rule and record confirmed changes; returns the new flip ids."""
    now = now or datetime.now(UTC)
    if settings.burn_rate is None:
        return []
    history = load_history(engine)
    observations = observe(engine, targets, settings, now, history)
    if not observations:
        return []
    try:
        return _record(engine, targets, observations, now, history)
    except (StaleDataError, IntegrityError):
        log.info("burn check skipped: another worker updated the same states")
        return []


def _record(
    engine: Engine,
    targets: Targets,
    observations: Sequence[Observation],
    now: datetime,
    history: History,
) -> list[int]:
    flips: list[AlertFlip] = []
    with Session(engine) as session, session.begin():
        states = {
            (s.target_id, s.scope, s.rule): s for s in session.execute(select(BurnState)).scalars()
        }
        for seen in observations:
            for reading in seen.readings:
                key = (seen.target.id, seen.scope, reading.rule.name)
                state = states.get(key)
                if state is None:
                    state = BurnState(target_id=key[0], scope=key[1], rule=key[2], state=OK,
                                      since=now, checked_at=now)  # fmt: skip
                    session.add(state)
                    states[key] = state
                old_window = state.window_start
                new = _advance(state, seen, reading, now)
                if new is None:
                    continue
                window_over = new == OK and old_window not in (None, seen.window_start)
                flips.append(_flip(engine, targets, seen, reading, new, window_over, now, history))
        session.add_all(flips)
        session.flush()
        return [f.id for f in flips]


def _flip(
    engine: Engine,
    targets: Targets,
    seen: Observation,
    reading: Reading,
    new: str,
    window_over: bool,
    now: datetime,
    history: History,
) -> AlertFlip:
    target = seen.target
    status = None if window_over else _window_status(engine, targets, seen, now, history)
    found = budget_of(status.target, status.kpi) if status is not None else None
    reason = _reason(seen, reading, new, window_over)
    if found is not None:
        reason += f"; error budget {budget_text(target, found)} in this {target.window} so far"
        if status is not None and status.value is not None:
            reason += f" ({format_value(status.value, target.unit)})"
    budget = {
        "budget_allowed": found.allowed if found else None,
        "budget_remaining": found.remaining if found else None,
    }
    return AlertFlip(
        target_id=target.id, scope=seen.scope, old_status=OK if new == BURNING else BURNING,
        new_status=new, created_at=now, window_start=seen.window_start,
        window_end=seen.window_end, value=status.value if status is not None else None,
        minimum=target.minimum, ideal=target.ideal, reason=reason,
        details=_details(reading, budget),
    )  # fmt: skip


def capped_factor_warnings(
    targets: Targets, settings: AlertSettings | None, text: str, filename: str
) -> list[ConfigIssue]:
    """A warning for each written rule whose factor is capped for a target it watches.

    Valid (the rule still fires, at the cap), but probably not meant: a 14x rule copied from
    the SRE workbook can never be reached by an 80 % minimum, whose fastest burn is 5x.
    """
    burn = settings.burn_rate if settings is not None else None
    if settings is None or burn is None or burn.rules is None:
        return []
    out = []
    for i, written in enumerate(burn.rules):
        capped = []
        for target in targets.targets:
            rule = next((r for r in rules_for(target, settings) if r.name == written.name), None)
            share = success_share(target.minimum, target.higher_is_better)
            factor = effective_factor(rule.factor, share) if rule is not None else None
            if rule is not None and factor is not None and factor < rule.factor:
                top = max_burn(share)
                capped.append(f'"{target.id}" (at most {float(top or 0):g}x: {float(factor):g}x)')
        if capped:
            issue = located_issue(
                text, filename, ("alerts", "burn_rate", "rule", i, "factor"),
                f"factor {written.factor:g} can never be reached by {', '.join(capped)}, every "
                "contact missed; it applies at the cap, half way from 1x (docs/budgets.md)",
            )  # fmt: skip
            out.append(dataclasses.replace(issue, severity="warning"))
    return out
