"""The one door to the database: URL resolution, engine set-up and schema upgrade.

SQLite gets WAL and a busy timeout so a wallboard can read while a collector writes; both
databases are brought to the latest Alembic revision on start, so users never run SQL by hand.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
)
from sqlalchemy.orm import Session, sessionmaker

from servicelevel.errors import DatabaseUnavailable, DatabaseUrlInvalid, StoreError

DEFAULT_URL = "sqlite:///servicelevel.db"
ENV_URL = "SERVICELEVEL_DB"
EXPECTED = "expected sqlite:///FILE or postgresql://USER@HOST/DATABASE"


def resolve_url(url: str | None = None) -> str:
    """``--db`` wins, then ``$SERVICELEVEL_DB``, then a SQLite file in the working directory.

    ``postgres://`` is read as ``postgresql://``: hosting services hand out URLs in that form,
    and SQLAlchemy stopped accepting it in 1.4, which users meet as a puzzling "Can't load
    plugin". Plain ``postgresql://`` means psycopg 3, the driver we install.
    """
    chosen = url or os.environ.get(ENV_URL) or DEFAULT_URL
    try:
        parsed = make_url(chosen)
    except (ArgumentError, ValueError):  # ValueError: e.g. a port that is not a number
        raise DatabaseUrlInvalid(
            f'"{_hide_password(chosen)}" is not a database URL; {EXPECTED}'
        ) from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "postgres":
        backend = "postgresql"
    if backend == "postgresql" and not driver:
        driver = "psycopg"
    drivername = f"{backend}+{driver}" if driver else backend
    if drivername != parsed.drivername:
        chosen = parsed.set(drivername=drivername).render_as_string(hide_password=False)
    return chosen


def _hide_password(text: str) -> str:
    """A URL that did not parse may still hold a password: ``user:secret@`` -> ``user:***@``."""
    return re.sub(r"([^:/@\s]+:)[^@/\s]*@", r"\1***@", text)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str | None = None, *, upgrade: bool = True) -> Engine:
    """Create the engine for ``url`` and, unless told not to, migrate the schema to head.

    Whatever stops that (a bad URL, a driver not installed, a server that does not answer,
    a folder that cannot be created) is raised as a `StoreError` that names the database
    and what is wrong, in one line.
    """
    resolved = resolve_url(url)
    parsed = make_url(resolved)
    try:
        if parsed.get_backend_name() == "sqlite":
            _sqlite_folder(parsed)
            engine = create_engine(resolved, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            # A server that drops packets would otherwise hold a command for minutes.
            timeout = {} if "connect_timeout" in parsed.query else {"connect_timeout": 10}
            engine = create_engine(
                resolved, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=timeout
            )
    except NoSuchModuleError:
        raise DatabaseUrlInvalid(
            f'{shown_url(parsed)}: unknown database "{parsed.drivername}"; {EXPECTED}'
        ) from None
    except ImportError as exc:  # a dialect SQLAlchemy knows, whose driver is not installed
        raise DatabaseUrlInvalid(
            f'{shown_url(parsed)}: the driver for "{parsed.drivername}" is not installed '
            f"({exc}); {EXPECTED}"
        ) from None
    except (ArgumentError, TypeError) as exc:  # e.g. an option in the query string
        raise DatabaseUrlInvalid(f"{shown_url(parsed)}: {exc}") from None
    if upgrade:
        try:
            upgrade_schema(engine)
        except BaseException:
            engine.dispose()
            raise
    return engine


def shown_url(url: str | URL) -> str:
    """The URL as it may be printed: without its password."""
    return make_url(url).render_as_string(hide_password=True)


def _reason(exc: DBAPIError) -> str:
    """The driver's own message, on one line, without SQLAlchemy's "background" link."""
    lines = (line.strip() for line in str(exc.orig or exc).splitlines())
    return "; ".join(line for line in lines if line) or type(exc.orig).__name__


def _sqlite_folder(url: URL) -> None:
    """Create the folder of a SQLite file, or say why it cannot be."""
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        return
    folder = Path(url.database).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise DatabaseUnavailable(
            f"{shown_url(url)}: {_first_file(folder)} is a file, not a folder"
        ) from None
    except OSError as exc:
        raise DatabaseUnavailable(
            f"{shown_url(url)}: cannot create the folder {folder} for the database file: "
            f"{exc.strerror or exc}"
        ) from None


def _first_file(folder: Path) -> Path:
    """The part of ``folder`` that exists as a file, which is why it cannot be created."""
    for part in (*reversed(folder.parents), folder):
        if part.exists() and not part.is_dir():
            return part
    return folder


def connection_failure(url: str | URL, exc: DBAPIError) -> DatabaseUnavailable:
    """A driver's "cannot connect" (refused, unknown host, login, unopenable file) as one line."""
    reason = _reason(exc)
    if make_url(url).get_backend_name() == "sqlite" and "unable to open" in reason:
        reason += " (does its folder exist, and may this user write there?)"
    return DatabaseUnavailable(f"cannot open the database {shown_url(url)}: {reason}")


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    if engine is not None:
        cfg.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
        )
    return cfg


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Run Alembic migrations up to ``revision`` on ``engine`` (idempotent).

    The first connection is made here, so this is where an unreachable server shows: it
    becomes `DatabaseUnavailable`; a schema this version cannot migrate, a `StoreError`.
    """
    cfg = alembic_config(engine)
    try:
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    except (OperationalError, InterfaceError) as exc:
        raise connection_failure(engine.url, exc) from exc
    except DBAPIError as exc:  # e.g. PostgreSQL's "permission denied for schema public"
        raise StoreError(
            f"cannot upgrade the schema of {shown_url(engine.url)}: {_reason(exc)}"
        ) from exc
    except CommandError as exc:
        hint = " (was it made by a newer servicelevel?)" if "locate revision" in str(exc) else ""
        raise StoreError(
            f"cannot upgrade the schema of {shown_url(engine.url)}: {exc}{hint}"
        ) from exc


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
