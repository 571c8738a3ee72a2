"""Breaches: every time a target fell below its minimum, with start, end, depth and duration.

A breach is a run of breached windows of one target and queue, as
:mod:`servicelevel.evaluate.breaches` defines it for every reader (the weekly email, the alerts
and ``servicelevel status --breaches`` show the same ones). Each call-KPI breach links to the
queue drill-down of its first day, where the calls behind it are listed.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from servicelevel.dashboard import data_history as dh
from servicelevel.dashboard.components import charts
from servicelevel.dashboard.components.filters import (
    PERIODS,
    date_range,
    dropdown,
    field,
    message,
    radio,
)
from servicelevel.dashboard.components.grid import col, grid, link_col, time_col
from servicelevel.dashboard.data_queue import queue_names
from servicelevel.dashboard.state import current

dash.register_page(
    __name__, path="/breaches", name="Breaches", title="Breaches - servicelevel", order=2
)

COLUMNS = [
    col("target", "Target", minWidth=200),
    col("queue", "Queue"),
    time_col("start", "Start", sort="desc"),
    time_col("end", "End"),
    col("duration", "Duration"),
    col("open_time", "Open hours"),
    col("worst", "Worst value"),
    col("minimum", "Minimum"),
    col("depth", "Depth"),
    col("customers", "Customers affected", numeric=True),
    col("windows", "Windows", numeric=True),
    link_col("drilldown", "Calls"),
]


def layout(
    period: str = "7d", target: str | None = None, queue: str | None = None, **_query: Any
) -> html.Div:
    state = current()
    targets, _ = state.targets()
    if targets is None:
        return html.Div(dbc.Alert("No valid targets are loaded.", color="danger"))
    today = state.now().astimezone(targets.operation.tz).date()
    first, last = dh.preset_range(period, today)
    target_options = [(t.id, t.name) for t in targets.targets]
    queue_options = [("*", "All queues together")] + [(q, q) for q in queue_names(state.engine)]
    filters = dbc.Row(
        [
            field(
                "Targets",
                dropdown(
                    "breaches-targets",
                    target_options,
                    [target] if target else [],
                    multi=True,
                    clearable=True,
                    placeholder="All targets",
                ),
                "breaches-targets",
                4,
            ),
            field(
                "Queues",
                dropdown(
                    "breaches-queues",
                    queue_options,
                    [queue] if queue else [],
                    multi=True,
                    clearable=True,
                    placeholder="All queues",
                ),
                "breaches-queues",
                3,
            ),
            field("Period", radio("breaches-period", PERIODS, period), "breaches-period", 5),
            field(
                "From - to (local days)",
                date_range("breaches-dates", first, last - timedelta(days=1)),
                "breaches-dates",
                4,
            ),
        ],
        className="sl-filters g-2",
    )
    return html.Div(
        [
            html.H1("Breaches", className="sl-page-title"),
            html.P(
                f"All times {targets.operation.timezone}. A breach is a run of windows worse "
                "than the minimum in force then; windows without enough data neither end nor "
                "extend it. Duration: clock time of its windows; open hours: the part within "
                "business hours. Depth: how far the worst window was on the wrong side of its "
                "minimum. Customers affected: the contacts the minimum was missed for (e.g. the "
                "calls that would have had to be answered in time). A breach in the current "
                "window is \u201congoing\u201d.",
                className="sl-help",
            ),
            filters,
            message("breaches-message"),
            dcc.Loading(
                dcc.Graph(id="breaches-timeline", config={"displaylogo": False}), type="dot"
            ),
            html.Div(id="breaches-table", className="mt-3"),
        ]
    )


@callback(
    Output("breaches-dates", "start_date"),
    Output("breaches-dates", "end_date"),
    Input("breaches-period", "value"),
    prevent_initial_call=True,
)
def pick_period(period: str) -> tuple[Any, Any]:
    if period == "custom":
        return dash.no_update, dash.no_update
    state = current()
    targets, _ = state.targets()
    tz = targets.operation.tz if targets else None
    first, last = dh.preset_range(period, state.now().astimezone(tz).date())
    return first.isoformat(), (last - timedelta(days=1)).isoformat()


@callback(
    Output("breaches-timeline", "figure"),
    Output("breaches-table", "children"),
    Output("breaches-message", "children"),
    Input("breaches-targets", "value"),
    Input("breaches-queues", "value"),
    Input("breaches-dates", "start_date"),
    Input("breaches-dates", "end_date"),
)
def show(
    target_ids: list[str] | None, queues: list[str] | None, start: str | None, end: str | None
) -> tuple[Any, Any, str]:
    state = current()
    targets, _ = state.targets()
    if targets is None or not start or not end:
        return charts.empty_figure("Choose a period."), None, ""
    first, last = date.fromisoformat(start[:10]), date.fromisoformat(end[:10])
    if last < first or (last - first).days > 366:
        note = "Choose a period of at most a year, first day before last."
        return charts.empty_figure(note), None, note
    now = state.now()
    found = dh.breaches(
        state.engine,
        targets,
        state.history(state.tick(targets)),
        first,
        last + timedelta(days=1),
        now=now,
        target_ids=target_ids or None,
        queues=queues or None,
    )
    tz = targets.operation.tz
    rows = []
    for b in found:
        row = dh.breach_row(b, targets, now)
        row["start_local"] = b.start.astimezone(tz).replace(tzinfo=None)
        row["end_local"] = min(b.end, now).astimezone(tz).replace(tzinfo=None)
        rows.append(row)
    fig = charts.timeline_figure(rows, tz_name=targets.operation.timezone)
    table_rows = [{k: v for k, v in r.items() if not k.endswith("_local")} for r in rows]
    count = f"{len(rows)} breach" + ("es" if len(rows) != 1 else "")
    return fig, grid("breaches-grid", table_rows, COLUMNS, page_size=25), count
