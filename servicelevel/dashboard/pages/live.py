"""Live: the wallboard. A tile per target and scope, calls waiting now, when data last came.

Tiles come breaches first (then stale, no data, met, ideal; targets.toml's order within each)
under a header with the breach count. ``/live?kiosk=1`` is the wall-screen mode: no navigation
and no demo note, and every tile on one screen whatever its size: ``assets/kiosk.js`` picks
the columns and rows from the tile count and the viewport, the type scales with the tile (CSS
container units), and when the tiles would be too small to read from across the room they are
split into pages that rotate every ``?rotate=`` seconds (default 20). The page refreshes
itself every ``operation.refresh_seconds``; the evaluation behind it is made once per refresh
tick for all clients (see ``state.TickCache``).
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from servicelevel.dashboard import data
from servicelevel.dashboard.components.shell import kiosk_header
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


def _status_line(snap: data.LiveSnapshot) -> list[Any]:
    line: list[Any] = [
        html.Span(f"Updated {snap.now_text}", id="live-updated"),
        " · last call data ",
        html.Span(snap.last_event_text, id="live-last-data"),
        f" (read {snap.last_read_text}) · all times {snap.tz_name}",
    ]
    if snap.recomputing:
        line += [
            " · ",
            html.Span(
                "recomputing",
                id="live-recomputing",
                className="sl-recomputing",
                title=data.RECOMPUTING_LINE,
            ),
        ]
    return line


def body(snap: data.LiveSnapshot | None, operation: str = "") -> list[Any]:
    """The same markup for the desk and the wall (the kiosk is a CSS class on the shell), so
    one rendered response per tick serves both: header with the breach count, then the tiles
    (breaches first) beside the queues."""
    if snap is None:
        return [dbc.Alert("No valid targets are loaded: see the banner above.", color="danger")]
    tiles = data.wallboard_order(snap.tiles)
    return [
        kiosk_header(operation, data.breach_count(tiles), _status_line(snap)),
        html.Div(
            [
                # Tiles are pre-built component dicts (components/wire.py), which Dash takes.
                html.Div(
                    [tile(t) for t in tiles],  # type: ignore[misc]
                    className="sl-tiles",
                    id="live-tiles",
                ),
                html.Section(
                    [
                        html.H2("Queues now", className="h5"),
                        waiting_table(snap.waiting, snap.now_text),  # type: ignore[list-item]
                    ],
                    className="sl-panel sl-waiting-panel",
                    **{"aria-label": "Calls waiting now"},  # type: ignore[arg-type]
                ),
            ],
            className="sl-live-board",
        ),
    ]


def _operation(state: AppState) -> str:
    targets, _ = state.targets()
    return targets.operation.name if targets else "servicelevel"


def layout(kiosk: str | None = None, **_query: Any) -> html.Div:
    state = current()
    targets, _ = state.targets()
    refresh_ms = state.refresh_seconds(targets) * 1000
    return html.Div(
        [
            html.H1("Live", className="sl-page-title"),
            html.Div(body(snapshot(state), _operation(state)), id="live-body"),
            dcc.Interval(id="live-tick", interval=refresh_ms),
        ],
        className="sl-live",
    )


@callback(
    Output("live-body", "children"), Input("live-tick", "n_intervals"), prevent_initial_call=True
)
def refresh(_n: int) -> list[Any]:
    state = current()
    return body(snapshot(state), _operation(state))
