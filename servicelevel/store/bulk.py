"""Many rows in one statement, through the driver: the ingest hot path.

Why not ``session.execute(insert(Table), [dicts])``: for tens of thousands of rows per batch,
SQLAlchemy's per-row parameter handling costs more than the database's own work. Here a statement
is compiled once per dialect and the rows go straight to the driver (``executemany``, or ``COPY``
on PostgreSQL), inside the session's transaction, so "ingest is a transaction" still holds. Each
value goes through its column type's own bind processor, so what is stored is byte for byte what
the ORM path would store (e.g. ``UTCDateTime`` as naive UTC).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import Insert

from servicelevel.store.schema import UTCDateTime

_compiled: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}
_processors: dict[tuple[str, str, str], Callable[[Any], Any] | None] = {}


def _processor(table: Table, column: str, dialect: Dialect) -> Callable[[Any], Any] | None:
    key = (dialect.name, table.name, column)
    if key not in _processors:
        column_type = table.c[column].type
        canonical = column_type._cached_bind_processor(dialect)
        _processors[key] = canonical
        if isinstance(column_type, UTCDateTime) and canonical:
            fast = _sqlite_utc if dialect.name == "sqlite" else _naive_utc
            _processors[key] = fast(canonical)
    return _processors[key]


def _naive_utc(canonical: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """UTCDateTime elsewhere: the naive UTC time, without a time-zone conversion for UTC."""

    def process(value: Any) -> Any:
        if type(value) is datetime and value.tzinfo is UTC:
            return value.replace(tzinfo=None)
        return canonical(value)

    return process


def _sqlite_utc(canonical: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """UTCDateTime on SQLite in one C call for the usual UTC value; the rest as SQLAlchemy does.

    SQLAlchemy stores ``YYYY-MM-DD HH:MM:SS.ffffff``, which is ``isoformat(" ", "microseconds")``
    of the naive UTC time (tests/store check both give the same text).
    """

    def process(value: Any) -> Any:
        if type(value) is datetime and value.tzinfo is UTC:
            return value.replace(tzinfo=None).isoformat(" ", "microseconds")
        return canonical(value)

    return process


def _converted(
    table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]], dialect: Dialect
) -> list[tuple[Any, ...]]:
    processors = [(i, p) for i, c in enumerate(columns) if (p := _processor(table, c, dialect))]
    if not processors:
        return [tuple(row) for row in rows]
    out = []
    for row in rows:
        values = list(row)
        for i, process in processors:
            if values[i] is not None:
                values[i] = process(values[i])
        out.append(tuple(values))
    return out


def insert_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Plain INSERT of ``rows`` (tuples in ``columns`` order) in the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    values = _converted(table, columns, rows, dialect)
    if dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        names = ", ".join(columns)
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        return
    name = f"insert:{table.name}"
    execute_many(session, name, lambda _: table.insert(), table, columns, values, converted=True)


def execute_many(
    session: Session,
    name: str,
    build: Callable[[Dialect], Insert],
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    converted: bool = False,
) -> None:
    """Run the statement ``build(dialect)`` makes (an INSERT, possibly with ON CONFLICT) for each
    row, via executemany; it is built and compiled once per ``name`` and dialect.

    The statement must bind exactly ``columns``, each once, by their names.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    key = (dialect.name, name)
    if key not in _compiled:
        compiled = build(dialect).compile(dialect=dialect, column_keys=list(columns))
        order = tuple(compiled.positiontup or ()) if dialect.positional else ()
        _compiled[key] = (str(compiled), order)
    sql, order = _compiled[key]
    values = rows if converted else _converted(table, columns, rows, dialect)
    if dialect.positional:
        index = {c: i for i, c in enumerate(columns)}
        if tuple(order) != tuple(columns):
            picks = [index[name] for name in order]
            values = [tuple(row[i] for i in picks) for row in values]
        params: Sequence[Any] = values
    else:
        params = [dict(zip(columns, row, strict=True)) for row in values]
    connection.exec_driver_sql(sql, params)  # type: ignore[arg-type]
