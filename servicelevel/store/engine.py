"""The one door to the database: URL resolution, engine set-up and schema upgrade.

SQLite gets WAL and a busy timeout so a wallboard can read while a collector writes. Engines
hide statement parameters in their errors (``hide_parameters``): a failed batch's message would
otherwise carry its rows (agent names, call ids) into logs, ``sources.last_error`` and pages.

Two modes, because a typo in a URL must not look like a quiet week:

* ``make_engine(url)`` (``create=True``, for ``import``, ``db upgrade``, ``demo``, ``worker``)
  creates the SQLite file and its folder if need be and brings the schema to the latest
  Alembic revision, so users never run SQL by hand;
* ``make_engine(url, create=False)`` (for the commands that only read: ``status``, ``report``,
  ``serve``, ``quarantine``) creates and migrates nothing. It raises `DatabaseNotReady` when the
  SQLite file does not exist (checked before connecting: SQLAlchemy would create it), when the
  database has no schema (no ``alembic_version``, no tables), and when its schema is at another
  revision than this version's: an older one is left for ``servicelevel db upgrade`` to migrate
  deliberately (a wallboard must not rewrite tables a worker is writing to), a newer or unknown
  one was made by a newer servicelevel.
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

from servicelevel.errors import (
    DatabaseNotReady,
    DatabaseUnavailable,
    DatabaseUrlInvalid,
    StoreError,
)

DEFAULT_URL = "sqlite:///servicelevel.db"
ENV_URL = "SERVICELEVEL_DB"
EXPECTED = "expected sqlite:///FILE or postgresql://USER@HOST/DATABASE"
CREATE_FIRST = "run `servicelevel db upgrade` or `servicelevel import ...` first"


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


def make_engine(url: str | None = None, *, upgrade: bool = True, create: bool = True) -> Engine:
    """Create the engine for ``url`` and, unless told not to, migrate the schema to head.

    With ``create=False`` nothing is created or migrated: the database must exist and hold
    this version's schema, else `DatabaseNotReady` (see the module docstring); ``upgrade`` is
    then ignored. Whatever stops either (a bad URL, a driver not installed, a server that does
    not answer, a folder that cannot be created) is raised as a `StoreError` that names the
    database and what is wrong, in one line.
    """
    resolved = resolve_url(url)
    parsed = make_url(resolved)
    sqlite = parsed.get_backend_name() == "sqlite"
    try:
        if sqlite:
            if create:
                _sqlite_folder(parsed)
            else:
                _sqlite_file_exists(parsed)
            engine = create_engine(resolved, connect_args={"timeout": 30}, hide_parameters=True)
            if create:  # else after the schema check, which must not turn an empty file to WAL
                event.listen(engine, "connect", _sqlite_pragmas)
        else:
            # A server that drops packets would otherwise hold a command for minutes.
            timeout = {} if "connect_timeout" in parsed.query else {"connect_timeout": 10}
            engine = create_engine(
                resolved, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=timeout,
                hide_parameters=True,
            )  # fmt: skip
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
    try:
        if not create:
            check_schema(engine)
            if sqlite:
                engine.dispose()  # the checking connection had no pragmas; later ones do
                event.listen(engine, "connect", _sqlite_pragmas)
        elif upgrade:
            upgrade_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _sqlite_file_exists(url: URL) -> None:
    """Refuse a SQLite file that is not there, before SQLAlchemy's connect would create it."""
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        return  # an in-memory database, or a URI whose mode= says what may be created
    path = Path(url.database)
    if path.exists():
        return
    blocker = _first_file(path.parent)
    if blocker.exists() and not blocker.is_dir():
        raise DatabaseUnavailable(f"{shown_url(url)}: {blocker} is a file, not a folder")
    where = "no such file" if path.parent.is_dir() else f"no folder {path.parent}"
    raise DatabaseNotReady(
        f"the database {shown_url(url)} does not exist ({where}); {CREATE_FIRST}"
    )


def check_schema(engine: Engine) -> None:
    """Check, without changing anything, that the database holds this version's schema.

    Raises `DatabaseNotReady` for no schema at all (an empty database, or tables of something
    else) and for a revision other than this version's head (older: ``db upgrade`` migrates
    it; unknown: made by a newer servicelevel); `DatabaseUnavailable` if it cannot be opened.
    """
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect

    shown = shown_url(engine.url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            tables = [] if current else inspect(connection).get_table_names()
    except (OperationalError, InterfaceError) as exc:
        raise connection_failure(engine.url, exc) from exc
    except DBAPIError as exc:  # e.g. no right to read the schema
        raise StoreError(f"cannot read the schema of {shown}: {_reason(exc)}") from exc
    if current is None:
        what = "is empty (no tables)" if not tables else "has no servicelevel schema"
        raise DatabaseNotReady(f"the database {shown} {what}; {CREATE_FIRST}")
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    if current == head:
        return
    known = {rev.revision for rev in script.walk_revisions()}
    if current in known:
        raise DatabaseNotReady(
            f"the database {shown} has an older schema (revision {current}, this version "
            f"needs {head}); run `servicelevel db upgrade` first"
        )
    raise DatabaseNotReady(
        f"the database {shown} has schema revision {current}, unknown to this version "
        "(was it made by a newer servicelevel?)"
    )


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
