"""Any SQL source: a query with a watermark column, run on a schedule, mapped like a CSV file.

The query is the user's own SELECT (a CRM's orders, an ACD's call records); servicelevel wraps
it as ``SELECT * FROM (query) AS src WHERE src.<watermark> > :last ORDER BY src.<watermark>``,
so each run reads only rows past the last committed watermark. The watermark column must only
grow for new or changed rows (an ``updated_at``, an increasing id). Changed rows come again with
a newer watermark; the natural keys turn them into updates or duplicates.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from servicelevel.collectors import watermark
from servicelevel.collectors.base import RunResult
from servicelevel.collectors.mapped.collector import SQL_KINDS
from servicelevel.collectors.mapped.csv_file import check_columns
from servicelevel.collectors.mapped.mapping import SourceConfig
from servicelevel.collectors.mapped.records import RowMapper
from servicelevel.collectors.mapped.tabular import Position, TabularImporter
from servicelevel.errors import IngestError
from servicelevel.store import ingest
from servicelevel.store.engine import resolve_url
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.runs import failure_text


def import_query(
    engine: Engine,
    source: SourceConfig,
    spec: RollupSpec,
    *,
    default_tz: ZoneInfo,
    final: bool = False,
    batch_rows: int = 5_000,
) -> RunResult:
    """Read the rows past the saved watermark; ``final`` also takes the newest watermark value."""
    assert source.query is not None and source.watermark is not None
    kind = SQL_KINDS[source.kind]
    mapper = RowMapper(source, kind, source.tz(default_tz), source.name)
    url = source.database_url()
    try:
        remote = create_engine(resolve_url(url), hide_parameters=True)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        raise IngestError(f"{source.name}: cannot open {shown}: {exc}") from None
    with Session(engine) as session:
        saved = ingest.get_source(session, source.name)
        last = watermark.decode(saved.watermark) if saved and saved.watermark else None
    column = remote.dialect.identifier_preparer.quote(source.watermark)
    inner = source.query.strip().rstrip(";")
    sql = f"SELECT * FROM ({inner}) AS src"
    if last is not None:
        sql += f" WHERE src.{column} > :last"
    sql += f" ORDER BY src.{column}"
    importer: TabularImporter | None = None
    try:
        with remote.connect() as connection:
            rows = connection.execution_options(yield_per=batch_rows).execute(
                text(sql), {"last": last} if last is not None else {}
            )
            header = list(rows.keys())
            check_columns(mapper, header, source.name)
            if source.watermark not in header:
                raise IngestError(f"{source.name}: the query returns no column {source.watermark}")
            at = header.index(source.watermark)
            importer = TabularImporter(
                engine, spec, source.name, source.kind, mapper, batch_rows=batch_rows
            )
            pending: list[tuple[Any, list[Any]]] = []
            fed: Position | None = None
            for value, group in watermark.groups(rows, key=lambda r: r[at]):
                if pending:
                    fed = _feed(importer, source, header, pending)
                    if importer.full:
                        importer.flush(fed)
                pending = [(value, group)]
            if pending and final:
                fed = _feed(importer, source, header, pending)
            importer.flush(fed, final=True)  # a live pass leaves the newest value for the next
    except SQLAlchemyError as exc:
        reason = failure_text(exc)  # without the rows or the parameters (watermark included)
        if importer is not None:
            importer.fail(f"query failed: {reason}")
        raise IngestError(f"{source.name}: the query failed: {reason}") from None
    finally:
        remote.dispose()
    return importer.result


def _feed(
    importer: TabularImporter,
    source: SourceConfig,
    header: list[str],
    pending: list[tuple[Any, list[Any]]],
) -> Position:
    """Add the rows of the pending group; returns the position just past them."""
    value: Any = None
    for value, rows in pending:
        for row in rows:
            importer.add(f"{source.watermark}={value}"[:200], dict(zip(header, row, strict=True)))
    return Position(watermark=watermark.encode(value))
