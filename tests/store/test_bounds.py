"""The one check of what the store can hold alike on SQLite and PostgreSQL (store.bounds).

Every collector's calls go through :func:`fit_call` when their rows are validated; the sizes
are the schema's, so a column made wider needs no other change.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from servicelevel.store import bounds
from servicelevel.store.bounds import OutOfBounds, fit_call
from servicelevel.store.ingest import CallFact
from servicelevel.store.schema import Call

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CALL = CallFact(source="pbx", callid="1772442000.1", queue="sales", entered_at=AT,
                outcome="answered", wait_s=12.0, ended_at=AT + timedelta(seconds=12),
                talk_s=60.0, agent="Ann")  # fmt: skip


def reason(fact: CallFact) -> tuple[str, str]:
    with pytest.raises(OutOfBounds) as caught:
        fit_call(fact)
    return str(caught.value), caught.value.group


def test_the_sizes_are_the_schemas():
    assert bounds.limit("calls.queue") == Call.__table__.c.queue.type.length
    assert bounds.limit(Call.__table__.c.agent) == Call.__table__.c.agent.type.length
    assert bounds.limit("quarantine.raw") is None  # Text: unbounded
    assert bounds.is_key("calls.queue") and not bounds.is_key("calls.agent")


def test_a_call_that_fits_passes_and_a_long_agent_name_is_cut():
    size = bounds.limit("calls.agent")
    assert fit_call(replace(CALL)) == CALL
    assert fit_call(replace(CALL, agent="A" * (size + 5))).agent == "A" * size


def test_a_call_the_store_cannot_hold_alike_everywhere_is_refused_with_a_reason():
    assert reason(replace(CALL, queue="Q" * 81)) == (
        "queue: longer than 80 characters", "queue too long",
    )  # fmt: skip
    assert reason(replace(CALL, callid="9" * 81))[1] == "callid too long"
    assert reason(replace(CALL, wait_s=float("nan")))[1] == "wait_s not a finite number"
    assert reason(replace(CALL, talk_s=float("inf")))[1] == "talk_s not a finite number"
    assert reason(replace(CALL, wait_s=-1.0))[1] == "wait_s negative"
    late = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    assert reason(replace(CALL, entered_at=late)) == (
        "entered_at: 9999-12-31 23:00 UTC, out of range (after 1970-01-01 and before 2100)",
        "entered_at out of range",
    )
    assert reason(replace(CALL, entered_at=datetime(1970, 1, 1, tzinfo=UTC)))[1] == (
        "entered_at out of range"
    )


def test_a_batch_column_is_checked_in_one_call():
    values = np.array(["sales", "Q" * 81, None, "F" * 80], dtype=object)
    assert bounds.too_long("calls.queue", values).tolist() == [False, True, False, False]


def test_a_nul_byte_is_refused_in_a_key_and_shown_as_a_symbol_in_free_text():
    """PostgreSQL refuses a NUL in any text (the whole batch with it); SQLite keeps it."""
    with pytest.raises(bounds.OutOfBounds, match="queue: contains a NUL byte"):
        bounds.fit_text("calls.queue", "sa\x00les", "queue")
    assert bounds.fit_text("calls.agent", "ann\x00e") == "ann\u2400e"
