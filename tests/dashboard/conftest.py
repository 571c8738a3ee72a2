"""Fixtures of the dashboard tests; the test site itself is described in ``dashsite``.

``site`` runs a test once per database (ids ``sqlite`` and ``postgresql``, the throwaway server
of the top-level conftest), except browser tests (those using ``dash_duo``), which run once, on
SQLite: what they check is the page, and the figures under it are checked on both databases by
the data tests.

The site is built once per session and database (writing the log and importing it is most of
the cost of a small test); each test gets its own copy, so an edit made by one test is never
seen by another: a copy of the SQLite file, or a PostgreSQL database created from the template.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashsite import PG_TIMEZONE, Site, make_site

from servicelevel.store import make_engine

BROWSER_FIXTURES = {"dash_duo", "dash_duo_mp", "dash_br"}
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Give ``site`` its databases: both, or SQLite alone for a browser test."""
    if "site" not in metafunc.fixturenames:
        return
    browser = BROWSER_FIXTURES & set(metafunc.fixturenames)
    metafunc.parametrize("site", ["sqlite"] if browser else BACKENDS, indirect=True)


@pytest.fixture(scope="session")
def sqlite_site_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of a built SQLite site (targets, queue_log, database), closed."""
    root = tmp_path_factory.mktemp("site-sqlite")
    make_site(root, f"sqlite:///{root}/servicelevel.db").engine.dispose()
    return root


@pytest.fixture(scope="session")
def pg_site_template(
    postgres_server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """A PostgreSQL database holding the built site (to copy with TEMPLATE) and its folder."""
    import psycopg
    from psycopg import sql

    root = tmp_path_factory.mktemp("site-postgresql")
    name = f"sl_site_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    make_site(root, postgres_server.url(name)).engine.dispose()  # a template takes no sessions
    yield name, root
    with psycopg.connect(postgres_server.conninfo(), autocommit=True) as conn:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        conn.execute(drop.format(sql.Identifier(name)))


def _sqlite_site(root: Path, template: Path) -> Site:
    shutil.copytree(template, root, dirs_exist_ok=True)
    url = f"sqlite:///{root}/servicelevel.db"
    # The copy is at the schema's head already: no migration check.
    return Site(root, url, root / "targets.toml", make_engine(url, upgrade=False))


@pytest.fixture
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    """A fresh copy of the built site on ``request.param`` (``sqlite`` or ``postgresql``)."""
    if request.param == "sqlite":
        built = _sqlite_site(tmp_path, request.getfixturevalue("sqlite_site_template"))
        try:
            yield built
        finally:
            built.engine.dispose()
        return

    import psycopg
    from psycopg import sql

    server = request.getfixturevalue("postgres_server")
    template, files = request.getfixturevalue("pg_site_template")
    shutil.copytree(files, tmp_path, dirs_exist_ok=True)
    dbname = f"sl_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(dbname), sql.Identifier(template)
            )
        )
        # A database's settings stay with the original: the far-away session time zone again.
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET timezone TO {}").format(
                sql.Identifier(dbname), sql.Literal(PG_TIMEZONE)
            )
        )
    url = server.url(dbname)
    built = Site(tmp_path, url, tmp_path / "targets.toml", make_engine(url, upgrade=False))
    try:
        yield built
    finally:
        built.engine.dispose()
        with psycopg.connect(server.conninfo(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
            )
