"""No caller number (nor agent name) leaves the server: pages, layouts and callback responses.

Every ENTERQUEUE of the test site carries a caller number 0612345xxx and a garbage line holds
"+33 6 12 34 56 78"; agents are "Agent/7" and "Agent/8". Every response the server sends while
a person visits each page is recorded and searched.
"""

from __future__ import annotations

import gzip
import re

from dashsite import CALLER_PREFIX, sign_in, write_users

from servicelevel.dashboard.app import create_app

PAGES = (
    ("/live", '[data-tile="answer-20s|sales"]'),
    ("/trends", "#trends-graph .main-svg"),
    ("/breaches", "#breaches-grid .ag-row"),
    ("/queue?queue=*&day=2026-03-10", "#queue-abandoned-grid .ag-row"),
    ("/queue?queue=support&day=2026-03-10", "#queue-grid .ag-row"),
    ("/sources", "#sources-quarantine-grid .ag-row"),
    ("/targets", "#targets-grid .ag-row"),
    ("/no-such-page", "#notfound"),
)
FORBIDDEN = (
    re.compile(CALLER_PREFIX[1:]),  # any caller number of the site, with or without the 0
    re.compile(r"6\D?12\D?34\D?56\D?78"),  # the number in the garbage line
    re.compile(r"Agent/\d"),  # agent identities
)


def test_no_caller_number_or_agent_in_anything_served(dash_duo, site):
    users = write_users(site.root / "users.toml")
    app = create_app(site.engine, site.targets_path, users_path=users, clock=site.clock)
    served: list[tuple[str, str]] = []

    @app.server.after_request
    def record(response):  # type: ignore[no-untyped-def]
        if not response.direct_passthrough and response.mimetype in (
            "application/json",
            "text/html",
        ):
            raw = response.get_data()
            if response.headers.get("Content-Encoding") == "gzip":  # shared responses
                raw = gzip.decompress(raw)
            served.append((response.mimetype, raw.decode()))
        return response

    dash_duo.start_server(app, navigate=False)
    base = sign_in(dash_duo, "alice", then="/live")
    for path, ready in PAGES:
        dash_duo.wait_for_page(base + path)
        dash_duo.wait_for_element(ready)
        # the page as drawn, including every grid cell and hidden details
        served.append(("dom", dash_duo.driver.page_source))
    assert len(served) > 30
    for kind, body in served:
        for pattern in FORBIDDEN:
            assert not pattern.search(body), f"{pattern.pattern} in a {kind} response"
    assert dash_duo.get_logs() == []
