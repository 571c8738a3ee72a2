"""The test infrastructure itself: a real PostgreSQL server and a real headless Chromium."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, make_url, text


def _scalar(url: str, query: str):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(query)).scalar_one()
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_round_trip(postgres_server):
    version = _scalar(postgres_server.url("postgres"), "select version()")
    assert "PostgreSQL" in version


@pytest.mark.postgres
def test_each_pg_url_is_its_own_database(pg_url, postgres_server):
    engine = create_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("create table marker (id int)"))
            current = conn.execute(text("select current_database()")).scalar_one()
    finally:
        engine.dispose()
    assert current == make_url(pg_url).database

    # pg_url is built on fresh_database(): a second one is another, empty database ...
    with postgres_server.fresh_database() as other_url:
        assert make_url(other_url).database != make_url(pg_url).database
        assert _scalar(other_url, "select to_regclass('marker') is null") is True
    # ... and is dropped on exit.
    gone = _scalar(
        postgres_server.url("postgres"),
        f"select count(*) from pg_database where datname = '{make_url(other_url).database}'",
    )
    assert gone == 0


def test_db_url_gives_each_backend(db_url, request):
    backend = request.node.callspec.params["db_url"]
    assert make_url(db_url).get_backend_name() == backend
    assert _scalar(db_url, "select 1") == 1


@pytest.mark.browser
def test_dash_app_in_headless_chromium(dash_duo):
    from dash import Dash, Input, Output, html

    app = Dash(__name__)
    app.layout = html.Div(
        [
            html.Button("Go", id="go", n_clicks=0),
            html.Div("not clicked", id="out"),
        ]
    )

    @app.callback(Output("out", "children"), Input("go", "n_clicks"), prevent_initial_call=True)
    def show(n_clicks):
        return f"clicked {n_clicks}"

    dash_duo.start_server(app)
    dash_duo.wait_for_text_to_equal("#out", "not clicked")
    dash_duo.find_element("#go").click()
    dash_duo.wait_for_text_to_equal("#out", "clicked 1")
    assert dash_duo.get_logs() == []


def test_test_modules_have_unique_basenames():
    """pytest imports test files by basename (rootdir mode, no __init__.py): two
    ``test_registry.py`` in different folders stop the whole run at collection."""
    from collections import Counter
    from pathlib import Path

    tests = Path(__file__).resolve().parent
    names = Counter(p.name for p in tests.rglob("*.py") if p.name != "conftest.py")
    assert [name for name, n in names.items() if n > 1] == []
