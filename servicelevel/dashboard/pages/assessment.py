"""Assessment: the customer-focus self-assessment, its latest result, over time, and a form.

Everyone sees the results: each area's score on its 1-5 scale, the total (7-35) in its three
bands, the total of every assessment over time and the weakest areas named. Editors also get
the statements (``[assessment]`` in targets.toml, or the defaults) with one 1-5 choice each;
Save checks the answers with the check behind ``servicelevel assessment record``
(:func:`servicelevel.assessment.check_answers`) and stores them as the signed-in user's. The
request guard refuses the save to viewers (``auth.EDITOR_OUTPUTS``), and the callback checks the
role again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, dcc, html

from servicelevel.assessment import (
    AREAS,
    ASSET_FROM,
    BANDS,
    HIGHEST_RATING,
    LOSING_UP_TO,
    LOWEST_RATING,
    MAX_TOTAL,
    RATING_WORDS,
    Assessment,
    Questionnaire,
    check_answers,
    list_assessments,
    save_assessment,
    shown_total,
)
from servicelevel.config import ConfigIssue
from servicelevel.config.assessment import assessment_questionnaire
from servicelevel.dashboard import auth
from servicelevel.dashboard.components import assessment_charts as charts
from servicelevel.dashboard.components.grid import col, grid
from servicelevel.dashboard.state import current

dash.register_page(
    __name__, path="/assessment", name="Assessment", title="Assessment - servicelevel", order=6
)

RATING = "assessment-rating"  # the pattern-matching id type of one statement's choice
FORM = "the form"  # the "file" the form's issues name
RESULT_COLUMNS = [
    col("date", "Date", sort="desc"),
    col("author", "By"),
    col("total", "Total", numeric=True),
    col("band", "Band", minWidth=240, wrapText=True, autoHeight=True),
    col("weakest", "Weakest", minWidth=300, wrapText=True, autoHeight=True),
]


def _total(result: Assessment) -> str:
    return f"{float(shown_total(result.total)):.2f}"


def results_section(results: Sequence[Assessment]) -> list[Any]:
    """The latest result (in words and charts), the totals over time, and every result listed."""
    if not results:
        return [
            dbc.Alert(
                "No self-assessment recorded yet. An editor can answer the statements below, "
                "or record a file with: servicelevel assessment record FILE.toml",
                color="secondary",
                id="assessment-none",
            )
        ]
    latest = results[-1]
    rows = [
        {
            "date": r.assessed_on.isoformat(),
            "author": r.author,
            "total": _total(r),
            "band": f"{r.band}: {BANDS[r.band]}",
            "weakest": r.weakest_text(),
        }
        for r in results
    ]
    return [
        html.H2("Latest result", className="h5"),
        html.P(
            [
                html.Strong(f"Total {_total(latest)} of {MAX_TOTAL}: {latest.band}"),
                f" ({BANDS[latest.band]}), {latest.assessed_on.isoformat()} by {latest.author}.",
            ],
            id="assessment-latest",
            **{"data-band": latest.band},  # type: ignore[arg-type]
        ),
        html.P(
            [html.Strong("Weakest: "), latest.weakest_text()],
            id="assessment-weakest",
        ),
        dbc.Row(
            [
                dbc.Col(
                    dcc.Graph(
                        id="assessment-areas-graph",
                        figure=charts.areas_figure(latest),
                        config={"displaylogo": False},
                    ),
                    lg=7,
                ),
                dbc.Col(
                    dcc.Graph(
                        id="assessment-total-graph",
                        figure=charts.total_figure(latest),
                        config={"displaylogo": False},
                    ),
                    lg=5,
                ),
            ],
            className="g-2",
        ),
        html.H2("Over time", className="h5 mt-3"),
        dcc.Graph(
            id="assessment-history-graph",
            figure=charts.history_figure(results),
            config={"displaylogo": False},
        ),
        grid("assessment-grid", rows, RESULT_COLUMNS),
    ]


def _statement(area: str, index: int, statement: str) -> html.Fieldset:
    choices = range(LOWEST_RATING, HIGHEST_RATING + 1)
    return html.Fieldset(
        [
            html.Legend(f"{index + 1}. {statement}", className="fs-6 mb-1"),
            dbc.RadioItems(
                id={"type": RATING, "area": area, "index": index},
                options=[{"label": f"{n} {RATING_WORDS[n]}", "value": n} for n in choices],
                value=None,
                inline=True,
            ),
        ],
        id=f"assessment-q-{area}-{index}",
        className="mb-2",
    )


def assessment_form(questionnaire: Questionnaire, today: date) -> html.Section:
    """The statements of every area, one 1-5 choice each, the day, and Save."""
    areas = [
        html.Div(
            [
                html.H3(AREAS[area], className="h6 mt-3"),
                *[_statement(area, i, s) for i, s in enumerate(statements)],
            ],
            id=f"assessment-area-{area}",
        )
        for area, statements in questionnaire.statements().items()
    ]
    return html.Section(
        [
            html.H2("Record an assessment", className="h5"),
            html.P(
                "Rate each statement from 1 (never) to 5 (always) as things are, not as they "
                "should be. Your answers are saved under your name for the day chosen; "
                "saving the same day again replaces them.",
                className="sl-help",
            ),
            *areas,
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Day", html_for="assessment-date", className="fw-semibold"),
                            dcc.DatePickerSingle(
                                id="assessment-date",
                                date=today.isoformat(),
                                max_date_allowed=today.isoformat(),
                                display_format="YYYY-MM-DD",
                                first_day_of_week=1,
                            ),
                        ],
                        md=3,
                    ),
                    dbc.Col(
                        dbc.Button("Save", id="assessment-save", color="primary", className="mt-4"),
                        md=2,
                    ),
                ],
                className="g-2 mt-2 align-items-start",
            ),
            html.Div(
                id="assessment-save-result",
                role="status",
                className="mt-2",
                **{"aria-live": "polite"},  # type: ignore[arg-type]
            ),
        ],
        className="sl-card",
        id="assessment-form",
    )


def _issues_alert(issues: Sequence[ConfigIssue]) -> dbc.Alert:
    return dbc.Alert(
        [
            html.Strong("The [assessment] statements of the targets file have mistakes: "),
            html.Ul([html.Li(str(i)) for i in issues]),
            "Fix them (servicelevel targets check shows them too) to record an assessment.",
        ],
        color="danger",
        id="assessment-config-error",
    )


def layout(**_query: Any) -> html.Div:
    state = current()
    targets, _ = state.targets()
    user = auth.current_user()
    results = list_assessments(state.engine)
    if targets is None:
        form: Any = dbc.Alert("No valid targets are loaded.", color="danger")
    elif not (user and user.can_edit):
        form = dbc.Alert(
            "You can see the results; only an editor can record an assessment.",
            color="secondary",
            id="assessment-readonly",
        )
    else:
        questionnaire, issues = assessment_questionnaire(targets)
        today = state.now().astimezone(targets.operation.tz).date()
        form = (
            _issues_alert(issues)
            if questionnaire is None
            else assessment_form(questionnaire, today)
        )
    return html.Div(
        [
            html.H1("Customer-focus self-assessment", className="sl-page-title"),
            html.P(
                "How customer-focused the business is, by its own assessment: seven areas, "
                "each a few statements rated 1 (never) to 5 (always). An area scores the mean "
                f"of its ratings; the total is the sum of the seven (7 to {MAX_TOTAL}). "
                f"{int(ASSET_FROM)} or more: {BANDS['asset']}; above {int(LOSING_UP_TO)}: "
                f"{BANDS['adequate']}; {int(LOSING_UP_TO)} or less: {BANDS['losing']}.",
                className="sl-help",
            ),
            html.Div(results_section(results), id="assessment-results"),
            html.Div(className="mb-3"),
            form,
        ]
    )


def _form_line(issue: ConfigIssue) -> str:
    """An issue of the form in its words: the statement by area and number, not a key path."""
    parts = issue.key.replace("[", ".").rstrip("]").split(".")
    if len(parts) == 3 and parts[0] == "ratings" and parts[1] in AREAS and parts[2].isdigit():
        area, number = parts[1], int(parts[2])
        return f"{AREAS[area]}, statement {number}: {issue.message}"
    if len(parts) == 2 and parts[0] == "ratings" and parts[1] in AREAS:
        return f"{AREAS[parts[1]]}: {issue.message}"
    if issue.key == "date":
        return f"Day: {issue.message}"
    return f"{issue.key}: {issue.message}" if issue.key else issue.message


def form_data(day: Any, ids: Sequence[Any], values: Sequence[Any], author: str) -> dict[str, Any]:
    """What the form posted as a record file's data (anything a request may hold is passed on
    for :func:`check_answers` to judge; ids that are not ours are dropped)."""
    ratings: dict[str, dict[int, Any]] = {}
    for ident, value in zip(ids, values, strict=False):
        area = ident.get("area") if isinstance(ident, dict) else None
        index = ident.get("index") if isinstance(ident, dict) else None
        if isinstance(area, str) and type(index) is int and 0 <= index < 100:
            ratings.setdefault(area, {})[index] = value
    return {
        "date": day,
        "author": author,
        "ratings": {
            area: [by_index.get(i) for i in range(max(by_index) + 1)]
            for area, by_index in ratings.items()
        },
    }


@callback(
    Output("assessment-save-result", "children"),
    Output("assessment-results", "children"),
    Input("assessment-save", "n_clicks"),
    State("assessment-date", "date"),
    State({"type": RATING, "area": ALL, "index": ALL}, "value"),
    prevent_initial_call=True,
)
def save(_clicks: Any, day: Any, values: Any) -> tuple[Any, Any]:
    """Check the answers as a record file is checked, then store them as this user's."""
    state = current()
    user = auth.current_user()
    no = dash.no_update
    if user is None or not user.can_edit:  # the request guard refuses this too
        return dbc.Alert("Only editors can record an assessment.", color="danger"), no
    targets, _ = state.targets()
    questionnaire, issues = assessment_questionnaire(targets) if targets else (None, [])
    if questionnaire is None:
        return _issues_alert(issues), no
    # The ids of the ratings as posted, in their order (a hand-made request may hold anything).
    posted = dash.ctx.states_list[1] if len(dash.ctx.states_list) > 1 else []
    ids = [i.get("id") if isinstance(i, dict) else None for i in posted or []]
    values = values if isinstance(values, list) else []
    today = state.now().astimezone(targets.operation.tz).date() if targets else None
    data = form_data(day[:10] if isinstance(day, str) else day, ids, values, user.name)
    result, issues = check_answers(data, questionnaire, filename=FORM, today=today)
    if result is None:
        return (
            dbc.Alert(
                [
                    html.Strong("Not saved: "),
                    html.Ul([html.Li(_form_line(i)) for i in issues]),
                ],
                color="danger",
                id="assessment-save-error",
            ),
            no,
        )
    outcome = save_assessment(state.engine, result, now=state.now())
    said = {"recorded": "Saved", "replaced": "Saved, replacing your earlier answers of that day",
            "unchanged": "Already saved with the same answers"}[outcome]  # fmt: skip
    message = dbc.Alert(
        f"{said}: {result.assessed_on.isoformat()}, total {_total(result)} of {MAX_TOTAL}, "
        f"{result.band}.",
        color="success",
        id="assessment-save-ok",
    )
    return message, results_section(list_assessments(state.engine))
