"""Watermarks of table sources: the last value read of a column that only grows.

Why whole groups: rows sharing one watermark value (many queue_log rows in the same second) may
still be arriving when we read. We therefore commit only up to the end of a group, and a live
read (``final=False``) leaves the newest group for the next pass: with ``WHERE wm > :last`` a row
of that value written after our read would otherwise never be seen. An ``id`` column has no
ties, so nothing is held back.

The value is stored as text with its type (``int:42``, ``datetime:2024-03-01T10:00:00``), so the
next query binds it as the same type the database returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

T = TypeVar("T")


def encode(value: Any) -> str:
    if isinstance(value, bool):
        raise TypeError("a true/false column cannot be a watermark")
    if isinstance(value, datetime):
        return f"datetime:{value.isoformat()}"
    if isinstance(value, date):
        return f"date:{value.isoformat()}"
    if isinstance(value, int):
        return f"int:{value}"
    if isinstance(value, (float, Decimal)):
        return f"decimal:{value}"
    return f"str:{value}"


def decode(text: str) -> Any:
    kind, _, value = text.partition(":")
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "int":
        return int(value)
    if kind == "decimal":
        return Decimal(value)
    if kind == "str":
        return value
    raise ValueError(f"not a watermark: {text!r}")


def groups(rows: Iterable[T], key: Any) -> Iterator[tuple[Any, list[T]]]:
    """Consecutive rows with the same ``key(row)``, as (value, rows)."""
    current: list[T] = []
    value: Any = None
    for row in rows:
        k = key(row)
        if current and k != value:
            yield value, current
            current = []
        value = k
        current.append(row)
    if current:
        yield value, current
