"""The Asterisk realtime ``queue_log`` table, read through any SQLAlchemy URL past a watermark.

Asterisk can log queue events to a database table instead of (or as well as) the file. Its
columns are ``time, callid, queuename, agent, event`` and either ``data1`` .. ``data5`` or one
``data`` column holding the fields joined by ``|``; most installations add an ``id``. Each row is
turned back into the file's line format (``epoch|callid|queue|agent|event|data...``) and fed to
the same call state machine as the file, so both sources mean the same thing, and a quarantined
row is replayed like a file line.

The watermark is ``id`` when the table has one (Asterisk writes the table from one thread, so ids
grow in commit order), else ``time`` (see :mod:`.watermark` for ties). ``time`` may be a
DATETIME, or text such as ``2024-03-01 10:00:00.123456``; without a zone it is read in the
source's ``timezone`` (Asterisk writes the server's local time), or a Unix time.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, MetaData, Table, create_engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import NoSuchTableError, SQLAlchemyError
from sqlalchemy.orm import Session

from servicelevel.collectors import watermark
from servicelevel.collectors.base import RunResult
from servicelevel.collectors.mapped.tabular import close_interrupted_runs
from servicelevel.collectors.queue_log.collector import TABLE_KIND
from servicelevel.collectors.queue_log.importer import COLLECTOR, QueueLogImporter
from servicelevel.errors import IngestError
from servicelevel.store import ingest
from servicelevel.store.engine import resolve_url
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.runs import failure_text

BASE_COLUMNS = ("time", "callid", "queuename", "agent", "event")
DATA_COLUMNS = ("data1", "data2", "data3", "data4", "data5")


def default_name(url: str, table: str) -> str:
    safe = make_url(url).set(password=None).render_as_string(hide_password=True)
    return f"{TABLE_KIND}:{safe}#{table}"[:200]


def _epoch(value: Any, tz: ZoneInfo) -> str:
    """The line's first field: a Unix time, or the value as written when it is not a time."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=tz)
        return str(int(moment.timestamp()))
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return str(int(value))
    if isinstance(value, float):
        return str(value)  # inf, nan: parse_line quarantines it as a bad timestamp
    text = str(value or "").strip()
    if text.replace(".", "", 1).isdigit():
        return text.split(".")[0]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text or "(empty time)"  # parse_line quarantines it as a bad timestamp
    return _epoch(moment, tz)


def import_queue_log_table(
    engine: Engine,
    url: str,
    spec: RollupSpec,
    *,
    table: str = "queue_log",
    tz: ZoneInfo,
    name: str | None = None,
    final: bool = False,
    batch_rows: int = 20_000,
    now: datetime | None = None,
) -> RunResult:
    """Read the rows past the saved watermark; ``final`` also takes the newest time group."""
    name = name or default_name(url, table)
    try:
        source = create_engine(resolve_url(url), hide_parameters=True)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        raise IngestError(
            f"{name}: cannot open {make_url(url).render_as_string()}: {exc}"
        ) from None
    try:
        try:
            reflected = Table(table, MetaData(), autoload_with=source)
        except NoSuchTableError:
            raise IngestError(f"{name}: no table {table}") from None
        except SQLAlchemyError as exc:
            raise IngestError(f"{name}: cannot read table {table}: {exc}") from None
        columns = {c.name.lower(): c for c in reflected.columns}
        missing = [c for c in BASE_COLUMNS if c not in columns]
        has_split = all(c in columns for c in DATA_COLUMNS)
        if missing or not (has_split or "data" in columns):
            missing += [] if has_split or "data" in columns else ["data1..data5 or data"]
            raise IngestError(f"{name}: table {table} has no column(s) {', '.join(missing)}")
        order = columns.get("id", columns["time"])
        data_cols = [columns[c] for c in DATA_COLUMNS] if has_split else [columns["data"]]
        picked = [order.label("wm"), *(columns[c] for c in BASE_COLUMNS), *data_cols]

        close_interrupted_runs(engine, name)
        with Session(engine) as session:
            saved = ingest.get_source(session, name)
            last = watermark.decode(saved.watermark) if saved and saved.watermark else None
        importer = QueueLogImporter(engine, spec, name, batch_lines=batch_rows, now=now)
        query = select(*picked).order_by(order)
        if last is not None:
            query = query.where(order > last)
        ties = order.name.lower() != "id"
        try:
            with source.connect() as connection:
                rows = connection.execution_options(yield_per=5_000).execute(query)
                fed: Any = None
                pending: list[Any] = []
                for value, group in watermark.groups(rows, key=lambda r: r[0]):
                    if pending:
                        fed = _feed(importer, table, order.name, pending, tz, has_split)
                        if importer.batch.lines >= batch_rows:
                            importer.flush(also=_saver(name, fed))
                    pending = [(value, group)]
                if pending and (final or not ties):
                    fed = _feed(importer, table, order.name, pending, tz, has_split)
        except SQLAlchemyError as exc:
            importer.finish_failed(f"reading {table}: {failure_text(exc)}")
            raise IngestError(f"{name}: reading {table} failed: {failure_text(exc)}") from None
        importer.flush(final=True, also=_saver(name, fed) if fed is not None else None)
        return importer.result
    finally:
        source.dispose()


def _feed(
    importer: QueueLogImporter,
    table: str,
    order_name: str,
    pending: list[tuple[Any, list[Any]]],
    tz: ZoneInfo,
    has_split: bool,
) -> Any:
    """Feed the rows of the pending group(s) as queue_log lines; returns their watermark value."""
    value = None
    for value, rows in pending:  # noqa: B007 (the last group's value is returned)
        for row in rows:
            _, stamp, callid, queue, agent, event, *data = row
            fields = ["" if d is None else str(d) for d in data]
            if has_split:
                while fields and fields[-1] == "":
                    fields.pop()  # the file has no trailing empty fields
            parts = [_epoch(stamp, tz), *(str(v or "") for v in (callid, queue, agent, event))]
            raw = "|".join(parts + fields)
            importer.feed_raw(raw, f"{table} {order_name}={row[0]}"[:200])
    return value


def _saver(name: str, value: Any):
    mark = watermark.encode(value)

    def save(session: Session) -> None:
        ingest.save_position(session, name, collector=COLLECTOR, kind="calls", watermark=mark)

    return save
