"""make_engine(create=False): the mode of the commands that only read.

It opens a database that holds this version's schema and changes nothing; anything else is a
one-line `DatabaseNotReady` that says what to run.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from servicelevel.errors import DatabaseNotReady, DatabaseUnavailable
from servicelevel.store import make_engine

CREATE_FIRST = "run `servicelevel db upgrade` or `servicelevel import ...` first"


def _execute(url: str, *statements: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def test_a_database_with_the_current_schema_opens_read_only(db_url):
    make_engine(db_url).dispose()
    engine = make_engine(db_url, create=False)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM calls")).scalar() == 0
            if engine.url.get_backend_name() == "sqlite":  # the pragmas still apply
                assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
                assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_an_empty_database_is_not_ready(db_url):
    if db_url.startswith("sqlite"):
        _execute(db_url, "CREATE TABLE t (x INTEGER)", "DROP TABLE t")  # an existing, empty file
    with pytest.raises(DatabaseNotReady, match=r"is empty \(no tables\); run `servicelevel db"):
        make_engine(db_url, create=False)


def test_tables_of_something_else_are_no_schema(db_url):
    _execute(db_url, "CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(DatabaseNotReady) as caught:
        make_engine(db_url, create=False)
    assert str(caught.value).endswith(f"has no servicelevel schema; {CREATE_FIRST}")


def test_a_revision_this_version_does_not_know_was_made_by_a_newer_one(db_url):
    make_engine(db_url).dispose()
    _execute(db_url, "UPDATE alembic_version SET version_num = 'r9999_from_the_future'")
    with pytest.raises(DatabaseNotReady, match="made by a newer servicelevel"):
        make_engine(db_url, create=False)


def test_a_missing_sqlite_file_is_not_ready_and_not_created(tmp_path):
    with pytest.raises(DatabaseNotReady, match=r"does not exist \(no such file\)") as caught:
        make_engine(f"sqlite:///{tmp_path}/x.db", create=False)
    assert isinstance(caught.value, DatabaseUnavailable)  # caught wherever "cannot open" is
    assert "\n" not in str(caught.value) and list(tmp_path.iterdir()) == []


def test_a_file_in_the_way_of_the_folder_is_still_named(tmp_path):
    (tmp_path / "plain-file").write_text("")
    with pytest.raises(DatabaseUnavailable, match="plain-file is a file, not a folder"):
        make_engine(f"sqlite:///{tmp_path}/plain-file/sub/x.db", create=False)


def test_in_memory_sqlite_is_not_a_file_to_check():
    with pytest.raises(DatabaseNotReady, match="is empty"):
        make_engine("sqlite://", create=False)
