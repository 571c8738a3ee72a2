"""Shared pieces of the fuzz suite (tests/fuzz): hostile values, settings, the accounting check.

Why one module: every fuzzer feeds the same kinds of hostile input (numbers no float holds,
times no calendar holds, bytes no UTF-8 decoder takes, lines cut short or left unfinished) and
checks the same promise, ``read = stored + duplicates + quarantined`` in the result and in
``ingest_runs``. The settings keep the whole folder to a few seconds per backend and derandomize
hypothesis, so a CI failure is the same failure on a laptop.
"""

from __future__ import annotations

import os
from itertools import count

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicelevel.collectors.base import RunResult
from servicelevel.store.schema import IngestRun

FUZZ = settings(
    max_examples=int(os.environ.get("SERVICELEVEL_FUZZ_EXAMPLES", "8")),
    deadline=None,
    derandomize=True,
    database=None,
    # SERVICELEVEL_FUZZ_SHRINK=0: report the first failing example as drawn (shrinking through a
    # database can take minutes).
    phases=[
        p
        for p in Phase
        if os.environ.get("SERVICELEVEL_FUZZ_SHRINK", "1") != "0" or p.name != "shrink"
    ],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# One database per test, shared by its examples: each example writes files of its own name, so
# the identity is checked per file; a fresh PostgreSQL database per example would cost seconds.
_names = count()


def unique(stem: str) -> str:
    """A file name no other example of this process used."""
    return f"{stem}-{next(_names)}"


HOSTILE_NUMBERS = (
    "nan", "NaN", "inf", "-inf", "Infinity", "1.0e400", "-1.0e400", "99999999999999999999",
    "-99999999999999999999", "-1", "-0", "1e-400", "0x10", "1_000", "12,5", " 7 ", "",
)  # fmt: skip
HOSTILE_TIMES = (
    *HOSTILE_NUMBERS, "253402300800", "32503680000", "-62135596800", "9999-12-31 23:59:59",
    "0001-01-01 00:00:00", "2026-02-30 10:00:00", "2026-13-01 00:00:00", "2099-12-31 23:59:59",
    "2100-01-01 00:00:00", "1969-12-31 23:59:59", "yesterday", "24:00",
)  # fmt: skip
HOSTILE_TEXT = st.one_of(
    st.sampled_from(["", " ", "\x00", "a\x00b", '"', "é", "\ufeff", "\u2028", "|", ";", ","]),
    st.builds(lambda n: "q" * n, st.integers(79, 300)),  # queue and key columns hold 80
    st.text(max_size=12),
)
BAD_BYTES = st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\xfe\xff", b"\x80abc"])


@st.composite
def hostile_bytes(draw, lines: list[str], header: bool = False) -> bytes:
    """``lines`` as a file: LF or CRLF endings, bad bytes spliced in, maybe no last newline.

    ``header``: the first line is a CSV header and stays intact (a header naming other columns
    refuses the whole file, by design: it is the mapping that is wrong, not a row).
    """
    newline = draw(st.sampled_from([b"\n", b"\r\n"]))
    out = []
    for i, line in enumerate(lines):
        data = line.encode("utf-8", "surrogatepass")
        if draw(st.integers(0, 9)) == 0 and not (header and i == 0):
            at = draw(st.integers(0, len(data)))
            data = data[:at] + draw(BAD_BYTES) + data[at:]
        out.append(data + (b"\r\n" if draw(st.integers(0, 19)) == 0 else newline))
    body = b"".join(out)
    if body and draw(st.booleans()):
        body = body.rstrip(b"\r\n")  # the last line is still being written
    return body


def check_accounting(engine, result: RunResult) -> None:
    """The promise of every import: each row read is stored, a duplicate or quarantined."""
    assert result.read == result.stored + result.duplicates + result.quarantined, result
    assert min(result.read, result.stored, result.duplicates, result.quarantined) >= 0, result
    with Session(engine) as session:
        run = session.get(IngestRun, result.run_id)
        assert run is not None, result
        assert (run.read, run.stored, run.duplicates, run.quarantined) == (
            result.read, result.stored, result.duplicates, result.quarantined,
        ), (run.status, run.error, result)  # fmt: skip
        assert run.status == "ok", (run.status, run.error)


def rows(engine, *tables) -> tuple[int, ...]:
    """How many rows each table holds."""
    with Session(engine) as session:
        return tuple(session.scalar(select(func.count()).select_from(t)) for t in tables)
