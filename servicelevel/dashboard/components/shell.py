"""The frame around every page: navigation, who is signed in, the banner; the kiosk header."""

from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import html

from ..data import Notice, breach_count_text

NAV = (
    ("Live", "/live"),
    ("Trends", "/trends"),
    ("Breaches", "/breaches"),
    ("Queue", "/queue"),
    ("Sources", "/sources"),
    ("Targets", "/targets"),
    ("Assessment", "/assessment"),
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
        kind = f" sl-notice-{notice.kind}" if notice.kind else ""
        out.append(dbc.Alert(body, color=notice.level, className=f"mb-2 sl-notice{kind}"))
    return out


def kiosk_header(operation: str, breaches: int, status_line: list) -> html.Header:
    """The Live page's top line: how many breaches (red when any) and when the figures were
    made; on a wall screen (kiosk) also the operation's name and the page indicator that
    ``assets/kiosk.js`` fills when the tiles do not fit one screen and pages rotate."""
    return html.Header(
        [
            html.H1(operation, className="sl-kiosk-name"),
            html.Span(
                breach_count_text(breaches),
                id="live-breach-count",
                className="sl-kiosk-count" + (" sl-kiosk-count-breach" if breaches else ""),
                **{"data-count": str(breaches)},  # type: ignore[arg-type]
            ),
            html.Span(status_line, className="sl-kiosk-status"),
            html.Span(id="live-kiosk-page", className="sl-kiosk-page", role="status"),
        ],
        className="sl-kiosk-header",
        id="live-kiosk-header",
    )
