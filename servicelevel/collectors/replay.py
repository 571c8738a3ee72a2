"""Replay quarantined rows once their cause is fixed (usually the mapping).

A quarantined row keeps its source, location, reason and a copy of what was read (the queue_log
line, or the mapped columns of a CSV/SQL row). Replaying feeds those copies through the source's
collector again, as a run of its own (collector ``replay:<kind>`` in ``ingest_runs``, with the
same accounting). A row that now becomes a fact, or turns out to be a duplicate, is marked
``replayed_at`` and leaves the list; one that fails again for the same reason stays as it is; one
that fails for another reason is quarantined anew with that reason.

Rows quarantined without a copy (a CSV record that could not be split into columns) cannot be
replayed: fix the file and import it again.

How a kind replays is its collector's (:meth:`Collector.replay`, looked up by the collector
recorded for the source): queue_log lines go through the call state machine again
(:mod:`.queue_log.replay`), mapped rows through the fixed mapping (:func:`.tabular.replay_rows`).
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from servicelevel.collectors.base import ReplayOutcome
from servicelevel.collectors.mapped.mapping import Mapping, SourceConfig
from servicelevel.collectors.queue_log.collector import FILE_KIND
from servicelevel.collectors.registry import COLLECTORS
from servicelevel.errors import IngestError
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.schema import Quarantine, Source

__all__ = ["ReplayOutcome", "pending", "replay"]


def pending(
    session: Session,
    source: str | None = None,
    ids: Sequence[int] = (),
    include_replayed: bool = False,
) -> list[Quarantine]:
    """Quarantined rows, oldest first, optionally of one source (exact name or a part of it)."""
    query = select(Quarantine).order_by(Quarantine.id)
    if not include_replayed:
        query = query.where(Quarantine.replayed_at.is_(None))
    if source:
        query = query.where(
            or_(Quarantine.source == source, Quarantine.source.contains(source, autoescape=True))
        )
    if ids:
        query = query.where(Quarantine.id.in_(list(ids)))
    return list(session.execute(query).scalars())


def replay(
    engine: Engine,
    spec: RollupSpec,
    *,
    default_tz: ZoneInfo,
    source: str | None = None,
    ids: Sequence[int] = (),
    mapping: Mapping | None = None,
    configured: Sequence[SourceConfig] = (),
) -> list[ReplayOutcome]:
    """Replay the pending quarantined rows (of ``source``, or ``ids``), source by source."""
    with Session(engine) as session:
        rows = pending(session, source, ids)
        names = sorted({row.source for row in rows})
        known = {
            s.name: s
            for s in session.execute(select(Source).where(Source.name.in_(names))).scalars()
        }
        session.expunge_all()
    by_source: dict[str, list[Quarantine]] = {}
    for row in rows:
        by_source.setdefault(row.source, []).append(row)
    by_name = {s.name: s for s in configured}
    out = []
    for name, items in by_source.items():
        stored = known.get(name)
        # Rows of a source never recorded in ``sources`` came from a queue_log file import.
        kind = stored.collector if stored is not None else FILE_KIND
        collector = COLLECTORS.get(kind)
        try:
            if collector is None:
                raise IngestError(f"{name}: rows of a {kind} source cannot be replayed")
            chosen = mapping or by_name.get(name)
            out.append(
                collector.replay(engine, spec, name, items, default_tz=default_tz, mapping=chosen)
            )
        except IngestError as exc:
            out.append(ReplayOutcome(name, error=str(exc)))
    return out
