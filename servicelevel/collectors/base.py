"""What a collector is: the protocol every source kind declares, and the accounting it returns.

``read = stored + duplicates + quarantined`` must hold for every run; it is how a user checks that
nothing was silently dropped.

A source kind (``asterisk-queue-log``, ``calls-csv``, ``orders-sql``...) is one :class:`Collector`
in :data:`servicelevel.collectors.registry.COLLECTORS`. The CLI's ``import KIND``, the scheduled
runner, the quarantine replay and the ``[[source]]`` checks all look the kind up there, so a new
kind is a collector and its registry entry, not an edit of each of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from pathlib import Path
    from zoneinfo import ZoneInfo

    from sqlalchemy import Engine

    from servicelevel.collectors.mapped.models import Locator, Mapping, SourceConfig
    from servicelevel.config import ConfigIssue
    from servicelevel.store.rollups import RollupSpec
    from servicelevel.store.schema import Quarantine

REPLAY_BATCH = 2_000  # quarantined rows per transaction of a replay


@dataclass(slots=True)
class RunResult:
    source: str
    collector: str
    read: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    run_id: int | None = None
    expired_from_earlier_runs: int = 0
    updated: int = 0  # of the stored: rows that changed a fact already stored (same key)
    notes: list[str] = field(default_factory=list)  # things the user should know, e.g. a gap

    @property
    def balanced(self) -> bool:
        return self.read == self.stored + self.duplicates + self.quarantined

    def count_reason(self, reason: str, n: int = 1) -> None:
        # Reasons are grouped by their first clause so "bad holdtime 'x'" and "'y'" add up.
        head = reason.split(":")[0]
        self.reasons[head] = self.reasons.get(head, 0) + n

    def summary(self) -> str:
        line = (
            f"{self.source}: read {self.read}, stored {self.stored}, "
            f"duplicates {self.duplicates}, quarantined {self.quarantined}"
        )
        if self.updated:
            line += f"\n  of the stored, {self.updated} updated a fact already stored"
        if self.reasons:
            line += "\n  quarantined because: " + "; ".join(
                f"{reason} ({count})" for reason, count in sorted(self.reasons.items())
            )
        if self.expired_from_earlier_runs:
            line += (
                f"\n  {self.expired_from_earlier_runs} call(s) left waiting by earlier runs "
                "were never closed and are now quarantined"
            )
        for note in self.notes:
            line += f"\n  note: {note}"
        return line


@dataclass(slots=True)
class ReplayOutcome:
    """What replaying one source's quarantined rows did (or why it could not)."""

    source: str
    result: RunResult | None = None
    error: str | None = None
    not_replayable: int = 0
    notes: list[str] = field(default_factory=list)


class Collector(Protocol):
    """One source kind: its name, what it stores and reads, and the four things it does.

    Implementations import their machinery (numpy, the store) inside the methods: the registry
    is read by every CLI command and by the mapping models, which must stay light and acyclic.
    """

    name: str  # the kind: ``servicelevel import NAME``, ``[[source]] kind = NAME``
    fact_kind: str  # what it stores: calls, surveys, complaints, orders, returns
    reads: Literal["file", "database"]  # a file kind has a ``path`` and a one-off import
    mapped: bool  # reads another system's columns through a mapping (``--mapping``, columns)

    def import_file(
        self,
        engine: Engine,
        path: Path,
        spec: RollupSpec,
        *,
        default_tz: ZoneInfo,
        mapping: Mapping | None,
        progress: bool,
        batch_rows: int | None,
    ) -> RunResult:
        """One-off import of a complete file (``servicelevel import KIND PATH``), resumable."""
        ...

    def run(
        self,
        engine: Engine,
        source: SourceConfig,
        spec: RollupSpec,
        *,
        default_tz: ZoneInfo,
        path: Path | None,
        final: bool,
        progress: bool,
    ) -> RunResult:
        """Read what is new in a configured ``[[source]]`` (``path`` resolved for file kinds).

        ``final=False`` (a schedule) leaves what may still be being written.
        """
        ...

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
        """Feed the quarantined rows of source ``name`` through the collector again.

        ``mapping`` is the fixed mapping (``--mapping``, else the ``[[source]]`` of that name).
        """
        ...

    def validate(
        self, source: SourceConfig, where: Locator, mapping_where: Locator
    ) -> list[ConfigIssue]:
        """What else a ``[[source]]`` of this kind must say (its keys are already valid).

        ``where`` locates keys in the ``[[source]]`` table, ``mapping_where`` the mapping keys
        (in the mapping file the table names, else the table itself).
        """
        ...


def location_issues(
    reads: Literal["file", "database"], source: SourceConfig, where: Locator
) -> list[ConfigIssue]:
    """What a kind that ``reads`` a file (``path``) or a database (``url``/``url_env``) needs."""
    if reads == "file" and not source.path:
        return [where.issue((), f'missing key "path": {source.kind} reads a file')]
    if reads == "database" and not (source.url or source.url_env):
        return [
            where.issue((), f'missing key "url" (or "url_env"): {source.kind} reads a database')
        ]
    return []


class ReadsDatabase:
    """Mixin for kinds that read a database: there is no file for ``servicelevel import``.

    Put it first among the bases so its ``import_file`` wins over a file kind's.
    """

    name: str
    reads: Literal["file", "database"] = "database"

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
        from servicelevel.errors import IngestError

        raise IngestError(f"{self.name} reads a database: configure it as a [[source]]")
