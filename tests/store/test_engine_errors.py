"""store.engine: which URLs mean what, and failures as one-line `StoreError`s."""

from __future__ import annotations

import pytest

from servicelevel.errors import DatabaseUnavailable, DatabaseUrlInvalid, StoreError
from servicelevel.store import make_engine, resolve_url


@pytest.mark.parametrize(
    ("given", "resolved"),
    [
        # postgres:// is what hosting services hand out; SQLAlchemy no longer reads it.
        ("postgres://u:p@db:5433/sl", "postgresql+psycopg://u:p@db:5433/sl"),
        ("postgres+psycopg://u@db/sl", "postgresql+psycopg://u@db/sl"),
        ("postgresql://u@db/sl", "postgresql+psycopg://u@db/sl"),
        ("postgresql+psycopg2://u@db/sl", "postgresql+psycopg2://u@db/sl"),  # chosen: kept
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_urls_resolve_to_the_driver_we_install(given, resolved):
    assert resolve_url(given) == resolved


def test_the_environment_and_the_default(monkeypatch):
    monkeypatch.setenv("SERVICELEVEL_DB", "postgres://u@db/sl")
    assert resolve_url() == "postgresql+psycopg://u@db/sl"
    monkeypatch.delenv("SERVICELEVEL_DB")
    assert resolve_url() == "sqlite:///servicelevel.db"


def test_bad_urls_are_one_store_error_each():
    with pytest.raises(DatabaseUrlInvalid, match=r'^"not a url" is not a database URL; expected'):
        resolve_url("not a url")
    with pytest.raises(DatabaseUrlInvalid, match=r'unknown database "oracle\+nothing"'):
        make_engine("oracle+nothing://u:secret@h/x")
    assert issubclass(DatabaseUrlInvalid, StoreError)


def test_an_unopenable_sqlite_file_is_database_unavailable(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(DatabaseUnavailable, match="is a file, not a folder") as caught:
        make_engine(f"sqlite:///{tmp_path}/file/x.db")
    assert "\n" not in str(caught.value)
    # a folder where the database file should be: SQLite cannot open it
    (tmp_path / "a-folder.db").mkdir()
    with pytest.raises(DatabaseUnavailable, match=r"^cannot open the database sqlite:///") as c2:
        make_engine(f"sqlite:///{tmp_path}/a-folder.db")
    assert "\n" not in str(c2.value)
