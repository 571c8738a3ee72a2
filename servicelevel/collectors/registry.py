"""Every source kind servicelevel reads, by name: the one place a kind is registered.

Modelled on healthchecks' ``TRANSPORTS`` (one dict from a name to the class that does the work):
``servicelevel import KIND``, ``[[source]] kind``, the scheduled runner, the quarantine replay
and ``targets check`` all look the kind up in :data:`COLLECTORS`. A new kind is a
:class:`~servicelevel.collectors.base.Collector`, one entry below and its docs
(docs/collectors.md, checked by a test).

The order is the one users see in "expected one of ..." and in ``servicelevel import --help``.
The collectors' modules import no machinery when loaded, so reading this registry stays cheap
and the mapping models (which check ``[[source]] kind`` against it) can import it.
"""

from __future__ import annotations

from servicelevel.collectors.base import Collector
from servicelevel.collectors.mapped.collector import CSV_KINDS, SQL_KINDS, CsvExport, SqlQuery
from servicelevel.collectors.queue_log.collector import QueueLogFile, QueueLogTable

_ENTRIES: list[Collector] = [
    QueueLogFile(),
    QueueLogTable(),
    *(CsvExport(name, fact_kind) for name, fact_kind in CSV_KINDS.items()),
    *(SqlQuery(name, fact_kind) for name, fact_kind in SQL_KINDS.items()),
]
COLLECTORS: dict[str, Collector] = {collector.name: collector for collector in _ENTRIES}


def file_kinds() -> tuple[str, ...]:
    """The kinds that read files, i.e. those ``servicelevel import KIND PATH`` takes."""
    return tuple(name for name, c in COLLECTORS.items() if c.reads == "file")
