"""Fuzz: call-record CSV exports (calls-csv) with hostile rows, on SQLite and PostgreSQL.

Rows mix real calls with cells no store column holds: waits of ``nan``, ``inf``, ``1.0e400`` or 20
digits, negative waits, times in year 9999 or before 1970, queue names and call ids longer than
their columns, empty cells, NUL bytes, invalid UTF-8, stray quotes, too few or too many fields,
CRLF endings and an unfinished last line. For every file: nothing escapes ``import_csv``, the run
balances (read = stored + duplicates + quarantined, also in ``ingest_runs``), and the same bytes
imported again under another name store nothing and add no call.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

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

from servicelevel.collectors.mapped.csv_file import import_csv
from servicelevel.collectors.mapped.mapping import parse_mapping
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.schema import Call

SPEC = RollupSpec.of(5, [20])
MAPPING = parse_mapping(
    """
kind = "calls"
datetime_format = "%Y-%m-%d %H:%M:%S"
[columns]
callid = "id"
queue = "queue"
entered_at = "entered"
answered_at = "answered"
wait_s = "wait"
talk_s = "talk"
[columns.outcome]
column = "result"
values = { ok = "answered", gone = "abandoned", late = "timeout" }
""",
    "fuzz-calls.toml",
)
HEADER = "id,queue,entered,answered,wait,talk,result"

good_time = st.builds(
    lambda d, h, m: f"2026-03-{d:02d} {h:02d}:{m:02d}:00",
    st.integers(1, 28), st.integers(0, 23), st.integers(0, 59),
)  # fmt: skip
cells = {
    "id": st.one_of(st.integers(1, 40).map(lambda n: f"c-{n}"), HOSTILE_TEXT),
    "queue": st.one_of(st.sampled_from(["sales", "billing"]), HOSTILE_TEXT),
    "entered": st.one_of(good_time, st.sampled_from(HOSTILE_TIMES)),
    "answered": st.one_of(good_time, st.just(""), st.sampled_from(HOSTILE_TIMES)),
    "wait": st.one_of(st.integers(0, 300).map(str), st.sampled_from(HOSTILE_NUMBERS)),
    "talk": st.one_of(st.integers(0, 900).map(str), st.sampled_from(HOSTILE_NUMBERS)),
    "result": st.one_of(st.sampled_from(["ok", "gone", "late", "what"]), HOSTILE_TEXT),
}


def quoted(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\r\n') else cell


@st.composite
def csv_row(draw, columns: list[str], cell_of: dict) -> str:
    values = [draw(cell_of[c]) for c in columns]
    if draw(st.integers(0, 5)) == 0:  # a field too many or too few
        values = values[:-1] if draw(st.booleans()) else [*values, "extra"]
    return ",".join(values if draw(st.integers(0, 7)) == 0 else map(quoted, values))


@st.composite
def csv_file(draw, header: str, cell_of: dict) -> bytes:
    columns = header.split(",")
    return draw(
        hostile_bytes(
            [header, *draw(st.lists(csv_row(columns, cell_of), max_size=15))], header=True
        )
    )


def run(engine, path, mapping, kind: str, batch: int):
    return import_csv(
        engine, path, mapping, SPEC, kind=kind, default_tz=ZoneInfo("Europe/Paris"),
        batch_rows=batch,
    )  # fmt: skip


@FUZZ
@given(data=csv_file(HEADER, cells), batch=st.sampled_from([2, 5_000]))
def test_any_calls_csv_balances_and_a_second_import_stores_nothing(engine, tmp_path, data, batch):
    path = tmp_path / unique("calls.csv")
    path.write_bytes(data)
    first = run(engine, path, MAPPING, "calls-csv", batch)
    check_accounting(engine, first)
    before = rows(engine, Call)

    again = tmp_path / unique("calls-again.csv")
    again.write_bytes(data)
    second = run(engine, again, MAPPING, "calls-csv", batch)
    check_accounting(engine, second)
    assert second.read == first.read
    assert second.stored == 0, second
    assert rows(engine, Call) == before
