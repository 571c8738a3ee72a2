"""Edits made on the Targets page take effect from a day; earlier windows keep old values."""

from __future__ import annotations

from datetime import UTC, date, datetime

from dashsite import NOW, TODAY

from servicelevel.config import load_targets
from servicelevel.config.history import (
    Edit,
    Segment,
    build_history,
    version_on,
)
from servicelevel.dashboard.targets_edit import save_edit
from servicelevel.evaluate import evaluate_range

D1, D2, D3 = date(2026, 3, 1), date(2026, 3, 10), date(2026, 3, 20)


def _edit(n: int, day: date, old: float, new: float) -> Edit:
    at = datetime(2026, 3, n, tzinfo=UTC)
    return Edit(n, at, "alice", "t", day, {"minimum": old}, {"minimum": new})


def test_an_edit_keeps_the_old_values_before_its_day():
    history = build_history([_edit(1, D2, 80, 85)])
    assert history == {"t": [Segment(D2, {"minimum": 80})]}


def test_later_edits_stack_up():
    history = build_history([_edit(1, D1, 70, 80), _edit(2, D2, 80, 85)])
    assert [(s.until, s.values["minimum"]) for s in history["t"]] == [(D1, 70), (D2, 80)]


def test_a_backdated_edit_cuts_the_segments_after_its_day():
    # 70 until D3, then 80; now someone sets 75 from D2: before D2 it is still 70.
    history = build_history([_edit(1, D3, 70, 80), _edit(2, D2, 80, 75)])
    assert [(s.until, s.values["minimum"]) for s in history["t"]] == [(D2, 70)]


def test_a_window_is_judged_by_the_version_of_its_first_day(site):
    targets = load_targets(site.targets_path).unwrap()
    target = targets.target("answer-20s")
    history = {"answer-20s": [Segment(TODAY, {"minimum": 30.0, "ideal": 35.0})]}
    assert version_on(target, history, date(2026, 3, 9)).minimum == 30.0
    assert version_on(target, history, TODAY).minimum == 80.0


def test_raising_a_minimum_from_today_leaves_yesterday_as_it_was(site):
    # Yesterday billing made 40 %: a breach under 80, met under a (backdated) 30.
    result = save_edit(
        site.engine,
        site.targets_path,
        "answer-20s",
        {"minimum": 30, "ideal": 35},
        effective_from=date(2026, 3, 9),
        actor="alice",
    )
    assert result.ok, result.errors
    save_edit(
        site.engine,
        site.targets_path,
        "answer-20s",
        {"minimum": 45, "ideal": 95},
        effective_from=TODAY,
        actor="alice",
    )
    targets = load_targets(site.targets_path).unwrap()
    # No history passed: evaluate reads the audit table itself, as status and the email do.
    statuses = evaluate_range(
        site.engine,
        targets,
        date(2026, 3, 8),
        date(2026, 3, 11),
        now=NOW,
        target_ids=["answer-20s"],
    )
    billing = {s.window.start_local.date(): s for s in statuses if s.scope == "billing"}
    assert billing[date(2026, 3, 8)].target.minimum == 80  # before any edit
    assert billing[date(2026, 3, 9)].target.minimum == 30
    assert billing[date(2026, 3, 9)].status == "ideal"  # 40 % >= 35
    assert billing[TODAY].target.minimum == 45
    assert billing[TODAY].status == "met"  # 50 % today
