"""The Sources page: viewers get the quarantine's counts and reasons, editors its rows, masked.

The test site's queue_log has one garbage line, ``garbage line from +33 6 12 34 56 78 please
call back``. alice is an editor, victor a viewer (``dashsite``).
"""

from __future__ import annotations

import pytest
from dashcalls import Visit
from dashsite import write_users
from logins import login
from sqlalchemy.orm import Session

from servicelevel.dashboard.app import create_app
from servicelevel.store import ingest

GARBAGE = "garbage line from"


@pytest.fixture
def app(site):
    users = write_users(site.root / "users.toml")
    return create_app(site.engine, site.targets_path, users_path=users, clock=site.clock)


def sources_page(app, who: str) -> str:
    client = app.server.test_client()
    login(client, who)
    visit = Visit(client, who)
    visit.page("/sources", callbacks=False)
    return dict(visit.served)[f"{who} route /sources"]


def test_a_viewer_sees_counts_and_reasons_but_never_a_raw_row(app):
    page = sources_page(app, "victor")
    assert "sources-quarantine-summary" in page and "separated fields, got 1" in page
    assert "sources-quarantine-grid" not in page and GARBAGE not in page
    assert "shown to editors only" in page


def test_an_editor_sees_the_rows_masked(app):
    page = sources_page(app, "alice")
    assert "sources-quarantine-summary" in page and "sources-quarantine-grid" in page
    assert f"{GARBAGE} ###### please call back" in page


def test_the_last_error_names_no_one(app, site):
    with Session(site.engine) as session, session.begin():
        ingest.mark_source(
            session, "crm", collector="complaints-sql", kind="complaints",
            error="the query failed: Key (owner)=(John Smith) exists: 'john@example.com'",
        )  # fmt: skip
    page = sources_page(app, "victor")
    assert "the query failed: Key (owner)=([name]) exists: '…'" in page
    assert "John" not in page and "john@" not in page
