"""Queue drill-down: one queue (or all) for one local day, by 15-minute interval.

Reached from a breach (``/queue?queue=billing&day=2026-03-09``). Lists the abandoned calls behind
the percentages (time, wait, queue; never a caller number) and, where the source logs member
events, the agents' logged-in and paused minutes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from servicelevel.config import Target
from servicelevel.dashboard import data_queue as dq
from servicelevel.dashboard import fmt
from servicelevel.dashboard.components import charts
from servicelevel.dashboard.components.filters import dropdown, field, message
from servicelevel.dashboard.components.grid import col, grid
from servicelevel.dashboard.state import current

dash.register_page(__name__, path="/queue", name="Queue", title="Queue - servicelevel", order=3)

ALL = "*"


def _day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def layout(queue: str = ALL, day: str | None = None, **_query: Any) -> html.Div:
    state = current()
    targets, _ = state.targets()
    if targets is None:
        return html.Div(dbc.Alert("No valid targets are loaded.", color="danger"))
    today = state.now().astimezone(targets.operation.tz).date()
    chosen_day = _day(day, today)
    queues = dq.queue_names(state.engine)
    options = [(ALL, "All queues")] + [(q, q) for q in queues]
    sl = dq.sl_targets(targets)
    sl_options = [(t.id, t.name) for t in sl] or [("", "no service-level target")]
    filters = dbc.Row(
        [
            field(
                "Queue",
                dropdown("queue-name", options, queue if queue in queues else ALL),
                "queue-name",
                3,
            ),
            field(
                "Day (local)",
                dcc.DatePickerSingle(
                    id="queue-day",
                    date=chosen_day.isoformat(),
                    display_format="YYYY-MM-DD",
                    first_day_of_week=1,
                ),
                "queue-day",
                3,
            ),
            field(
                "Service level of",
                dropdown("queue-sl", sl_options, sl_options[0][0]),
                "queue-sl",
                4,
            ),
        ],
        className="sl-filters g-2",
    )
    return html.Div(
        [
            html.H1("Queue drill-down", className="sl-page-title"),
            html.P(
                f"All times {targets.operation.timezone}. Every 15-minute interval of the "
                "day; calls count in the interval they entered the queue.",
                className="sl-help",
            ),
            filters,
            message("queue-summary"),
            dcc.Loading(dcc.Graph(id="queue-graph", config={"displaylogo": False}), type="dot"),
            html.H2("By 15 minutes", className="h5 mt-3"),
            html.Div(id="queue-intervals"),
            message("queue-agents-note"),
            html.H2("Abandoned calls", className="h5 mt-3"),
            html.P(
                "Entry time, wait and queue only: caller numbers are never stored or shown.",
                className="sl-help",
            ),
            html.Div(id="queue-abandoned"),
        ]
    )


INTERVAL_COLUMNS = [
    col("interval", "Interval", pinned="left", minWidth=110),
    col("open", "Open"),
    col("offered", "Offered", numeric=True),
    col("answered", "Answered", numeric=True),
    col("abandoned", "Abandoned", numeric=True),
    col("short_abandoned", "Short abandons", numeric=True),
    col("sl", "SL %", numeric=True),
    col("asa", "ASA s", numeric=True),
    col("longest_wait", "Longest wait s", numeric=True),
]
AGENT_COLUMNS = [
    col("agents_logged_in_min", "Agents logged in (min)", numeric=True),
    col("agents_paused_min", "Agents paused (min)", numeric=True),
]
ABANDON_COLUMNS = [
    col("entered", "Entered queue"),
    col("queue", "Queue"),
    col("wait", "Waited"),
    col("wait_s", "Wait s", numeric=True),
    col("counted", "Counted in KPIs"),
]


def _summary(rows: list[dict[str, Any]], sl_target: Target | None, day: date) -> str:
    offered = sum(r["offered"] for r in rows)
    answered = sum(r["answered"] for r in rows)
    abandoned = sum(r["abandoned"] for r in rows)
    short = sum(r["short_abandoned"] for r in rows)
    waits = [r["longest_wait"] for r in rows if r["longest_wait"] is not None]
    parts = [
        f"{offered} offered",
        f"{answered} answered",
        f"{abandoned} abandoned",
        f"{short} short abandons (left out)",
    ]
    if waits:
        parts.append(f"longest wait {fmt.duration_text(max(waits))}")
    if sl_target is None:
        return "Day: " + ", ".join(parts) + "."
    minimum = fmt.bound_text(sl_target.minimum, sl_target.unit)
    return (
        "Day: " + ", ".join(parts) + f". SL column: {sl_target.name} "
        f"(minimum {minimum} on {day.isoformat()})."
    )


@callback(
    Output("queue-summary", "children"),
    Output("queue-graph", "figure"),
    Output("queue-intervals", "children"),
    Output("queue-abandoned", "children"),
    Output("queue-agents-note", "children"),
    Input("queue-name", "value"),
    Input("queue-day", "date"),
    Input("queue-sl", "value"),
)
def show(queue: str, day: str | None, sl_id: str | None) -> tuple[Any, ...]:
    state = current()
    targets, _ = state.targets()
    if targets is None or not day:
        return "", charts.empty_figure("Choose a queue and a day."), None, None, ""
    the_day = date.fromisoformat(day[:10])
    history = state.history(state.tick(targets))
    sl_target = dq.sl_target_on(targets, history, sl_id, the_day)  # as it applied that day
    rows = dq.intervals(state.engine, targets, queue or ALL, the_day, sl_target, state.now())
    shown = [r for r in rows if r["open"] == "yes" or r["offered"] or r["short_abandoned"]]
    has_agents = bool(rows) and "agents_logged_in_min" in rows[0]
    columns = INTERVAL_COLUMNS + (AGENT_COLUMNS if has_agents else [])
    note = (
        ""
        if has_agents
        else (
            "Agents' logged-in and paused time: this source logs no member events for this queue."
        )
    )
    fig = charts.queue_day_figure(
        shown or rows,
        sl_name=sl_target.name if sl_target else None,
        minimum=sl_target.minimum if sl_target else None,
        tz_name=targets.operation.timezone,
    )
    table = grid(
        "queue-grid",
        [{k: v for k, v in r.items() if k != "start"} for r in shown],
        columns,
        height="420px",
    )
    abandoned = dq.abandoned_calls(state.engine, targets, queue or ALL, the_day)
    abandoned_table = (
        grid("queue-abandoned-grid", abandoned, ABANDON_COLUMNS, height="320px")
        if abandoned
        else html.P("No abandoned call this day.", className="sl-help")
    )
    summary = _summary(rows, sl_target, the_day)
    return summary, fig, table, abandoned_table, note
