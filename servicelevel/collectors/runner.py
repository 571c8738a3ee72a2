"""Run collectors: one file of a kind, one ``[[source]]``, or every source, each on its own.

Why here and not in the CLI: the command line, the scheduler and the tests all run sources the
same way. What a kind does is its collector's (:data:`.registry.COLLECTORS`); this module only
resolves paths, looks the kind up and keeps failures apart. :func:`run_sources` isolates every
source, so one that fails (a missing file, a database down, a mapping naming a column the
export no longer has) is recorded as failed, its targets turn stale, and the others still run.
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
from servicelevel.collectors.mapped.mapping import Mapping, SourceConfig
from servicelevel.collectors.registry import COLLECTORS, file_kinds
from servicelevel.errors import IngestError, ServicelevelError
from servicelevel.store import ingest
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.runs import failure_text, failure_traceback

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
    collector = COLLECTORS.get(kind)
    if collector is None or collector.reads != "file":
        raise IngestError(f"unknown file kind {kind}; expected one of {', '.join(file_kinds())}")
    return collector.import_file(
        engine, path, spec, default_tz=default_tz, mapping=mapping,
        progress=progress, batch_rows=batch_rows,
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
    collector = COLLECTORS.get(source.kind)
    if collector is None:
        raise IngestError(f"source {source.name}: unknown kind {source.kind}")
    return collector.run(
        engine, source, spec, default_tz=default_tz, path=path, final=final, progress=progress
    )


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
            # Our errors are worded for the user; any other's text may hold rows (a refused
            # batch's parameters): only its class and first line are kept and shown.
            message = str(exc) if isinstance(exc, ServicelevelError) else failure_text(exc)
            if isinstance(exc, ServicelevelError):
                log.warning("source %s failed: %s", source.name, message)
            else:
                log.warning(
                    "source %s failed: %s\n%s", source.name, message, failure_traceback(exc)
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
