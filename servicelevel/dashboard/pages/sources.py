"""Sources: is every collector alive, and what did it refuse?

Per source: last read, newest data and lag, and the accounting of its last run (read = stored +
duplicates + quarantined). Then the rollups: up to date with the targets or being recomputed after
a definition change, with the rebuild job's progress. Below, what was quarantined: for everyone,
the rows waiting per source and reason; for editors (who fix mappings and replay), also the rows
themselves. A raw row is someone's call or complaint, so viewers never get it, not even hidden
in the page, and editors get it masked (:mod:`servicelevel.privacy`: agent channels, phone-like
numbers, card numbers, e-mail addresses, names). Reasons and the "Last error" are masked too.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html

from servicelevel.config import Targets
from servicelevel.dashboard import auth, data
from servicelevel.dashboard.components.grid import TIME_WRAPPED_PX, col, grid
from servicelevel.dashboard.state import AppState, current

dash.register_page(
    __name__, path="/sources", name="Sources", title="Sources - servicelevel", order=4
)

SOURCE_COLUMNS = [
    col("source", "Source", minWidth=180),
    col("kind", "Data"),
    col("collector", "Collector"),
    col("state", "State"),
    col("last_read", "Last read", minWidth=TIME_WRAPPED_PX),
    col("last_data", "Newest data", minWidth=TIME_WRAPPED_PX),
    col("lag", "Lag"),
    col("last_run", "Last run", minWidth=TIME_WRAPPED_PX),
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
    col("raw", "Line (masked)", minWidth=320),
    col("replayed", "Replayed"),
]
SUMMARY_COLUMNS = [
    col("source", "Source", minWidth=200),
    col("reason", "Reason", minWidth=320),
    col("rows", "Rows waiting", numeric=True),
    col("newest", "Newest"),
]


def _quarantine(state: AppState, targets: Targets) -> list[Any]:
    """The quarantine section: counts and reasons for all, the masked rows for editors."""
    summary = data.quarantine_summary(state.engine, targets)
    user = auth.current_user()
    editor = user is not None and user.can_edit
    out: list[Any] = [
        html.H2("Quarantined rows", className="h5 mt-4"),
        html.P(
            "Rows a collector could not use and that wait for a replay, by reason. Fix the "
            "cause, then replay them."
            + (
                " The rows themselves are below, newest first (500 at most), masked."
                if editor
                else " The rows themselves are shown to editors only."
            ),
            className="sl-help",
        ),
    ]
    rows = data.quarantine_rows(state.engine, targets) if editor else []
    if summary:
        out.append(grid("sources-quarantine-summary", summary, SUMMARY_COLUMNS, fit="autoSize"))
    else:
        out.append(
            html.P(
                "Nothing waits for a replay." if rows else "Nothing is quarantined.",
                className="sl-help",
                id="sources-no-quarantine",
            )
        )
    if rows:
        out.append(
            grid("sources-quarantine-grid", rows, QUARANTINE_COLUMNS, height="420px", page_size=50)
        )
    return out


def _content() -> list[Any]:
    state = current()
    targets, _ = state.targets()
    if targets is None:
        return [dbc.Alert("No valid targets are loaded.", color="danger")]
    now = state.now()
    sources = data.source_rows(state.engine, targets, now)
    rollups = data.rollup_view(state.engine, targets, now)
    return [
        html.P(
            f"All times {targets.operation.timezone}. Lag: time between the newest data "
            "read and now. Counts are those of each source's last run.",
            className="sl-help",
        ),
        grid("sources-grid", sources, SOURCE_COLUMNS)
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
        *_quarantine(state, targets),
    ]


def layout(**_query: Any) -> html.Div:
    return html.Div(
        [html.H1("Sources", className="sl-page-title"), html.Div(_content(), id="sources-body")]
    )
