"""Any unknown address: say so and offer the way back."""

from __future__ import annotations

from typing import Any

import dash
from dash import dcc, html

dash.register_page(__name__, path="/404", name="Not found", title="Not found - servicelevel")


def layout(**_query: Any) -> html.Div:
    return html.Div(
        [
            html.H1("Page not found", className="sl-page-title"),
            html.P("There is no page at this address."),
            dcc.Link("Go to the Live page", href="/live"),
        ],
        className="sl-card",
        id="notfound",
    )
