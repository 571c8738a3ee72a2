"""The write path of the non-call facts: surveys, complaints, orders and returns.

Why "new / updated / same" rather than insert-or-ignore: these facts change after they are first
exported. A complaint appears open in Monday's export and resolved in Friday's; a daily sales
total is corrected the next morning. The natural key (``complaint_key``...) identifies the fact,
so a row with a known key and the same values is a duplicate, and one with other values updates
the stored fact (the KPIs read these tables directly, so a late correction changes past windows
at once). Calls keep their first version: see :func:`servicelevel.store.ingest.write_calls`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from servicelevel.store.schema import Base, Complaint, Order, Return, Survey

_CHUNK = 400
MODELS: dict[str, tuple[type[Base], str]] = {
    "surveys": (Survey, "survey_key"),
    "complaints": (Complaint, "complaint_key"),
    "orders": (Order, "order_key"),
    "returns": (Return, "return_key"),
}
NEW, UPDATED, SAME = "new", "updated", "same"


class FactLike(Protocol):
    table: str
    key: str
    values: dict[str, Any]


def write_facts(session: Session, facts: Sequence[FactLike]) -> list[str]:
    """Store ``facts``; return for each one ``"new"``, ``"updated"`` or ``"same"``.

    Within the batch, a later fact with the same key wins (it is the newer export line).
    """
    statuses = [SAME] * len(facts)
    by_table: dict[str, list[int]] = {}
    for i, fact in enumerate(facts):
        by_table.setdefault(fact.table, []).append(i)
    for table, indexes in by_table.items():
        model, key_name = MODELS[table]
        key_column = getattr(model, key_name)
        columns = [key_column, *(getattr(model, c) for c in facts[indexes[0]].values)]
        keys = list({facts[i].key for i in indexes})
        stored: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), _CHUNK):
            part = keys[start : start + _CHUNK]
            for row in session.execute(select(*columns).where(key_column.in_(part))):
                values = row._asdict()
                stored[values.pop(key_name)] = values
        inserts: dict[str, dict[str, Any]] = {}
        updates: dict[str, dict[str, Any]] = {}
        for i in indexes:
            fact = facts[i]
            current = inserts.get(fact.key) or updates.get(fact.key) or stored.get(fact.key)
            if current is not None and _same(current, fact.values):
                statuses[i] = SAME
            elif fact.key in inserts:
                inserts[fact.key] = dict(fact.values)
                statuses[i] = UPDATED
            elif fact.key not in stored:
                inserts[fact.key] = dict(fact.values)
                statuses[i] = NEW
            else:
                updates[fact.key] = dict(fact.values)
                statuses[i] = UPDATED
        if inserts:
            session.execute(insert(model), [{key_name: k, **v} for k, v in inserts.items()])
        for key, values in updates.items():
            session.execute(update(model).where(key_column == key).values(**values))
    return statuses


def _same(stored: dict[str, Any], incoming: dict[str, Any]) -> bool:
    for name, value in incoming.items():
        old = stored.get(name)
        if isinstance(value, float) and isinstance(old, (int, float)):
            if abs(old - value) > 1e-9:
                return False
        elif old != value:
            return False
    return True
