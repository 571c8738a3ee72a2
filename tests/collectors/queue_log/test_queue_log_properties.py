"""Property: any mix of valid, duplicate and corrupt queue_log lines is accounted for exactly.

Hypothesis draws calls (queue, entry time, outcome, wait), writes their lines in time order,
repeats some lines later in the file (a re-sent or re-read line), and scatters corrupt lines
(garbage, bad times, unknown events, missing fields, outcomes of calls that never entered). For
every draw, on SQLite and on PostgreSQL:

* read = stored + duplicates + quarantined, in the result and in ingest_runs;
* the stored calls and the 15-minute rollups are exactly those of the valid calls alone, worked
  out here by hand (no package code);
* only corrupt lines are in the quarantine;
* the same lines imported again under another name store nothing.
"""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicelevel.collectors.queue_log.importer import import_file
from servicelevel.store import make_engine
from servicelevel.store.rollups import RollupSpec
from servicelevel.store.schema import Call, IngestRun, Quarantine, Rollup, RollupThreshold

SHORT, T = 5.0, 20.0
SPEC = RollupSpec.of(SHORT, [T])
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
START = 1_795_000_000
QUEUES = ("sales", "support", "billing")
OUTCOME_LINE = {
    "answered": "CONNECT|{w}|{c}.9|3",
    "abandoned": "ABANDON|1|1|{w}",
    "timeout": "EXITWITHTIMEOUT|1|1|{w}",
    "exitempty": "EXITEMPTY|1|1|{w}",
    "exitkey": "EXITWITHKEY|5|1|1|{w}",
}


@st.composite
def valid_calls(draw):
    n = draw(st.integers(1, 25))
    offsets = sorted(draw(st.lists(st.integers(0, 30 * 3600), min_size=n, max_size=n)))
    out = []
    for i, offset in enumerate(offsets):
        out.append(
            {
                "callid": f"{START + offset}.{i}",
                "queue": draw(st.sampled_from(QUEUES)),
                "entered": START + offset,
                "outcome": draw(st.sampled_from(list(OUTCOME_LINE))),
                "wait": draw(st.integers(0, 90)),
                "talk": draw(st.integers(1, 600)),
            }
        )
    return out


def lines_of(call) -> list[tuple[int, str]]:
    c, q, e, w = call["callid"], call["queue"], call["entered"], call["wait"]
    out = [(e, f"{e}|{c}|{q}|NONE|ENTERQUEUE||0612345678|1")]
    agent = "Agent/7" if call["outcome"] == "answered" else "NONE"
    out.append(
        (e + w, f"{e + w}|{c}|{q}|{agent}|" + OUTCOME_LINE[call["outcome"]].format(w=w, c=c))
    )
    if call["outcome"] == "answered":
        out.append(
            (
                e + w + call["talk"],
                f"{e + w + call['talk']}|{c}|{q}|Agent/7|COMPLETEAGENT|{w}|{call['talk']}|1",
            )
        )
    return out


corrupt_line = st.one_of(
    st.text(alphabet="abcxyz -_!", min_size=1, max_size=30),  # no field separator at all
    st.builds(lambda c: f"yesterday|{c}|sales|NONE|ENTERQUEUE|", st.integers(1, 999)),
    st.builds(lambda c: f"{START}|x{c}|sales|NONE|HANGUPNOW|1|2", st.integers(1, 999)),
    st.builds(lambda c: f"{START}|x{c}|sales", st.integers(1, 999)),
    st.builds(lambda c: f"{START + 10}|ghost{c}|sales|NONE|ABANDON|1|1|4", st.integers(1, 999)),
    st.builds(
        lambda c: f"{START + 20}|ghost{c}|sales|Agent/1|CONNECT|soon|x|1", st.integers(1, 999)
    ),
)


@st.composite
def queue_log(draw):
    """(file lines, valid calls, corrupt lines)."""
    calls = draw(valid_calls())
    timed = sorted(
        (t, i, j, line)
        for i, call in enumerate(calls)
        for j, (t, line) in enumerate(lines_of(call))
    )
    lines = [line for *_, line in timed]
    for _ in range(draw(st.integers(0, 8))):  # a line sent twice, again later in the file
        index = draw(st.integers(0, len(lines) - 1))
        lines.insert(draw(st.integers(index + 1, len(lines))), lines[index])
    corrupt = draw(st.lists(corrupt_line, max_size=8))
    for line in corrupt:
        lines.insert(draw(st.integers(0, len(lines))), line)
    return lines, calls, corrupt


