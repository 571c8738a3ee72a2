"""Targets: the policy in force, its change history, and (for editors) a form to change it.

A change is written to targets.toml (comments kept), validated first with the same messages as
``servicelevel targets check``, audited, and takes effect from a chosen day: windows that start
before it keep the values that applied then.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from servicelevel.config import Targets
from servicelevel.config.history import load_edits
from servicelevel.config.loading import read_targets_text
from servicelevel.dashboard import auth, fmt
from servicelevel.dashboard.components.filters import dropdown
from servicelevel.dashboard.components.grid import col, grid
from servicelevel.dashboard.state import current
from servicelevel.dashboard.targets_edit import save_form, text_hash

dash.register_page(
    __name__, path="/targets", name="Targets", title="Targets - servicelevel", order=5
)

TARGET_COLUMNS = [
    col("id", "Id", minWidth=150),
    col("name", "Name", minWidth=220),
    col("kpi", "KPI", minWidth=150),
    col("window", "Window"),
    col("queues", "Queues", minWidth=120),
    col("minimum", "Minimum"),
    col("ideal", "Ideal"),
    col("min_volume", "Min. volume", numeric=True),
    col("formula", "Formula", minWidth=360, wrapText=True, autoHeight=True),
]
HISTORY_COLUMNS = [
    col("at", "Changed", sort="desc"),
    col("actor", "By"),
    col("target", "Target"),
    col("effective_from", "Effective from"),
    col("change", "Change", minWidth=360, wrapText=True, autoHeight=True),
]
LABELS = {"name": "name", "minimum": "minimum", "ideal": "ideal", "min_volume": "min. volume"}


def target_rows(targets: Targets) -> list[dict[str, Any]]:
    short = targets.operation.short_abandon_seconds
    return [
        {
            "id": t.id,
            "name": t.name,
            "kpi": t.kpi,
            "window": t.window,
            "queues": ("per queue: " if t.per_queue else "")
            + ("all" if t.queues == ["*"] else ", ".join(t.queues)),
            "minimum": fmt.bound_text(t.minimum, t.unit),
            "ideal": fmt.bound_text(t.ideal, t.unit),
            "min_volume": t.min_volume,
            "formula": t.formula(short),
        }
        for t in targets.targets
    ]


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def history_rows(targets: Targets) -> list[dict[str, Any]]:
    state = current()
    from sqlalchemy.orm import Session

    with Session(state.engine) as session:
        edits = load_edits(session)
    tz = targets.operation.tz
    rows = []
    for e in edits:
        changes = [
            f"{LABELS.get(k, k)} {_shown(e.old.get(k))} → {_shown(e.new.get(k))}"
            for k in e.new
            if e.old.get(k) != e.new.get(k)
        ]
        rows.append(
            {
                "at": fmt.local_datetime(e.at, tz),
                "actor": e.actor,
                "target": e.target_id,
                "effective_from": e.effective_from.isoformat(),
                "change": "; ".join(changes),
            }
        )
    return rows


def _number_input(id: str, label: str, disabled: bool) -> dbc.Col:
    return dbc.Col(
        [
            dbc.Label(label, html_for=id, className="fw-semibold mb-1"),
            dbc.Input(id=id, type="number", step="any", disabled=disabled, min=0),
        ],
        md=2,
    )


def edit_form(targets: Targets, can_edit: bool, today: date) -> html.Section:
    options = [(t.id, f"{t.name} ({t.id})") for t in targets.targets]
    locked = not can_edit
    notice = (
        dbc.Alert(
            "You can view targets but not change them: ask an editor.",
            color="secondary",
            id="targets-readonly",
        )
        if locked
        else None
    )
    return html.Section(
        [
            html.H2("Change a target", className="h5"),
            notice,
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label(
                                "Target", html_for="targets-edit-id", className="fw-semibold mb-1"
                            ),
                            dropdown("targets-edit-id", options, options[0][0]),
                        ],
                        md=4,
                    ),
                    dbc.Col(
                        [
                            dbc.Label(
                                "Name", html_for="targets-edit-name", className="fw-semibold mb-1"
                            ),
                            dbc.Input(id="targets-edit-name", type="text", disabled=locked),
                        ],
                        md=4,
                    ),
                ],
                className="g-2 mb-2",
            ),
            dbc.Row(
                [
                    _number_input("targets-edit-minimum", "Minimum", locked),
                    _number_input("targets-edit-ideal", "Ideal", locked),
                    _number_input("targets-edit-min-volume", "Min. volume", locked),
                    dbc.Col(
                        [
                            dbc.Label(
                                "Effective from (local day)",
                                html_for="targets-edit-from",
                                className="fw-semibold mb-1",
                            ),
                            dcc.DatePickerSingle(
                                id="targets-edit-from",
                                date=today.isoformat(),
                                display_format="YYYY-MM-DD",
                                first_day_of_week=1,
                                disabled=locked,
                            ),
                        ],
                        md=3,
                    ),
                    dbc.Col(
                        dbc.Button(
                            "Save",
                            id="targets-save",
                            color="primary",
                            disabled=locked,
                            className="mt-4",
                        ),
                        md=2,
                    ),
                ],
                className="g-2 align-items-start",
            ),
            html.P(id="targets-edit-unit", className="sl-help mt-2"),
            html.Div(
                id="targets-save-result",
                role="status",
                # Dash's hints type **kwargs as its own props; aria-* attributes pass through.
                **{"aria-live": "polite"},  # type: ignore[arg-type]
            ),
        ],
        className="sl-card",
    )


def layout(**_query: Any) -> html.Div:
    state = current()
    targets, _ = state.targets()
    if targets is None:
        return html.Div(dbc.Alert("No valid targets are loaded.", color="danger"))
    user = auth.current_user()
    today = state.now().astimezone(targets.operation.tz).date()
    file_hash = _file_hash(state.targets_path)
    return html.Div(
        [
            html.H1("Targets", className="sl-page-title"),
            html.P(
                f"The policy in {state.targets_path.name}. Editing it by hand works too: the "
                "dashboard reloads it, and a broken file shows its errors in a banner.",
                className="sl-help",
            ),
            grid("targets-grid", target_rows(targets), TARGET_COLUMNS),
            html.Div(className="mb-3"),
            edit_form(targets, bool(user and user.can_edit), today),
            dcc.Store(id="targets-edit-hash", data=file_hash),
            html.H2("Changes made here", className="h5"),
            html.Div(
                grid("targets-history-grid", history_rows(targets), HISTORY_COLUMNS),
                id="targets-history",
            ),
        ]
    )


def _file_hash(path: Any) -> str | None:
    """The hash of the file the form shows; None while it cannot be read (a save then says why)."""
    text, _issues = read_targets_text(path)  # bounded: a huge file is not read to hash it
    return None if text is None else text_hash(text)


@callback(
    Output("targets-edit-name", "value"),
    Output("targets-edit-minimum", "value"),
    Output("targets-edit-ideal", "value"),
    Output("targets-edit-min-volume", "value"),
    Output("targets-edit-unit", "children"),
    Input("targets-edit-id", "value"),
)
def fill(target_id: str | None) -> tuple[Any, ...]:
    targets, _ = current().targets()
    if targets is None or not isinstance(target_id, str) or not target_id:
        return None, None, None, None, ""
    try:
        t = targets.target(target_id)
    except KeyError:  # gone from the file since the page loaded, or a made-up request
        return None, None, None, None, ""
    better = "higher" if t.higher_is_better else "lower"
    unit = "percent (80 means 80 %)" if t.unit == "%" else "seconds"
    help_text = (
        f"{t.kpi}: values in {unit}; {better} is better, so the ideal must be "
        f"{'at or above' if t.higher_is_better else 'at or below'} the minimum. "
        f"Windows that start before the effective day keep the old values."
    )
    return t.name, t.minimum, t.ideal, t.min_volume, help_text


@callback(
    Output("targets-save-result", "children"),
    Output("targets-grid", "rowData"),
    Output("targets-history", "children"),
    Output("targets-edit-hash", "data"),
    Input("targets-save", "n_clicks"),
    State("targets-edit-id", "value"),
    State("targets-edit-name", "value"),
    State("targets-edit-minimum", "value"),
    State("targets-edit-ideal", "value"),
    State("targets-edit-min-volume", "value"),
    State("targets-edit-from", "date"),
    State("targets-edit-hash", "data"),
    prevent_initial_call=True,
)
def save(
    _clicks: int,
    target_id: Any,
    name: Any,
    minimum: Any,
    ideal: Any,
    min_volume: Any,
    effective: Any,
    file_hash: Any,
) -> tuple[Any, ...]:
    """Every value is as posted (the browser's, or anyone's): `save_form` checks them all."""
    state = current()
    user = auth.current_user()
    no = dash.no_update
    if user is None or not user.can_edit:  # the request guard refuses this too
        return dbc.Alert("Only editors can change targets.", color="danger"), no, no, no
    values = {"name": name, "minimum": minimum, "ideal": ideal, "min_volume": min_volume}
    with state.edit_lock:
        result, day = save_form(
            state.engine,
            state.targets_path,
            target_id=target_id,
            values=values,
            effective=effective,
            file_hash=file_hash,
            actor=user.name,
        )
    if not result.ok or day is None:
        return (
            dbc.Alert(
                [html.Strong("Not saved: "), html.Ul([html.Li(e) for e in result.errors])],
                color="danger",
                id="targets-save-error",
            ),
            no,
            no,
            no,
        )
    if not result.changed:
        return dbc.Alert("Nothing changed.", color="secondary"), no, no, no
    state.forget_history()
    # wait: this request wrote the file, so it waits for its own change to be read.
    targets, _ = state.watcher.current(wait=True)
    assert targets is not None
    saved = f"Saved {target_id}, effective from {day.isoformat()}."
    message = dbc.Alert(
        [saved, html.Ul([html.Li(w) for w in result.warnings])] if result.warnings else saved,
        color="warning" if result.warnings else "success",
        id="targets-save-ok",
    )
    history = grid("targets-history-grid", history_rows(targets), HISTORY_COLUMNS)
    return message, target_rows(targets), history, _file_hash(state.targets_path)
