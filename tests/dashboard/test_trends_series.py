"""Trends as data: "n/a" for empty windows, a y-axis fitted to the data and the bands, and a
point for a range shorter than its period ("Today" with weekly points)."""

from __future__ import annotations

import math
from datetime import timedelta

from dashsite import NOW, TODAY

from servicelevel.config import load_targets
from servicelevel.dashboard import data_history as dh
from servicelevel.dashboard import fmt
from servicelevel.dashboard.components.charts import trend_figure, y_range

TOMORROW = TODAY + timedelta(days=1)
WEEK = (TODAY - timedelta(days=6), TOMORROW)


def _frame(site, target_id, first, last, granularity, **kw):
    targets = load_targets(site.targets_path).unwrap()
    return dh.trend_frame(
        site.engine, targets, {}, target_id, first, last, granularity, now=NOW, **kw
    )


def _figure(frame, unit="%", higher_is_better=True):
    return trend_figure(
        frame, name="x", unit=unit, higher_is_better=higher_is_better, tz_name="Europe/Paris"
    )


# --- n/a --------------------------------------------------------------------------------------


def test_an_empty_window_reads_n_a_never_nan():
    assert fmt.value_text(float("nan"), "%") == "n/a"
    assert fmt.value_text(None, "s") == "n/a"
    assert fmt.value_text(85.0, "%") == "85.0 %" and fmt.value_text(42.4, "s") == "42 s"


def test_the_hours_without_calls_are_n_a_in_the_points_and_the_hover(site):
    frame = _frame(site, "answer-20s", TODAY, TOMORROW, "hour", queues=["support"])
    night = frame[frame["start"].dt.hour == 3].iloc[0]
    assert math.isnan(night["value"]) and night["value_text"] == "n/a"
    assert "nan" not in " ".join(frame["value_text"])
    eight = frame[frame["start"].dt.hour == 8].iloc[0]
    assert eight["value_text"] == "96.0 %"

    fig = _figure(frame)
    [empty] = [t for t in fig.data if t.name == "n/a (no value)"]
    assert len(empty.x) == int(frame["value"].isna().sum())
    assert {row[1] for row in empty.customdata} == {"n/a"}
    assert "%{customdata[1]}" in empty.hovertemplate
    [line] = [t for t in fig.data if t.name == "All queues"]
    assert "%{y" not in line.hovertemplate  # the value as text: never Plotly's "nan"
    shown = {row[1] for row in line.customdata}
    assert "n/a" in shown and "96.0 %" in shown and not any("nan" in s for s in shown)


# --- the y-axis -------------------------------------------------------------------------------


def test_the_y_axis_fits_the_values_and_the_bands():
    # An abandon rate of 3-7 % against 8 / 3: a tenth of the span as room, not 0-100 %.
    assert y_range([3.5, 7.0, None, float("nan")], [8.0, 3.0], "%") == (2.0, 9.0)
    # Never above 100 % or below 0.
    assert y_range([99.5, 100.0], [80.0, 90.0], "%") == (78.0, 100.0)
    assert y_range([0.0, 1.0], [5.0, 2.0], "%") == (0.0, 6.0)
    # Seconds have no top; a flat series still gets room.
    assert y_range([30.0, 30.0], [30.0, 30.0], "s") == (29.0, 31.0)
    assert y_range([None], [], "%") == (0.0, 100.0)


def test_the_chart_uses_the_fitted_axis_for_a_lower_is_better_kpi(site):
    frame = _frame(site, "abandon-rate", *WEEK, "day")
    values = frame["value"].dropna()
    assert len(values) and values.max() < 50  # the site's abandon rates are far below 100 %
    fig = _figure(frame, higher_is_better=False)
    low, high = fig.layout.yaxis.range
    assert (low, high) == y_range(frame["value"], [*frame["minimum"], *frame["ideal"]], "%")
    assert high < 100 and low <= min(values.min(), 3.0) and high >= max(values.max(), 8.0)


# --- a range shorter than its points ------------------------------------------------------------


def test_today_with_weekly_or_monthly_points_falls_back_to_the_day(site):
    tz = load_targets(site.targets_path).unwrap().operation.tz
    assert TODAY.weekday() == 1  # a Tuesday: no week and no month starts today
    for chosen in ("week", "month"):
        assert dh.fitting_granularity(chosen, TODAY, TOMORROW, tz) == "day"
        assert _frame(site, "answer-20s", TODAY, TOMORROW, chosen).empty  # why it must
    day = _frame(site, "answer-20s", TODAY, TOMORROW, "day", per_queue=True)
    assert list(day["volume"]) == [10, 20, 25] and list(day["value"]) == [50.0, 85.0, 96.0]


def test_the_chosen_points_stay_when_one_of_them_starts_in_the_range(site):
    tz = load_targets(site.targets_path).unwrap().operation.tz
    assert dh.fitting_granularity("week", *WEEK, tz) == "week"  # Monday 9 March is in it
    assert dh.fitting_granularity("month", *WEEK, tz) == "week"  # 1 March is not
    assert dh.fitting_granularity("month", TODAY - timedelta(days=29), TOMORROW, tz) == "month"
    assert dh.fitting_granularity("hour", TODAY, TOMORROW, tz) == "hour"
    assert dh.fitting_granularity("15min", TODAY, TOMORROW, tz) == "15min"
    monday = TODAY - timedelta(days=1)
    assert dh.fitting_granularity("week", monday, monday + timedelta(days=1), tz) == "week"