def expected_rollups(calls) -> dict:
    """Per (queue, interval start): the counts the rollups must hold, from the valid calls."""
    out: dict = defaultdict(lambda: defaultdict(float))
    for call in calls:
        start = datetime.fromtimestamp(call["entered"] - call["entered"] % 900, UTC)
        row = out[(call["queue"], start)]
        wait, outcome = call["wait"], call["outcome"]
        if outcome == "abandoned" and wait < SHORT:
            row["short_abandoned"] += 1
            continue
        row["offered"] += 1
        row["max_wait"] = max(row["max_wait"], wait)
        if outcome == "answered":
            row["answered"] += 1
            row["wait_sum_answered"] += wait
            row["answered_within"] += wait <= T
        elif outcome == "abandoned":
            row["abandoned"] += 1
            row["abandoned_within"] += wait <= T
        else:
            row["unanswered_other"] += 1
    return {key: {k: v for k, v in value.items() if v} for key, value in out.items()}


def stored_rollups(engine) -> dict:
    with Session(engine) as session:
        within = {
            (r.queue, r.interval_start): r
            for r in session.execute(select(RollupThreshold)).scalars()
        }
        out = {}
        for r in session.execute(select(Rollup)).scalars():
            key = (r.queue, r.interval_start)
            t = within.get(key)
            row = {
                "offered": r.offered, "answered": r.answered, "abandoned": r.abandoned,
                "short_abandoned": r.short_abandoned, "unanswered_other": r.unanswered_other,
                "wait_sum_answered": r.wait_sum_answered, "max_wait": r.max_wait or 0,
                "answered_within": t.answered_within if t else 0,
                "abandoned_within": t.abandoned_within if t else 0,
            }  # fmt: skip
            out[key] = {k: v for k, v in row.items() if v}
    return out


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_db(request):
    """A factory of empty databases: hypothesis needs a new one for every example."""
    if request.param == "sqlite":

        @contextmanager
        def make():
            with tempfile.TemporaryDirectory() as folder:
                yield f"sqlite:///{folder}/servicelevel.db"

        return make
    return request.getfixturevalue("postgres_server").fresh_database


def check_run(engine, result, lines: int) -> None:
    assert result.read == lines
    assert result.read == result.stored + result.duplicates + result.quarantined, result
    with Session(engine) as session:
        run = session.get(IngestRun, result.run_id)
        assert (run.read, run.stored, run.duplicates, run.quarantined) == (
            result.read, result.stored, result.duplicates, result.quarantined,
        )  # fmt: skip


@settings(
    max_examples=int(os.environ.get("SERVICELEVEL_PROPERTY_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=queue_log(), batch=st.sampled_from([3, 7, 20_000]))
def test_accounting_adds_up_and_kpis_come_from_the_valid_lines_alone(fresh_db, drawn, batch):
    lines, calls, corrupt = drawn
    with fresh_db() as url, tempfile.TemporaryDirectory() as folder:
        engine = make_engine(url)
        try:
            path = Path(folder) / "queue_log"
            path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            result = import_file(engine, path, SPEC, batch_lines=batch, now=NOW)
            check_run(engine, result, len(lines))
            with Session(engine) as session:
                stored = {
                    (c.callid, c.queue): (c.outcome, c.wait_s)
                    for c in session.execute(select(Call)).scalars()
                }
                kept = session.execute(select(Quarantine.raw)).scalars().all()
            assert stored == {
                (c["callid"], c["queue"]): (c["outcome"], float(c["wait"])) for c in calls
            }
            assert stored_rollups(engine) == expected_rollups(calls)
            assert set(kept) <= set(corrupt) | {""}
            assert result.quarantined >= 1 if corrupt else result.quarantined == 0

            again = Path(folder) / "queue_log.copy"
            again.write_bytes(path.read_bytes())
            second = import_file(engine, again, SPEC, batch_lines=batch, now=NOW)
            check_run(engine, second, len(lines))
            assert second.stored == 0 and second.quarantined == 0
            assert stored_rollups(engine) == expected_rollups(calls)
        finally:
            engine.dispose()
