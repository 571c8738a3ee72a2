"""Run collectors: one file of a kind, one ``[[source]]``, or every source, each on its own.

Why here and not in the CLI: the command line, the scheduler and the tests all run sources the
same way. :func:`run_sources` isolates every source, so one that fails (a missing file, a database
down, a mapping naming a column the export no longer has) is recorded as failed, its targets turn
stale, and the others still run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from servicelevel.collectors.base import RunResult
from servicelevel.collectors.mapped import csv_file
from servicelevel.collectors.mapped.mapping import (
    CSV_KINDS,
    QUEUE_LOG_FILE,
    QUEUE_LOG_TABLE,
    SQL_KINDS,
    Mapping,
    SourceConfig,
)
from servicelevel.collectors.mapped.tabular import close_interrupted_runs
from servicelevel.collectors.queue_log import importer as asterisk_queue_log
from servicelevel.errors import IngestError, ServicelevelError
from servicelevel.store import ingest
from servicelevel.store.rollups import RollupSpec

FILE_KINDS = (QUEUE_LOG_FILE, *CSV_KINDS)
log = logging.getLogger(__name__)


def import_path(
    engine: Engine,
    kind: str,
    path: str | Path,
    spec: RollupSpec,
    *,
    default_tz: ZoneInfo,
    mapping: Mapping | None = None,
    progress: bool = False,
    batch_rows: int | None = None,
) -> RunResult:
    """One-off import of a complete file of ``kind`` (resumes where an earlier run stopped)."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    if kind == QUEUE_LOG_FILE:
        close_interrupted_runs(engine, asterisk_queue_log.source_name(path))
        return asterisk_queue_log.import_file(
            engine,
            path,
            spec,
            progress=progress,
            batch_lines=batch_rows or asterisk_queue_log.BATCH_LINES,
        )
    if kind not in CSV_KINDS:
        raise IngestError(f"unknown file kind {kind}; expected one of {', '.join(FILE_KINDS)}")
    if mapping is None:
        raise IngestError(f"{kind} needs a mapping (--mapping FILE); see docs/collectors.md")
    return csv_file.import_csv(
        engine, path, mapping, spec, kind=kind, default_tz=default_tz,
        progress=progress, batch_rows=batch_rows or 5_000,
    )  # fmt: skip


def run_source(
    engine: Engine,
    source: SourceConfig,
    spec: RollupSpec,
    *,
    default_tz: ZoneInfo,
    base: Path | None = None,
    final: bool = False,
    progress: bool = False,
) -> RunResult:
    """Read what is new in one configured source.

    ``final=False`` (the default, for a schedule) leaves what may still be written: a last line
    without a newline, the newest watermark value of a table. ``base`` resolves relative paths.
    """
    path = Path(source.path) if source.path else None
    if path is not None and base is not None and not path.is_absolute():
        path = base / path
    tz = source.tz(default_tz)
    if source.kind == QUEUE_LOG_FILE:
        assert path is not None
        from servicelevel.collectors.queue_log.follow import QueueLogFollower

        follower = QueueLogFollower(engine, path, spec, name=source.name)
        try:
            follower.run_once(final=final)
        finally:
            follower.close()
        return follower.result
    if source.kind == QUEUE_LOG_TABLE:
        from servicelevel.collectors.queue_log.table import import_queue_log_table

        return import_queue_log_table(
            engine, source.database_url(), spec, table=source.table, tz=tz,
            name=source.name, final=final,
        )  # fmt: skip
    if source.kind in CSV_KINDS:
        assert path is not None
        if not path.is_file():
            raise IngestError(f"{path}: no such file")
        return csv_file.import_csv(
            engine, path, source, spec, kind=source.kind, default_tz=default_tz,
            name=source.name, final=final, progress=progress,
        )  # fmt: skip
    if source.kind in SQL_KINDS:
        from servicelevel.collectors.mapped.sql_query import import_query

        return import_query(engine, source, spec, default_tz=default_tz, final=final)
    raise IngestError(f"source {source.name}: unknown kind {source.kind}")


@dataclass(slots=True)
class SourceOutcome:
    name: str
    result: RunResult | None
    error: str | None = None


def run_sources(
    engine: Engine,
    sources: Sequence[SourceConfig],
    spec: RollupSpec,
    *,
    default_tz: ZoneInfo,
    base: Path | None = None,
    final: bool = False,
) -> list[SourceOutcome]:
    """Run every source once; a failing one is recorded (stale targets) and the rest go on."""
    out = []
    for source in sources:
        try:
            result = run_source(engine, source, spec, default_tz=default_tz, base=base, final=final)
        except Exception as exc:  # a broken source is recorded and logged; the others go on
            message = (
                str(exc) if isinstance(exc, ServicelevelError) else f"{type(exc).__name__}: {exc}"
            )
            log.warning(
                "source %s failed: %s",
                source.name,
                message,
                exc_info=not isinstance(exc, ServicelevelError),
            )
            _record_failure(engine, source, message)
            out.append(SourceOutcome(source.name, None, message))
        else:
            out.append(SourceOutcome(source.name, result))
    return out


def _record_failure(engine: Engine, source: SourceConfig, message: str) -> None:
    with Session(engine) as session, session.begin():
        ingest.mark_source(
            session, source.name, collector=source.kind, kind=source.fact_kind, error=message
        )
