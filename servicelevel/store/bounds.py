"""What a value must be before it is stored: text that fits its column, finite numbers, sane times.

Why in the store, and checked when a row is read: the databases disagree on what they accept.
SQLite keeps a string of any length in a ``VARCHAR(80)`` where PostgreSQL refuses it (in a COPY,
with the whole batch); SQLite binds NaN as NULL, so a NaN wait fails a NOT NULL column and the
whole import, where PostgreSQL stores the NaN and every average over it turns NaN; a year-9999
time overflows the first arithmetic on it (a call's end, its local day). The same input must
give the same result on both, and one bad row must cost one row, never the batch. So every
collector checks its rows here, once, while it validates them (a failure is a quarantine
reason), with the column sizes of :mod:`servicelevel.store.schema` rather than copies of them.

What a too-long value means is said per column in the schema: a column marked
:data:`~servicelevel.store.schema.KEY` (a call id, a queue, a fact's key or the key it refers to)
refuses it, since cut, two distinct queues or calls could become one; any other text (an agent,
a product, a complaint's wording) is cut to its column's size.

Times are accepted after 1970-01-01 00:00 UTC (an empty epoch field reads as that instant) and
before 2100: a contact centre has no facts outside that range, and "9999-12-31" is a marker for
"never", not a date.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import BigInteger, Column, String

from servicelevel.store.schema import Base

if TYPE_CHECKING:
    from servicelevel.store.ingest import CallFact

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # excluded: an empty or zero epoch
LATEST = datetime(2100, 1, 1, tzinfo=UTC)  # excluded
SPAN = f"after {EARLIEST:%Y-%m-%d} and before {LATEST:%Y}"


class OutOfBounds(ValueError):
    """A value that cannot be stored as it is: ``"<field>: <detail>"``, e.g. "queue: longer
    than 80 characters".

    ``detail`` reads after "is" ("negative", "not a finite number"), so a collector can say
    where the value came from; ``group`` has no value in it ("queue too long"), so a run's
    summary counts alike rows together.
    """

    def __init__(self, field: str, detail: str, group: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field, self.detail, self.group = field, detail, group


def column(name: str | Column[object]) -> Column[object]:
    """A column of the schema, by ``"table.column"`` or itself."""
    if isinstance(name, Column):
        return name
    table, _, column_name = name.partition(".")
    found: Column[object] = Base.metadata.tables[table].c[column_name]
    return found


def limit(name: str | Column[object]) -> int | None:
    """The size of a text column (None: unbounded, e.g. ``Text``)."""
    kind = column(name).type
    return kind.length if isinstance(kind, String) else None


def is_key(name: str | Column[object]) -> bool:
    """Whether a value too long for the column is refused (a key) rather than cut."""
    return column(name).info.get("too_long") == "refuse"


def fit_text(name: str | Column[object], value: str, field: str | None = None) -> str:
    """``value`` as it may be stored in the column: cut to its size, or refused for a key
    (a NUL byte too: refused in a key, shown as ␀ in free text).

    ``field`` names the value in the reason (default: the column's name).
    """
    if "\x00" in value:  # no PostgreSQL text holds a NUL; SQLite would: the same on both
        if is_key(name):
            label = field or column(name).name
            raise OutOfBounds(label, "contains a NUL byte", f"{label} contains a NUL byte")
        value = value.replace("\x00", "\u2400")  # shown as the symbol for NUL
    size = limit(name)
    if size is None or len(value) <= size:
        return value
    if is_key(name):
        label = field or column(name).name
        raise OutOfBounds(label, f"longer than {size} characters", f"{label} too long")
    return value[:size]


def too_long(name: str | Column[object], values: np.ndarray) -> np.ndarray:
    """Which of ``values`` (str or None, e.g. a column of a batch) exceed the column's size."""
    size = limit(name)
    if size is None or not len(values):
        return np.zeros(len(values), dtype=bool)
    return np.fromiter(
        (v is not None and len(v) > size for v in values), dtype=bool, count=len(values)
    )


def check_time(at: datetime, field: str) -> datetime:
    """``at`` if it lies in the range the store accepts (see the module docstring)."""
    if not EARLIEST < at < LATEST:
        raise OutOfBounds(
            field, f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC, out of range ({SPAN})",
            f"{field} out of range",
        )  # fmt: skip
    return at


def check_number(value: float, field: str) -> float:
    """``value`` if it is a finite number (NaN and infinities are not amounts)."""
    if not math.isfinite(value):
        raise OutOfBounds(field, "not a finite number", f"{field} not a finite number")
    return value


def largest(name: str | Column[object]) -> int:
    """The largest whole number the column holds on every database we support.

    SQLAlchemy's ``Integer`` is 32-bit on PostgreSQL and 64-bit on SQLite: the narrower one
    decides, so the same count is refused on both (PostgreSQL refuses the whole batch, SQLite
    raises OverflowError past 64 bits).
    """
    return 2**63 - 1 if isinstance(column(name).type, BigInteger) else 2**31 - 1


def check_whole(name: str | Column[object], value: float, field: str) -> int:
    """``value`` as a whole number >= 0 the column holds (a count of units, say)."""
    check_number(value, field)
    if value != int(value) or value < 0:
        raise OutOfBounds(field, "not a whole number >= 0", f"{field} not a whole number")
    top = largest(name)
    if value > top:
        raise OutOfBounds(field, f"larger than {top:,}", f"{field} too large")
    return int(value)


def check_seconds(value: float, field: str) -> float:
    """``value`` if it is a duration: finite and not negative."""
    check_number(value, field)
    if value < 0:
        raise OutOfBounds(field, "negative", f"{field} negative")
    return value


def fit_call(fact: CallFact) -> CallFact:
    """Check (and cut the free text of) a call before it is stored; raises `OutOfBounds`.

    The one check every call passes, whichever collector read it: its id and queue must fit
    their columns, its wait and talk time must be durations, its times in range. The agent's
    name is cut to its column. ``fact`` is changed in place and returned.
    """
    fact.callid = fit_text("calls.callid", fact.callid, "callid")
    fact.queue = fit_text("calls.queue", fact.queue, "queue")
    if fact.agent is not None:
        fact.agent = fit_text("calls.agent", fact.agent, "agent")
    check_seconds(fact.wait_s, "wait_s")
    if fact.talk_s is not None:
        check_seconds(fact.talk_s, "talk_s")
    check_time(fact.entered_at, "entered_at")
    if fact.ended_at is not None:
        check_time(fact.ended_at, "ended_at")
    return fact
