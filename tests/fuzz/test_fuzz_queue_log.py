"""Fuzz: queue_log files mixing real calls with hostile lines, on SQLite and PostgreSQL.

Hostile lines: times no calendar holds (``nan``, ``inf``, ``1.0e400``, 20 digits, negative, year
9999), numbers no float holds in the data fields, wrong field counts, empty fields, queue names
and call ids longer than their columns, NUL bytes, invalid UTF-8, CRLF endings and a last line
still being written. For every file, at every batch size: nothing escapes ``import_file``, the
run balances (read = stored + duplicates + quarantined, also in ``ingest_runs``), and the same
bytes imported again under another name store nothing and add no call.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fuzzing import (
    FUZZ,
    HOSTILE_NUMBERS,
    HOSTILE_TEXT,
    HOSTILE_TIMES,
    check_accounting,
    hostile_bytes,
    rows,
    unique,
)
from hypothesis import given
from hypothesis import strategies as st

from servicelevel.collectors.queue_log.importer import import_file
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.schema import Call, QueueEvent

SPEC = RollupSpec.of(5.0, [20.0])
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
START = 1_795_000_000
EVENTS = (
    "ENTERQUEUE", "CONNECT", "ABANDON", "COMPLETEAGENT", "COMPLETECALLER", "EXITWITHTIMEOUT",
    "EXITEMPTY", "EXITWITHKEY", "RINGNOANSWER", "TRANSFER", "ADDMEMBER", "PAUSE", "AGENTLOGIN",
)  # fmt: skip


@st.composite
def real_call(draw) -> list[str]:
    """The lines of one call Asterisk could have written."""
    e = START + draw(st.integers(0, 20 * 3600))
    c, q, w = (
        f"{e}.{draw(st.integers(0, 999))}",
        draw(st.sampled_from(["sales", "support"])),
        draw(st.integers(0, 90)),
    )
    if draw(st.booleans()):
        return [
            f"{e}|{c}|{q}|NONE|ENTERQUEUE||0612345678|1",
            f"{e + w}|{c}|{q}|Agent/7|CONNECT|{w}|{c}.9|3",
            f"{e + w + 30}|{c}|{q}|Agent/7|COMPLETEAGENT|{w}|30|1",
        ]
    return [f"{e}|{c}|{q}|NONE|ENTERQUEUE||0612345678|1", f"{e + w}|{c}|{q}|NONE|ABANDON|1|1|{w}"]


number = st.one_of(st.sampled_from(HOSTILE_NUMBERS), st.integers(-(10**30), 10**30).map(str))
field = st.one_of(number, HOSTILE_TEXT, st.sampled_from(["NONE", "Agent/1", "sales", "1.5"]))


@st.composite
def hostile_line(draw) -> str:
    """A line shaped like queue_log with any part of it wrong."""
    time = draw(
        st.one_of(st.sampled_from(HOSTILE_TIMES), st.integers(START, START + 9999).map(str))
    )
    callid = draw(st.one_of(st.just(f"{START}.1"), HOSTILE_TEXT))
    queue = draw(st.one_of(st.just("sales"), HOSTILE_TEXT))
    event = draw(st.one_of(st.sampled_from(EVENTS), HOSTILE_TEXT))
    data = draw(st.lists(field, max_size=6))
    fields = [time, callid, queue, draw(field), event, *data]
    return "|".join(fields[: draw(st.integers(0, len(fields)))])  # maybe cut short


@st.composite
def queue_log_file(draw) -> bytes:
    lines = [line for call in draw(st.lists(real_call(), max_size=8)) for line in call]
    lines.sort(key=lambda line: line.split("|")[0])
    for _ in range(draw(st.integers(1, 10))):
        lines.insert(draw(st.integers(0, len(lines))), draw(hostile_line()))
    return draw(hostile_bytes(lines))


@FUZZ
@given(data=queue_log_file(), batch=st.sampled_from([2, 5, 20_000]))
def test_any_queue_log_file_balances_and_a_second_import_stores_nothing(
    engine, tmp_path, data, batch
):
    path = tmp_path / unique("queue_log")
    path.write_bytes(data)
    first = import_file(engine, path, SPEC, batch_lines=batch, now=NOW)
    check_accounting(engine, first)
    assert first.read <= data.count(b"\n") + 1
    before = rows(engine, Call, QueueEvent)

    again = tmp_path / unique("queue_log.copy")
    again.write_bytes(data)
    second = import_file(engine, again, SPEC, batch_lines=batch, now=NOW)
    check_accounting(engine, second)
    assert second.read == first.read
    assert second.stored == 0, second
    assert rows(engine, Call, QueueEvent) == before
