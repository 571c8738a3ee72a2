"""Live: the wallboard. A tile per target and scope, calls waiting now, when data last came.

``/live?kiosk=1`` hides the navigation and enlarges the type for a wall screen. The page refreshes
itself every ``operation.refresh_seconds``; the evaluation behind it is made once per refresh tick
for all clients (see ``state.TickCache``).
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from servicelevel.dashboard import data
from servicelevel.dashboard.components.tiles import tile, waiting_table
from servicelevel.dashboard.state import AppState, current

dash.register_page(__name__, path="/live", name="Live", title="Live - servicelevel", order=0)


def snapshot(state: AppState) -> data.LiveSnapshot | None:
    targets, _errors = state.targets()
    if targets is None:
        return None
    tick = state.tick(targets)
    history = state.history(tick)
    return state.live_cache.get(
        (tick, id(targets)),
        lambda: data.live_snapshot(state.engine, targets, history, state.now()),
    )


def body(snap: data.LiveSnapshot | None) -> list[Any]:
    if snap is None:
        return [dbc.Alert("No valid targets are loaded: see the banner above.", color="danger")]
    status_line = html.P(
        [
            html.Span(f"Updated {snap.now_text}", id="live-updated"),
            " · last call data ",
            html.Span(snap.last_event_text, id="live-last-data"),
            f" (read {snap.last_read_text}) · all times {snap.tz_name}",
            # mypy joins the two branches below to Iterable[Any]; both are component lists.
            *(
                [  # type: ignore[list-item]
                    " · ",
                    html.Span(
                        "recomputing",
                        id="live-recomputing",
                        className="sl-recomputing",
                        title=data.RECOMPUTING_LINE,
                    ),
                ]
                if snap.recomputing
                else []
            ),
        ],
        className="sl-live-status",
    )
    return [
        status_line,
        dbc.Row(
            [
                dbc.Col(
                    # Tiles are pre-built component dicts (components/wire.py), which Dash takes.
                    html.Div(
                        [tile(t) for t in snap.tiles],  # type: ignore[misc]
                        className="sl-tiles",
                        id="live-tiles",
                    ),
                    xl=9,
                    lg=8,
                ),
                dbc.Col(
                    html.Section(
                        [
                            html.H2("Queues now", className="h5"),
                            waiting_table(snap.waiting, snap.now_text),  # type: ignore[list-item]
                        ],
                        className="sl-panel",
                        **{"aria-label": "Calls waiting now"},  # type: ignore[arg-type]
                    ),
                    xl=3,
                    lg=4,
                ),
            ],
            className="g-3",
        ),
    ]


def layout(kiosk: str | None = None, **_query: Any) -> html.Div:
    state = current()
    targets, _ = state.targets()
    refresh_ms = state.refresh_seconds(targets) * 1000
    return html.Div(
        [
            html.H1("Live", className="sl-page-title"),
            html.Div(body(snapshot(state)), id="live-body"),
            dcc.Interval(id="live-tick", interval=refresh_ms),
        ],
        className="sl-live",
    )


@callback(
    Output("live-body", "children"), Input("live-tick", "n_intervals"), prevent_initial_call=True
)
def refresh(_n: int) -> list[Any]:
    return body(snapshot(current()))
