"""Trends' budget series (``data_budget.budget_frame``) on both databases, by hand.

Test site (``dashsite``), minimum 80 %, min_volume 5; every planned call enters 08:00-08:36.
Today sales has 15 in time of 18 by 09:00 (floor(0.2 x 18) = 3 allowed, 3 spent: 0 left),
then two more in time at 10:01 and 10:03 (17 of 20: 4 allowed, 1 left). Billing: 5 of 10
today (2 allowed, 3 over), 4 of 10 yesterday (4 over): each day's budget starts afresh.
"""

from __future__ import annotations

from datetime import timedelta

from dashsite import NOW, TODAY

from servicelevel.config import Target, load_targets
from servicelevel.dashboard.data_budget import budget_frame, nests

YESTERDAY = TODAY - timedelta(days=1)
TOMORROW = TODAY + timedelta(days=1)


def _frame(site, target_id, first, last, granularity, **kw):
    targets = load_targets(site.targets_path).unwrap()
    return budget_frame(
        site.engine, targets, {}, target_id, first, last, granularity, now=NOW, **kw
    )


def _series(frame, scope):
    part = frame[frame["scope"] == scope]
    return {f"{s:%d %H:%M}": r for s, r in zip(part["start"], part["remaining"], strict=True)}


def test_hourly_points_spend_the_days_budget_hour_by_hour(site):
    frame = _frame(site, "answer-20s", TODAY, TOMORROW, "hour", per_queue=True)
    sales = _series(frame, "sales")
    assert (sales["10 08:00"], sales["10 09:00"], sales["10 10:00"]) == (0, 0, 1)
    assert _series(frame, "billing")["10 08:00"] == -3
    assert _series(frame, "billing")["10 12:00"] == -3  # nothing since: still 3 over
    # before the first call of the day there is nothing to judge (min_volume 5)
    assert (
        frame[frame["start"].astype(str).str.startswith("2026-03-10 07:00")]["text"].tolist()
        == ["n/a"] * 3
    )


def test_a_new_day_starts_with_a_new_budget(site):
    frame = _frame(site, "answer-20s", YESTERDAY, TOMORROW, "hour", per_queue=True)
    billing = _series(frame, "billing")
    assert (billing["09 08:00"], billing["09 17:00"], billing["10 08:00"]) == (-4, -4, -3)


def test_daily_points_are_each_days_own_budget(site):
    frame = _frame(site, "answer-20s", YESTERDAY, TOMORROW, "day", per_queue=True)
    rows = {(r.scope, f"{r.start:%d}"): (r.allowed, r.spent, r.remaining, r.text)
            for r in frame.itertuples()}  # fmt: skip
    assert rows[("billing", "09")] == (2, 6, -4, "overspent by 4: 6 late answers, 2 allowed")
    assert rows[("sales", "10")] == (4, 3, 1, "1 of 4 late answers allowed left (25 %)")


def test_a_mean_has_no_budget_series(site):
    targets = load_targets(site.targets_path).unwrap()
    asa = Target(id="asa", name="ASA", kpi="asa", minimum=30, ideal=20)
    with_asa = targets.model_copy(update={"targets": [*targets.targets, asa]})
    assert budget_frame(site.engine, with_asa, {}, "asa", TODAY, TOMORROW, "hour", now=NOW).empty


def test_which_points_add_up_to_a_window():
    assert nests("hour", "day") and nests("day", "week") and nests("day", "month")
    assert not nests("week", "month") and not nests("day", "day") and not nests("week", "day")
