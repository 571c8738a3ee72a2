"""Fuzz: surveys, complaints and orders from mapped CSV exports, on SQLite and PostgreSQL.

The cells mix values the mapping takes with hostile ones (see ``fuzzing``): keys longer than
their column, scores of ``nan`` or 20 digits, dates in year 9999, empty cells, NUL bytes,
invalid UTF-8, wrong field counts, CRLF and an unfinished last line. For every file: nothing
escapes ``import_csv``, the run balances (read = stored + duplicates + quarantined, also in
``ingest_runs``), and the same bytes imported again under another name add no fact (a row may
count as stored again only as an update of a key the file itself gave twice).
"""

from __future__ import annotations

import pytest
from fuzzing import (
    FUZZ,
    HOSTILE_NUMBERS,
    HOSTILE_TEXT,
    HOSTILE_TIMES,
    check_accounting,
    rows,
    unique,
)
from hypothesis import given
from hypothesis import strategies as st
from test_fuzz_calls_csv import csv_file, run

from servicelevel.collectors.mapped.mapping import parse_mapping
from servicelevel.store.schema import Complaint, Order, Survey

date = st.builds(lambda m, d: f"{d:02d}/{m:02d}/2026", st.integers(1, 12), st.integers(1, 28))
# NUL bytes in keys (refused on both databases, PostgreSQL text cannot hold one) and integers
# beyond 32 and 64 bits (refused by the column's width) are in: both once stopped an import.
key = st.one_of(st.integers(1, 30).map(str), HOSTILE_TEXT)
hostile_date = st.sampled_from((*HOSTILE_TIMES, "31/12/9999", "01/01/0001", "30/02/2026"))
number = st.one_of(
    st.integers(-5, 50).map(str),
    st.sampled_from([*HOSTILE_NUMBERS, "2147483648", "9223372036854775808"]),
)

KINDS = {
    "surveys": (
        """
kind = "surveys"
date_format = "%d/%m/%Y"
[columns]
key = "response"
answered_at = "submitted"
complaint = "ticket"
score = "score"
""",
        {"response": key, "submitted": st.one_of(date, hostile_date),
         "ticket": st.one_of(st.just(""), key), "score": number},
        Survey,
    ),
    "complaints": (
        """
kind = "complaints"
date_format = "%d/%m/%Y"
[columns]
key = "ticket"
opened_at = "opened"
resolved_at = "closed"
nature = { column = "category", categories = ["Late delivery", "Damaged item"] }
compensation = "goodwill"
""",
        {"ticket": key, "opened": st.one_of(date, hostile_date),
         "closed": st.one_of(st.just(""), date, hostile_date),
         "category": st.one_of(st.sampled_from(["Late delivery", "Damaged item"]), HOSTILE_TEXT),
         "goodwill": number},
        Complaint,
    ),
    "orders": (
        """
kind = "orders"
date_format = "%d/%m/%Y"
[columns]
key = { join = ["order", "line"], sep = "/" }
ordered_at = "date"
product = "sku"
units = "qty"
""",
        {"order": key, "line": key, "date": st.one_of(date, hostile_date),
         "sku": st.one_of(st.sampled_from(["A1", "B2"]), HOSTILE_TEXT), "qty": number},
        Order,
    ),
}  # fmt: skip
FILES = {
    kind: (parse_mapping(text, f"fuzz-{kind}.toml"), csv_file(",".join(cells), cells), table)
    for kind, (text, cells, table) in KINDS.items()
}


@pytest.mark.parametrize("kind", list(KINDS))
@FUZZ
@given(data=st.data(), batch=st.sampled_from([2, 5_000]))
def test_any_mapped_export_balances_and_a_second_import_adds_nothing(
    engine, tmp_path, kind, data, batch
):
    mapping, files, table = FILES[kind]
    content = data.draw(files)
    path = tmp_path / unique(f"{kind}.csv")
    path.write_bytes(content)
    first = run(engine, path, mapping, f"{kind}-csv", batch)
    check_accounting(engine, first)
    before = rows(engine, table)

    again = tmp_path / unique(f"{kind}-again.csv")
    again.write_bytes(content)
    second = run(engine, again, mapping, f"{kind}-csv", batch)
    check_accounting(engine, second)
    assert second.read == first.read
    assert second.stored == second.updated, second
    assert rows(engine, table) == before
