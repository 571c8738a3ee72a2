"""The mapped kinds as collectors: ``<fact>-csv`` exports and ``<fact>-sql`` queries.

One collector per fact kind and reader (``calls-csv``, ``orders-sql``...): the rows are another
system's, read through a mapping (:mod:`.mapping`), written by :class:`.tabular.TabularImporter`.
The machinery is imported inside the methods: this module is loaded with the registry, by every
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
from servicelevel.collectors.mapped.fields import FACT_KINDS
from servicelevel.errors import IngestError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from sqlalchemy import Engine

    from servicelevel.collectors.mapped.models import Locator, Mapping, SourceConfig
    from servicelevel.config import ConfigIssue
    from servicelevel.store.rollups import RollupSpec
    from servicelevel.store.schema import Quarantine

CSV_KINDS = {f"{k}-csv": k for k in FACT_KINDS}  # kind -> the fact kind it stores
SQL_KINDS = {f"{k}-sql": k for k in FACT_KINDS}


class _Mapped:
    """What both readers share: a mapping, its checks, and the replay of mapped rows."""

    name: str
    fact_kind: str
    reads: Literal["file", "database"]
    mapped = True

    def __init__(self, name: str, fact_kind: str) -> None:
        self.name = name
        self.fact_kind = fact_kind

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    def replay(
        self,
        engine: Engine,
        spec: RollupSpec,
        name: str,
        items: list[Quarantine],
        *,
        default_tz: ZoneInfo,
        mapping: Mapping | None,
    ) -> ReplayOutcome:
        from servicelevel.collectors.mapped.records import RowMapper
        from servicelevel.collectors.mapped.tabular import replay_rows

        if mapping is None:
            raise IngestError(
                f"{name}: give the fixed mapping with --mapping FILE to replay its rows"
            )
        mapper = RowMapper(mapping, self.fact_kind, mapping.tz(default_tz), name)
        return replay_rows(engine, spec, name, self.name, mapper, items)

    def validate(
        self, source: SourceConfig, where: Locator, mapping_where: Locator
    ) -> list[ConfigIssue]:
        return [*location_issues(self.reads, source, where), *self._own_issues(source, where),
                *source.issues(self.fact_kind, mapping_where)]  # fmt: skip

    def _own_issues(self, source: SourceConfig, where: Locator) -> list[ConfigIssue]:
        return []


class CsvExport(_Mapped):
    """``<fact>-csv``: an export file, read from where the last run stopped."""

    reads: Literal["file", "database"] = "file"

    def import_file(
        self,
        engine: Engine,
        path: Path,
        spec: RollupSpec,
        *,
        default_tz: ZoneInfo,
        mapping: Mapping | None,
        progress: bool = False,
        batch_rows: int | None = None,
    ) -> RunResult:
        from servicelevel.collectors.mapped import csv_file

        if mapping is None:
            raise IngestError(
                f"{self.name} needs a mapping (--mapping FILE); see docs/collectors.md"
            )
        return csv_file.import_csv(
            engine, path, mapping, spec, kind=self.name, default_tz=default_tz,
            progress=progress, batch_rows=batch_rows or 5_000,
        )  # fmt: skip

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
        from servicelevel.collectors.mapped import csv_file

        assert path is not None
        if not path.is_file():
            raise IngestError(f"{path}: no such file")
        return csv_file.import_csv(
            engine, path, source, spec, kind=self.name, default_tz=default_tz,
            name=source.name, final=final, progress=progress,
        )  # fmt: skip


class SqlQuery(ReadsDatabase, _Mapped):
    """``<fact>-sql``: the user's SELECT, run past a watermark column."""

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
        from servicelevel.collectors.mapped.sql_query import import_query

        return import_query(engine, source, spec, default_tz=default_tz, final=final)

    def _own_issues(self, source: SourceConfig, where: Locator) -> list[ConfigIssue]:
        out = []
        if not source.query:
            out.append(where.issue((), 'missing key "query": the SELECT that returns the rows'))
        if not source.watermark:
            out.append(where.issue((), 'missing key "watermark": a column that only grows'))
        return out
