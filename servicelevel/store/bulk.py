"""Many rows in one statement, through the driver: the ingest hot path.

Why not ``session.execute(insert(Table), [dicts])``: for tens of thousands of rows per batch,
SQLAlchemy's per-row parameter handling costs more than the database's own work. Here a statement
is compiled once per dialect and the rows go straight to the driver (``executemany``, or ``COPY``
on PostgreSQL), inside the session's transaction, so "ingest is a transaction" still holds. Each
value goes through its column type's own bind processor, so what is stored is byte for byte what
the ORM path would store (e.g. ``UTCDateTime`` as naive UTC).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from itertools import repeat
from typing import Any

import numpy as np
from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import Insert, Select

from servicelevel.store.schema import UTCDateTime

_compiled: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}
_from_temp: dict[str, str] = {}
COPY_UPSERT_MIN_ROWS = 2_000  # below this, executemany's round trips cost less than a temp table
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
    """Rows with each value through its column's bind processor, column by column.

    Why column-wise with a memo for times: a batch's rollup rows share a few thousand interval
    starts, so converting each distinct datetime once beats converting every row's copy.
    """
    processors = [(i, p) for i, c in enumerate(columns) if (p := _processor(table, c, dialect))]
    if not processors:
        return [tuple(row) for row in rows]
    if not rows:
        return []
    cols = [list(c) for c in zip(*rows, strict=True)]
    for i, process in processors:
        column = cols[i]
        if not isinstance(table.c[columns[i]].type, UTCDateTime):
            cols[i] = [None if v is None else process(v) for v in column]
            continue
        # Equal datetimes are the same instant, whose naive UTC value is the same.
        memo = {v: process(v) for v in set(column) if v is not None}
        memo[None] = None
        cols[i] = [memo[v] for v in column]
    return list(zip(*cols, strict=True))


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
    if (
        dialect.name == "postgresql"
        and len(values) >= COPY_UPSERT_MIN_ROWS
        and _execute_from_copy(session, name, build, table, columns, values)
    ):
        return
    if dialect.positional:
        index = {c: i for i, c in enumerate(columns)}
        if tuple(order) != tuple(columns):
            picks = [index[name] for name in order]
            values = [tuple(row[i] for i in picks) for row in values]
        params: Sequence[Any] = values
    else:
        params = [dict(zip(columns, row, strict=True)) for row in values]
    connection.exec_driver_sql(sql, params)


Column = np.ndarray | str


def epoch_text(epochs: np.ndarray) -> np.ndarray:
    """Whole-second Unix epochs as ``YYYY-MM-DD HH:MM:SS.ffffff`` (naive UTC), vectorised.

    It is the text SQLAlchemy stores for a ``UTCDateTime`` on SQLite (tests/store check it), and
    a ``timestamp`` PostgreSQL reads in COPY.
    """
    stamps = epochs.astype("datetime64[s]").astype("datetime64[us]")
    text = np.datetime_as_string(stamps, unit="us")  # YYYY-MM-DDTHH:MM:SS.ffffff
    if len(text):
        text.view(np.uint32).reshape(len(text), -1)[:, 10] = ord(" ")
    return text


def _nullable(values: np.ndarray) -> np.ndarray:
    """Objects for the driver: Python scalars, NaN of a float column as None (NULL)."""
    out = values.astype(object)
    if values.dtype.kind == "f":
        out[np.isnan(values)] = None
    return out


def insert_columns(session: Session, table: Table, data: Mapping[str, Column]) -> None:
    """Plain INSERT of rows given as columns, in the session's transaction.

    Why: rows built one tuple at a time in Python cost more than the insert itself. Each value of
    ``data`` is a numpy array (one value per row) or a str (the same for every row). Integer
    arrays for ``UTCDateTime`` columns are whole-second Unix epochs; NaN in a float array is
    NULL; object arrays hold str or None. The stored values are those :func:`insert_rows` stores.
    """
    columns = list(data)
    lengths = {len(v) for v in data.values() if not isinstance(v, str)}
    if not lengths or lengths == {0}:
        return
    (count,) = lengths
    connection = session.connection()
    prepared: dict[str, Column] = {}
    for name, values in data.items():
        if isinstance(values, str):
            prepared[name] = values
        elif isinstance(table.c[name].type, UTCDateTime):
            prepared[name] = epoch_text(values).astype(object)
        elif connection.dialect.name == "postgresql":
            prepared[name] = values
        else:
            prepared[name] = _nullable(values)
    if connection.dialect.name == "postgresql":
        _copy_columns(session, table, prepared, count)
        return
    listed = [repeat(v, count) if isinstance(v, str) else v.tolist() for v in prepared.values()]
    rows = list(zip(*listed, strict=False))
    execute_many(
        session, f"insert:{table.name}", lambda _: table.insert(), table, columns, rows,
        converted=True,
    )  # fmt: skip


def _copy_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        .replace("\r", "\\r")
    )  # fmt: skip


def _copy_columns(session: Session, table: Table, data: Mapping[str, Column], count: int) -> None:
    """COPY of ``data`` as text built column-wise (numpy formats the numbers in C).

    Falls back to ``write_row`` when a text value holds a tab, newline or backslash (the text
    would need escaping value by value).
    """
    columns = list(data)
    texts: list[Any] = []
    backslashes = 0  # those the text must hold: NULL markers and the constants' escapes
    for values in data.values():
        if isinstance(values, str):
            escaped = _copy_text(values)
            backslashes += count * escaped.count("\\")
            texts.append(repeat(escaped, count))
            continue
        # numpy's stubs take no None operand; elementwise "is None" on object arrays is meant.
        missing = np.isnan(values) if values.dtype.kind == "f" else np.equal(values, None)  # type: ignore[call-overload]
        backslashes += int(missing.sum())
        text = values.astype(str).astype(object) if values.dtype.kind in "fiu" else values.copy()
        text[missing] = "\\N"
        texts.append(text.tolist())
    block = "\n".join(["\t".join(row) for row in zip(*texts, strict=False)]) + "\n"
    clean = (
        block.count("\t") == count * (len(columns) - 1)
        and block.count("\n") == count
        and block.count("\\") == backslashes
        and "\r" not in block
    )
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    names = ", ".join(columns)
    with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        if clean:
            copy.write(block)
            return
        objects = [
            repeat(v, count) if isinstance(v, str) else _nullable(v).tolist() for v in data.values()
        ]
        for row in zip(*objects, strict=False):
            copy.write_row(row)


def _execute_from_copy(
    session: Session,
    name: str,
    build: Callable[[Dialect], Insert],
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> bool:
    """PostgreSQL: COPY the rows into a temporary table, then run the statement once as
    ``INSERT ... SELECT`` from it (its ON CONFLICT clause included).

    Why: executemany sends one statement per row (pipelined, but each row still costs a parse
    of its parameters on both sides); a rollup batch has hundreds of thousands of rows. The
    result is the same as long as no two rows hit the same conflict key (one statement cannot
    update a row twice). PostgreSQL refuses that case, as it refuses a temporary table to a role
    without the TEMPORARY privilege; then nothing of it is kept (a savepoint) and False tells the
    caller to use executemany.
    """
    import psycopg

    connection = session.connection()
    dialect = connection.dialect
    temp = f"_bulk_{table.name}"
    if name not in _from_temp:
        from sqlalchemy import column, select
        from sqlalchemy import table as table_clause

        source: Select[*tuple[Any, ...]] = select(*(column(c) for c in columns)).select_from(
            table_clause(temp)
        )
        statement = build(dialect).from_select(list(columns), source)
        _from_temp[name] = str(statement.compile(dialect=dialect))
    names = ", ".join(columns)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute("SAVEPOINT bulk_from_copy")
    try:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{temp}")
        cursor.execute(
            f"CREATE TEMP TABLE {temp} ON COMMIT DROP AS SELECT {names} FROM {table.name} "
            "WITH NO DATA"
        )
        with cursor.copy(f"COPY {temp} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(_from_temp[name])
    except (psycopg.errors.CardinalityViolation, psycopg.errors.InsufficientPrivilege):
        # Two rows for one key, or a role that may not create temporary tables.
        cursor.execute("ROLLBACK TO SAVEPOINT bulk_from_copy")
        return False
    cursor.execute("RELEASE SAVEPOINT bulk_from_copy")
    return True
