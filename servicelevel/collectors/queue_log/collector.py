"""The two Asterisk ``queue_log`` kinds as collectors: the log file, and the realtime table.

Both feed the same call state machine (:mod:`.state`), so both replay the same way. The
machinery is imported inside the methods: this module is loaded with the registry, by every
CLI command and by the mapping models.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from servicelevel.collectors.base import (
    ReadsDatabase,
    ReplayOutcome,
    RunResult,
    location_issues,
)

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from sqlalchemy import Engine

    from servicelevel.collectors.mapped.models import Locator, Mapping, SourceConfig
    from servicelevel.config import ConfigIssue
    from servicelevel.store.rollups import RollupSpec
    from servicelevel.store.schema import Quarantine

FILE_KIND = "asterisk-queue-log"
TABLE_KIND = "asterisk-queue-log-table"


class QueueLogFile:
    """``asterisk-queue-log``: the ``queue_log`` file, followed across rotations."""

    name = FILE_KIND
    fact_kind = "calls"
    reads: Literal["file", "database"] = "file"
    mapped = False  # the format is Asterisk's own

    def import_file(
        self,
        engine: Engine,
        path: Path,
        spec: RollupSpec,
        *,
        default_tz: ZoneInfo,
        mapping: Mapping | None = None,
        progress: bool = False,
        batch_rows: int | None = None,
    ) -> RunResult:
        from servicelevel.collectors.mapped.tabular import close_interrupted_runs
        from servicelevel.collectors.queue_log import importer

        close_interrupted_runs(engine, importer.source_name(path))
        return importer.import_file(
            engine,
            path,
            spec,
            progress=progress,
            batch_lines=batch_rows or importer.BATCH_LINES,
        )

    def run(
        self,
        engine: Engine,
        source: SourceConfig,
        spec: RollupSpec,
        *,
        default_tz: ZoneInfo,
        path: Path | None,
        final: bool = False,
        progress: bool = False,
    ) -> RunResult:
        from servicelevel.collectors.queue_log.follow import QueueLogFollower

        assert path is not None
        follower = QueueLogFollower(engine, path, spec, name=source.name)
        try:
            follower.run_once(final=final)
        finally:
            follower.close()
        return follower.result

    def replay(
        self,
        engine: Engine,
        spec: RollupSpec,
        name: str,
        items: list[Quarantine],
        *,
        default_tz: ZoneInfo,
        mapping: Mapping | None = None,
    ) -> ReplayOutcome:
        from servicelevel.collectors.queue_log.replay import replay_lines

        return replay_lines(engine, spec, name, items)

    def validate(
        self, source: SourceConfig, where: Locator, mapping_where: Locator
    ) -> list[ConfigIssue]:
        out = location_issues(self.reads, source, where)
        if source.columns:
            out.append(where.issue(("columns",), f"{source.kind} needs no mapping"))
        return out


class QueueLogTable(ReadsDatabase, QueueLogFile):
    """``asterisk-queue-log-table``: Asterisk's realtime ``queue_log`` table, past a watermark."""

    name = TABLE_KIND

    def run(
        self,
        engine: Engine,
        source: SourceConfig,
        spec: RollupSpec,
        *,
        default_tz: ZoneInfo,
        path: Path | None,
        final: bool = False,
        progress: bool = False,
    ) -> RunResult:
        from servicelevel.collectors.queue_log.table import import_queue_log_table

        return import_queue_log_table(
            engine, source.database_url(), spec, table=source.table,
            tz=source.tz(default_tz), name=source.name, final=final,
        )  # fmt: skip
