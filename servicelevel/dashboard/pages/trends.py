"""Trends: any target's KPI over a day, week, month or custom range, per queue or together.

The minimum and ideal are drawn as bands that follow the values in force at each point, breaches
are marked with a cross, and the volume counted is drawn underneath. The points are also listed
in a table (a chart alone is not accessible).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from servicelevel.dashboard import data_budget, fmt
from servicelevel.dashboard import data_history as dh
from servicelevel.dashboard.components import charts
from servicelevel.dashboard.components.budget_chart import budget_figure
from servicelevel.dashboard.components.filters import (
    PERIODS,
    date_range,
    dropdown,
    field,
    message,
    radio,
)
from servicelevel.dashboard.components.grid import col, grid
from servicelevel.dashboard.data_queue import queue_names
from servicelevel.dashboard.state import current

dash.register_page(__name__, path="/trends", name="Trends", title="Trends - servicelevel", order=1)

ALL_TOGETHER = "*"


def _today() -> date:
    state = current()
    targets, _ = state.targets()
    tz = targets.operation.tz if targets else None
    return state.now().astimezone(tz).date()


def layout(target: str | None = None, period: str = "7d", **_query: Any) -> html.Div:
    state = current()
    targets, _ = state.targets()
    if targets is None:
        return html.Div(dbc.Alert("No valid targets are loaded.", color="danger"))
    ids = [(t.id, t.name) for t in targets.targets]
    chosen = target if target in dict(ids) else ids[0][0]
    chosen_target = targets.target(chosen)
    first, last = dh.preset_range(period, _today())
    queues = [(ALL_TOGETHER, "All queues together")] + [(q, q) for q in queue_names(state.engine)]
    granularity = "hour" if period == "today" else "day"
    filters = dbc.Row(
        [
            field("Target", dropdown("trends-target", ids, chosen), "trends-target", 4),
            field(
                "Queues",
                dropdown("trends-queues", queues, [ALL_TOGETHER], multi=True),
                "trends-queues",
                3,
            ),
            field(
                "Show",
                radio(
                    "trends-split",
                    [("together", "together"), ("per_queue", "per queue")],
                    "per_queue" if chosen_target.per_queue else "together",
                ),
                "trends-split",
                2,
            ),
            field(
                "Points every",
                radio(
                    "trends-granularity",
                    [(g, dh.GRANULARITY_LABEL[g]) for g in dh.GRANULARITIES],
                    granularity,
                ),
                "trends-granularity",
                3,
            ),
            field("Period", radio("trends-period", PERIODS, period), "trends-period", 5),
            field(
                "From - to (local days)",
                date_range("trends-dates", first, last - timedelta(days=1)),
                "trends-dates",
                4,
            ),
        ],
        className="sl-filters g-2",
    )
    return html.Div(
        [
            html.H1("Trends", className="sl-page-title"),
            html.P(
                f"All times {targets.operation.timezone}. Shaded: below the minimum (red) and "
                "at or better than the ideal (green), as they applied at each point.",
                className="sl-help",
            ),
            filters,
            message("trends-message"),
            dcc.Loading(dcc.Graph(id="trends-graph", config={"displaylogo": False}), type="dot"),
            html.H2("Error budget", className="h5 mt-3"),
            html.P(
                "Misses the minimum still allows in each of the target's windows (below zero: "
                "overspent, the minimum is broken). Points finer than the target's window add "
                "up from the window's start.",
                className="sl-help",
            ),
            dcc.Loading(dcc.Graph(id="trends-budget", config={"displaylogo": False}), type="dot"),
            html.H2("Points", className="h5 mt-3"),
            html.Div(id="trends-table"),
        ]
    )


@callback(
    Output("trends-dates", "start_date"),
    Output("trends-dates", "end_date"),
    Input("trends-period", "value"),
    prevent_initial_call=True,
)
def pick_period(period: str) -> tuple[Any, Any]:
    if period == "custom":
        return dash.no_update, dash.no_update
    first, last = dh.preset_range(period, _today())
    return first.isoformat(), (last - timedelta(days=1)).isoformat()


POINT_COLUMNS = [
    col("label", "Window"),
    col("scope", "Queue"),
    col("value_text", "Value"),
    col("status_text", "Status"),
    col("volume", "Counted", numeric=True),
    col("minimum", "Minimum", numeric=True),
    col("ideal", "Ideal", numeric=True),
    col("budget_text", "Error budget"),
]


@callback(
    Output("trends-graph", "figure"),
    Output("trends-budget", "figure"),
    Output("trends-table", "children"),
    Output("trends-message", "children"),
    Input("trends-target", "value"),
    Input("trends-queues", "value"),
    Input("trends-split", "value"),
    Input("trends-granularity", "value"),
    Input("trends-dates", "start_date"),
    Input("trends-dates", "end_date"),
)
def draw(
    target_id: str,
    queues: list[str] | None,
    split: str,
    granularity: str,
    start: str | None,
    end: str | None,
) -> tuple[Any, Any, Any, str]:
    state = current()
    targets, _ = state.targets()
    if targets is None or not start or not end:
        return (*_nothing("Choose a target and a period."), None, "")
    first, last = date.fromisoformat(start[:10]), date.fromisoformat(end[:10])
    if last < first:
        return (*_nothing("The last day is before the first."), None, "")
    days = (last - first).days + 1
    if days > dh.MAX_DAYS[granularity]:
        note = (
            f"Points every {dh.GRANULARITY_LABEL[granularity].lower()} are shown for "
            f"{dh.MAX_DAYS[granularity]} days at most; choose a shorter period or larger "
            "points."
        )
        return (*_nothing(note), None, note)
    target = targets.target(target_id)
    chosen = [q for q in (queues or []) if q != ALL_TOGETHER]
    per_queue = split == "per_queue" and target.definition.calls
    tick = state.tick(targets)
    note = "" if target.definition.calls else f"{target.name} covers the whole operation."
    fitted = dh.fitting_granularity(
        granularity, first, last + timedelta(days=1), targets.operation.tz
    )
    if fitted != granularity:  # e.g. "Today" with weekly points: no week starts in it
        shorter = (
            f"No {dh.GRANULARITY_LABEL[granularity].lower()} starts in this period: points "
            f"every {dh.GRANULARITY_LABEL[fitted].lower()} are shown instead."
        )
        note = f"{note} {shorter}".strip()
    frame = dh.trend_frame(
        state.engine,
        targets,
        state.history(tick),
        target_id,
        first,
        last + timedelta(days=1),
        fitted,
        queues=chosen,
        per_queue=per_queue,
        now=state.now(),
    )
    if frame.empty:
        return (*_nothing("Nothing to show for this period."), None, note)
    budgets = data_budget.budget_frame(
        state.engine, targets, state.history(tick), target_id, first, last + timedelta(days=1),
        fitted, queues=chosen, per_queue=per_queue, now=state.now(),
    )  # fmt: skip
    budget_of = {(b.label, b.scope): b.text for b in budgets.itertuples()}
    fig = charts.trend_figure(
        frame,
        name=target.name,
        unit=target.unit,
        higher_is_better=target.higher_is_better,
        tz_name=targets.operation.timezone,
    )
    rows = [
        {
            "label": r.label,
            "scope": r.scope,
            "value_text": r.value_text,  # "n/a" for an empty window, never "nan %"
            "status_text": f"{fmt.STATUS_ICON[r.status]} {fmt.STATUS_WORD[r.status]}",
            "volume": r.volume,
            "minimum": r.minimum,
            "ideal": r.ideal,
            "budget_text": budget_of.get((r.label, r.scope), "–"),
        }
        for r in frame.itertuples()
    ]
    if target.definition.has_budget:
        budget_fig = budget_figure(
            budgets, name=target.name, miss_word=target.definition.miss[1],
            tz_name=targets.operation.timezone,
        )  # fmt: skip
    else:
        budget_fig = charts.empty_figure(
            f"{target.name} has no error budget: it is a {target.definition.shape}, not a share "
            "of contacts."
        )
    grid_ = grid("trends-grid", rows, POINT_COLUMNS, height="360px")
    return fig, budget_fig, grid_, note


def _nothing(message: str) -> tuple[Any, Any]:
    """The same message in both charts."""
    return charts.empty_figure(message), charts.empty_figure(message)
