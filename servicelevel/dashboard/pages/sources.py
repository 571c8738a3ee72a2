"""Sources: is every collector alive, and what did it refuse?

Per source: last read, newest data and lag, and the accounting of its last run (read = stored +
duplicates + quarantined). Then the rollups: up to date with the targets or being recomputed after
a definition change, with the rebuild job's progress. Below, the quarantined rows with their
reasons; anything that could be a phone number (6 digits or more) is masked before it leaves the
server.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html

from servicelevel.dashboard import data
from servicelevel.dashboard.components.grid import col, grid
from servicelevel.dashboard.state import current

dash.register_page(
    __name__, path="/sources", name="Sources", title="Sources - servicelevel", order=4
)

SOURCE_COLUMNS = [
    col("source", "Source", minWidth=240),
    col("kind", "Data"),
    col("collector", "Collector"),
    col("state", "State"),
    col("last_read", "Last read"),
    col("last_data", "Newest data"),
    col("lag", "Lag"),
    col("last_run", "Last run"),
    col("run_status", "Run"),
    col("read", "Read", numeric=True),
    col("stored", "Stored", numeric=True),
    col("duplicates", "Duplicates", numeric=True),
    col("quarantined", "Quarantined", numeric=True),
    col("error", "Last error", minWidth=200),
]
REBUILD_COLUMNS = [
    col("kind", "Rebuild"),
    col("status", "Status"),
    col("started", "Started"),
    col("finished", "Finished"),
    col("took", "Took"),
    col("done", "Done", numeric=True),
    col("total", "Of", numeric=True),
    col("progress", "Progress"),
    col("error", "Error", minWidth=200),
]
QUARANTINE_COLUMNS = [
    col("when", "Quarantined"),
    col("source", "Source"),
    col("location", "Where"),
    col("reason", "Reason", minWidth=260),
    col("raw", "Line (numbers masked)", minWidth=320),
    col("replayed", "Replayed"),
]


def _content() -> list[Any]:
    state = current()
    targets, _ = state.targets()
    if targets is None:
        return [dbc.Alert("No valid targets are loaded.", color="danger")]
    now = state.now()
    sources = data.source_rows(state.engine, targets, now)
    quarantined = data.quarantine_rows(state.engine, targets)
    rollups = data.rollup_view(state.engine, targets, now)
    return [
        html.P(
            f"All times {targets.operation.timezone}. Lag: time between the newest data "
            "read and now. Counts are those of each source's last run.",
            className="sl-help",
        ),
        grid("sources-grid", sources, SOURCE_COLUMNS, fit="autoSize")
        if sources
        else html.P("No source has been read yet.", className="sl-help"),
        html.H2("Rollups", className="h5 mt-4"),
        html.P(
            rollups.state_text,
            id="sources-rollups-state",
            className="sl-help" + (" sl-recomputing" if rollups.recomputing else ""),
        ),
        grid("sources-rebuilds-grid", rollups.runs, REBUILD_COLUMNS, fit="autoSize")
        if rollups.runs
        else html.P("No rebuild has run yet.", className="sl-help"),
        html.H2("Quarantined rows", className="h5 mt-4"),
        html.P(
            "Lines a collector could not use, newest first (500 at most), with the reason. "
            "Fix the cause, then replay them.",
            className="sl-help",
        ),
        grid(
            "sources-quarantine-grid", quarantined, QUARANTINE_COLUMNS, height="420px", page_size=50
        )
        if quarantined
        else html.P("Nothing is quarantined.", className="sl-help", id="sources-no-quarantine"),
    ]


def layout(**_query: Any) -> html.Div:
    return html.Div(
        [html.H1("Sources", className="sl-page-title"), html.Div(_content(), id="sources-body")]
    )
