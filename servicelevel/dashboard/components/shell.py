"""The frame around every page: navigation, who is signed in, and the banner."""

from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import html

from ..data import Notice

NAV = (
    ("Live", "/live"),
    ("Trends", "/trends"),
    ("Breaches", "/breaches"),
    ("Queue", "/queue"),
    ("Sources", "/sources"),
    ("Targets", "/targets"),
)


def navbar(operation: str, user_text: str, show_logout: bool) -> dbc.Navbar:
    links = [
        dbc.NavItem(dbc.NavLink(label, href=href, active="exact", id=f"shell-nav-{label.lower()}"))
        for label, href in NAV
    ]
    right = [html.Span(user_text, className="navbar-text me-3", id="shell-user")]
    if show_logout:
        right.append(
            dbc.Button(
                "Sign out",
                href="/logout",
                color="light",
                size="sm",
                outline=True,
                external_link=True,
            )
        )
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(operation, href="/live", className="fw-semibold"),
                dbc.Nav(links, navbar=True, className="me-auto"),
                html.Div(right, className="d-flex align-items-center"),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        className="mb-3",
        id="shell-navbar",
    )


def banner(items: Sequence[Notice]) -> list[dbc.Alert]:
    out = []
    for notice in items:
        body: list = [html.Strong(notice.title)]
        if notice.lines:
            body.append(html.Ul([html.Li(line) for line in notice.lines], className="mb-0"))
        out.append(dbc.Alert(body, color=notice.level, className="mb-2 sl-notice"))
    return out
