"""Breaches are runs of breached windows; trends carry the bounds in force at each point."""

from __future__ import annotations

from datetime import date, timedelta

from dashsite import NOW, TODAY

from servicelevel.config import load_targets
from servicelevel.dashboard import data_history as dh
from servicelevel.dashboard import data_queue as dq

WEEK = (TODAY - timedelta(days=6), TODAY + timedelta(days=1))


def _targets(site):
    return load_targets(site.targets_path).unwrap()


def test_two_breached_days_in_a_row_are_one_ongoing_breach(site):
    found = dh.breaches(site.engine, _targets(site), {}, *WEEK, now=NOW, target_ids=["answer-20s"])
    (billing,) = found
    row = dh.breach_row(billing, _targets(site), NOW)
    assert (row["queue"], row["start"], row["end"]) == (
        "billing",
        "2026-03-09 00:00 CET",
        "ongoing",
    )
    assert billing.windows == 2
    assert row["worst"] == "40.0 %" and row["depth"] == "40 %"
    assert row["drilldown"] == "[Open 2026-03-09](/queue?queue=billing&day=2026-03-09)"


def test_breaches_filter_by_queue(site):
    assert dh.breaches(site.engine, _targets(site), {}, *WEEK, now=NOW, queues=["sales"]) == []


def test_a_lower_is_better_breach_has_its_depth_above_the_minimum(site):
    (abandons,) = dh.breaches(
        site.engine, _targets(site), {}, *WEEK, now=NOW, target_ids=["abandon-rate"]
    )
    assert abandons.worst_value == 30.0 and abandons.depth == 22.0 and not abandons.ongoing


def test_a_trend_has_one_point_per_window_and_queue(site):
    frame = dh.trend_frame(
        site.engine, _targets(site), {}, "answer-20s", *WEEK, "day", per_queue=True, now=NOW
    )
    today = frame[frame["start"].dt.date == TODAY].set_index("scope")
    assert today.loc["sales", "value"] == 85.0
    assert today.loc["billing", "status"] == "breach"
    assert set(frame["minimum"]) == {80.0}


def test_a_trend_can_use_smaller_windows_than_its_target(site):
    frame = dh.trend_frame(
        site.engine,
        _targets(site),
        {},
        "answer-20s",
        TODAY,
        TODAY + timedelta(days=1),
        "hour",
        queues=["support"],
        now=NOW,
    )
    assert len(frame) == 24
    eight = frame[frame["start"].dt.hour == 8].iloc[0]
    assert eight["value"] == 96.0 and eight["volume"] == 25


def test_the_drill_down_lists_intervals_agents_and_abandoned_calls(site):
    targets = _targets(site)
    rows = dq.intervals(site.engine, targets, "support", TODAY, dq.sl_targets(targets)[0], NOW)
    assert len(rows) == 96
    by_time = {r["interval"]: r for r in rows}
    assert by_time["08:00 CET"]["offered"] == 8 and by_time["08:00 CET"]["sl"] == 100.0
    assert by_time["07:45 CET"]["agents_logged_in_min"] == 5.0  # logged in at 07:55
    assert by_time["09:00 CET"]["agents_paused_min"] == 15.0
    assert by_time["09:30 CET"]["agents_logged_in_min"] == 15.0  # one agent left at 09:30
    assert by_time["10:15 CET"].get("agents_logged_in_min", 0) == 0  # the future is empty
    abandoned = dq.abandoned_calls(site.engine, targets, "sales", TODAY)
    assert [(a["entered"], a["wait"], a["counted"]) for a in abandoned] == [
        ("08:32:30 CET", "30 s", "yes"),
        ("08:34:30 CET", "30 s", "yes"),
        ("09:50:00 CET", "2 s", "no: short abandon"),
    ]
    assert set(abandoned[0]) == {"entered", "wait", "wait_s", "queue", "short", "counted"}


def test_a_queue_without_member_events_has_no_agent_columns(site):
    targets = _targets(site)
    rows = dq.intervals(site.engine, targets, "sales", date(2026, 3, 10), None, NOW)
    assert "agents_logged_in_min" not in rows[0] and rows[0]["sl"] is None
