"""Labelled filter controls shared by the Trends, Breaches and Queue pages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

PERIODS = (
    ("today", "Today"),
    ("7d", "7 days"),
    ("30d", "30 days"),
    ("90d", "90 days"),
    ("custom", "Custom"),
)


def field(label: str, control: Any, control_id: str, width: int | None = None) -> dbc.Col:
    return dbc.Col(
        [dbc.Label(label, html_for=control_id, className="fw-semibold mb-1"), control],
        md=width,
        className="mb-2",
    )


def dropdown(
    id: str,
    options: Sequence[tuple[str, str]],
    value: Any,
    *,
    multi: bool = False,
    clearable: bool = False,
    placeholder: str | None = None,
) -> dcc.Dropdown:
    return dcc.Dropdown(
        id=id,
        options=[{"label": label, "value": v} for v, label in options],
        value=value,
        multi=multi,
        clearable=clearable,
        placeholder=placeholder,
    )


def radio(id: str, options: Sequence[tuple[str, str]], value: str) -> dbc.RadioItems:
    return dbc.RadioItems(
        id=id,
        options=[{"label": label, "value": v} for v, label in options],
        value=value,
        inline=True,
    )


def date_range(id: str, first: date, last_inclusive: date) -> dcc.DatePickerRange:
    return dcc.DatePickerRange(
        id=id,
        start_date=first.isoformat(),
        end_date=last_inclusive.isoformat(),
        display_format="YYYY-MM-DD",
        first_day_of_week=1,
        start_date_placeholder_text="first day",
        end_date_placeholder_text="last day",
    )


def message(id: str) -> html.Div:
    return html.Div(id=id, role="status", className="sl-help mb-2")
